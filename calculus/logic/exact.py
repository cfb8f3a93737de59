"""Exact evaluation, the re-check that stands between a solver's model and a `refuted`.

A counterexample is reported only after `confirm` has found, in exact rational arithmetic
and without z3, that every bound and assumption holds at it and the claim fails. Every
family uses this one copy.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from calculus.costs import Atomic, G, LogicFormula, Negation, atomics, log2
from calculus.logic.records import Hypothesis, Problem

Values = dict[sympy.Basic, sympy.Expr]
Monomial = tuple[sympy.Symbol, ...]


def sign(value: sympy.Expr) -> int:
    """The sign of a closed-form real number, decided exactly or not at all.

    Rationals are compared exactly. Other numbers (powers such as 2^(1/2), logarithms) are
    evaluated to 40 digits with sympy's error-tracking arithmetic; the sign is taken only
    when the value is clearly away from zero, else ZeroDivisionError ("cannot decide").
    """
    if value.is_Rational:
        return 1 if value.p > 0 else (-1 if value.p < 0 else 0)
    if value.free_symbols or not value.is_number or value.has(sympy.zoo, sympy.nan):
        raise ZeroDivisionError(f"not a number: {value}")
    if value.is_real is False:
        raise ZeroDivisionError(f"not a real number: {value}")
    try:
        approximation = sympy.N(value, 40, strict=True)
    except (sympy.core.evalf.PrecisionExhausted, ValueError, TypeError) as error:
        raise ZeroDivisionError(f"cannot evaluate {value}") from error
    if not approximation.is_Float or abs(approximation) < sympy.Float("1e-30", 40):
        raise ZeroDivisionError(f"cannot decide the sign of {value}")
    return 1 if approximation > 0 else -1


def _holds(op: str, difference: sympy.Expr) -> bool:
    """`difference op 0`, exactly; raises ZeroDivisionError where undefined or undecided."""
    return _compare(op, Fraction(sign(difference)))


def _at(e: sympy.Expr, values: Values) -> sympy.Expr:
    """`e` at exact values; logarithms of non-positive numbers are undefined."""
    result = e.xreplace(values)
    for application in result.atoms(log2):
        argument = application.args[0]
        if argument.is_number and sign(argument) <= 0:
            raise ZeroDivisionError(f"log2 of {argument}")
    return result.replace(lambda x: isinstance(x, log2), lambda x: sympy.log(x.args[0], 2))


def evaluate(f: LogicFormula, values: Values) -> bool:
    """Truth of a formula at exact values (atoms, g, and g(x) applications)."""
    if isinstance(f, Atomic):
        difference = _at(f.lhs - f.rhs, values)
        if difference.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ZeroDivisionError("division by zero")
        if not difference.is_Rational:
            difference = sympy.expand(difference)
        return _holds(f.op, difference)
    if isinstance(f, Negation):
        return not evaluate(f.operand, values)
    # `and`, `or` and `->` evaluate their right side only when the left does not decide
    # (the guards under which a division must be defined, DESIGN §12).
    left = evaluate(f.left, values)
    if f.op == "and":
        return left and evaluate(f.right, values)
    if f.op == "or":
        return left or evaluate(f.right, values)
    if f.op == "->":
        return (not left) or evaluate(f.right, values)
    return left == evaluate(f.right, values)


def exact_number(e: sympy.Expr) -> Fraction | None:
    """The value of an expression that simplifies to a rational number, else None."""
    e = sympy.expand(e)
    if not e.is_Rational:
        return None
    return Fraction(int(e.p), int(e.q))


def exists_g(f: LogicFormula, values: Values) -> bool:
    """Exactly: is there a g > 0 making `f` true at these atom values? (linear family)

    Every comparison is affine in g, so the set of such g is a union of intervals whose
    ends are 0 or roots of the comparisons: testing the roots and one point inside every
    gap between them (and beyond the last) is exhaustive.
    """
    roots: set[Fraction] = set()
    for a in atomics(f):
        difference = sympy.expand((a.lhs - a.rhs).xreplace(values))
        slope = difference.coeff(G, 1)
        offset = difference.coeff(G, 0)
        if slope != 0:
            root = -offset / slope
            roots.add(Fraction(int(root.p), int(root.q)))
    points = sorted(r for r in roots if r > 0)
    edges = [Fraction(0)] + points
    candidates = list(points)
    for low, high in itertools.pairwise(edges + [edges[-1] + 2]):
        candidates.append((low + high) / 2)
    return any(
        evaluate(f, {**values, G: sympy.Rational(p.numerator, p.denominator)}) for p in candidates
    )


def hypotheses_hold(hypotheses: Sequence[Hypothesis], values: Values) -> bool:
    """Exactly: every default bound and assumption holds at `values` (unset atoms are 1),
    and every integer parameter has a whole value."""
    if any(getattr(s, "is_integer", False) and not (v.is_Integer) for s, v in values.items()):
        return False
    try:
        for hypothesis in hypotheses:
            for symbol, kind in hypothesis.bounds:
                value = values.get(symbol, sympy.Integer(1))
                if value < 0 or (kind == "positive" and value == 0):
                    return False
            if hypothesis.formula is not None and not evaluate(hypothesis.formula, values):
                return False
        return True
    except (ZeroDivisionError, TypeError):
        return False


def confirm(problem: Problem, values: Values) -> bool:
    """Exact re-check of a counterexample: g > 0, every hypothesis holds and the claim fails
    at `values` (for `for some g`: fails for every g > 0)."""
    if values.get(G, sympy.Integer(1)) <= 0 or not hypotheses_hold(problem.hypotheses, values):
        return False
    try:
        if problem.for_some_g:
            return not exists_g(problem.claim, values)
        return not evaluate(problem.claim, values)
    except (ZeroDivisionError, TypeError):
        return False


# ---- the same, in Fractions ----------------------------------------------------------------
#
# Counterexamples of the linear family are re-checked with Python's exact Fractions, walking
# the sympy trees without building new ones; anything outside +, ·, integer powers and
# rational constants, and any division by zero, falls back to the sympy evaluation above.


class _Outside(Exception):
    """An expression the Fraction evaluator leaves to sympy."""


def _number(e: sympy.Expr, values: dict[sympy.Basic, Fraction]) -> Fraction:
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    found = values.get(e)
    if found is not None:
        return found
    if e.is_Add:
        return sum((_number(a, values) for a in e.args), Fraction(0))
    if e.is_Mul:
        product = Fraction(1)
        for a in e.args:
            product *= _number(a, values)
        return product
    if e.is_Pow and e.args[1].is_Integer:
        base = _number(e.args[0], values)
        exponent = int(e.args[1])
        if base == 0 and exponent < 0:
            raise _Outside
        return base**exponent
    raise _Outside


# The truth of `value op 0` for a value below, at and above 0.
_BY_SIGN: dict[str, tuple[bool, bool, bool]] = {
    "<": (True, False, False),
    "<=": (True, True, False),
    ">": (False, False, True),
    ">=": (False, True, True),
    "=": (False, True, False),
    "!=": (True, False, True),
}


def _compare(op: str, value: Fraction | int) -> bool:
    return _BY_SIGN[op][(value > 0) - (value < 0) + 1]


def _truth(f: LogicFormula, values: dict[sympy.Basic, Fraction]) -> bool:
    if isinstance(f, Atomic):
        return _compare(f.op, _number(f.lhs, values) - _number(f.rhs, values))
    if isinstance(f, Negation):
        return not _truth(f.operand, values)
    left, right = _truth(f.left, values), _truth(f.right, values)
    if f.op == "and":
        return left and right
    if f.op == "or":
        return left or right
    if f.op == "->":
        return (not left) or right
    return left == right


def _some_g(f: LogicFormula, values: dict[sympy.Basic, Fraction]) -> bool:
    """`exists_g` in Fractions: each comparison's side difference is affine in g."""
    roots: set[Fraction] = set()
    for a in atomics(f):
        at = []
        for x in (0, 1, 2):
            at_x = {**values, G: Fraction(x)}
            at.append(_number(a.lhs, at_x) - _number(a.rhs, at_x))
        slope = at[1] - at[0]
        if at[2] != at[0] + 2 * slope:
            raise _Outside
        if slope != 0:
            roots.add(-at[0] / slope)
    points = sorted(r for r in roots if r > 0)
    edges = [Fraction(0)] + points
    candidates = list(points)
    for low, high in itertools.pairwise(edges + [edges[-1] + 2]):
        candidates.append((low + high) / 2)
    return any(_truth(f, {**values, G: p}) for p in candidates)


def holds_at(hypotheses: Sequence[Hypothesis], values: dict[sympy.Basic, Fraction]) -> bool:
    """Exactly, in Fractions: g > 0 and every default bound and assumption holds at `values`,
    which give every symbol the hypotheses mention. False when that cannot be shown here
    (an unassigned symbol, a division by zero, an expression outside `_number`)."""
    try:
        if values.get(G, Fraction(1)) <= 0:
            return False
        for hypothesis in hypotheses:
            for symbol, kind in hypothesis.bounds:
                value = values.get(symbol)
                if value is None or value < 0 or (kind == "positive" and value == 0):
                    return False
            if hypothesis.formula is not None and not _truth(hypothesis.formula, values):
                return False
        return True
    except (_Outside, ZeroDivisionError):
        return False


# Expressions met as polynomials (monomial -> coefficient), or None outside polynomials; the
# claims of one file share their programs' costs, so most sides are met many times.
_POLYNOMIALS: dict[sympy.Expr, tuple[tuple[Monomial, Fraction], ...] | None] = {}
_POLYNOMIALS_KEPT = 20_000


def _polynomial_of(e: sympy.Expr) -> tuple[tuple[Monomial, Fraction], ...] | None:
    found = _POLYNOMIALS.get(e, False)
    if found is False:
        if len(_POLYNOMIALS) >= _POLYNOMIALS_KEPT:
            _POLYNOMIALS.clear()
        try:
            found = tuple(_polynomial(e).items())
        except _Outside:
            found = None
        _POLYNOMIALS[e] = found
    return found  # type: ignore[return-value]


def _value(
    polynomial: tuple[tuple[Monomial, Fraction], ...], values: dict[sympy.Basic, Fraction]
) -> Fraction:
    total = Fraction(0)
    for monomial, coefficient in polynomial:
        term = coefficient
        for symbol in monomial:
            term *= values[symbol]
        total += term
    return total


def _fast_truth(f: LogicFormula, values: dict[sympy.Basic, Fraction]) -> bool:
    """`_truth` by way of the sides' polynomials; KeyError for a symbol `values` does not
    give, `_Outside` for a side that is not a polynomial. `and`, `or` and `->` evaluate
    their right side only when the left does not decide."""
    if isinstance(f, Atomic):
        left, right = _polynomial_of(f.lhs), _polynomial_of(f.rhs)
        if left is None or right is None:
            raise _Outside
        return _compare(f.op, _value(left, values) - _value(right, values))
    if isinstance(f, Negation):
        return not _fast_truth(f.operand, values)
    left_holds = _fast_truth(f.left, values)
    if f.op == "and":
        return left_holds and _fast_truth(f.right, values)
    if f.op == "or":
        return left_holds or _fast_truth(f.right, values)
    if f.op == "->":
        return (not left_holds) or _fast_truth(f.right, values)
    return left_holds == _fast_truth(f.right, values)


def _rough_difference(
    left: tuple[tuple[Monomial, Fraction], ...],
    right: tuple[tuple[Monomial, Fraction], ...],
    values: dict[sympy.Basic, float],
) -> float | None:
    """left − right in floating point, or None when it is too near 0 to tell its sign."""
    total = size = 0.0
    for polynomial, sign in ((left, 1.0), (right, -1.0)):
        for monomial, coefficient in polynomial:
            term = sign * float(coefficient)
            for symbol in monomial:
                term *= values[symbol]
            total += term
            size += abs(term)
    if not math.isfinite(size) or abs(total) <= 1e-9 * (1.0 + size):
        return None
    return total


def _rough_truth(f: LogicFormula, values: dict[sympy.Basic, float]) -> bool | None:
    """The truth of a polynomial formula in floating point; None where in doubt."""
    if isinstance(f, Atomic):
        left, right = _polynomial_of(f.lhs), _polynomial_of(f.rhs)
        if left is None or right is None:
            return None
        difference = _rough_difference(left, right, values)
        if difference is None:
            return None
        return _compare(f.op, Fraction(1 if difference > 0 else -1))
    if isinstance(f, Negation):
        operand = _rough_truth(f.operand, values)
        return None if operand is None else not operand
    left_holds, right_holds = _rough_truth(f.left, values), _rough_truth(f.right, values)
    if f.op == "->":
        left_holds = None if left_holds is None else not left_holds
    if f.op in ("or", "->"):
        if left_holds or right_holds:
            return True
        return None if left_holds is None or right_holds is None else False
    if left_holds is None or right_holds is None:
        return None
    if f.op == "and":
        return left_holds and right_holds
    return left_holds == right_holds


def fails_at(
    f: LogicFormula,
    values: dict[sympy.Basic, Fraction],
    rough: dict[sympy.Basic, float] | None = None,
) -> bool:
    """Exactly, in Fractions: the polynomial formula `f` is false at `values`. False also
    when that cannot be shown here (a symbol `values` does not give, a side that is not a
    polynomial: a division, a logarithm, …). `rough`, the same values as floats, lets a
    formula that clearly holds there go without the exact evaluation."""
    try:
        if rough is not None and _rough_truth(f, rough) is True:
            return False
    except OverflowError:
        pass
    try:
        return not _fast_truth(f, values)
    except (_Outside, KeyError):
        return False


# ---- compiled formulas: each comparison's side difference as one polynomial --------------
#
# A polynomial formula is compiled once (per comparison, cached) into a tree whose leaves are
# `lhs - rhs` as (monomial, coefficient) pairs, exact and in floating point; evaluating it at
# many points (the known points of `LinearSolver.proves`, the trial points of `Pinner.pin`)
# then walks no sympy tree.

Difference = tuple[tuple[tuple[Monomial, Fraction], ...], tuple[tuple[Monomial, float], ...]]
# ("<", difference) for a comparison, ("not", operand), or (connective, left, right).
Compiled = tuple[Any, ...]

_DIFFERENCES: dict[Atomic, Difference | None] = {}


def difference_of(a: Atomic) -> Difference | None:
    """lhs − rhs of a comparison as a polynomial (exact and in floats, zeros dropped), or
    None when a side is not a polynomial with rational coefficients."""
    found = _DIFFERENCES.get(a, False)
    if found is False:
        if len(_DIFFERENCES) >= _POLYNOMIALS_KEPT:
            _DIFFERENCES.clear()
        left, right = _polynomial_of(a.lhs), _polynomial_of(a.rhs)
        if left is None or right is None:
            found = None
        else:
            total: dict[Monomial, Fraction] = dict(left)
            for monomial, coefficient in right:
                total[monomial] = total.get(monomial, Fraction(0)) - coefficient
            exact = tuple((m, c) for m, c in total.items() if c != 0)
            try:
                rough = tuple((m, float(c)) for m, c in exact)
            except OverflowError:
                rough = ()
                exact = ()
                found = None
            else:
                found = (exact, rough)
        _DIFFERENCES[a] = found
    return found  # type: ignore[return-value]


def compiled(f: LogicFormula) -> Compiled | None:
    """`f` compiled for `truth_of` and `rough_truth_of`; None when it is not polynomial."""
    if isinstance(f, Atomic):
        found = difference_of(f)
        return None if found is None else (f.op, found)
    if isinstance(f, Negation):
        operand = compiled(f.operand)
        return None if operand is None else ("not", operand)
    left, right = compiled(f.left), compiled(f.right)
    if left is None or right is None:
        return None
    return (f.op, left, right)


def _exact_sum(polynomial: tuple[tuple[Monomial, Fraction], ...], values: Any) -> Fraction:
    total = Fraction(0)
    for monomial, coefficient in polynomial:
        term = coefficient
        for symbol in monomial:
            term *= values[symbol]
        total += term
    return total


def truth_of(f: Compiled, values: Any, rough: Any = None) -> bool:
    """The exact truth of a compiled formula at `values` (Fractions; KeyError for a symbol
    they do not give). `rough`, the same values as floats, settles each comparison whose
    sign is clear in floating point (see `rough_truth_of`) without Fraction arithmetic."""
    op = f[0]
    if len(f) == 2:
        if op == "not":
            return not truth_of(f[1], values, rough)
        if rough is not None:
            total = size = 0.0
            for monomial, coefficient in f[1][1]:
                term = coefficient
                for symbol in monomial:
                    term *= rough[symbol]
                total += term
                size += abs(term)
            if math.isfinite(size) and abs(total) > 1e-9 * (1.0 + size):
                return _SIGN_TRUTH[op][total > 0]  # type: ignore[return-value]
        return _compare(op, _exact_sum(f[1][0], values))
    left = truth_of(f[1], values, rough)
    if op == "and":
        return left and truth_of(f[2], values, rough)
    if op == "or":
        return left or truth_of(f[2], values, rough)
    if op == "->":
        return (not left) or truth_of(f[2], values, rough)
    return left == truth_of(f[2], values, rough)


# The truth of `difference op 0` for a difference clearly negative ([0]) or positive ([1]).
_SIGN_TRUTH: dict[str, tuple[bool, bool]] = {
    "<": (True, False),
    "<=": (True, False),
    ">": (False, True),
    ">=": (False, True),
    "=": (False, False),
    "!=": (True, True),
}


def rough_truth_of(f: Compiled, values: Any) -> bool | None:
    """The truth of a compiled formula at float `values`; None where in doubt."""
    op = f[0]
    if len(f) == 2:
        if op == "not":
            operand = rough_truth_of(f[1], values)
            return None if operand is None else not operand
        total = size = 0.0
        for monomial, coefficient in f[1][1]:
            term = coefficient
            for symbol in monomial:
                term *= values[symbol]
            total += term
            size += abs(term)
        if not math.isfinite(size) or abs(total) <= 1e-9 * (1.0 + size):
            return None
        return _SIGN_TRUTH[op][total > 0]
    left_holds, right_holds = rough_truth_of(f[1], values), rough_truth_of(f[2], values)
    if op == "->":
        left_holds = None if left_holds is None else not left_holds
    if op in ("or", "->"):
        if left_holds or right_holds:
            return True
        return None if left_holds is None or right_holds is None else False
    if left_holds is None or right_holds is None:
        return None
    if op == "and":
        return left_holds and right_holds
    return left_holds == right_holds


def fails_at_compiled(
    f: Compiled, values: dict[sympy.Basic, Fraction], rough: dict[sympy.Basic, float] | None
) -> bool:
    """`fails_at` of a compiled formula."""
    try:
        if rough is not None and rough_truth_of(f, rough) is True:
            return False
    except (OverflowError, KeyError):
        pass
    try:
        return not truth_of(f, values)
    except KeyError:
        return False


# ---- the same, on lists: symbols at fixed positions ---------------------------------------
#
# Looking a sympy symbol up in a dict calls its Python-level `__hash__`; a solver evaluating
# thousands of points keeps its symbols at fixed positions (a `Frame`) and its formulas
# compiled against them, so a point is a list and a monomial a tuple of positions.

COMPARISONS = frozenset({"<", "<=", ">", ">=", "=", "!="})
# (op, exact terms, float terms) for a comparison, ("not", operand), (connective, left, right);
# a term is (positions, coefficient).
Indexed = tuple[Any, ...]


class Frame:
    """Symbols at fixed positions, and formulas compiled (`exact.compiled`) against them."""

    def __init__(self, symbols: Sequence[sympy.Basic]) -> None:
        self.symbols = tuple(symbols)
        self.position = {s: i for i, s in enumerate(self.symbols)}
        # Each difference met, by identity (the tuple is kept alive with it).
        self._leaves: dict[int, tuple[Difference, Indexed | None]] = {}

    def hypotheses(
        self, found: Sequence[Hypothesis]
    ) -> list[tuple[tuple[tuple[int, bool], ...], Indexed | None]] | None:
        """Each hypothesis on this frame: its bounds as (position, strict) and its formula;
        None when one is not polynomial on the frame (or mentions a symbol outside it)."""
        checks: list[tuple[tuple[tuple[int, bool], ...], Indexed | None]] = []
        for hypothesis in found:
            formula = None
            if hypothesis.formula is not None:
                meaning = compiled(hypothesis.formula)
                formula = None if meaning is None else self.indexed(meaning)
                if formula is None:
                    return None
            bounds = tuple(
                (self.position[symbol], kind == "positive") for symbol, kind in hypothesis.bounds
            )
            checks.append((bounds, formula))
        return checks

    def indexed(self, f: Compiled) -> Indexed | None:
        """`f` against this frame; None when it mentions a symbol outside it."""
        op = f[0]
        if op in COMPARISONS:
            difference = f[1]
            found = self._leaves.get(id(difference))
            if found is None or found[0] is not difference:
                leaf: Indexed | None
                position = self.position
                try:
                    at = [tuple([position[s] for s in m]) for m, _ in difference[0]]
                    exact = _integral(list(zip(at, [c for _, c in difference[0]], strict=True)))
                    if len(difference[1]) == len(at):
                        # The same monomials in the same order (floats of the same terms).
                        rough = tuple(zip(at, [c for _, c in difference[1]], strict=True))
                    else:
                        rough = tuple(
                            (tuple([position[s] for s in m]), c) for m, c in difference[1]
                        )
                    leaf = (op, exact, rough)
                except KeyError:
                    leaf = None
                if len(self._leaves) >= _POLYNOMIALS_KEPT:
                    self._leaves.clear()
                found = (difference, leaf)
                self._leaves[id(difference)] = found
            leaf = found[1]
            if leaf is None or leaf[0] == op:
                return leaf
            return (op, leaf[1], leaf[2])
        if op == "not":
            operand = self.indexed(f[1])
            return None if operand is None else ("not", operand)
        left, right = self.indexed(f[1]), self.indexed(f[2])
        if left is None or right is None:
            return None
        return (op, left, right)


def comparison_on_frame(
    op: str, terms: Sequence[tuple[tuple[int, ...], Fraction | int]]
) -> Indexed:
    """`difference op 0` as an indexed formula (what `Frame.indexed` makes of a comparison),
    from the difference's terms: positions on the frame, exact coefficient. OverflowError
    when a coefficient has no float."""
    return (op, _integral(terms), tuple((positions, float(c)) for positions, c in terms))


def rough_at(f: Indexed, rough: Sequence[float]) -> bool | None:
    """The truth of an indexed formula at a float point; None where in doubt."""
    op = f[0]
    if op in COMPARISONS:
        total = size = 0.0
        for positions, coefficient in f[2]:
            term = coefficient
            for i in positions:
                term *= rough[i]
            total += term
            size += abs(term)
        if not math.isfinite(size) or abs(total) <= 1e-9 * (1.0 + size):
            return None
        return _SIGN_TRUTH[op][total > 0]
    if op == "not":
        operand = rough_at(f[1], rough)
        return None if operand is None else not operand
    left_holds = rough_at(f[1], rough)
    if left_holds is (op == "or") and op in ("or", "->"):
        return True  # whatever the right side is, in doubt or not
    right_holds = rough_at(f[2], rough)
    if op == "->":
        left_holds = None if left_holds is None else not left_holds
    if op in ("or", "->"):
        if left_holds or right_holds:
            return True
        return None if left_holds is None or right_holds is None else False
    if left_holds is None or right_holds is None:
        return None
    if op == "and":
        return left_holds and right_holds
    return left_holds == right_holds


# Each comparison operator and the one of its negation.
NEGATED_COMPARISON = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "=": "!=", "!=": "="}

Terms = tuple[tuple[tuple[int, ...], int, int], ...]


def conjuncts(f: Indexed, negated: bool = False) -> list[tuple[str, Terms]]:
    """Comparisons on the frame (operator, exact terms, as in `Indexed`) each true wherever
    `f` is true (with `negated`, wherever it is false): the conjuncts it is made of."""
    op = f[0]
    if op in COMPARISONS:
        return [(NEGATED_COMPARISON[op] if negated else op, f[1])]
    if op == "not":
        return conjuncts(f[1], not negated)
    if op == "and" and not negated:
        return conjuncts(f[1]) + conjuncts(f[2])
    if op == "or" and negated:
        return conjuncts(f[1], True) + conjuncts(f[2], True)
    if op == "->" and negated:
        return conjuncts(f[1]) + conjuncts(f[2], True)
    return []


def ruled_out(
    comparisons: Sequence[tuple[str, Terms]],
    values: dict[int, Fraction],
    positive: frozenset[int],
    nonnegative: frozenset[int],
    at: int | None = None,
    candidates: Sequence[Fraction] = (),
) -> bool:
    """Whether no point satisfies every one of `comparisons` while giving the positions of
    `values` those values, and any other position of `positive` a value > 0, of
    `nonnegative` one >= 0: shown when one comparison fails whatever the other positions
    are, by the signs of its terms. With `at`, the position `at` is given each of
    `candidates` (all > 0) in turn, and every one must be ruled out. False says nothing.

    With the values put in, a comparison reads K + S op 0, K the terms of known value and
    S the others; each term of S has a sign fixed by its coefficient when each of its free
    positions is bounded below by 0, so S is either >= 0, <= 0, or of either sign (then
    nothing is shown). A candidate c > 0 at `at` leaves those signs as they are, and makes
    K a polynomial in c, worked out once for all the candidates."""
    remaining: Sequence[Fraction | None] = candidates if at is not None else (None,)
    for op, terms in comparisons:
        powers: dict[int, Fraction | int] = {}  # K, by the power of the candidate
        up = down = False  # some free term can be positive / negative
        for positions, integer, _ in terms:
            coefficient: Fraction | int = integer
            free = False
            power = 0
            for position in positions:
                if position == at:
                    power += 1
                    continue
                value = values.get(position)
                if value is None:
                    if position not in positive and position not in nonnegative:
                        break
                    free = True
                else:
                    coefficient *= value
            else:
                if not free:
                    powers[power] = powers.get(power, 0) + coefficient
                elif coefficient > 0:
                    up = True
                elif coefficient < 0:
                    down = True
                continue
            up = down = True  # a free position of either sign
            break
        if up and down:
            continue
        remaining = [c for c in remaining if not _fails(op, _known(powers, c), up, down)]
        if not remaining:
            return True
    return False


def _known(powers: dict[int, Fraction | int], c: Fraction | None) -> Fraction | int:
    """K at the candidate c, from its coefficients by power of c (only power 0 without)."""
    total: Fraction | int = 0
    for power, coefficient in powers.items():
        total += coefficient if power == 0 or c is None else coefficient * c**power
    return total


def _fails(op: str, known: Fraction | int, up: bool, down: bool) -> bool:
    """Whether K + S op 0 is false whatever S, a sum that can be positive only if `up` and
    negative only if `down` (K + S <= K when nothing is `up`, >= K when nothing is `down`)."""
    if op == ">":
        return not up and known <= 0
    if op == ">=":
        return not up and known < 0
    if op == "<":
        return not down and known >= 0
    if op == "<=":
        return not down and known > 0
    if op == "=":
        return (not up and known < 0) or (not down and known > 0)
    return not up and not down and known == 0


def _integral(terms: Sequence[tuple[tuple[int, ...], Fraction | int]]) -> tuple[Any, ...]:
    """Terms with their coefficients scaled to integers (by a positive factor, so signs
    stay), each with the degree it lacks of the highest: at a point with values N_i / D,
    the sum of c·ΠN_i·D^(missing) has the sign of the polynomial."""
    ratios = [c.as_integer_ratio() for _, c in terms]
    scale = math.lcm(*[q for _, q in ratios]) if terms else 1
    top = max([len(p) for p, _ in terms], default=0)
    return tuple(
        (p, numerator * (scale // q), top - len(p))
        for (p, _), (numerator, q) in zip(terms, ratios, strict=True)
    )


class Point:
    """A point of a frame: its exact values, the same as integers over one denominator
    (for exact signs in integer arithmetic) and as floats (None when one overflows)."""

    __slots__ = ("values", "numerators", "denominator", "rough")

    def __init__(self, values: Sequence[Fraction]) -> None:
        self.values = list(values)
        ratios = [v.as_integer_ratio() for v in self.values]
        denominator = math.lcm(*[q for _, q in ratios])
        self.denominator = denominator
        if denominator == 1:
            self.numerators = [p for p, _ in ratios]
        else:
            self.numerators = [p * (denominator // q) for p, q in ratios]
        self.rough: list[float] | None
        try:
            # Integer true division rounds correctly, as `float(Fraction)` does.
            self.rough = [p / q for p, q in ratios]
        except OverflowError:
            self.rough = None

    def changed(self, changes: Sequence[tuple[int, Fraction]]) -> Point:
        """This point with the value at each position of `changes` replaced: the same
        point `Point` makes of the new values, but over this one's denominator when it is a
        multiple of each new value's (signs at a point do not depend on which common
        denominator its numerators are over), without converting the other values again."""
        denominator = self.denominator
        rough = self.rough
        if rough is None:
            return self._remade(changes)
        point = Point.__new__(Point)
        values = point.values = self.values.copy()
        numerators = point.numerators = self.numerators.copy()
        floats = point.rough = rough.copy()
        point.denominator = denominator
        for position, value in changes:
            p, q = value.as_integer_ratio()
            if denominator % q:
                return self._remade(changes)
            values[position] = value
            numerators[position] = p * (denominator // q)
            try:
                floats[position] = p / q
            except OverflowError:
                return self._remade(changes)
        return point

    def _remade(self, changes: Sequence[tuple[int, Fraction]]) -> Point:
        values = self.values.copy()
        for position, value in changes:
            values[position] = value
        return Point(values)


def truth_at(f: Indexed, point: Point, rough: bool = True) -> bool:
    """The exact truth of an indexed formula at `point`; with `rough`, a comparison whose
    sign is clear in floating point is settled there, the others in integer arithmetic."""
    op = f[0]
    if op in COMPARISONS:
        floats = point.rough if rough else None
        if floats is not None:
            total = size = 0.0
            for positions, coefficient in f[2]:
                term = coefficient
                for i in positions:
                    term *= floats[i]
                total += term
                size += abs(term)
            if math.isfinite(size) and abs(total) > 1e-9 * (1.0 + size):
                return _SIGN_TRUTH[op][total > 0]
        numerators, denominator = point.numerators, point.denominator
        exact = 0
        for positions, integer, missing in f[1]:
            value = integer
            for i in positions:
                value *= numerators[i]
            if missing:
                value *= denominator**missing
            exact += value
        return _BY_SIGN[op][(exact > 0) - (exact < 0) + 1]
    if op == "not":
        return not truth_at(f[1], point, rough)
    left = truth_at(f[1], point, rough)
    if op == "and":
        return left and truth_at(f[2], point, rough)
    if op == "or":
        return left or truth_at(f[2], point, rough)
    if op == "->":
        return (not left) or truth_at(f[2], point, rough)
    return left == truth_at(f[2], point, rough)


def confirm_fractions(problem: Problem, values: dict[sympy.Symbol, Fraction]) -> bool:
    """`confirm` for values that are Fractions; the same answer, mostly without sympy."""
    known: dict[sympy.Basic, Fraction] = dict(values)
    try:
        if known.get(G, Fraction(1)) <= 0:
            return False
        for hypothesis in problem.hypotheses:
            for symbol, kind in hypothesis.bounds:
                value = known.get(symbol, Fraction(1))
                if value < 0 or (kind == "positive" and value == 0):
                    return False
            if hypothesis.formula is not None and not _truth(hypothesis.formula, known):
                return False
        if problem.for_some_g:
            return not _some_g(problem.claim, known)
        return not _truth(problem.claim, known)
    except (_Outside, ZeroDivisionError):
        exact = {s: sympy.Rational(v.numerator, v.denominator) for s, v in values.items()}
        return confirm(problem, exact)


def _polynomial(e: sympy.Expr) -> dict[Monomial, Fraction]:
    """`e` expanded, as monomial -> coefficient (zeros dropped); `_Outside` unless it is a
    polynomial in symbols with rational coefficients."""
    if e.is_Rational:
        return {(): Fraction(int(e.p), int(e.q))} if e != 0 else {}
    if e.is_Symbol:
        return {(e,): Fraction(1)}
    if e.is_Add:
        total: dict[Monomial, Fraction] = {}
        for term in e.args:
            for monomial, coefficient in _polynomial(term).items():
                total[monomial] = total.get(monomial, Fraction(0)) + coefficient
        return {m: c for m, c in total.items() if c != 0}
    factors: list[sympy.Expr]
    if e.is_Mul:
        factors = list(e.args)
    elif e.is_Pow and e.args[1].is_Integer and int(e.args[1]) > 0:
        factors = [e.args[0]] * int(e.args[1])
    else:
        raise _Outside
    product: dict[Monomial, Fraction] = {(): Fraction(1)}
    for factor in factors:
        # Each factor's polynomial once (not once per term of the product so far).
        terms = list(_polynomial(factor).items())
        step: dict[Monomial, Fraction] = {}
        for m1, c1 in product.items():
            for m2, c2 in terms:
                monomial = tuple(sorted(m1 + m2, key=_NAME))
                step[monomial] = step.get(monomial, Fraction(0)) + c1 * c2
        product = {m: c for m, c in step.items() if c != 0}
    return product


_NAME = operator.attrgetter("name")


def _difference_symbols(a: Atomic) -> set[sympy.Symbol]:
    """The symbols left in lhs − rhs once expanded."""
    difference = difference_of(a)
    if difference is not None:
        return {symbol for monomial, _ in difference[0] for symbol in monomial}
    try:
        left, right = _polynomial(a.lhs), _polynomial(a.rhs)
    except _Outside:
        return set(sympy.expand(a.lhs - a.rhs).free_symbols)
    found: set[sympy.Symbol] = set()
    for monomial in left.keys() | right.keys():
        if left.get(monomial, 0) != right.get(monomial, 0):
            found.update(monomial)
    return found


def relevant_atoms(f: LogicFormula, include_g: bool = True) -> list[sympy.Symbol]:
    """Atoms the claim's truth depends on: those left in the simplified sides' difference."""
    seen: dict[sympy.Symbol, None] = {}
    for a in atomics(f):
        for symbol in sorted(_difference_symbols(a), key=lambda s: s.name):
            if symbol == G and not include_g:
                continue
            seen.setdefault(symbol, None)
    ordered = [s for s in seen if s != G]
    if G in seen:
        ordered.append(G)
    return ordered
