"""Why a refuted claim fails and how it could be fixed (DESIGN §9.4).

Both are offered for claims of the linear family that quantify over every g and every
admissible assignment (no `for some`, no `eventually`): see `explainable`.

* `holds_when`: the exact condition on the cost atoms under which the claim holds for
  every g > 0, in the language's own syntax so it can be pasted back as an `assume`.
  A single comparison affine in g, slope·g + offset op 0, holds for every g > 0 exactly
  when a condition on slope and offset does (e.g. for `<`: slope < 0 and offset <= 0, or
  slope = 0 and offset < 0). A combination of such comparisons (`and`, `or`, `->`, …)
  holds for every g > 0 exactly when it holds at every test point of virtual substitution
  (Loos–Weispfenning): just right of 0, and at and just right of every positive root
  -offset/slope; each test is a sign condition on polynomials in the atoms. The condition
  is put in disjunctive form, disjuncts the assumptions rule out and conjuncts they imply
  are dropped, and it is reported only after both directions were proved: assumptions ∧
  H → claim, for every g, by the solver; and assumptions ∧ S → H, where S is the
  conjunction of the substitution's tests, equivalent to the claim for every g by the
  theorem behind it. When the assumptions rule out S itself, for every admissible
  assignment some g > 0 falsifies the claim: the condition is `NEVER`.
* `repairs`: statements one edit away from the claim that are proved under the file's
  assumptions, tried in this order: reverse a comparison (`P beats Q` becomes `Q beats
  P`), strict ↔ non-strict (`P beats Q` becomes `g * c(P) + t(P) <= g * c(Q) + t(Q)`),
  add one dropped term (an atom of a program the comparison mentions, on either side),
  identify two atoms (one atom written in the statement replaced, throughout the
  statement, by another atom of the same kind that the statement, its programs or the
  assumptions mention: the reading of "these two are the same" that is itself a statement, as when
  an essay names the wrong term). Each is decided like a claim (divisions shown defined
  first) and kept only when proved; at most three.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy

from calculus import nodes as n
from calculus.costs import (
    Atomic,
    CostModel,
    G,
    Junction,
    LogicFormula,
    Negation,
    atomics,
    log2,
)
from calculus.logic import (
    SHARED_QUESTIONS,
    Decider,
    Hypothesis,
    Problem,
    Verdict,
    shared_decider,
)
from calculus.logic.exact import (
    NEGATED_COMPARISON,
    Frame,
    Indexed,
    Point,
    comparison_on_frame,
    compiled,
    difference_of,
    rough_at,
    truth_at,
)

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


# ---- which claims are explained ---------------------------------------------------------------

NEVER = "never"
"""`holds_when` of a claim the assumptions rule out: for every admissible assignment of the
atoms some g > 0 falsifies it, so no assumption on the atoms alone can make it hold."""


def explainable(costs: CostModel, claim: n.Claim) -> bool:
    """Claims of the linear family read for every g and every admissible assignment."""
    return (
        costs.family == "linear"
        and not claim.for_some_g
        and not claim.for_some_costs
        and not claim.for_some
        and claim.eventually is None
    )


# ---- what the explanations of one file share ----------------------------------------------

# A polynomial on a frame: sorted positions of its monomial's factors -> coefficient.
Poly = dict[tuple[int, ...], Fraction | int]

KEPT_POINTS = 16
KEPT_ANSWERS = 20_000


class _NotPolynomial(Exception):
    """A statement `_Known.indexed` does not compile (it is then decided the usual way)."""


class _Known:
    """What the explanations of a file's claims share: the hypotheses they are all decided
    under, points where those hold exactly (the claims' counterexamples, each re-checked),
    and the questions already settled, by their meaning.

    A point only ever answers "not proved" for a statement false there (a counterexample:
    every hypothesis holds, exactly), and only settled answers are kept (proved, or false at
    such a point), so what is answered never depends on the claims explained before: only
    how much work it takes.
    """

    def __init__(self, costs: CostModel, found: tuple[Hypothesis, ...]) -> None:
        self.costs = costs
        self.found = found
        symbols: dict[sympy.Basic, None] = {G: None}
        for hypothesis in found:
            for symbol, _ in hypothesis.bounds:
                symbols.setdefault(symbol)
        for hypothesis in found:
            if hypothesis.formula is not None:
                for a in atomics(hypothesis.formula):
                    more = (a.lhs.free_symbols | a.rhs.free_symbols) - set(symbols)
                    for symbol in sorted(more, key=str):
                        symbols.setdefault(symbol)
        self.frame = Frame(list(symbols))
        self.names = [str(symbol) for symbol in self.frame.symbols]
        # Each hypothesis as (bounds as (position, strict), formula on the frame); None when
        # one is not polynomial: then no point is kept, and nothing is answered by points.
        self.checks = self.frame.hypotheses(found)
        self.whole = [
            i for i, symbol in enumerate(self.frame.symbols) if getattr(symbol, "is_integer", False)
        ]
        self.points: list[Point] = []
        self._admitted: Sequence[tuple[str, Fraction]] = ()
        # Settled answers of `proved`, by (meaning, for some g, timeout).
        self.answers: dict[Hashable, bool] = {}
        # Statements' polynomials: programs' costs and atoms, by (kind, text).
        self.polynomials: dict[tuple[str, str], Poly] = {}
        self._decider: Decider | None = None
        # `P beats Q` (on c, on t, or by score) on the frame.
        self.beats: dict[tuple[str, str, str], Indexed] = {}
        # Comparisons on the frame, by their operator and the terms of their difference.
        self.leaves: dict[tuple[str, tuple[Any, ...]], Indexed] = {}

    def decider(self) -> Decider:
        """The decider `holds_when` asks its questions in: one per file (renewed after
        `SHARED_QUESTIONS`), apart from the thread's shared one. Its non-linear questions
        are the hard ones for the solver, and how hard depends on what the same solver was
        asked before; asked apart from the rest, a claim's condition depends on its file
        only."""
        if self._decider is None or self._decider.asked >= SHARED_QUESTIONS:
            self._decider = Decider()
        return self._decider

    # -- points
    def admit(self, assignment: Sequence[tuple[str, Fraction]]) -> None:
        """Keep a point (a counterexample's full assignment) when it gives every symbol of
        the frame a value and every hypothesis holds there exactly."""
        if self.checks is None or not assignment or assignment is self._admitted:
            return
        self._admitted = assignment
        given = dict(assignment)
        try:
            values = [given[name] for name in self.names]
        except KeyError:
            return
        if not all(isinstance(v, Fraction) for v in values):
            return
        if values[self.frame.position[G]] <= 0:
            return
        if any(values[i].denominator != 1 for i in self.whole):
            return
        point = Point(values)
        for bounds, formula in self.checks:
            for position, strict in bounds:
                if values[position] < 0 or (strict and values[position] == 0):
                    return
            if formula is not None and not truth_at(formula, point):
                return
        for index, kept in enumerate(self.points):
            if kept.values == point.values:
                self.points.insert(0, self.points.pop(index))
                return
        self.points.insert(0, point)
        del self.points[KEPT_POINTS:]

    def refutes(self, statement: Indexed) -> bool:
        """Whether the statement is false at a kept point (so it is not proved)."""
        for index, point in enumerate(self.points):
            if point.rough is not None and rough_at(statement, point.rough) is True:
                continue
            if not truth_at(statement, point):
                if index:
                    self.points.insert(0, self.points.pop(index))
                return True
        return False

    # -- statements compiled without sympy
    def indexed(self, formula: n.Formula, memo: dict[int, Any]) -> Indexed:
        """A statement of the linear family on the frame, compiled straight from its nodes
        (what `costs.formula` and `exact.compiled` give, as a function of the atoms);
        `_NotPolynomial` when it divides by a non-constant, raises to a power, uses max,
        min or log2, or mentions a symbol outside the frame. `memo` keeps the compiled
        comparisons by node identity (the caller keeps the nodes alive)."""
        if isinstance(formula, (n.Compare, n.Beats)):
            found = memo.get(id(formula))
            if found is None or found[0] is not formula:
                found = (formula, self._comparison(formula, memo))
                memo[id(formula)] = found
            return found[1]  # type: ignore[no-any-return]
        if isinstance(formula, n.Not):
            return ("not", self.indexed(formula.operand, memo))
        return (formula.op, self.indexed(formula.left, memo), self.indexed(formula.right, memo))

    def _comparison(self, leaf: n.Compare | n.Beats, memo: dict[int, Any]) -> Indexed:
        if isinstance(leaf, n.Compare):
            op: str = leaf.op
            difference = _sum(self._expr(leaf.left, memo), self._expr(leaf.right, memo), -1)
        else:
            key = (leaf.on or "", leaf.winner.text, leaf.loser.text)
            found = self.beats.get(key)
            if found is None:
                found = self.beats[key] = self._beats(leaf)
            return found
        return self._on_frame(op, difference)

    def _beats(self, leaf: n.Beats) -> Indexed:
        winner, loser = leaf.winner.text, leaf.loser.text
        if leaf.on is not None:
            left, right = self._program(winner, leaf.on), self._program(loser, leaf.on)
        else:
            left, right = self._score(winner), self._score(loser)
        return self._on_frame("<", _sum(left, right, -1))

    def _on_frame(self, op: str, difference: Poly) -> Indexed:
        terms = tuple(sorted(difference.items()))
        found = self.leaves.get((op, terms))
        if found is not None:
            return found
        try:
            on_frame = comparison_on_frame(op, terms)
        except OverflowError as error:
            raise _NotPolynomial from error
        if len(self.leaves) >= KEPT_ANSWERS:
            self.leaves.clear()
        self.leaves[op, terms] = on_frame
        return on_frame

    def _score(self, program: str) -> Poly:
        g = self.frame.position[G]
        scaled = {tuple(sorted((*m, g))): c for m, c in self._program(program, "c").items()}
        return _sum(scaled, self._program(program, "t"), 1)

    def _program(self, program: str, kind: str) -> Poly:
        key = (kind, program)
        found = self.polynomials.get(key)
        if found is None:
            derived = self.costs.program(program)
            found = self._of_sympy(derived.c if kind == "c" else derived.t)
            self.polynomials[key] = found
        return found

    def _of_sympy(self, e: sympy.Expr) -> Poly:
        difference = difference_of(Atomic("=", e, sympy.Integer(0)))
        if difference is None:
            raise _NotPolynomial
        try:
            return {
                tuple(sorted(self.frame.position[s] for s in m)): _small(c)
                for m, c in difference[0]
            }
        except KeyError as error:
            raise _NotPolynomial from error

    def _expr(self, node: n.Expr, memo: dict[int, Any]) -> Poly:
        found = memo.get(id(node))
        if found is None or found[0] is not node:
            found = (node, self._compiled_expr(node, memo))
            memo[id(node)] = found
        return found[1]  # type: ignore[no-any-return]

    def _compiled_expr(self, node: n.Expr, memo: dict[int, Any]) -> Poly:
        if isinstance(node, n.Number):
            value = _small(Fraction(node.value))
            return {(): value} if value else {}
        if isinstance(node, n.CostOf):
            if not node.term.args and node.term.head.text in self.costs.model.programs:
                return self._program(node.term.head.text, node.kind)
            key = (node.kind, str(node.term))
            found = self.polynomials.get(key)
            if found is None:
                found = self._of_sympy(self.costs.atom(node.kind, node.term))
                self.polynomials[key] = found
            return found
        if isinstance(node, n.GRate):
            return {(self.frame.position[G],): 1}
        if isinstance(node, n.GApply):
            g: Poly = {(self.frame.position[G],): 1}
            return _product(g, self._expr(node.argument, memo))
        if isinstance(node, n.Negate):
            return {m: -c for m, c in self._expr(node.operand, memo).items()}
        if isinstance(node, n.Symbol):
            position = self.frame.position.get(self.costs.parameter(node.name.text))
            if position is None:
                raise _NotPolynomial
            return {(position,): 1}
        if isinstance(node, n.Arithmetic) and node.op in ("+", "-", "*", "/"):
            left, right = self._expr(node.left, memo), self._expr(node.right, memo)
            if node.op == "+":
                return _sum(left, right, 1)
            if node.op == "-":
                return _sum(left, right, -1)
            if node.op == "*":
                return _product(left, right)
            if set(right) != {()}:
                raise _NotPolynomial  # a division by a non-constant (or by 0)
            divisor = right[()]
            return {m: _small(Fraction(c) / divisor) for m, c in left.items()}
        raise _NotPolynomial


def _small(value: Fraction) -> Fraction | int:
    """A whole coefficient as an int (int arithmetic is many times faster than Fraction's)."""
    return value.numerator if value.denominator == 1 else value


# Polynomials as dicts, monomial (a sorted tuple of positions, or of symbols sorted by
# name) -> coefficient, zeros dropped: the frame's (`Poly`) and `_Poly`'s terms.
Terms = dict[Any, Fraction | int]


def _sum(left: Terms, right: Terms, sign: int) -> Terms:
    total = dict(left)
    for monomial, coefficient in right.items():
        value = total.get(monomial, 0) + sign * coefficient
        if value:
            total[monomial] = value
        else:
            total.pop(monomial, None)
    return total


def _product(left: Terms, right: Terms, key: Callable[[Any], Any] | None = None) -> Terms:
    """The product; `key` sorts a monomial's factors (their own order by default)."""
    total: Terms = {}
    for m1, c1 in left.items():
        for m2, c2 in right.items():
            monomial = tuple(sorted(m1 + m2, key=key)) if m1 and m2 else m1 or m2
            value = total.get(monomial, 0) + c1 * c2
            if value:
                total[monomial] = value
            else:
                total.pop(monomial, None)
    return total


_KNOWN: dict[int, _Known] = {}
_KNOWN_KEPT = 8


def _known(costs: CostModel, found: Sequence[Hypothesis]) -> _Known:
    """The shared state of the explanations of claims of `costs` under `found`."""
    hypotheses = tuple(found)
    known = _KNOWN.get(id(costs))
    if known is None or known.costs is not costs or known.found != hypotheses:
        if len(_KNOWN) >= _KNOWN_KEPT:
            _KNOWN.clear()
        known = _Known(costs, hypotheses)
        _KNOWN[id(costs)] = known
    return known


class _Prover:
    """Proves formulas under the claim's hypotheses, in one shared z3 context; a formula
    false at a point `known` keeps (where every hypothesis holds) is not proved, and no
    solver is asked."""

    def __init__(
        self,
        found: Sequence[Hypothesis],
        timeout: float,
        parameters: tuple[sympy.Symbol, ...],
        decider: Decider,
        known: _Known | None = None,
    ) -> None:
        self.found = list(found)
        self.timeout = timeout
        self.parameters = parameters
        self.decider = decider
        self.known = known

    def proved(self, f: LogicFormula, some_g: bool = False) -> bool:
        known = self.known
        key: Hashable | None = None
        if known is not None:
            meaning = compiled(f)
            if meaning is not None:
                if meaning[0] == "->" and meaning[1] == meaning[2]:
                    # A -> A, its two sides the same comparisons of the same differences:
                    # true at every point (a condition the simplification left as the
                    # clauses were, confirmed against them).
                    return True
                key = (meaning, some_g, self.timeout)
                answer = known.answers.get(key)
                if answer is not None:
                    return answer
                if not some_g:
                    on_frame = known.frame.indexed(meaning)
                    if on_frame is not None and known.refutes(on_frame):
                        _settle(known, key, False)
                        return False
        problem = Problem(f, self.found, some_g, "linear", self.timeout, parameters=self.parameters)
        proved = self.decider.proves(problem)
        if proved and known is not None and key is not None:
            _settle(known, key, True)
        return proved

    def confirmed(self, f: LogicFormula) -> bool:
        """`proved`, asked again in a context of its own when the shared solver does not
        prove it: what a solver answers after many questions may depend on them (a
        non-linear question it gave up on may be proved afresh), and a condition is shown
        only when its confirmations do not depend on what was asked before."""
        if self.proved(f):
            return True
        known = self.known
        meaning = None if known is None else compiled(f)
        if known is not None:
            if meaning is not None and known.answers.get((meaning, False, self.timeout)) is False:
                return False  # false at a point where the hypotheses hold
        problem = Problem(f, self.found, False, "linear", self.timeout, parameters=self.parameters)
        with Decider() as fresh:
            proved = fresh.proves(problem)
        if proved and known is not None and meaning is not None:
            _settle(known, (meaning, False, self.timeout), True)
        return proved


def _settle(known: _Known, key: Hashable, answer: bool) -> None:
    if len(known.answers) >= KEPT_ANSWERS:
        known.answers.clear()
    known.answers[key] = answer


# ---- sign conditions: a small boolean algebra over `poly op 0` --------------------------------

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
_TRUTH: dict[str, Callable[[int], bool]] = {
    "<": lambda s: s < 0,
    "<=": lambda s: s <= 0,
    ">": lambda s: s > 0,
    ">=": lambda s: s >= 0,
    "=": lambda s: s == 0,
    "!=": lambda s: s != 0,
}


class _And(tuple):  # type: ignore[type-arg]
    """A conjunction of sign conditions."""


class _Or(tuple):  # type: ignore[type-arg]
    """A disjunction of sign conditions."""


Bool = bool | Atomic | _And | _Or


# ---- exact polynomials in the atoms ----------------------------------------------------------

Monomial = tuple[sympy.Symbol, ...]
_NAME = operator.attrgetter("name")


class _Poly:
    """A polynomial in the atoms with rational coefficients, exact: monomial (its symbols
    sorted by name, as `exact.difference_of` gives them) -> coefficient, zeros dropped.
    Slopes, offsets and values at roots are worked out in these; a polynomial becomes a
    sympy expression (`_Poly.expr`) only as the side of a comparison, once per polynomial."""

    __slots__ = ("terms", "_hash")

    def __init__(self, terms: dict[Monomial, Fraction | int]) -> None:
        self.terms = terms
        self._hash: int | None = None

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self.terms.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Poly) and self.terms == other.terms

    def __neg__(self) -> _Poly:
        return _Poly({m: -c for m, c in self.terms.items()})

    def __add__(self, other: _Poly) -> _Poly:
        return _Poly(_sum(self.terms, other.terms, 1))

    def __sub__(self, other: _Poly) -> _Poly:
        return self + -other

    def __mul__(self, other: _Poly) -> _Poly:
        return _Poly(_product(self.terms, other.terms, _NAME))

    @property
    def is_number(self) -> bool:
        return not self.terms or (len(self.terms) == 1 and () in self.terms)

    def sign(self) -> int:
        """The sign of a constant polynomial."""
        value = self.terms.get((), 0)
        return (value > 0) - (value < 0)

    def expr(self) -> sympy.Expr:
        """The polynomial as sympy writes it expanded (the same expression `sympy.expand`
        gives of any expression equal to it)."""
        found = _EXPRESSIONS.get(self)
        if found is None:
            found = sympy.Add(
                *(
                    sympy.Mul(sympy.Rational(c.numerator, c.denominator), *m)
                    for m, c in self.terms.items()
                )
            )
            if len(_EXPRESSIONS) >= KEPT_ANSWERS:
                _EXPRESSIONS.clear()
            _EXPRESSIONS[self] = found
        return found


_EXPRESSIONS: dict[_Poly, sympy.Expr] = {}


def _constant(value: int) -> _Poly:
    return _Poly({(): value} if value else {})


def _leading_negative(poly: _Poly) -> bool:
    """Whether the first of sympy's `as_ordered_terms` of a non-constant polynomial has a
    negative coefficient. sympy orders the terms by their exponents over the generators
    sorted by name, lexicographically, largest first; except that a positive number and one
    negative multiple of a power of one symbol (`3 - 2*x`) keep the number first."""
    terms = poly.terms
    constant = terms.get(())
    if len(terms) == 2 and constant is not None and constant > 0:
        ((monomial, coefficient),) = [(m, c) for m, c in terms.items() if m]
        if coefficient < 0 and len(set(monomial)) == 1:
            return False
    symbols = {s for m in terms for s in m}
    names = sorted(s.name for s in symbols)
    if len(set(names)) != len(symbols) or any(type(s) is not sympy.Symbol for s in symbols):
        # Ordered as sympy orders other generators (not met among the atoms).
        leading = poly.expr().as_ordered_terms()[0].as_coeff_Mul()[0]
        return bool(leading.is_Rational and leading < 0)
    index = {name: i for i, name in enumerate(names)}

    def exponents(monomial: Monomial) -> list[int]:
        vector = [0] * len(names)
        for s in monomial:
            vector[index[s.name]] += 1
        return vector

    return terms[max(terms, key=exponents)] < 0


# Each polynomial met by `_literal`: its sign when it is a number, else whether its leading
# coefficient is negative (claims of one file share their programs' costs, so the same slopes
# and offsets come back claim after claim).
_ORIENTED: dict[_Poly, tuple[int | None, bool]] = {}


def _oriented(poly: _Poly) -> tuple[int | None, bool]:
    found = _ORIENTED.get(poly)
    if found is None:
        found = (poly.sign(), False) if poly.is_number else (None, _leading_negative(poly))
        if len(_ORIENTED) >= KEPT_ANSWERS:
            _ORIENTED.clear()
        _ORIENTED[poly] = found
    return found


# The conditions are worked out in `_Poly`s when every comparison of the claim is a
# polynomial, else in sympy expressions (expanded); the code below takes either.
Value = Any


def _literal(op: str, poly: Value, signs: dict[Value, int]) -> Bool:
    """`poly op 0`, folded to a constant when the sign of poly is known; otherwise in a
    canonical form (leading coefficient positive) so equal conditions compare equal."""
    if isinstance(poly, _Poly):
        sign, negative = _oriented(poly)
        expanded: Value = poly
    else:
        expanded, sign, negative = _canonical(poly)
    if sign is not None:
        return _TRUTH[op](sign)
    if expanded in signs:
        return _TRUTH[op](signs[expanded])
    if negative:
        expanded, op = -expanded, _FLIPPED[op]
    side = expanded.expr() if isinstance(expanded, _Poly) else expanded
    return Atomic(op, side, sympy.Integer(0))


# Polynomials met by `_literal`: expanded, with their sign when they are numbers and whether
# their leading coefficient is negative (claims of one file share their programs' costs, so
# the same slopes and offsets come back claim after claim).
_CANONICAL: dict[sympy.Expr, tuple[sympy.Expr, int | None, bool]] = {}


def _canonical(poly: sympy.Expr) -> tuple[sympy.Expr, int | None, bool]:
    found = _CANONICAL.get(poly)
    if found is None:
        expanded = sympy.expand(poly)
        sign: int | None = None
        negative = False
        if expanded.is_number:
            value = sympy.sign(expanded)
            if value.is_Integer:
                sign = int(value)
        if sign is None:
            leading = expanded.as_ordered_terms()[0].as_coeff_Mul()[0]
            negative = bool(leading.is_Rational and leading < 0)
        found = (expanded, sign, negative)
        if len(_CANONICAL) >= 20_000:
            _CANONICAL.clear()
        _CANONICAL[poly] = found
    return found


def _not(b: Bool) -> Bool:
    if isinstance(b, bool):
        return not b
    if isinstance(b, Atomic):
        return Atomic(NEGATED_COMPARISON[b.op], b.lhs, b.rhs)
    if isinstance(b, _And):
        return _or(*(_not(p) for p in b))
    return _and(*(_not(p) for p in b))


def _and(*parts: Bool) -> Bool:
    kept: list[Bool] = []
    for part in parts:
        if part is True:
            continue
        if part is False:
            return False
        for p in part if isinstance(part, _And) else (part,):
            if p not in kept:
                kept.append(p)
    return True if not kept else kept[0] if len(kept) == 1 else _And(kept)


def _or(*parts: Bool) -> Bool:
    kept: list[Bool] = []
    for part in parts:
        if part is False:
            continue
        if part is True:
            return True
        for p in part if isinstance(part, _Or) else (part,):
            if p not in kept:
                kept.append(p)
    return False if not kept else kept[0] if len(kept) == 1 else _Or(kept)


def _dnf(b: Bool) -> list[tuple[Atomic, ...]]:
    """b as a list of conjunctions (empty list: false; one empty conjunction: true)."""
    if b is True:
        return [()]
    if b is False:
        return []
    if isinstance(b, Atomic):
        return [(b,)]
    if isinstance(b, _Or):
        return [d for p in b for d in _dnf(p)]
    result: list[tuple[Atomic, ...]] = [()]
    for p in b:
        result = [_merged(r, d) for r in result for d in _dnf(p)]
    return result


def _merged(left: tuple[Atomic, ...], right: tuple[Atomic, ...]) -> tuple[Atomic, ...]:
    return left + tuple(a for a in right if a not in left)


def _formula_of(b: Bool) -> LogicFormula:
    """A sign condition as a formula (true as 0 = 0, false as 0 != 0)."""
    zero = sympy.Integer(0)
    if isinstance(b, bool):
        return Atomic("=" if b else "!=", zero, zero)
    if isinstance(b, Atomic):
        return b
    parts = [_formula_of(p) for p in b]
    result = parts[0]
    for part in parts[1:]:
        result = Junction("and" if isinstance(b, _And) else "or", result, part)
    return result


def _substituted(formula: LogicFormula, test: Callable[[Atomic], Bool]) -> Bool:
    """The formula with each comparison replaced by `test` of it."""
    if isinstance(formula, Atomic):
        return test(formula)
    if isinstance(formula, Negation):
        return _not(_substituted(formula.operand, test))
    left, right = _substituted(formula.left, test), _substituted(formula.right, test)
    if formula.op == "and":
        return _and(left, right)
    if formula.op == "or":
        return _or(left, right)
    if formula.op == "->":
        return _or(_not(left), right)
    return _or(_and(left, right), _and(_not(left), _not(right)))


# ---- holds_when -------------------------------------------------------------------------------

MAX_DISJUNCTS = 24


def _conjunction(parts: Sequence[LogicFormula]) -> LogicFormula | None:
    result: LogicFormula | None = None
    for part in parts:
        result = part if result is None else Junction("and", result, part)
    return result


def _disjunction(parts: Sequence[LogicFormula]) -> LogicFormula | None:
    result: LogicFormula | None = None
    for part in parts:
        result = part if result is None else Junction("or", result, part)
    return result


def _affine(a: Atomic) -> tuple[sympy.Expr, sympy.Expr] | None:
    """(slope, offset) with lhs − rhs = slope·g + offset, both expanded, or None when not
    affine in g (sympy expressions: a side that is not a polynomial)."""
    difference = sympy.expand(a.lhs - a.rhs)
    slope, offset = difference.coeff(G, 1), difference.coeff(G, 0)
    if G in slope.free_symbols or G in offset.free_symbols:
        return None
    if sympy.expand(slope * G + offset - difference) != 0:
        return None
    return sympy.expand(slope), sympy.expand(offset)


def _affine_polynomials(leaves: Sequence[Atomic]) -> dict[int, tuple[Value, Value]] | None:
    """Each comparison's (slope, offset) by its identity, as `_Poly`s when every one is a
    polynomial, else as sympy expressions; None when one is not affine in g."""
    affine: dict[int, tuple[Value, Value]] = {}
    differences = [difference_of(leaf) for leaf in leaves]
    if any(d is None for d in differences):
        for leaf in leaves:
            found = _affine(leaf)
            if found is None:
                return None
            affine[id(leaf)] = found
        return affine
    for leaf, difference in zip(leaves, differences, strict=True):
        assert difference is not None
        slope: dict[Monomial, Fraction | int] = {}
        offset: dict[Monomial, Fraction | int] = {}
        for monomial, coefficient in difference[0]:
            degree = monomial.count(G)
            if degree > 1:
                return None
            value = _small(coefficient)
            if degree:
                slope[tuple(s for s in monomial if s != G)] = value
            else:
                offset[monomial] = value
        affine[id(leaf)] = (_Poly(slope), _Poly(offset))
    return affine


def _is_number(value: Value) -> bool:
    return bool(value.is_number)


def _sign_of(value: Value) -> int:
    """The sign of a number."""
    return value.sign() if isinstance(value, _Poly) else int(sympy.sign(value))


def _negative_of(value: Value) -> Value:
    return -value if isinstance(value, _Poly) else sympy.expand(-value)


def _expanded(value: Value) -> Value:
    return value if isinstance(value, _Poly) else sympy.expand(value)


def _number_like(value: Value, number: int) -> Value:
    return _constant(number) if isinstance(value, _Poly) else sympy.Integer(number)


def _side(value: Value) -> sympy.Expr:
    return value.expr() if isinstance(value, _Poly) else value


def _epsilon(op: str, value: Value, slope: Value, signs: dict[Value, int]) -> Bool:
    """`slope·g + offset op 0` just right of a point where it has the sign of `value`."""
    tie = _literal("=", value, signs)
    if op in ("<", "<=", ">", ">="):
        return _or(_literal(op[0], value, signs), _and(tie, _literal(op, slope, signs)))
    if op == "=":
        return _and(tie, _literal("=", slope, signs))
    return _or(_literal("!=", value, signs), _literal("!=", slope, signs))


def _every_g(formula: LogicFormula, prover: _Prover) -> list[Bool] | None:
    """Conditions on the atoms whose conjunction holds exactly when the formula holds for
    every g > 0 (None when a comparison is not affine in g)."""
    leaves = atomics(formula)
    affine = _affine_polynomials(leaves)
    if affine is None:
        return None
    zero = sympy.Integer(0)
    if len(leaves) == 1:
        (leaf,) = leaves
        slope, offset = affine[id(leaf)]
        return [_single(leaf.op, slope, offset)]
    # The sign of each slope, where the assumptions fix it.
    signs: dict[Value, int] = {}
    for slope, _ in affine.values():
        if _is_number(slope) or slope in signs:
            continue
        for sign, op in ((1, ">"), (-1, "<"), (0, "=")):
            if prover.proved(Atomic(op, _side(slope), zero)):
                signs[slope], signs[_negative_of(slope)] = sign, -sign
                break

    clauses: list[Bool] = []
    # Just right of g = 0: the sign of the offset, ties broken by the slope's.
    clauses.append(
        _substituted(formula, lambda a: _epsilon(a.op, affine[id(a)][1], affine[id(a)][0], signs))
    )
    for root in leaves:
        slope_r, offset_r = affine[id(root)]
        known = signs.get(slope_r) if not _is_number(slope_r) else _sign_of(slope_r)
        if known == 0:
            continue
        # At g = -b_r/a_r, a_i·g + b_i has the sign of m·(b_i·a_r − a_i·b_r), m = sign(a_r).
        multiplier = slope_r if known is None else _number_like(slope_r, known)
        guard = _and(
            _literal("!=", slope_r, signs) if known is None else True,
            _literal(">", -offset_r * multiplier, signs),
        )
        at_root, right_of_root = _at_root(formula, affine, signs, slope_r, offset_r, multiplier)
        clauses.append(_or(_not(guard), at_root))
        clauses.append(_or(_not(guard), right_of_root))
    return clauses


def _at_root(
    formula: LogicFormula,
    affine: dict[int, tuple[Value, Value]],
    signs: dict[Value, int],
    slope_r: Value,
    offset_r: Value,
    multiplier: Value,
) -> tuple[Bool, Bool]:
    """The formula at the root g = -offset_r/slope_r, and just right of it."""
    values: dict[int, Value] = {}

    def value(a: Atomic) -> Value:
        found = values.get(id(a))
        if found is None:
            slope_i, offset_i = affine[id(a)]
            found = values[id(a)] = _expanded(
                (offset_i * slope_r - slope_i * offset_r) * multiplier
            )
        return found

    def at(a: Atomic) -> Bool:
        return _literal(a.op, value(a), signs)

    def right_of(a: Atomic) -> Bool:
        return _epsilon(a.op, value(a), affine[id(a)][0], signs)

    return _substituted(formula, at), _substituted(formula, right_of)


def _single(op: str, slope: Value, offset: Value) -> Bool:
    """slope·g + offset op 0 for every g > 0."""
    none: dict[Value, int] = {}

    def at(o: str, e: Value) -> Bool:
        return _literal(o, e, none)

    if (not slope.terms) if isinstance(slope, _Poly) else slope == 0:
        return at(op, offset)
    if op in ("<", ">"):
        weak = "<=" if op == "<" else ">="
        return _or(_and(at(op, slope), at(weak, offset)), _and(at("=", slope), at(op, offset)))
    if op in ("<=", ">="):
        return _and(at(op, slope), at(op, offset))
    if op == "=":
        return _and(at("=", slope), at("=", offset))
    return _or(at("!=", slope), _and(at("=", slope), at("!=", offset)))


def _simplified(clauses: Sequence[Bool], prover: _Prover) -> list[tuple[Atomic, ...]] | None:
    """The conjunction of `clauses` in disjunctive form under the assumptions: disjuncts
    they rule out dropped, conjuncts they (with the rest of the disjunct) imply dropped,
    disjuncts implied by the others dropped. None when it grows past MAX_DISJUNCTS."""

    def possible(conjuncts: tuple[Atomic, ...]) -> bool:
        body = _conjunction(conjuncts)
        return body is None or not prover.proved(Negation(body))

    # Disjuncts are compared as sets of conjuncts: the same conjuncts met in two orders
    # (a then b, b then a) are one disjunct. Compared as sequences, each would count as
    # containing the other and both would be dropped: a condition stronger than the clauses.
    result: list[tuple[Atomic, ...]] = [()]
    for clause in clauses:
        grown: list[tuple[Atomic, ...]] = []
        seen: set[frozenset[Atomic]] = set()
        for conjuncts in result:
            for extra in _dnf(clause):
                merged = _merged(conjuncts, extra)
                members = frozenset(merged)
                if members in seen:
                    continue
                if len(merged) > len(conjuncts) and not possible(merged):
                    continue
                seen.add(members)
                grown.append(merged)
        # A disjunct containing another (strictly: equal ones were merged above) says
        # nothing more.
        sets = [frozenset(d) for d in grown]
        result = [d for d, s in zip(grown, sets, strict=True) if not any(o < s for o in sets)]
        if len(result) > MAX_DISJUNCTS:
            return None
    # Each step below drops a part only on a proof; a question not proved (refuted, or
    # unknown: a timeout) keeps it, so what is shown stays equivalent to the clauses.
    tightened: list[tuple[Atomic, ...]] = []
    kept_sets: set[frozenset[Atomic]] = set()
    for conjuncts in result:
        kept = list(conjuncts)
        for literal in conjuncts:
            rest = [c for c in kept if c is not literal]
            premise = _conjunction(rest)
            implied = literal if premise is None else Junction("->", premise, literal)
            if prover.proved(implied):
                kept = rest
        if frozenset(kept) not in kept_sets:
            kept_sets.add(frozenset(kept))
            tightened.append(tuple(kept))
    tightened = _merged_disjuncts(tightened)
    index = 0
    while index < len(tightened) and len(tightened) > 1:
        others = _disjunction([_and_of(d) for j, d in enumerate(tightened) if j != index])
        assert others is not None
        if prover.proved(Junction("->", _and_of(tightened[index]), others)):
            del tightened[index]
        else:
            index += 1
    return tightened


_SIGNS: dict[str, frozenset[int]] = {
    "<": frozenset({-1}),
    "<=": frozenset({-1, 0}),
    ">": frozenset({1}),
    ">=": frozenset({0, 1}),
    "=": frozenset({0}),
    "!=": frozenset({-1, 1}),
}
_OF_SIGNS = {signs: op for op, signs in _SIGNS.items()}


def _merged_disjuncts(disjuncts: list[tuple[Atomic, ...]]) -> list[tuple[Atomic, ...]]:
    """Two disjuncts that differ only in the sign asked of one polynomial, as one: `p > 0`
    or `p = 0` is `p >= 0`; `p < 0` or `p >= 0` is nothing."""
    result = list(disjuncts)
    changed = True
    while changed:
        changed = False
        pairs = [(i, j) for i in range(len(result)) for j in range(i + 1, len(result))]
        for i, j in pairs:
            first, second = result[i], result[j]
            only_first = [a for a in first if a not in second]
            only_second = [a for a in second if a not in first]
            if len(only_first) != 1 or len(only_second) != 1:
                continue
            (a,), (b,) = only_first, only_second
            if a.lhs != b.lhs or a.rhs != b.rhs:
                continue
            union = _SIGNS[a.op] | _SIGNS[b.op]
            common = tuple(c for c in first if c is not a)
            if len(union) == 3:
                merged = common
            else:
                position = first.index(a)
                merged = (*first[:position], Atomic(_OF_SIGNS[union], a.lhs, a.rhs))
                merged += first[position + 1 :]
            result[i] = merged
            del result[j]
            changed = True
            break
    return result


def _and_of(conjuncts: tuple[Atomic, ...]) -> LogicFormula:
    body = _conjunction(conjuncts)
    # An empty conjunction is true: 0 = 0.
    return body if body is not None else Atomic("=", sympy.Integer(0), sympy.Integer(0))


def holds_when(
    costs: CostModel,
    claim: n.Claim,
    timeout: float,
    found: Sequence[Hypothesis],
    counterexample: Sequence[tuple[str, Fraction]] = (),
) -> str | None:
    """The condition under which the claim holds, `NEVER` when the assumptions rule it out,
    or None when it is not computed (see `explainable`) or could not be confirmed; `found`
    are the hypotheses the claim was decided under, `counterexample` the full assignment of
    its counterexample (a point where they hold, kept to answer questions without z3)."""
    if not explainable(costs, claim):
        return None
    formula = costs.formula(claim.formula)
    parameters = tuple(costs.parameter_symbols)
    # Claims equal after normalisation (the same differences of sides: `exact.compiled`)
    # have the same condition; it is worked out once.
    meaning = compiled(formula)
    key = None if meaning is None else (meaning, tuple(found), parameters, timeout)
    if key is not None and key in _CONDITIONS:
        return _CONDITIONS[key]
    known = _known(costs, found)
    known.admit(counterexample)
    condition, settled = _holds_when(formula, timeout, found, parameters, known)
    # A condition left unconfirmed because a proof was not found (a timeout, under load)
    # is not kept: asked again, the claim gets its own answer, not one of an earlier run.
    if key is not None and settled:
        if len(_CONDITIONS) >= _CONDITIONS_KEPT:
            _CONDITIONS.clear()
        _CONDITIONS[key] = condition
    return condition


_CONDITIONS: dict[Hashable, str | None] = {}
_CONDITIONS_KEPT = 4096


def _holds_when(
    formula: LogicFormula,
    timeout: float,
    found: Sequence[Hypothesis],
    parameters: tuple[sympy.Symbol, ...],
    known: _Known | None = None,
) -> tuple[str | None, bool]:
    """The condition, and whether it is settled: False when a proof it needed was not
    found (the condition is then None, and asking again may find it)."""
    with shared_decider() as shared:
        decider = shared if known is None else known.decider()
        prover = _Prover(found, timeout, parameters, decider, known)
        clauses = _every_g(formula, prover)
        if clauses is None:
            return None, True
        disjuncts = _simplified(clauses, prover)
        if disjuncts is None or any(not d for d in disjuncts):
            return None, True  # too large to show, or it holds outright (it was not refuted)
        # The clauses hold together exactly when the claim holds for every g > 0 (virtual
        # substitution); what is shown must be equivalent to them under the assumptions.
        exact = _formula_of(_and(*clauses))
        if not disjuncts:
            never = prover.confirmed(Negation(exact))
            return (NEVER, True) if never else (None, False)
        condition = _disjunction([_and_of(d) for d in disjuncts])
        assert condition is not None
        # H → claim, proved for every g by the solver itself; and claim → H through the
        # clauses: every g > 0 satisfying the claim makes the clauses true, and they imply H.
        if not prover.confirmed(Junction("->", condition, formula)):
            return None, False
        if not prover.confirmed(Junction("->", exact, condition)):
            return None, False
    if all(difference_of(leaf) is not None for leaf in atomics(formula)):
        # Worked out in `_Poly`s: every comparison is `p op 0`, p a polynomial as sympy
        # expands it.
        return _condition_text(disjuncts), True
    try:
        return formula_text(condition), True
    except ValueError:
        return None, True


_SIDE_TEXTS: dict[sympy.Expr, tuple[str, str]] = {}


def _comparison_text(a: Atomic) -> str:
    """`formula_text` of a comparison `p op 0` whose p is a polynomial as sympy expands it
    (expanding it again, as `comparison_text` does, changes nothing); its two sides are
    written once per polynomial."""
    sides = _SIDE_TEXTS.get(a.lhs)
    if sides is None:
        left: list[sympy.Expr] = []
        right: list[sympy.Expr] = []
        for term in sympy.Add.make_args(a.lhs):
            coefficient, _ = term.as_coeff_Mul()
            (right if coefficient.is_Rational and coefficient < 0 else left).append(term)
        sides = (expression_text(sympy.Add(*left)), expression_text(-sympy.Add(*right)))
        if len(_SIDE_TEXTS) >= KEPT_ANSWERS:
            _SIDE_TEXTS.clear()
        _SIDE_TEXTS[a.lhs] = sides
    return f"{sides[0]} {a.op} {sides[1]}"


def _condition_text(disjuncts: Sequence[tuple[Atomic, ...]]) -> str:
    """`formula_text` of the disjunction of the disjuncts (each a conjunction)."""
    parts = []
    for conjuncts in disjuncts:
        text = " and ".join(_comparison_text(a) for a in conjuncts)
        parts.append(f"({text})" if len(conjuncts) > 1 else text)
    return " or ".join(parts)


NEVER_TEXT = "never under the assumptions (no admissible costs make it hold for every g > 0)"
"""How `NEVER` reads in text, in the report and in the REPL."""


def condition_text(condition: str) -> str:
    """A `holds_when` value as it is shown to a reader."""
    return NEVER_TEXT if condition == NEVER else condition


# ---- repairs ------------------------------------------------------------------------------------

MAX_ADDED_TERMS = 12
MAX_CANDIDATES = 64

Path = tuple[int, ...]


def _leaves(formula: n.Formula, path: Path = ()) -> Iterator[tuple[Path, n.Formula]]:
    """The comparisons (and `beats`) of a formula with their paths, left to right."""
    if isinstance(formula, n.Connective):
        yield from _leaves(formula.left, (*path, 0))
        yield from _leaves(formula.right, (*path, 1))
    elif isinstance(formula, n.Not):
        yield from _leaves(formula.operand, (*path, 0))
    else:
        yield path, formula


def _with(formula: n.Formula, path: Path, leaf: n.Formula) -> n.Formula:
    """The formula with the node at `path` replaced by `leaf`."""
    if not path:
        return leaf
    if isinstance(formula, n.Connective):
        if path[0] == 0:
            return replace(formula, left=_with(formula.left, path[1:], leaf))
        return replace(formula, right=_with(formula.right, path[1:], leaf))
    assert isinstance(formula, n.Not)
    return replace(formula, operand=_with(formula.operand, path[1:], leaf))


def _program_term(name: str) -> n.Term:
    return n.Term(n.Name(name))


def _score(program: str) -> n.Expr:
    """`g * c(P) + t(P)`: a program's score in the linear family."""
    term = _program_term(program)
    return n.Arithmetic("+", n.Arithmetic("*", n.GRate(), n.CostOf("c", term)), n.CostOf("t", term))


def _as_comparison(leaf: n.Beats, op: n.CompareOp = "<") -> n.Compare:
    """`P beats Q` (on c, on t, or by score) as the comparison it means."""
    winner, loser = leaf.winner.text, leaf.loser.text
    if leaf.on is not None:
        return n.Compare(
            op, n.CostOf(leaf.on, _program_term(winner)), n.CostOf(leaf.on, _program_term(loser))
        )
    return n.Compare(op, _score(winner), _score(loser))


def _reversals(leaf: n.Formula) -> list[n.Formula]:
    if isinstance(leaf, n.Compare):
        return [replace(leaf, op=_REVERSED[leaf.op])]
    if isinstance(leaf, n.Beats):
        return [replace(leaf, winner=leaf.loser, loser=leaf.winner)]
    return []


def _loosenings(leaf: n.Formula) -> list[n.Formula]:
    if isinstance(leaf, n.Compare) and leaf.op in _LOOSENED:
        return [replace(leaf, op=_LOOSENED[leaf.op])]
    if isinstance(leaf, n.Beats):
        return [_as_comparison(leaf, "<=")]
    return []


def _atoms_of(costs: CostModel, program: str, kind: str) -> list[str]:
    """The texts of the `kind` atoms of a program: what it stores or runs, in order, then
    the atoms of an explicit formula."""
    return list(_program_atoms(costs, program, kind))


@lru_cache(maxsize=256)
def _program_atoms(costs: CostModel, program: str, kind: str) -> tuple[str, ...]:
    """`_atoms_of`, worked out once per cost model (they are frozen) and program."""
    derived = costs.program(program)
    texts = list(derived.stores) if kind == "c" else [t for _, t in derived.runs]
    total = derived.c if kind == "c" else derived.t
    for symbol in sorted(total.free_symbols, key=str):
        name = str(symbol)
        if name.startswith(f"{kind}(") and name[2:-1] not in texts:
            texts.append(name[2:-1])
    return tuple(texts)


def _summands(expr: n.Expr) -> Iterator[n.Expr]:
    """The terms of an expression reached through `+` and `-` only."""
    if isinstance(expr, n.Arithmetic) and expr.op in ("+", "-"):
        yield from _summands(expr.left)
        yield from _summands(expr.right)
    else:
        yield expr


def _additions(costs: CostModel, leaf: n.Formula) -> list[n.Formula]:
    """The comparison with one dropped term added: an atom of a program on one side that
    the programs on the other side lack, added to that other side (to either side when
    only one side mentions programs)."""
    programs = costs.model.programs
    # Per side: the atoms its programs have, each as the term to add.
    sides: list[dict[str, n.Expr]] = [{}, {}]

    def collect(side: int, program: str, kind: str, scaled: bool) -> None:
        for text in _atoms_of(costs, program, kind):
            atom: n.Expr = n.CostOf(kind, parse_term(text))  # type: ignore[arg-type]
            if scaled:
                atom = n.Arithmetic("*", n.GRate(), atom)
            sides[side].setdefault(f"{kind}({text})", atom)

    if isinstance(leaf, n.Beats):
        comparison = _as_comparison(leaf)
        kinds = (leaf.on,) if leaf.on is not None else ("c", "t")
        for kind in kinds:
            for side, program in enumerate((leaf.winner.text, leaf.loser.text)):
                collect(side, program, kind, scaled=leaf.on is None and kind == "c")
    elif isinstance(leaf, n.Compare):
        comparison = leaf
        for side, expr in enumerate((leaf.left, leaf.right)):
            for term in _summands(expr):
                if isinstance(term, n.CostOf) and not term.term.args:
                    if term.term.head.text in programs:
                        collect(side, term.term.head.text, term.kind, scaled=False)
    else:
        return []
    pool = {**sides[0], **sides[1]}
    found: list[n.Formula] = []
    for key, atom in list(pool.items())[:MAX_ADDED_TERMS]:
        if key not in sides[0] or not sides[1]:
            found.append(replace(comparison, left=n.Arithmetic("+", comparison.left, atom)))
        if key not in sides[1] or not sides[0]:
            found.append(replace(comparison, right=n.Arithmetic("+", comparison.right, atom)))
    return found


def _map_atoms(node: Any, change: Callable[[n.CostOf], n.CostOf]) -> Any:
    """The node with every written cost atom passed through `change`."""
    if isinstance(node, n.CostOf):
        return change(node)
    if isinstance(node, (n.Arithmetic, n.Compare, n.Connective)):
        return replace(
            node, left=_map_atoms(node.left, change), right=_map_atoms(node.right, change)
        )
    if isinstance(node, (n.Negate, n.Not)):
        return replace(node, operand=_map_atoms(node.operand, change))
    if isinstance(node, n.GApply):
        return replace(node, argument=_map_atoms(node.argument, change))
    if isinstance(node, n.Call):
        return replace(node, args=tuple(_map_atoms(a, change) for a in node.args))
    return node


def _written_atoms(costs: CostModel, node: object) -> Iterator[n.CostOf]:
    from calculus.model import _expr_nodes

    for each in _expr_nodes(node):
        if isinstance(each, n.CostOf) and not (
            not each.term.args and each.term.head.text in costs.model.programs
        ):
            yield each


def _identifications(costs: CostModel, formula: n.Formula) -> list[n.Formula]:
    """The statement with one atom it writes replaced, throughout, by another atom of the
    same kind that it writes, that its programs have or that the assumptions mention."""
    from calculus.model import _expr_nodes

    written: dict[str, n.CostOf] = {}
    for atom in _written_atoms(costs, formula):
        written.setdefault(f"{atom.kind}({atom.term})", atom)
    pool = dict(written)
    mentioned: list[str] = []
    for _, leaf in _leaves(formula):
        if isinstance(leaf, n.Beats):
            mentioned += [leaf.winner.text, leaf.loser.text]
    for node in _expr_nodes(formula):
        if isinstance(node, n.CostOf) and not node.term.args:
            if node.term.head.text in costs.model.programs:
                mentioned.append(node.term.head.text)
    for program in dict.fromkeys(mentioned):
        for kind in ("c", "t"):
            for text in _atoms_of(costs, program, kind):
                pool.setdefault(f"{kind}({text})", n.CostOf(kind, parse_term(text)))  # type: ignore[arg-type]
    for assumption in costs.model.assumptions:
        for atom in _written_atoms(costs, assumption.node.formula):
            pool.setdefault(f"{atom.kind}({atom.term})", atom)
    found: list[n.Formula] = []
    for key, atom in written.items():
        for other_key, other in pool.items():
            if other_key == key or other.kind != atom.kind:
                continue

            def change(node: n.CostOf, atom: n.CostOf = atom, other: n.CostOf = other) -> n.CostOf:
                if node.kind == atom.kind and str(node.term) == str(atom.term):
                    return n.CostOf(other.kind, other.term)
                return node

            found.append(_map_atoms(formula, change))  # type: ignore[arg-type]
    return found


def _candidates(costs: CostModel, formula: n.Formula) -> Iterator[n.Formula]:
    """Statements one edit away, in the order of DESIGN §9.4."""
    leaves = list(_leaves(formula))
    for edits in (_reversals, _loosenings):
        for path, leaf in leaves:
            for edited in edits(leaf):
                yield _with(formula, path, edited)
    for path, leaf in leaves:
        for edited in _additions(costs, leaf):
            yield _with(formula, path, edited)
    yield from _identifications(costs, formula)


@lru_cache(maxsize=4096)
def parse_term(text: str) -> n.Term:
    from calculus.syntax import parse

    source = parse(f"claim c({text}) > 0\n")
    claim = source.statements[0]
    assert isinstance(claim, n.Claim) and isinstance(claim.formula, n.Compare)
    assert isinstance(claim.formula.left, n.CostOf)
    return claim.formula.left.term


def repairs(
    costs: CostModel,
    claim: n.Claim,
    problem_of: Callable[[n.Claim], Problem],
    statement_of: Callable[[n.Claim], str],
    counterexample: Sequence[tuple[str, Fraction]] = (),
) -> tuple[str, ...]:
    """Statements one edit away from the claim that are proved under its assumptions, in
    the order: reverse a comparison, strict ↔ non-strict, add one term of a program,
    identify two atoms (see the module's notes); at most MAX_REPAIRS. `counterexample`:
    the claim's full counterexample, a point where its hypotheses hold.

    A candidate false at a point where the hypotheses hold exactly (the claim's
    counterexample, those of the file's other claims) is not proved, and is passed over
    without a solver, without sympy and without being printed: that is most of them."""
    from calculus.definedness import check_divisions

    if not explainable(costs, claim):
        return ()
    found: list[str] = []
    seen = {statement_of(claim)}
    base = problem_of(claim)
    known = _known(costs, base.hypotheses)
    known.admit(counterexample)
    memo: dict[int, Any] = {}
    with shared_decider() as decider:
        for index, variant in enumerate(_candidates(costs, claim.formula)):
            if index == MAX_CANDIDATES or len(found) == MAX_REPAIRS:
                break
            if known.checks is not None:
                try:
                    on_frame = known.indexed(variant, memo)
                except _NotPolynomial:
                    pass
                else:
                    # Not proved: false at a point where every hypothesis holds. (A later
                    # candidate printed the same means the same: it is passed over too.)
                    if known.refutes(on_frame):
                        continue
            candidate = replace(claim, formula=variant)
            statement = statement_of(candidate)
            if statement in seen:
                continue
            seen.add(statement)
            # A statement proved for another claim of the file is proved here too.
            key = ("repair", statement, base.timeout)
            proved = known.answers.get(key)
            if proved is None:
                problem = problem_of(candidate)
                verdict: Verdict | None = check_divisions(
                    costs, variant, list(problem.hypotheses), problem.timeout
                )
                proved = decider.proves(problem) if verdict is None else verdict.status == "proved"
                if proved:
                    _settle(known, key, True)
            again = lambda candidate=candidate: problem_of(candidate)  # noqa: E731
            if proved and not _vacuous(costs, variant, again, decider):
                found.append(statement)
    return tuple(found)


def _vacuous(
    costs: CostModel, formula: n.Formula, problem_of: Callable[[], Problem], decider: Decider
) -> bool:
    """An implication whose premise the assumptions rule out (for every g): proved, but
    it says nothing."""
    if not isinstance(formula, n.Connective) or formula.op != "->":
        return False
    premise = Negation(costs.formula(formula.left))
    return decider.proves(replace(problem_of(), claim=premise))
