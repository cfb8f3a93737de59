"""Why a refuted claim fails and how it could be fixed (DESIGN §9.4).

* `holds_when`: the exact condition on the cost atoms under which a claim of the linear
  family holds for every g > 0, in the language's own syntax so it can be pasted back as
  an `assume`. A comparison affine in g, slope·g + offset op 0, holds for every g > 0
  exactly when a condition on slope and offset does (e.g. for `<`: slope < 0 and
  offset <= 0, or slope = 0 and offset < 0); disjuncts the assumptions rule out and
  conjuncts they imply are dropped. The condition is reported only after both directions
  were proved: assumptions ∧ H → claim (every g), and assumptions ∧ ¬H → ¬claim (some g).
* `repairs`: the claim with its comparison reversed, or strict ↔ non-strict, each kept
  only when it is proved under the file's assumptions; at most three.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import sympy

from calculus import nodes as n
from calculus.costs import Atomic, CostModel, G, Junction, LogicFormula, Negation, log2
from calculus.logic import Hypothesis, Problem, decide

MAX_REPAIRS = 3

_REVERSED: dict[str, n.CompareOp] = {
    "<": ">",
    "<=": ">=",
    ">": "<",
    ">=": "<=",
    "=": "!=",
    "!=": "=",
}
_LOOSENED: dict[str, n.CompareOp] = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}


# ---- sympy -> language text -----------------------------------------------------------------


def _number(value: sympy.Rational) -> str:
    return str(value.p) if value.q == 1 else f"{value.p}/{value.q}"


def expression_text(e: sympy.Expr) -> str:
    """A sympy expression over cost atoms written in the language's formula syntax."""
    if e.is_Symbol:
        return e.name  # type: ignore[no-any-return]
    if e.is_Rational:
        return _number(e) if e >= 0 else f"-{_number(-e)}"
    if e.is_Add:
        parts = []
        for index, term in enumerate(sympy.Add.make_args(e)):
            coefficient, _ = term.as_coeff_Mul()
            negative = coefficient.is_Rational and coefficient < 0
            text = expression_text(-term if negative else term)
            if index == 0:
                parts.append(f"-{_wrap(text)}" if negative else text)
            else:
                parts.append(f" - {_wrap(text)}" if negative else f" + {text}")
        return "".join(parts)
    if e.is_Mul:
        coefficient, rest = e.as_coeff_Mul()
        if coefficient == -1:
            return f"-{_wrap(expression_text(rest))}"
        factors = [expression_text(f) for f in sympy.Mul.make_args(e)]
        return " * ".join(_wrap(f) if (" + " in f or " - " in f) else f for f in factors)
    if e.is_Pow:
        base, exponent = e.args
        if exponent == -1:
            return f"1 / {_wrap(expression_text(base))}"
        return f"{_wrap(expression_text(base))}^{_wrap(expression_text(exponent))}"
    if isinstance(e, (sympy.Max, sympy.Min)):
        name = "max" if isinstance(e, sympy.Max) else "min"
        return f"{name}({', '.join(expression_text(a) for a in e.args)})"
    if isinstance(e, log2):
        return f"log2({expression_text(e.args[0])})"
    raise ValueError(f"cannot write {e} in the language")


def _wrap(text: str) -> str:
    simple = all(ch not in text for ch in " +-*/^") or (text.startswith(("c(", "t(")))
    return text if simple and " " not in text else f"({text})"


def comparison_text(op: str, difference: sympy.Expr) -> str:
    """`difference op 0` with the negative terms moved to the right-hand side."""
    left: list[sympy.Expr] = []
    right: list[sympy.Expr] = []
    for term in sympy.Add.make_args(sympy.expand(difference)):
        coefficient, _ = term.as_coeff_Mul()
        (right if coefficient.is_Rational and coefficient < 0 else left).append(term)
    lhs = sympy.Add(*left)
    rhs = -sympy.Add(*right)
    return f"{expression_text(lhs)} {op} {expression_text(rhs)}"


def formula_text(f: LogicFormula) -> str:
    if isinstance(f, Atomic):
        return comparison_text(f.op, f.lhs - f.rhs)
    if isinstance(f, Negation):
        return f"not ({formula_text(f.operand)})"
    left, right = formula_text(f.left), formula_text(f.right)
    if f.op == "and":
        return f"{_group(f.left, left, 'and')} and {_group(f.right, right, 'and')}"
    if f.op == "or":
        return f"{_group(f.left, left, 'or')} or {_group(f.right, right, 'or')}"
    return f"({left}) {f.op} ({right})"


def _group(node: LogicFormula, text: str, within: str) -> str:
    if isinstance(node, Atomic) or (isinstance(node, Junction) and node.op == within):
        return text
    return f"({text})"


# ---- holds_when -------------------------------------------------------------------------------


def _conjunction(parts: Sequence[LogicFormula]) -> LogicFormula | None:
    result: LogicFormula | None = None
    for part in parts:
        result = part if result is None else Junction("and", result, part)
    return result


def _every_g(op: str, slope: sympy.Expr, offset: sympy.Expr) -> list[list[Atomic]]:
    """slope·g + offset op 0 for every g > 0, as a disjunction of conjunctions."""
    zero = sympy.Integer(0)

    def at(o: str, e: sympy.Expr) -> Atomic:
        return Atomic(o, e, zero)

    if slope == 0:
        return [[at(op, offset)]]
    if op in ("<", ">"):
        weak = "<=" if op == "<" else ">="
        return [[at(op, slope), at(weak, offset)], [at("=", slope), at(op, offset)]]
    if op in ("<=", ">="):
        return [[at(op, slope), at(op, offset)]]
    if op == "=":
        return [[at("=", slope), at("=", offset)]]
    return [[at("!=", slope)], [at("=", slope), at("!=", offset)]]


def holds_when(
    costs: CostModel, claim: n.Claim, timeout: float, found: Sequence[Hypothesis]
) -> str | None:
    """The condition, or None when the claim is not a single comparison or the condition
    could not be confirmed; `found` are the hypotheses the claim was decided under."""

    if costs.family != "linear" or claim.for_some_g or claim.for_some_costs:
        return None
    if claim.for_some or claim.eventually is not None:
        return None
    formula = costs.formula(claim.formula)
    if not isinstance(formula, Atomic):
        return None
    difference = sympy.expand(formula.lhs - formula.rhs)
    slope, offset = difference.coeff(G, 1), difference.coeff(G, 0)
    if G in slope.free_symbols or G in offset.free_symbols:
        return None
    if sympy.expand(slope * G + offset - difference) != 0:
        return None

    def proved(f: LogicFormula, some_g: bool = False) -> bool:
        verdict = decide(Problem(f, found, some_g, "linear", timeout))
        return verdict.status == "proved"

    disjuncts: list[LogicFormula] = []
    for conjuncts in _every_g(formula.op, slope, offset):
        # A conjunct the assumptions imply says nothing; a disjunct they exclude, neither.
        kept = [c for c in conjuncts if not proved(c)]
        body = _conjunction(kept)
        if body is None:
            return None  # it holds outright: nothing to say (the claim was not refuted)
        if proved(Negation(body)):
            continue
        disjuncts.append(body)
    if not disjuncts:
        return None
    condition = disjuncts[0]
    for other in disjuncts[1:]:
        condition = Junction("or", condition, other)
    # Both directions, proved: H → claim for every g, and ¬H → ¬claim for some g.
    if not proved(Junction("->", condition, formula)):
        return None
    if not proved(Junction("->", Negation(condition), Negation(formula)), some_g=True):
        return None
    try:
        return formula_text(condition)
    except ValueError:
        return None


# ---- repairs ------------------------------------------------------------------------------------


def _variants(formula: n.Formula) -> list[n.Formula]:
    if isinstance(formula, n.Compare):
        found: list[n.Formula] = [replace(formula, op=_REVERSED[formula.op])]
        if formula.op in _LOOSENED:
            found.append(replace(formula, op=_LOOSENED[formula.op]))
        return found
    if isinstance(formula, n.Beats):
        return [replace(formula, winner=formula.loser, loser=formula.winner)]
    return []


MAX_ADDED_TERMS = 12


def _program_atoms(costs: CostModel, formula: n.Compare) -> list[n.CostOf]:
    """The cost atoms of the programs a comparison mentions (`c(P)` brings P's stores)."""
    from calculus.model import _expr_nodes

    found: dict[str, n.CostOf] = {}
    for side in (formula.left, formula.right):
        for node in _expr_nodes(side):
            if not isinstance(node, n.CostOf) or node.term.args:
                continue
            program = costs.model.programs.get(node.term.head.text)
            if program is None:
                continue
            derived = costs.program(program.name.text)
            terms = derived.stores if node.kind == "c" else tuple(t for _, t in derived.runs)
            for term in terms:
                key = f"{node.kind}({term})"
                found.setdefault(key, n.CostOf(node.kind, parse_term(term)))
    return list(found.values())[:MAX_ADDED_TERMS]


def parse_term(text: str) -> n.Term:
    from calculus.syntax import parse

    source = parse(f"claim c({text}) > 0\n")
    claim = source.statements[0]
    assert isinstance(claim, n.Claim) and isinstance(claim.formula, n.Compare)
    assert isinstance(claim.formula.left, n.CostOf)
    return claim.formula.left.term


def _added_terms(costs: CostModel, formula: n.Formula) -> list[n.Formula]:
    if not isinstance(formula, n.Compare):
        return []
    found: list[n.Formula] = []
    for atom in _program_atoms(costs, formula):
        found.append(replace(formula, left=n.Arithmetic("+", formula.left, atom)))
        found.append(replace(formula, right=n.Arithmetic("+", formula.right, atom)))
    return found


def repairs(
    costs: CostModel,
    claim: n.Claim,
    problem_of: Callable[[n.Claim], Problem],
    statement_of: Callable[[n.Claim], str],
) -> tuple[str, ...]:
    """Statements one edit away from the claim that are proved under its assumptions, in
    the order: reverse the comparison, strict ↔ non-strict, add one term of a program."""
    found: list[str] = []
    for variant in [*_variants(claim.formula), *_added_terms(costs, claim.formula)]:
        candidate = replace(claim, formula=variant)
        if decide(problem_of(candidate)).status == "proved":
            found.append(statement_of(candidate))
        if len(found) == MAX_REPAIRS:
            break
    return tuple(found)
