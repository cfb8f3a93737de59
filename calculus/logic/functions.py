"""Exponentials and logarithms for the solver: `b^x` (numeric base b > 1, symbolic x) and
`log2(x)`, given to z3 as fresh reals tied down by facts true of the real functions only.

Every application `b^e` becomes a real v with these facts, each a theorem about x ↦ b^x:

* v > 0, and v = b^k exactly when e is the integer constant k (rational bounds otherwise);
* strict monotonicity between every two applications of one base: e₁ < e₂ ↔ v₁ < v₂,
  e₁ = e₂ → v₁ = v₂; and against the integers k of a window: e < k ↔ v < b^k, e = k ↔ v = b^k;
* the functional equation where two exponents differ by a constant d: v₁ = b^d·v₂; and
  where one exponent is the sum of two others, v₁ = v₂·v₃, or one value the product of two
  others, e₁ = e₂ + e₃ (so 2^(x+y) = 2^x·2^y, log2(x·y) = log2(x) + log2(y) and
  log2(2^x·y) = x + log2(y) wherever the logarithms are defined);
* convexity: every chord lies above the function on its interval and below it outside
  (k ≤ e ≤ k+1 → v ≤ chord, else v ≥ chord, for the integers k of the window); every
  tangent lies below it: v ≥ b^a·(1 + L·(e − a)) with L a rational lower bound of ln b
  where e ≥ a and an upper bound where e ≤ a, so the fact holds on the whole line.
  (`2^x ≥ 1 + x` is *not* among them: it is false on (0, 1).)

`log2(x)` is the exponent L of the base-2 application whose value is x (2^L = x), with
x > 0 a condition of definedness. Nothing here asserts a fact that fails for some real
input; counterexamples are re-checked exactly by `calculus.logic.exact` all the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy
import z3


@dataclass(frozen=True)
class Application:
    """One `b^e` (or `log2`, read as the exponent of a base-2 application) in a problem:
    the base, the exponent (sympy and z3) and the value's term."""

    base: Fraction
    exponent: sympy.Expr
    exponent_term: z3.ArithRef
    value: z3.ArithRef
    power: sympy.Expr | None = None  # the value as sympy: `b^e`, or the argument of log2


def real(value: Fraction | int, context: z3.Context) -> z3.ArithRef:
    """An exact rational constant."""
    value = Fraction(value)
    return z3.RealVal(f"{value.numerator}/{value.denominator}", context)


WINDOW = range(-4, 17)  # the integers k whose chords and values are stated
TANGENT_POINTS = (0, 1, 2, 4, 8)


def ln_bounds(base: Fraction) -> tuple[Fraction, Fraction]:
    """Rationals lo < ln(base) < hi, within about 1e-12, checked with exact arithmetic.

    ln b = 2·atanh((b−1)/(b+1)) = 2·Σ y^(2k+1)/(2k+1) with 0 < y < 1: partial sums are lower
    bounds, and the tail is at most 2·y^(2m+1)/((2m+1)(1−y²)).
    """
    y = (base - 1) / (base + 1)
    total = Fraction(0)
    power = y
    k = 0
    while True:
        total += 2 * power / (2 * k + 1)
        k += 1
        power *= y * y
        tail = 2 * power / ((2 * k + 1) * (1 - y * y))
        if tail < Fraction(1, 10**12) or k > 400:
            return _round_down(total), _round_up(total + tail)


def _round_down(value: Fraction) -> Fraction:
    scale = 10**14
    return Fraction(math.floor(value * scale), scale)


def _round_up(value: Fraction) -> Fraction:
    scale = 10**14
    return Fraction(math.ceil(value * scale), scale)


MAX_EXPONENT = 4096  # beyond this no numeric facts are stated (the numbers get too long)


def power_bounds(base: Fraction, exponent: Fraction) -> tuple[Fraction, Fraction] | None:
    """Rationals lo <= base^exponent <= hi (equal when the power is rational); None for
    exponents too large to state."""
    if abs(exponent) > MAX_EXPONENT:
        return None
    if exponent.denominator == 1:
        exact = base ** int(exponent)
        return exact, exact
    p, q = exponent.numerator, exponent.denominator
    if q > 64 or abs(p) > 64 * q:
        # The powers at the neighbouring integers bound it (the function is increasing).
        floor = exponent.numerator // exponent.denominator
        return base**floor, base ** (floor + 1)
    target = base**p  # the q-th root of this, a positive rational
    approximate = Fraction(float(base) ** float(exponent)).limit_denominator(10**9)
    lo = approximate * Fraction(999999, 1000000)
    hi = approximate * Fraction(1000001, 1000000)
    while lo**q > target:
        lo /= 2
    while hi**q < target:
        hi *= 2
    return lo, hi


def exact_facts(applications: list[Application], context: z3.Context) -> list[z3.BoolRef]:
    """The facts above for every application, grouped by base."""
    facts: list[z3.BoolRef] = []
    by_base: dict[Fraction, list[Application]] = {}
    for application in applications:
        by_base.setdefault(application.base, []).append(application)
    for base, group in by_base.items():
        lo_ln, hi_ln = ln_bounds(base)
        for index, app in enumerate(group):
            e, v = app.exponent_term, app.value
            facts.append(v > 0)
            if app.exponent.is_Rational:
                bounds = power_bounds(base, Fraction(int(app.exponent.p), int(app.exponent.q)))
                if bounds is not None:
                    facts.append(v >= real(bounds[0], context))
                    facts.append(v <= real(bounds[1], context))
            for k in WINDOW:
                at_k = real(Fraction(base) ** k, context)
                kk = real(k, context)
                facts.append((e < kk) == (v < at_k))
                facts.append((e == kk) == (v == at_k))
                # The chord over [k, k+1] is above the function there and below it outside.
                slope = real(Fraction(base) ** (k + 1) - Fraction(base) ** k, context)
                chord = at_k + slope * (e - kk)
                inside = z3.And(e >= kk, e <= kk + 1)
                facts.append(z3.If(inside, v <= chord, v >= chord))
            for a in TANGENT_POINTS:
                at_a = real(Fraction(base) ** a, context)
                aa = real(a, context)
                facts.append(z3.Implies(e >= aa, v >= at_a * (1 + real(lo_ln, context) * (e - aa))))
                facts.append(z3.Implies(e <= aa, v >= at_a * (1 + real(hi_ln, context) * (e - aa))))
            for other in group[index + 1 :]:
                e2, v2 = other.exponent_term, other.value
                facts.append((e < e2) == (v < v2))
                facts.append((e == e2) == (v == v2))
                shift = sympy.expand(app.exponent - other.exponent)
                bounds = (
                    power_bounds(base, Fraction(int(shift.p), int(shift.q)))
                    if shift.is_Rational
                    else None
                )
                if bounds is not None:
                    facts.append(v >= real(bounds[0], context) * v2)
                    facts.append(v <= real(bounds[1], context) * v2)
        facts.extend(_sums_and_products(group))
    return facts


MAX_EQUATION_APPLICATIONS = 24  # beyond this many of one base, no sums and products are sought


def _sums_and_products(group: list[Application]) -> list[z3.BoolRef]:
    """b^(x+y) = b^x·b^y for three applications of one base whose exponents (after
    expansion) are x, y and x + y; and, the same read through the values, the exponent of
    x·y is the sum of those of x and y. Only triples present in the problem are stated."""
    if len(group) > MAX_EQUATION_APPLICATIONS:
        return []
    exponents = {sympy.expand(app.exponent): app for app in group}
    powers = {sympy.expand(app.power): app for app in group if app.power is not None}
    facts: list[z3.BoolRef] = []
    for index, first in enumerate(group):
        for second in group[index:]:
            total = exponents.get(sympy.expand(first.exponent + second.exponent))
            if total is not None:
                facts.append(total.value == first.value * second.value)
            if first.power is not None and second.power is not None:
                product = powers.get(sympy.expand(first.power * second.power))
                if product is not None:
                    facts.append(
                        product.exponent_term == first.exponent_term + second.exponent_term
                    )
    return facts


def point_facts(
    application: Application, exponent: Fraction, context: z3.Context
) -> list[z3.BoolRef]:
    """What is true of the application where its exponent equals `exponent` (refinement)."""
    bounds = power_bounds(application.base, exponent)
    if bounds is None:
        return []
    low, high = bounds
    at = application.exponent_term == real(exponent, context)
    if low == high:
        return [z3.Implies(at, application.value == real(low, context))]
    return [
        z3.Implies(
            at,
            z3.And(
                application.value >= real(low, context), application.value <= real(high, context)
            ),
        )
    ]
