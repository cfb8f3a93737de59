"""Source text to typed syntax tree: the lark grammar, line continuation, and diagnostics.

`parse(text, path)` returns a `SourceFile` or raises `InputError` with diagnostics that
point at the offending token; `calculus.printer` writes a tree back as `.cost` text.
Well-formed text takes the direct path (lark's LALR tables, no parse tree); anything else is
parsed again by lark with positions and a transformer, whose diagnostics are the reference.
"""

from __future__ import annotations

import gc
import getpass
import hashlib
import importlib.resources
import importlib.util
import inspect
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache, lru_cache, partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from calculus import diagnostics as codes
from calculus import nodes as n
from calculus.diagnostics import Diagnostic, InputError, at, did_you_mean
from calculus.numbers import constant_value, is_constant

if TYPE_CHECKING:
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

# lark is imported where the tree path needs it: a check of well-formed text, once the direct
# path's tables are cached, runs without it.

MAX_NESTING = 100

# A newline right after one of these does not end the statement (DESIGN §4).
_CONTINUES = frozenset("+ - * / ^ , = < <= > >= != -> <-> : and or not beats extends in on".split())
_OPENERS = {"(": ")", "{": "}"}
_CLOSERS = (")", "}")

# ---- the vocabulary -------------------------------------------------------------------------
# The language's words are read from the grammar once, here; the lexer, the REPL, the session
# and the circuits import them rather than keep their own lists.


@lru_cache(maxsize=1)
def grammar_text() -> str:
    return importlib.resources.files("calculus.grammar").joinpath("cost.lark").read_text("utf-8")


_RULE = re.compile(r"^[?!]*([a-z_][a-z0-9_]*)\s*:", re.MULTILINE)
_TERMINAL = re.compile(r"^[A-Z_][A-Z0-9_]*(\.\d+)?\s*:", re.MULTILINE)
_WORD = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"')


def _grammar_rules(text: str) -> dict[str, str]:
    """Each rule's name and its body (all its alternatives), comments and aliases removed."""
    text = re.sub(r"//[^\n]*", "", text)
    starts = sorted(
        [(m.start(), m.end(), m.group(1)) for m in _RULE.finditer(text)]
        + [(m.start(), m.end(), "") for m in _TERMINAL.finditer(text)]
        + [(m.start(), m.end(), "") for m in re.finditer(r"^%", text, re.MULTILINE)]
    )
    ends = [start for start, _, _ in starts[1:]] + [len(text)]
    rules: dict[str, str] = {}
    for (_, body_start, name), end in zip(starts, ends, strict=True):
        if name:
            rules[name] = re.sub(r"->\s*\w+", "", text[body_start:end])
    return rules


def _references(body: str, rules: dict[str, str]) -> list[str]:
    """The rules a rule's body refers to, in order of appearance."""
    bare = re.sub(r'"(\\.|[^"\\])*"|/(\\.|[^/\\])*/', " ", body)
    return [word for word in re.findall(r"[a-z_][a-z0-9_]*", bare) if word in rules]


def _reachable_words(roots: Iterable[str], rules: dict[str, str]) -> set[str]:
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        rule = pending.pop()
        if rule not in seen:
            seen.add(rule)
            pending.extend(_references(rules[rule], rules))
    return {word for rule in seen for word in _WORD.findall(rules[rule])}


# The statements whose block items have words of their own (`inputs`, `basis`, …); those words
# may still be names outside the block. Every other word of the grammar is reserved.
_BLOCK_WORD_STATEMENTS = ("task", "tasks", "reduction", "family", "sweep")


def _vocabulary(text: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    rules = _grammar_rules(text)
    keywords = tuple(sorted(set(_WORD.findall("\n".join(rules.values())))))
    statements = _references(rules["_statement"], rules)
    statement_words = tuple(_WORD.findall(rules[rule])[0] for rule in statements)
    core = [rule for rule in statements if rule not in _BLOCK_WORD_STATEMENTS]
    reserved = frozenset(statement_words) | _reachable_words(core, rules)
    return keywords, statement_words, reserved


# Every word the grammar spells out; the words that open a statement, in the grammar's order;
# the words that may never name anything.
KEYWORDS, STATEMENT_WORDS, RESERVED = _vocabulary(grammar_text())

# The values that the grammar reads as names and the transformer checks.
Basis = Literal["b2", "aig"]
Measure = Literal["size", "depth", "size+depth"]
Property = Literal["deceptive", "misgeneralises"]
ExchangeFamily = Literal["linear", "monotone", "subadditive", "superadditive"]
BASES: tuple[Basis, ...] = get_args(Basis)
MEASURES: tuple[Measure, ...] = get_args(Measure)
PROPERTIES: tuple[Property, ...] = get_args(Property)
EXCHANGE_FAMILIES: tuple[ExchangeFamily, ...] = get_args(ExchangeFamily)
EXPECT_SIDES = ("alone", "combined")
EXTENTS = ("none", "some", "every")
MAX_HORIZON = 4


class _TooDeep(Exception):
    def __init__(self, token: Token):
        self.token = token


class ContinuationPostLex:
    """Drops newlines inside parentheses and after an operator; bounds nesting depth."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        stack: list[str] = []
        previous: str | None = None
        for token in stream:
            if token.type == "_NL":
                if (stack and stack[-1] == "(") or previous in _CONTINUES:
                    continue
                previous = "\n"
                yield token
                continue
            value = str(token)
            if value in _OPENERS:
                stack.append(value)
                if len(stack) > MAX_NESTING:
                    raise _TooDeep(token)
            elif value in (")", "}") and stack and _OPENERS[stack[-1]] == value:
                stack.pop()
            previous = value if token.type != "STRING" else "\0string"
            yield token


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser for the grammar (built once; cached on disk by lark)."""
    from lark import Lark

    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=ContinuationPostLex(),
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )


def _span(meta: Any) -> n.Span:
    # `meta` is lark's (the tree path) or a (line, column, end line, end column) tuple (the
    # direct path, where an empty match is all zeros).
    if meta.__class__ is tuple:
        return n.Span(*meta)
    if getattr(meta, "empty", False):
        return n.NOWHERE
    return n.Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _token_span(token: Token) -> n.Span:
    return n.Span(
        token.line or 0,
        token.column or 0,
        token.end_line or token.line or 0,
        token.end_column or (token.column or 0) + len(token),
    )


class _Malformed(Exception):
    """Raised by the transformer for well-parsed text that means nothing: a number where a
    truth value belongs, a field given twice, an unknown basis, …"""

    def __init__(self, span: n.Span, message: str, hint: str | None = None, code: str = codes.TYPE):
        self.span, self.message, self.hint, self.code = span, message, hint, code


_FORMULA_TYPES = (n.Compare, n.Beats, n.Connective, n.Not)
_EXPR_TYPES = (n.Number, n.CostOf, n.GRate, n.GApply, n.Arithmetic, n.Negate, n.Symbol, n.Call)


def _expect_expr(node: Any, where: str) -> n.Expr:
    if isinstance(node, _FORMULA_TYPES):
        raise _Malformed(node.span, f"expected a number in {where}, found a truth value")
    return node  # type: ignore[no-any-return]


def _expect_formula(node: Any, where: str) -> n.Formula:
    if isinstance(node, _EXPR_TYPES):
        raise _Malformed(
            node.span,
            f"expected a truth value in {where}, found a number",
            "compare it with something, e.g. `c(x) < c(y)`",
        )
    return node  # type: ignore[no-any-return]


class _Build:
    """Rules -> `calculus.nodes`; method names are the grammar's rule aliases. The direct path
    calls the methods as it reduces each rule; `_tree_builder` makes a lark transformer of them
    for the tree path."""

    def start(self, meta: Any, *statements: n.Statement) -> tuple[n.Statement, ...]:
        return statements

    # -- names and terms
    def name(self, meta: Any, token: Token) -> n.Name:
        if str(token) in RESERVED:
            raise _Malformed(
                _token_span(token),
                f"'{token}' is a keyword and cannot be a name",
                f"rename it, e.g. '{token}_'",
                code=codes.RESERVED,
            )
        return n.Name(str(token), _token_span(token))

    def term(self, meta: Any, head: n.Name, *args: n.Term) -> n.Term:
        return n.Term(head, tuple(args), _span(meta))

    # -- statements
    def model(self, meta: Any, token: Token) -> n.ModelTitle:
        return n.ModelTitle(_string(token), _span(meta))

    def primitive(self, meta: Any, *items: n.Primitive) -> tuple[n.Primitive, ...]:
        return items

    def primitive_item(self, meta: Any, name: n.Name, *rest: Any) -> n.Primitive:
        flags: tuple[n.Name, ...] = ()
        fixed: dict[str, n.Expr] = {}
        for part in rest:
            if part[0] == "flags":
                flags = part[1]
            else:
                for kind, expr, span in part[1]:
                    if kind in fixed:
                        raise _Malformed(
                            span, f"'{kind}' of '{name}' is given twice", code=codes.GIVEN_TWICE
                        )
                    fixed[kind] = expr
        for flag in flags:
            if flag.text != "nonneg":
                raise _Malformed(
                    flag.span, f"unknown primitive flag '{flag}'", "the flag is (nonneg)"
                )
        return n.Primitive(name, flags, fixed.get("c"), fixed.get("t"), _span(meta))

    def primitive_flags(self, meta: Any, *names: n.Name) -> tuple[str, tuple[n.Name, ...]]:
        return ("flags", names)

    def fixed_costs(self, meta: Any, *formulas: Any) -> tuple[str, tuple[Any, ...]]:
        return ("fixed", formulas)

    def c_formula(self, meta: Any, expr: Any) -> tuple[str, n.Expr, n.Span]:
        return ("c", _expect_expr(expr, "a cost formula"), _span(meta))

    def t_formula(self, meta: Any, expr: Any) -> tuple[str, n.Expr, n.Span]:
        return ("t", _expect_expr(expr, "a cost formula"), _span(meta))

    def program(self, meta: Any, name: n.Name, *items: Any) -> n.Program:
        extends = None
        stores: list[n.Term] = []
        runs: list[n.Run] = []
        formulas: dict[str, n.Expr] = {}
        for item in items:
            tag = item[0]
            if tag == "extends":
                extends = item[1]
            elif tag == "stores":
                stores.extend(item[1])
            elif tag == "runs":
                runs.extend(item[1])
            else:
                kind, expr, span = item
                if kind in formulas:
                    raise _Malformed(
                        span, f"'{kind}' of program '{name}' is given twice", code=codes.GIVEN_TWICE
                    )
                formulas[kind] = expr
        return n.Program(
            name,
            extends,
            tuple(stores),
            tuple(runs),
            formulas.get("c"),
            formulas.get("t"),
            _span(meta),
        )

    def extends(self, meta: Any, name: n.Name) -> tuple[str, n.Name]:
        return ("extends", name)

    def stores(self, meta: Any, *terms: n.Term) -> tuple[str, tuple[n.Term, ...]]:
        return ("stores", terms)

    def runs(self, meta: Any, *items: n.Run) -> tuple[str, tuple[n.Run, ...]]:
        return ("runs", items)

    def run_item(self, meta: Any, *parts: Any) -> n.Run:
        if len(parts) == 1:
            return n.Run(1, parts[0], _span(meta))
        count_token, term = parts
        count = _number(count_token)
        if count.denominator != 1 or count < 1:
            raise _Malformed(
                _token_span(count_token),
                f"a run count must be a positive whole number, not {count_token}",
            )
        return n.Run(int(count), term, _span(meta))

    def exchange(self, meta: Any, family: n.Name, *others: n.Name) -> n.Exchange:
        seen: set[str] = set()
        for name in (family, *others):
            if name.text not in EXCHANGE_FAMILIES:
                raise _Malformed(
                    name.span,
                    f"unknown exchange family '{name}'",
                    did_you_mean(name.text, EXCHANGE_FAMILIES)
                    or "one of: " + ", ".join(EXCHANGE_FAMILIES) + ", or `all`",
                )
            if name.text in seen:
                raise _Malformed(name.span, f"the family '{name}' is listed twice")
            seen.add(name.text)
        return n.Exchange(family, tuple(others), False, _span(meta))

    def exchange_all(self, meta: Any) -> n.Exchange:
        first, *rest = (n.Name(family, _span(meta)) for family in EXCHANGE_FAMILIES)
        return n.Exchange(first, tuple(rest), True, _span(meta))

    def label(self, meta: Any, name: n.Name) -> tuple[str, n.Name]:
        return ("label", name)

    def for_some(self, meta: Any) -> tuple[str, bool]:
        return ("quantifier", True)

    def for_all(self, meta: Any) -> tuple[str, bool]:
        return ("quantifier", False)

    def for_some_costs(self, meta: Any) -> tuple[str, str, n.Span]:
        return ("some", "costs", _span(meta))

    def for_some_parameter(self, meta: Any, name: n.Name) -> tuple[str, n.Name, n.Span]:
        return ("some", name, _span(meta))

    def eventually(self, meta: Any, name: n.Name) -> tuple[str, n.Name]:
        return ("eventually", name)

    def quote(self, meta: Any, token: Token) -> tuple[str, str]:
        return ("quote", _string(token))

    def _labelled(self, parts: tuple[Any, ...]) -> tuple[n.Name | None, Any, bool]:
        label = None
        some = False
        formula = None
        for part in parts:
            if isinstance(part, tuple) and part[0] == "label":
                label = part[1]
            elif isinstance(part, tuple) and part[0] == "quantifier":
                some = part[1]
            elif not isinstance(part, tuple):
                formula = part
        return label, formula, some

    def assume(self, meta: Any, *parts: Any) -> n.Assume:
        label, formula, _ = self._labelled(parts)
        return n.Assume(label, _expect_formula(formula, "an assumption"), _span(meta))

    def _claim(self, kind: n.ClaimKind, meta: Any, parts: tuple[Any, ...]) -> n.Claim:
        label, formula, some_g = self._labelled(parts)
        costs = False
        parameters: list[n.Name] = []
        eventually: n.Name | None = None
        quote: str | None = None
        seen: set[str] = set()
        for part in parts:
            if not isinstance(part, tuple):
                continue
            if part[0] == "some":
                key = part[1] if isinstance(part[1], str) else part[1].text
                if key in seen:
                    raise _Malformed(part[2], f"`for some {key}` is given twice")
                seen.add(key)
                if part[1] == "costs":
                    costs = True
                else:
                    parameters.append(part[1])
            elif part[0] == "quantifier":
                if "g" in seen:
                    raise _Malformed(_span(meta), "the quantifier of g is given twice")
                seen.add("g")
            elif part[0] == "eventually":
                eventually = part[1]
            elif part[0] == "quote":
                quote = part[1]
        if eventually is not None and eventually.text in seen:
            raise _Malformed(
                eventually.span,
                f"`eventually in {eventually}` and `for some {eventually}` quantify "
                f"'{eventually}' twice",
                "keep one of the two",
            )
        return n.Claim(
            kind,
            label,
            _expect_formula(formula, f"a {kind}"),
            some_g,
            _span(meta),
            costs,
            tuple(parameters),
            eventually,
            quote,
        )

    def claim(self, meta: Any, *parts: Any) -> n.Claim:
        return self._claim("claim", meta, parts)

    def refute(self, meta: Any, *parts: Any) -> n.Claim:
        return self._claim("refute", meta, parts)

    # -- several files, objections, parameters
    def import_file(self, meta: Any, token: Token) -> n.Import:
        path = _string(token)
        if not path:
            raise _Malformed(
                _token_span(token), "an import names a file", 'e.g. `import "base.cost"`'
            )
        return n.Import(path, _span(meta))

    def drop(self, meta: Any, *names: n.Name) -> n.Drop:
        return n.Drop(tuple(names), _span(meta))

    def objection(self, meta: Any, name: n.Name, *items: Any) -> n.Objection:
        drops: list[n.Name] = []
        statements: list[n.Statement] = []
        for item in items:
            if isinstance(item, n.Drop):
                drops.extend(item.names)
            elif isinstance(item, tuple):
                statements.extend(item)  # a `primitive` line declares several
            else:
                statements.append(item)
        return n.Objection(name, tuple(drops), tuple(statements), _span(meta))

    def parameter(self, meta: Any, name: n.Name, *parts: Any) -> n.Parameter:
        domain: n.ParameterDomain = "real"
        bounds: list[n.Bound] = []
        for part in parts:
            if isinstance(part, n.Bound):
                bounds.append(part)
            else:
                domain = part
        return n.Parameter(name, domain, tuple(bounds), _span(meta))

    def domain_integer(self, meta: Any) -> str:
        return "integer"

    def domain_real(self, meta: Any) -> str:
        return "real"

    def _bound(self, op: n.BoundOp, meta: Any, value: Any) -> n.Bound:
        return n.Bound(op, _expect_expr(value, "a parameter's bound"), _span(meta))

    def bound_ge(self, meta: Any, value: Any) -> n.Bound:
        return self._bound(">=", meta, value)

    def bound_gt(self, meta: Any, value: Any) -> n.Bound:
        return self._bound(">", meta, value)

    def bound_le(self, meta: Any, value: Any) -> n.Bound:
        return self._bound("<=", meta, value)

    def bound_lt(self, meta: Any, value: Any) -> n.Bound:
        return self._bound("<", meta, value)

    def ranges(self, meta: Any, *parts: Any) -> n.Ranges:
        names = tuple(p for p in parts if isinstance(p, n.Name))
        scenario = next((p[1] for p in parts if isinstance(p, tuple)), None)
        return n.Ranges(names, scenario, _span(meta))

    def scenario_ref(self, meta: Any, name: n.Name) -> tuple[str, n.Name]:
        return ("in", name)

    def scenario(self, meta: Any, name: n.Name, *items: Any) -> n.Scenario:
        values: list[n.ScenarioValue] = []
        default: n.Expr | None = None
        for item in items:
            if isinstance(item, tuple):
                if default is not None:
                    raise _Malformed(
                        item[1], f"scenario '{name}' has two defaults", code=codes.GIVEN_TWICE
                    )
                default = item[0]
            else:
                values.append(item)
        return n.Scenario(name, tuple(values), default, _span(meta))

    def scenario_default(self, meta: Any, expr: Any) -> tuple[n.Expr, n.Span]:
        return (_expect_expr(expr, "a scenario default"), _span(meta))

    def scenario_value(self, meta: Any, formula: Any) -> n.ScenarioValue:
        hint = "a scenario gives values as `c(x) = 3`, `t(x) = 1/2` or `default = 1`"
        if not isinstance(formula, n.Compare) or formula.op != "=":
            raise _Malformed(_span(meta), "expected an assignment in a scenario", hint)
        target = formula.left
        if not isinstance(target, (n.CostOf, n.GRate, n.Symbol)):
            raise _Malformed(formula.left.span, "the left side must be a cost atom", hint)
        return n.ScenarioValue(target, formula.right, _span(meta))

    # -- tasks
    def task(self, meta: Any, name: n.Name, *items: Any) -> n.Task:
        return _task_from_items(name, items, _span(meta), "task")

    def family(self, meta: Any, name: n.Name, *rest: Any) -> n.Family:
        params = tuple(x for x in rest if isinstance(x, n.Name))
        items = tuple(x for x in rest if not isinstance(x, n.Name))
        seen: set[str] = set()
        for param in params:
            if param.text in seen:
                raise _Malformed(
                    param.span, f"parameter '{param}' is listed twice", code=codes.DUPLICATE
                )
            seen.add(param.text)
        task = _task_from_items(name, items, _span(meta), "family")
        return n.Family(name, params, task, _span(meta))

    def task_ignore(self, meta: Any, expr: n.BitExpr) -> tuple[str, Any, n.Span]:
        return ("ignore_where", expr, _span(meta))

    def task_horizon(self, meta: Any, token: Token) -> tuple[str, Any, n.Span]:
        text = str(token)
        if not text.isdigit() or not 1 <= int(text) <= MAX_HORIZON:
            raise _Malformed(
                _token_span(token),
                f"a horizon is a whole number of steps from 1 to {MAX_HORIZON}, not '{text}'",
                "e.g. `horizon 2`",
            )
        return ("horizon", int(text), _span(meta))

    def task_next(self, meta: Any, bit: n.Name, expr: n.BitExpr) -> tuple[str, Any, n.Span]:
        return ("next", (bit, expr), _span(meta))

    def task_inputs(self, meta: Any, *names: n.Name) -> tuple[str, Any, n.Span]:
        return ("inputs", names, _span(meta))

    def task_outputs(self, meta: Any, *names: n.Name) -> tuple[str, Any, n.Span]:
        return ("outputs", names, _span(meta))

    def task_intended(self, meta: Any, output: n.Name, expr: n.BitExpr) -> tuple[str, Any, n.Span]:
        return ("intended", (output, expr), _span(meta))

    def task_reward(self, meta: Any, output: n.Name, expr: n.BitExpr) -> tuple[str, Any, n.Span]:
        return ("reward", (output, expr), _span(meta))

    def train_states(self, meta: Any, *states: n.TrainState) -> tuple[str, Any, n.Span]:
        return ("train_states", states, _span(meta))

    def train_where(self, meta: Any, expr: n.BitExpr) -> tuple[str, Any, n.Span]:
        return ("train_where", expr, _span(meta))

    def train_state(self, meta: Any, token: Token, *weight: Any) -> n.TrainState:
        bits = str(token)
        if set(bits) - {"0", "1"}:
            raise _Malformed(
                _token_span(token),
                f"a state is written in bits, not '{bits}'",
                "e.g. `train 101` for inputs (1, 0, 1)",
            )
        value = _expect_expr(weight[0], "a training weight") if weight else None
        if value is not None and not is_constant(value):
            raise _Malformed(value.span, "a training weight must be a number")
        return n.TrainState(bits, value, _span(meta))

    def tasks(self, meta: Any, name: n.Name, *members: Any) -> n.TaskSet:
        by_data = False
        if members and isinstance(members[0], bool):
            by_data, members = members[0], members[1:]
        return n.TaskSet(name, tuple(members), _span(meta), by_data)

    def tasks_by(self, meta: Any, how: n.Name) -> bool:
        return _by_data(how)

    def weighted_task(self, meta: Any, name: n.Name, *weight: Any) -> tuple[n.Name, n.Expr | None]:
        value = _expect_expr(weight[0], "a task weight") if weight else None
        if value is not None and not is_constant(value):
            raise _Malformed(value.span, "a task weight must be a number")
        return (name, value)

    def reduction(self, meta: Any, name: n.Name, *items: tuple[str, Any, n.Span]) -> n.Reduction:
        fields: dict[str, Any] = {}
        expects: list[n.Expect] = []
        for key, value, span in items:
            if key == "expect":
                if any(e.side.text == value.side.text for e in expects):
                    raise _Malformed(
                        span,
                        f"reduction '{name}' expects `{value.side}` twice",
                        code=codes.GIVEN_TWICE,
                    )
                expects.append(value)
                continue
            if key in fields:
                raise _Malformed(
                    span, f"reduction '{name}' sets `{key}` twice", code=codes.GIVEN_TWICE
                )
            fields[key] = value
        kind, target, where = fields.get("property", (None, None, None))
        return n.Reduction(
            name,
            fields.get("tasks"),
            fields.get("bad"),
            fields.get("basis"),
            fields.get("measure", ()),
            fields.get("reward"),
            kind,
            _span(meta),
            target,
            where,
            tuple(expects),
        )

    def reduction_tasks(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        return ("tasks", name, _span(meta))

    def reduction_bad(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        return ("bad", name, _span(meta))

    def reduction_basis(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        if name.text not in BASES:
            raise _Malformed(
                name.span,
                f"unknown basis '{name}'",
                "one of: " + ", ".join(BASES),
                code=codes.UNKNOWN_BASIS,
            )
        return ("basis", name, _span(meta))

    def reduction_measure(self, meta: Any, *names: n.Name) -> tuple[str, Any, n.Span]:
        text = "+".join(x.text for x in names)
        if text not in MEASURES:
            raise _Malformed(
                names[0].span,
                f"unknown measure '{text}'",
                "one of: " + ", ".join(MEASURES),
                code=codes.UNKNOWN_MEASURE,
            )
        return ("measure", names, _span(meta))

    def reduction_reward(self, meta: Any, value: Any) -> tuple[str, Any, n.Span]:
        value = _expect_expr(value, "a reward threshold")
        if not is_constant(value):
            raise _Malformed(value.span, "a reward threshold must be a number")
        return ("reward", value, _span(meta))

    def reduction_property(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        if name.text not in PROPERTIES:
            raise _Malformed(
                name.span,
                f"unknown property '{name}'",
                "one of: " + ", ".join(PROPERTIES) + ", reads NAME, ignores NAME, where EXPR",
                code=codes.UNKNOWN_PROPERTY,
            )
        return ("property", (name, None, None), _span(meta))

    def reduction_reads(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        return ("property", (n.Name("reads", _span(meta)), name, None), _span(meta))

    def reduction_ignores(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        return ("property", (n.Name("ignores", _span(meta)), name, None), _span(meta))

    def reduction_where(self, meta: Any, expr: n.BitExpr) -> tuple[str, Any, n.Span]:
        return ("property", (n.Name("where", _span(meta)), None, expr), _span(meta))

    def expect_extent(self, meta: Any, name: n.Name) -> n.Name:
        return name

    def extent_some(self, meta: Any) -> n.Name:
        return n.Name("some", _span(meta))

    def reduction_expect(self, meta: Any, side: n.Name, extent: n.Name) -> tuple[str, Any, n.Span]:
        if side.text not in EXPECT_SIDES:
            raise _Malformed(
                side.span,
                f"`expect` names the task alone or combined, not '{side}'",
                "e.g. `expect alone none` or `expect combined every`",
            )
        if extent.text not in EXTENTS:
            raise _Malformed(
                extent.span,
                f"unknown extent '{extent}'",
                "one of: " + ", ".join(EXTENTS) + " (of the minimum circuits)",
                code=codes.UNKNOWN_EXTENT,
            )
        return ("expect", n.Expect(side, extent, _span(meta)), _span(meta))

    # -- families and sweeps
    def sweep(self, meta: Any, name: n.Name, *items: tuple[str, Any, n.Span]) -> n.Sweep:
        fields: dict[str, Any] = {}
        for key, value, span in items:
            if key in fields:
                raise _Malformed(span, f"sweep '{name}' sets `{key}` twice", code=codes.GIVEN_TWICE)
            fields[key] = value
        low, high = fields.get("tasks", (None, None))
        return n.Sweep(
            name,
            fields.get("family"),
            low,
            high,
            fields.get("draws"),
            fields.get("seed"),
            fields.get("by", False),
            fields.get("basis"),
            fields.get("measure", ()),
            _span(meta),
        )

    def sweep_family(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        return ("family", name, _span(meta))

    def sweep_tasks(self, meta: Any, low: Token, high: Token) -> tuple[str, Any, n.Span]:
        a, b = _count(low, "a number of tasks"), _count(high, "a number of tasks")
        if a < 1 or b < a:
            raise _Malformed(
                _span(meta),
                f"`tasks {a} to {b}` is not a range of set sizes",
                "e.g. `tasks 1 to 8` (at least one task, the smaller number first)",
            )
        return ("tasks", (a, b), _span(meta))

    def sweep_draws(self, meta: Any, token: Token) -> tuple[str, Any, n.Span]:
        draws = _count(token, "a number of draws")
        if draws < 1:
            raise _Malformed(_token_span(token), "a sweep needs at least one draw per size")
        return ("draws", draws, _span(meta))

    def sweep_seed(self, meta: Any, token: Token) -> tuple[str, Any, n.Span]:
        return ("seed", _count(token, "a seed"), _span(meta))

    def sweep_by(self, meta: Any, how: n.Name) -> tuple[str, Any, n.Span]:
        return ("by", _by_data(how), _span(meta))

    def sweep_basis(self, meta: Any, name: n.Name) -> tuple[str, Any, n.Span]:
        return self.reduction_basis(meta, name)

    def sweep_measure(self, meta: Any, *names: n.Name) -> tuple[str, Any, n.Span]:
        return self.reduction_measure(meta, *names)

    def bit_var(self, meta: Any, name: n.Name) -> n.BitVar:
        return n.BitVar(name, name.span)

    def bit_const(self, meta: Any, token: Token) -> n.BitConst:
        if str(token) not in ("0", "1"):
            raise _Malformed(_token_span(token), f"a bit is 0 or 1, not {token}")
        return n.BitConst(int(str(token)), _token_span(token))

    def _bit(self, op: n.BitOpName, meta: Any, left: n.BitExpr, right: n.BitExpr) -> n.BitOp:
        return n.BitOp(op, left, right, _span(meta))

    def bit_and(self, meta: Any, a: n.BitExpr, b: n.BitExpr) -> n.BitOp:
        return self._bit("and", meta, a, b)

    def bit_or(self, meta: Any, a: n.BitExpr, b: n.BitExpr) -> n.BitOp:
        return self._bit("or", meta, a, b)

    def bit_xor(self, meta: Any, a: n.BitExpr, b: n.BitExpr) -> n.BitOp:
        return self._bit("xor", meta, a, b)

    def bit_eq(self, meta: Any, a: n.BitExpr, b: n.BitExpr) -> n.BitOp:
        return self._bit("=", meta, a, b)

    def bit_ne(self, meta: Any, a: n.BitExpr, b: n.BitExpr) -> n.BitOp:
        return self._bit("!=", meta, a, b)

    def bit_not(self, meta: Any, operand: n.BitExpr) -> n.BitNot:
        return n.BitNot(operand, _span(meta))

    # -- formulas
    def _connective(self, op: n.ConnectiveOp, meta: Any, left: Any, right: Any) -> n.Connective:
        where = f"`{op}`"
        return n.Connective(
            op, _expect_formula(left, where), _expect_formula(right, where), _span(meta)
        )

    def implies(self, meta: Any, left: Any, right: Any) -> n.Connective:
        return self._connective("->", meta, left, right)

    def iff(self, meta: Any, left: Any, right: Any) -> n.Connective:
        return self._connective("<->", meta, left, right)

    def or_(self, meta: Any, left: Any, right: Any) -> n.Connective:
        return self._connective("or", meta, left, right)

    def and_(self, meta: Any, left: Any, right: Any) -> n.Connective:
        return self._connective("and", meta, left, right)

    def not_(self, meta: Any, operand: Any) -> n.Not:
        return n.Not(_expect_formula(operand, "`not`"), _span(meta))

    def _compare(self, op: n.CompareOp, meta: Any, left: Any, right: Any) -> n.Compare:
        where = f"a comparison `{op}`"
        return n.Compare(op, _expect_expr(left, where), _expect_expr(right, where), _span(meta))

    def lt(self, meta: Any, a: Any, b: Any) -> n.Compare:
        return self._compare("<", meta, a, b)

    def le(self, meta: Any, a: Any, b: Any) -> n.Compare:
        return self._compare("<=", meta, a, b)

    def gt(self, meta: Any, a: Any, b: Any) -> n.Compare:
        return self._compare(">", meta, a, b)

    def ge(self, meta: Any, a: Any, b: Any) -> n.Compare:
        return self._compare(">=", meta, a, b)

    def eq(self, meta: Any, a: Any, b: Any) -> n.Compare:
        return self._compare("=", meta, a, b)

    def ne(self, meta: Any, a: Any, b: Any) -> n.Compare:
        return self._compare("!=", meta, a, b)

    def beats(self, meta: Any, winner: n.Name, loser: n.Name, *on: Any) -> n.Beats:
        return n.Beats(winner, loser, on[0] if on else None, _span(meta))

    def on_c(self, meta: Any) -> str:
        return "c"

    def on_t(self, meta: Any) -> str:
        return "t"

    # -- arithmetic
    def _arith(self, op: n.ArithmeticOp, meta: Any, left: Any, right: Any) -> n.Arithmetic:
        where = f"`{op}`"
        return n.Arithmetic(op, _expect_expr(left, where), _expect_expr(right, where), _span(meta))

    def add(self, meta: Any, a: Any, b: Any) -> n.Arithmetic:
        return self._arith("+", meta, a, b)

    def sub(self, meta: Any, a: Any, b: Any) -> n.Arithmetic:
        return self._arith("-", meta, a, b)

    def mul(self, meta: Any, a: Any, b: Any) -> n.Arithmetic:
        return self._arith("*", meta, a, b)

    def div(self, meta: Any, a: Any, b: Any) -> n.Arithmetic:
        return self._arith("/", meta, a, b)

    def pow(self, meta: Any, base: Any, exponent: Any) -> n.Arithmetic:
        if not is_constant(_expect_expr(exponent, "an exponent")):
            # b^x with a symbolic exponent: an exponential of a numeric base b > 1.
            value = constant_value(_expect_expr(base, "a power"))
            if value is None or value <= 1:
                raise _Malformed(
                    base.span,
                    "a symbolic exponent needs a numeric base greater than 1",
                    "write `2^c(x)`; a power of a cost needs a numeric exponent, `c(x)^2`",
                )
            return self._arith("^", meta, base, exponent)
        result = self._arith("^", meta, base, exponent)
        _check_power(result)
        return result

    def call(self, meta: Any, function: n.Name, *args: Any) -> n.Call:
        name = function.text
        if name not in n.FUNCTIONS:
            raise _Malformed(
                function.span,
                f"unknown function '{name}'",
                did_you_mean(name, (*n.FUNCTIONS, "c", "t", "g"))
                or "the functions are c(…), t(…), g(…), max(…), min(…) and log2(…)",
                code=codes.UNKNOWN_FUNCTION,
            )
        values = tuple(_expect_expr(a, f"{name}(…)") for a in args)
        if name == "log2" and len(values) != 1:
            raise _Malformed(_span(meta), "log2 takes one argument", "e.g. `log2(c(x))`")
        if name in ("max", "min") and len(values) < 2:
            raise _Malformed(_span(meta), f"{name} takes two or more arguments")
        return n.Call(function, values, _span(meta))

    def symbol(self, meta: Any, name: n.Name) -> n.Symbol:
        return n.Symbol(name, name.span)

    def neg(self, meta: Any, operand: Any) -> n.Negate:
        return n.Negate(_expect_expr(operand, "`-`"), _span(meta))

    def number(self, meta: Any, token: Token) -> n.Number:
        return n.Number(_number(token), str(token), _token_span(token))

    def c_of(self, meta: Any, term: n.Term) -> n.CostOf:
        return n.CostOf("c", term, _span(meta))

    def t_of(self, meta: Any, term: n.Term) -> n.CostOf:
        return n.CostOf("t", term, _span(meta))

    def g_of(self, meta: Any, argument: Any) -> n.GApply:
        return n.GApply(_expect_expr(argument, "g(...)"), _span(meta))

    def g_rate(self, meta: Any) -> n.GRate:
        return n.GRate(_span(meta))


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def _string(token: Token) -> str:
    """The text of a string literal; the escapes are \\" \\\\ \\n \\t."""
    raw = str(token)[1:-1]

    def replace(match: re.Match[str]) -> str:
        escaped = match.group(1)
        if escaped not in _ESCAPES:
            span = _token_span(token)
            column = span.column + 1 + match.start()
            raise _Malformed(
                n.Span(span.line, column, span.line, column + 2),
                f"unknown escape `\\{escaped}` in a string",
                'the escapes are \\" \\\\ \\n \\t; write \\\\ for a backslash',
                code=codes.SYNTAX,
            )
        return _ESCAPES[escaped]

    return re.sub(r"\\(.)", replace, raw, flags=re.S)


def _check_power(power: n.Arithmetic) -> None:
    """A power's size is bounded: symbolic bases by MAX_EXPONENT, numbers by MAX_DIGITS."""
    exponent = constant_value(power.right)
    if exponent is None or exponent.denominator != 1:
        return
    base = constant_value(power.left)
    if base is None:
        if abs(exponent) > MAX_EXPONENT:
            raise _Malformed(
                power.right.span,
                f"exponent {exponent} is too large (at most {MAX_EXPONENT} on a cost)",
                "a power of a cost expands into many terms; use a smaller exponent",
                code=codes.NUMBER,
            )
        return
    size = max(len(str(abs(base.numerator))), len(str(base.denominator)))
    if base not in (0, 1, -1) and abs(exponent) * size > MAX_DIGITS:
        raise _Malformed(
            power.span,
            f"the power has more than {MAX_DIGITS} digits",
            "rescale the quantity, e.g. measure in larger units",
            code=codes.NUMBER,
        )


def _task_from_items(name: n.Name, items: tuple[Any, ...], span: n.Span, what: str) -> n.Task:
    fields: dict[str, Any] = {
        "inputs": (),
        "outputs": (),
        "intended": [],
        "reward": [],
        "train_states": [],
        "train_where": None,
        "ignore_where": None,
        "horizon": None,
        "next": [],
    }
    for tag, value, item_span in items:
        if tag in ("inputs", "outputs"):
            if fields[tag]:
                raise _Malformed(
                    item_span, f"{what} '{name}' declares its {tag} twice", code=codes.GIVEN_TWICE
                )
            fields[tag] = value
        elif tag in ("intended", "reward", "next"):
            fields[tag].append(value)
        elif tag == "train_states":
            fields["train_states"].extend(value)
        else:
            if fields[tag] is not None:
                line = {
                    "train_where": "`train where`",
                    "ignore_where": "`ignore where`",
                    "horizon": "`horizon`",
                }[tag]
                raise _Malformed(
                    item_span, f"{what} '{name}' has two {line} lines", code=codes.GIVEN_TWICE
                )
            fields[tag] = value
    if fields["train_where"] is not None and fields["train_states"]:
        raise _Malformed(
            span,
            f"{what} '{name}' lists training states and `train where`",
            "use one of the two",
        )
    return n.Task(
        name,
        fields["inputs"],
        fields["outputs"],
        tuple(fields["intended"]),
        tuple(fields["reward"]),
        tuple(fields["train_states"]),
        fields["train_where"],
        span,
        fields["ignore_where"],
        fields["horizon"],
        tuple(fields["next"]),
    )


def _by_data(how: n.Name) -> bool:
    if how.text not in ("data", "index"):
        raise _Malformed(
            how.span,
            f"tasks are told apart `by data` or `by index`, not by '{how}'",
            "`by data`: no index bits, the states tell the tasks apart",
        )
    return how.text == "data"


def _count(token: Token, what: str) -> int:
    text = str(token)
    if not text.isdigit() or len(text) > 6:
        raise _Malformed(_token_span(token), f"{what} is a whole number, not '{text}'")
    return int(text)


# Numbers are exact, so their size is bounded: `1e999999` would be a million-digit integer.
MAX_DIGITS = 1000
MAX_EXPONENT = 64


def _number(token: Token) -> Fraction:
    text = str(token)
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.replace(".", "").lstrip("0"))
    scale = abs(int(exponent)) if exponent and len(exponent) < 12 else (10**12 if exponent else 0)
    if digits > MAX_DIGITS or scale > MAX_DIGITS:
        raise _Malformed(
            _token_span(token),
            f"number too large for exact arithmetic: `{text[:20]}{'…' if len(text) > 20 else ''}`"
            f" (at most {MAX_DIGITS} digits and exponents up to e±{MAX_DIGITS})",
            "rescale the quantity, e.g. measure in larger units",
            code=codes.NUMBER,
        )
    if text.isdecimal():
        return Fraction(int(text))
    try:
        return Fraction(Decimal(str(token)))
    except (
        InvalidOperation,
        ValueError,
    ) as error:  # pragma: no cover - the lexer admits only numbers
        raise _Malformed(_token_span(token), f"bad number {token}") from error


_TOKEN_WORDS = {
    "_NL": "end of line",
    "$END": "end of file",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "COLON": "':'",
    "SEMICOLON": "';'",
    "EQUAL": "'='",
}


def _describe_expected(expected: set[str]) -> str:
    words = []
    for terminal in sorted(expected):
        word = _TOKEN_WORDS.get(terminal)
        if word is None:
            pattern = _terminal_literal(terminal)
            word = f"'{pattern}'" if pattern else terminal.lower()
        words.append(word)
    unique = sorted(set(words))
    if len(unique) > 8:
        unique = unique[:8] + ["…"]
    return ", ".join(unique)


@cache
def _terminal_literal(terminal: str) -> str | None:
    for definition in lark_parser().terminals:
        if definition.name == terminal and definition.pattern.type == "str":
            return str(definition.pattern.value)
    return None


def _describe_token(token: Token) -> str:
    if token.type == "_NL":
        return "end of line"
    if token.type == "$END":
        return "end of file"
    text = str(token)
    if token.type == "NAME":
        return f"name '{text}'"
    return f"'{text[:20]}'"


def _syntax_hint(token: Token | None, expected: set[str]) -> str | None:
    if token is not None and token.type == "NAME" and str(token) in KEYWORDS:
        return f"'{token}' is a keyword"
    if token is not None and str(token) in KEYWORDS and "NAME" in expected:
        return f"'{token}' is a keyword and cannot be used as a name"
    if token is not None and token.type == "_NL" and expected & {"RPAR"}:
        return "a ')' is missing"
    if token is not None and token.type == "$END" and "RBRACE" in expected:
        return "a '}' is missing"
    if expected and expected <= {"_NL", "SEMICOLON", "$END"}:
        return "one statement per line; separate items with ';' or a new line"
    return None


_UNICODE_OPERATORS = {
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "→": "->",
    "⇒": "->",
    "↔": "<->",
    "⇔": "<->",
    "¬": "not",
    "∧": "and",
    "∨": "or",
    "·": "*",
    "×": "*",
    "−": "-",
    "÷": "/",
}


def _syntax_error(error: UnexpectedInput, path: str, text: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line, column = error.line, error.column
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = set(error.accepts or error.expected)
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
        message = f"unexpected {_describe_token(token)}"
        if expected:
            message += f", expected {_describe_expected(expected)}"
        hint = _syntax_hint(token, expected)
        end = column + max(1, len(str(token))) if token.type not in ("_NL", "$END") else None
        return Diagnostic(path, line, column, codes.SYNTAX, message, hint, end)
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        char = text[position] if 0 <= position < len(text) else "?"
        shown = repr(char) if not char.isprintable() or char == "'" else f"'{char}'"
        hint = None
        if char == '"':
            hint = "strings may only follow `model`, and end on the same line"
        elif char in "&|!":
            hint = "the connectives are `and`, `or`, `not`, `->`, `<->`"
        elif char == "=":
            hint = "comparisons are `<`, `<=`, `=`, `!=`, `>=`, `>`"
        elif char in _UNICODE_OPERATORS:
            hint = f"write `{_UNICODE_OPERATORS[char]}` for '{char}'"
        return Diagnostic(path, line, column, codes.SYNTAX, f"unexpected character {shown}", hint)
    if isinstance(error, UnexpectedEOF):
        lines = text.splitlines() or [""]
        return Diagnostic(
            path, len(lines), len(lines[-1]) + 1, codes.SYNTAX, "unexpected end of file"
        )
    return Diagnostic(path, line or 1, column or 1, codes.SYNTAX, str(error).splitlines()[0])


def decode(data: bytes, path: str) -> str:
    """Bytes to text, with a diagnostic (not a traceback) for binary or mis-encoded input."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            [
                Diagnostic(
                    path,
                    line,
                    column,
                    codes.ENCODING,
                    "the file is not UTF-8 text",
                    "a .cost file is plain UTF-8 text",
                )
            ]
        ) from None
    if "\0" in text:
        index = text.index("\0")
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        raise InputError(
            [
                Diagnostic(
                    path,
                    line,
                    column,
                    codes.ENCODING,
                    "the file contains a NUL byte",
                    "a .cost file is plain text, not binary",
                )
            ]
        )
    return text


MAX_LINE = 65536


def _check_line_lengths(text: str, path: str) -> None:
    # The parser runs at about 40,000 tokens a second; a line of megabytes is junk, not a
    # model, and is turned down at once rather than after half a minute.
    if len(text) <= MAX_LINE:
        return
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE:
            raise InputError(
                [
                    Diagnostic(
                        path,
                        number,
                        MAX_LINE + 1,
                        codes.TOO_LONG,
                        f"line {number} is {len(line):,} characters long (at most {MAX_LINE:,})",
                        "one statement per line; long formulas may continue on the next line",
                    )
                ]
            )


def parse(text: str, path: str = "<input>") -> n.SourceFile:
    """Parse `.cost` source; raises `InputError` with a positioned diagnostic."""
    _check_line_lengths(text, path)
    # The nodes hold no cycles: the collector, which would otherwise walk the growing tree
    # over and over, waits until the parse is done.
    collecting = gc.isenabled()
    try:
        gc.disable()
        try:
            built = _parse_direct(text)
        finally:
            if collecting:
                gc.enable()
    except Exception:
        # Whatever the direct path does not accept (a syntax error, a malformed statement,
        # deep nesting) is parsed again by lark's own parser, whose diagnostics are the
        # reference.
        built = _parse_tree(text, path)
    statements: list[n.Statement] = []
    for item in built:
        if isinstance(item, tuple):
            statements.extend(item)
        else:
            statements.append(item)
    return n.SourceFile(tuple(statements), path, text)


@cache
def _tree_builder() -> Any:
    """`_Build` as a lark transformer: its methods, called with the node's meta and children."""
    from lark import Transformer, v_args

    methods = {k: v for k, v in vars(_Build).items() if k not in ("__dict__", "__weakref__")}
    return v_args(meta=True, inline=True)(type("_TreeBuild", (Transformer,), methods))


def _parse_tree(text: str, path: str) -> tuple[Any, ...]:
    """The statements by lark's parse tree and `_Build`, or `InputError`."""
    from lark.exceptions import UnexpectedInput, VisitError

    try:
        tree = lark_parser().parse(text)
        return _tree_builder()().transform(tree)  # type: ignore[no-any-return]
    except UnexpectedInput as error:
        raise InputError([_syntax_error(error, path, text)]) from None
    except _TooDeep as error:
        raise InputError(
            [
                at(
                    path,
                    _token_span(error.token),
                    codes.TOO_DEEP,
                    f"brackets nested more than {MAX_NESTING} deep",
                    "split the formula up",
                )
            ]
        ) from None
    except VisitError as error:
        original = error.orig_exc
        if isinstance(original, _Malformed):
            raise InputError(
                [at(path, original.span, original.code, original.message, original.hint)]
            ) from None
        if isinstance(original, RecursionError):
            raise InputError(
                [Diagnostic(path, 1, 1, codes.TOO_DEEP, "the input is nested too deeply")]
            ) from None
        raise
    except RecursionError:
        raise InputError(
            [Diagnostic(path, 1, 1, codes.TOO_DEEP, "the input is nested too deeply")]
        ) from None


# ---- the direct path --------------------------------------------------------------------
# Well-formed input is parsed without a parse tree: lark's LALR tables, driven here, call the
# `_Build` methods as each rule is reduced, with the span of the rule's first to last token
# (what `propagate_positions` computes). Tokens come from one regular expression of all the
# terminals (lark's own, in lark's order); where lark's contextual lexer reads a keyword as a
# name, so does this. On text that parses, these are the contextual lexer's tokens: a state's
# terminals are a part of all of them, in the same order, so a token the state accepts is
# matched alike; where the two could differ, the parser meets a token it does not accept.
# Anything else (a syntax error, a malformed statement, brackets nested past MAX_NESTING, a
# tree deeper than MAX_DIRECT_HEIGHT) goes to `_parse_tree`, unchanged.


class _Fallback(Exception):
    """The direct path leaves this input to lark's parser."""


class _Token(str):
    """A terminal as the direct path hands it to `_Build`: its text, with the type and position
    attributes of lark's `Token` that `_Build` reads."""

    __slots__ = ("type", "line", "column", "end_line", "end_column")
    type: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __new__(
        cls, kind: str, value: str, line: int, column: int, end_line: int, end_column: int
    ) -> _Token:
        token = super().__new__(cls, value)
        token.type, token.line, token.column = kind, line, column
        token.end_line, token.end_column = end_line, end_column
        return token

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _Token,
            (self.type, str(self), self.line, self.column, self.end_line, self.end_column),
        )


# Deeper trees are left to `_parse_tree`, whose transformer recurses (two frames a level) and
# reports a tree too deep for the interpreter's stack as nested too deeply.
MAX_DIRECT_HEIGHT = 200

# How a rule's reduction builds its value: spliced into the parent (`_rule`), passed through
# when it has one child (`?rule`), by its `_Build` method; a one-child `?rule` is a plain
# change of state, and `name: NAME` is built here (a reserved word goes to the tree parse).
_SPLICE, _INLINE, _CALL, _UNIT, _NAME = 0, 1, 2, 3, 4

# Tables: (pattern, keywords, newline types, ignore types, kept token types, actions,
#          start state, end state, rules); see `_make_tables`.
_Tables = tuple[Any, ...]


def _make_tables() -> _Tables:
    """The direct path's tables, read from lark's analysed grammar (plain data, cacheable)."""
    from lark.parsers.lalr_analysis import Shift

    parser = lark_parser()
    frontend = parser.parser
    root = frontend.lexer.lexer.root_lexer
    scanner = root.scanner
    if len(scanner._mres) != 1:  # pragma: no cover - lark splits only past 100 terminals
        raise _Fallback("too many terminals for one expression")
    pattern = scanner._mres[0].pattern
    # Blanks before a token are read with it (one match, not two): an ignored terminal that
    # is a run of characters of one class, none a newline, which no other terminal starts with.
    blanks = [
        regexp
        for t in root.terminals
        if t.name in root.ignore_types
        for regexp in [t.pattern.to_regexp()]
        if regexp[:1] == "[" and regexp[-2:] == "]+" and not set(regexp[1:-2]) & {"]", "\\", "\n"}
    ]
    if len(blanks) == 1:
        blank = blanks[0][:-1]
        pattern = f"(?:{blank}+(?!{blank}))?(?:{pattern})"
    unless = root.callback.get("NAME")
    keywords = {t.pattern.value: t.name for t in unless.scanner.terminals} if unless else {}
    table = frontend.parser.parser.parse_table
    rules: list[Any] = []
    rule_index: dict[Any, int] = {}
    actions: list[dict[str, int]] = [{} for _ in range(len(table.states))]
    for state, row in table.states.items():
        for symbol, (action, argument) in row.items():
            if action is Shift:
                actions[state][symbol] = argument
                continue
            if argument not in rule_index:
                rule_index[argument] = len(rules)
                rules.append(argument)
            actions[state][symbol] = ~rule_index[argument]
    specs = []
    kept_types: set[str] = set()
    for rule in rules:
        keep = []
        for index, symbol in enumerate(rule.expansion):
            if symbol.is_term and symbol.filter_out:
                continue
            keep.append((index, not symbol.is_term and symbol.name.startswith("_")))
        name = rule.alias or rule.options.template_source or rule.origin.name
        if rule.origin.name.startswith("_"):
            kind = _SPLICE
        elif rule.options.expand1 and not rule.alias:
            kind = _UNIT if len(rule.expansion) == 1 and keep == [(0, False)] else _INLINE
        elif name == "name" and [s.name for s in rule.expansion] == ["NAME"]:
            kind = _NAME
        else:
            kind = _CALL
        if kind != _NAME:
            kept_types.update(rule.expansion[i].name for i, _ in keep if rule.expansion[i].is_term)
        specs.append((len(rule.expansion), rule.origin.name, kind, tuple(keep), name))
    if "NAME" in kept_types:  # pragma: no cover - names are read by `name` alone
        specs = [spec if spec[2] != _NAME else (*spec[:2], _CALL, *spec[3:]) for spec in specs]
    return (
        pattern,
        keywords,
        tuple(sorted(root.newline_types)),
        tuple(sorted(root.ignore_types)),
        tuple(sorted(kept_types)),
        actions,
        table.start_states["start"],
        table.end_states["start"],
        tuple(specs),
    )


def _lark_release() -> str:
    """lark's `__init__.py`, which holds its version, read without importing lark."""
    spec = importlib.util.find_spec("lark")
    if spec is None or spec.origin is None:  # pragma: no cover - lark is a dependency
        from lark import __version__

        return __version__
    return Path(spec.origin).read_text("utf-8")


def _tables_path() -> Path:
    try:
        user = getpass.getuser()
    except Exception:  # pragma: no cover - no user name in this environment
        user = "user"
    # The tables depend on the grammar, on lark, and on the code that reads them out of lark.
    key = hashlib.sha256(
        f"{_lark_release()} {sys.version_info[:3]}\n{grammar_text()}".encode()
        + marshal.dumps(_make_tables.__code__)
    ).hexdigest()[:32]
    return Path(tempfile.gettempdir()) / f".cost_parse_{user}_{key}.marshal"


def _tables() -> _Tables:
    """The tables, from a cache file beside lark's own (made from lark's grammar if absent)."""
    path = _tables_path()
    try:
        tables = marshal.loads(path.read_bytes())
        if isinstance(tables, tuple) and len(tables) == 9:
            return tables
    except (OSError, ValueError, EOFError, TypeError):
        pass
    tables = _make_tables()
    try:
        partial_path = path.with_suffix(f".{os.getpid()}.tmp")
        partial_path.write_bytes(marshal.dumps(tables))
        os.replace(partial_path, path)
    except OSError:  # pragma: no cover - a read-only temporary directory
        pass
    return tables


class _Direct:
    """The compiled tables and the `_Build` method of each rule."""

    def __init__(self, tables: _Tables):
        (pattern, keywords, newline, ignore, kept, actions, start, end, specs) = tables
        self.pattern = re.compile(pattern)
        self.keywords: dict[str, str] = keywords
        self.keyword_types = frozenset(keywords.values())
        self.newline_types = frozenset(newline)
        self.ignore_types = frozenset(ignore)
        self.kept_types = frozenset(kept)
        self.actions: list[dict[str, int]] = actions
        self.start: int = start
        self.end: int = end
        builder = _Build()
        methods: dict[str, Any] = {}
        rules = []
        for size, origin, kind, keep, name in specs:
            method = None
            if kind in (_INLINE, _CALL):
                if name not in methods:
                    found = inspect.getattr_static(_Build, name, None)
                    if found is not None:
                        methods[name] = partial(getattr(found, "base_func", found), builder)
                method = methods.get(name)
                if method is None and kind == _CALL:  # pragma: no cover - every rule has one
                    raise _Fallback(f"no method for rule {name}")
            rules.append((size, origin, kind, keep, method))
        self.rules: list[tuple[int, str, int, tuple[tuple[int, bool], ...], Any]] = rules


@lru_cache(maxsize=1)
def _direct() -> _Direct:
    return _Direct(_tables())


def _parse_direct(text: str) -> tuple[Any, ...]:
    """The statements of well-formed `text`; `_Fallback` (or any error) otherwise."""
    direct = _direct()
    actions = direct.actions
    rules = direct.rules
    keywords = direct.keywords
    keyword_types = direct.keyword_types
    newline_types = direct.newline_types
    ignore_types = direct.ignore_types
    kept_types = direct.kept_types
    end_state = direct.end
    continues = _CONTINUES
    reserved = RESERVED
    make_name, make_span = n.Name, n.Span
    states = [direct.start]
    # Each entry: (value, line, column, end line, end column, height); line 0 when empty.
    values: list[tuple[Any, int, int, int, int, int]] = []
    opened: list[str] = []
    previous: str | None = None
    line, line_start, position = 1, 0, 0
    for match in chain(direct.pattern.finditer(text), (None,)):
        if match is None:
            if position != len(text):
                raise _Fallback("unexpected character")
            kind = "$END"
            entry = None
        else:
            if match.start() != position:
                raise _Fallback("unexpected character")
            kind = match.lastgroup or ""
            value = match.group(kind)
            position = end = match.end()
            start = end - len(value)
            token_line, column = line, start - line_start + 1
            if kind in newline_types:
                count = value.count("\n")
                if count:
                    line += count
                    line_start = start + value.rindex("\n") + 1
            if kind in ignore_types:
                continue
            # The continuation rule of `ContinuationPostLex`.
            if kind == "_NL":
                if (opened and opened[-1] == "(") or previous in continues:
                    continue
                previous = "\n"
            else:
                if value in _OPENERS:
                    opened.append(value)
                    if len(opened) > MAX_NESTING:
                        raise _Fallback("nested too deeply")
                elif value in _CLOSERS and opened and _OPENERS[opened[-1]] == value:
                    opened.pop()
                previous = value if kind != "STRING" else "\0string"
                if kind == "NAME":
                    kind = keywords.get(value, kind)
            entry = (value, token_line, column, line, position - line_start + 1, 0)
        row = actions[states[-1]]
        while True:
            action = row.get(kind)
            if action is None:
                if kind in keyword_types and "NAME" in row:
                    kind = "NAME"  # lark's contextual lexer reads the word as a name here
                    continue
                raise _Fallback("unexpected token")
            if action >= 0:
                if entry is None:
                    raise _Fallback("unexpected end")
                states.append(action)
                if kind in kept_types:
                    _, token_line, column, end_line, end_column, _ = entry
                    token = _Token(kind, value, token_line, column, end_line, end_column)
                    entry = (token, token_line, column, end_line, end_column, 0)
                values.append(entry)
                break
            size, origin, mode, keep, method = rules[~action]
            if mode == _UNIT:
                states[-1] = actions[states[-2]][origin]
            elif mode == _NAME:
                word, first_line, first_column, end_line, end_column, _ = values[-1]
                if word in reserved:
                    raise _Fallback("a keyword as a name")
                span = make_span(first_line, first_column, end_line, end_column)
                values[-1] = (
                    make_name(word, span),
                    first_line,
                    first_column,
                    end_line,
                    end_column,
                    1,
                )
                states[-1] = actions[states[-2]][origin]
            else:
                first = last = None
                height = 0
                items: list[Any] = []
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del states[-size:]
                    for child in children:
                        if child[1]:
                            if first is None:
                                first = child
                            last = child
                        if child[5] > height:
                            height = child[5]
                    for index, splice in keep:
                        if splice:
                            items.extend(children[index][0])
                        else:
                            items.append(children[index][0])
                if first is not None and last is not None:
                    extent = (first[1], first[2], last[3], last[4])
                else:
                    extent = (0, 0, 0, 0)
                if mode == _SPLICE:
                    result: Any = items
                elif mode == _INLINE and len(items) == 1:
                    result = items[0]
                else:
                    height += 1
                    if height > MAX_DIRECT_HEIGHT:
                        raise _Fallback("deep")
                    result = method(extent, *items)
                states.append(actions[states[-1]][origin])
                values.append((result, *extent, height))
                if kind == "$END" and states[-1] == end_state:
                    return values[-1][0]  # type: ignore[no-any-return]
            row = actions[states[-1]]
    raise _Fallback("unexpected end")  # pragma: no cover - `$END` returns or declines
