"""Exact numbers: `Fraction` ⇄ sympy, the one text form of a fraction, and the value of a
constant expression of the syntax tree.

sympy is imported only by the functions that take or give its numbers, so that a caller
that only prints fractions does not pay for it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from calculus import nodes as n

if TYPE_CHECKING:
    import sympy


def to_rational(value: Fraction | int) -> sympy.Rational:
    """A `Fraction` (or int) as the equal sympy rational."""
    import sympy

    value = Fraction(value)
    return sympy.Rational(value.numerator, value.denominator)


def to_fraction(value: sympy.Expr | Fraction | int) -> Fraction:
    """An exact rational (sympy's, or already a Fraction or int) as a `Fraction`.

    Raises `ValueError` for anything that is not an exact rational number (a symbol, a float,
    an irrational): those must never be passed off as exact."""
    if isinstance(value, (Fraction, int)):
        return Fraction(value)
    if getattr(value, "is_Rational", False):
        return Fraction(int(value.p), int(value.q))
    raise ValueError(f"not an exact rational number: {value}")


def as_fraction(value: sympy.Expr) -> Fraction | None:
    """`to_fraction` for a value that may not be rational: None then."""
    return Fraction(int(value.p), int(value.q)) if getattr(value, "is_Rational", False) else None


def fraction_text(value: Fraction | int) -> str:
    """`7`, `-3/4`: the exact text of a number in results (counterexamples, ranges, JSON)."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


# A rational whose exact text has more digits than this is also shown approximately.
READABLE_DIGITS = 12


def approximation(value: Fraction | int) -> str | None:
    """`≈ 9.26e+25` for a rational with more than 12 digits (numerator and denominator
    together); None for a shorter one, which reads well as it is."""
    from decimal import Context, Decimal

    value = Fraction(value)
    digits = len(str(abs(value.numerator)))
    if value.denominator != 1:
        digits += len(str(value.denominator))
    if digits <= READABLE_DIGITS:
        return None
    quotient = Context(prec=20).divide(Decimal(value.numerator), Decimal(value.denominator))
    return "≈ " + format(quotient, ".3g")


def readable_text(value: Fraction | int) -> str:
    """`fraction_text`, and beside a long number its approximation:
    `2500000000000000002500000000/27 ≈ 9.26e+25`. For people; JSON stays exact."""
    approximate = approximation(value)
    exact = fraction_text(value)
    return exact if approximate is None else f"{exact} {approximate}"


def constant_value(expr: n.Expr) -> Fraction | None:
    """The exact value of an expression built from numbers alone; None when it mentions a
    cost or g, divides by zero, or raises to a power that is not a whole number (or zero to
    a negative one). Powers are assumed already bounded by the parser."""
    if isinstance(expr, n.Number):
        return expr.value
    if isinstance(expr, n.Negate):
        value = constant_value(expr.operand)
        return None if value is None else -value
    if isinstance(expr, n.Arithmetic):
        left, right = constant_value(expr.left), constant_value(expr.right)
        if left is None or right is None:
            return None
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if expr.op == "/":
            return left / right if right != 0 else None
        if right.denominator == 1 and (left != 0 or right >= 0):
            return Fraction(left ** int(right))
    return None


def is_constant(expr: object) -> bool:
    """Whether an expression is built from numbers alone (whatever its value)."""
    if isinstance(expr, n.Number):
        return True
    if isinstance(expr, n.Negate):
        return is_constant(expr.operand)
    if isinstance(expr, n.Arithmetic):
        return is_constant(expr.left) and is_constant(expr.right)
    return False
