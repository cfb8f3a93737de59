"""Exact evaluation, the re-check that stands between a solver's model and a `refuted`.

A counterexample is reported only after `confirm` has found, in exact rational arithmetic
and without z3, that every bound and assumption holds at it and the claim fails. Every
family uses this one copy.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

import sympy

from calculus.costs import Atomic, G, LogicFormula, Negation, atomics
from calculus.logic.records import Hypothesis, Problem

Values = dict[sympy.Basic, sympy.Expr]


def _holds(op: str, difference: sympy.Expr) -> bool:
    """`difference op 0`, exactly; raises ZeroDivisionError where undefined."""
    if not difference.is_Rational:
        raise ZeroDivisionError(f"not a number: {difference}")
    value = Fraction(int(difference.p), int(difference.q))
    return {
        "<": value < 0,
        "<=": value <= 0,
        ">": value > 0,
        ">=": value >= 0,
        "=": value == 0,
        "!=": value != 0,
    }[op]


def evaluate(f: LogicFormula, values: Values) -> bool:
    """Truth of a formula at exact values (atoms, g, and g(x) applications)."""
    if isinstance(f, Atomic):
        difference = (f.lhs - f.rhs).xreplace(values)
        difference = sympy.nsimplify(difference) if not difference.is_Rational else difference
        return _holds(f.op, sympy.expand(difference))
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
    """Exactly: every default bound and assumption holds at `values` (unset atoms are 1)."""
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


def relevant_atoms(f: LogicFormula, include_g: bool = True) -> list[sympy.Symbol]:
    """Atoms the claim's truth depends on: those left in the simplified sides' difference."""
    seen: dict[sympy.Symbol, None] = {}
    for a in atomics(f):
        for symbol in sorted(sympy.expand(a.lhs - a.rhs).free_symbols, key=lambda s: s.name):
            if symbol == G and not include_g:
                continue
            seen.setdefault(symbol, None)
    ordered = [s for s in seen if s != G]
    if G in seen:
        ordered.append(G)
    return ordered
