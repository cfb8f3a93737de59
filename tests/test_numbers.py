"""Exact numbers: Fraction ⇄ sympy, their text, and the value of constant expressions —
checked against sympy's own arithmetic on the same source."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from calculus import nodes as n
from calculus.costs import Atomic, Junction, Negation, atomics, fold
from calculus.numbers import (
    as_fraction,
    constant_value,
    fraction_text,
    is_constant,
    to_fraction,
    to_rational,
)
from calculus.syntax import parse

fractions = st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**12)


@given(fractions)
def test_fraction_and_sympy_round_trip(value: Fraction) -> None:
    rational = to_rational(value)
    assert isinstance(rational, sympy.Rational) and rational == sympy.Rational(str(value))
    assert to_fraction(rational) == value and as_fraction(rational) == value


def test_to_fraction_refuses_what_is_not_exact() -> None:
    x = sympy.Symbol("x")
    for value in (x, sympy.Float(0.5), sympy.sqrt(2), x / 2):
        with pytest.raises(ValueError):
            to_fraction(value)
        assert as_fraction(value) is None
    assert to_fraction(3) == Fraction(3) and to_fraction(sympy.Integer(-4)) == -4


def test_fraction_text() -> None:
    assert fraction_text(Fraction(7)) == "7"
    assert fraction_text(Fraction(-3, 4)) == "-3/4"
    assert fraction_text(Fraction(10, 4)) == "5/2"
    assert fraction_text(0) == "0"


def _expression(text: str) -> n.Expr:
    statement = parse(f"claim x: {text} = 0").statements[0]
    assert isinstance(statement, n.Claim) and isinstance(statement.formula, n.Compare)
    return statement.formula.left


@pytest.mark.parametrize(
    "text, value",
    [
        ("1 + 2 * 3", Fraction(7)),
        ("(1 + 2) * 3", Fraction(9)),
        ("1/3 - 1/2", Fraction(-1, 6)),
        ("-2^2", Fraction(-4)),
        ("(-2)^3", Fraction(-8)),
        ("2^-2", Fraction(1, 4)),
        ("1.5e3 / 4", Fraction(375)),
        ("0^0", Fraction(1)),
    ],
)
def test_constant_value_agrees_with_sympy(text: str, value: Fraction) -> None:
    expression = _expression(text)
    assert is_constant(expression)
    assert constant_value(expression) == value
    assert to_fraction(sympy.sympify(text.replace("^", "**"), rational=True)) == value


@pytest.mark.parametrize("text", ["1/0", "2^(1/2)", "0^-1", "c(a) + 1", "g(1)"])
def test_constant_value_is_none_where_there_is_no_exact_number(text: str) -> None:
    assert constant_value(_expression(text)) is None


def test_is_constant_is_about_form_not_value() -> None:
    assert is_constant(_expression("1/0")) and not is_constant(_expression("c(a) * 2"))


def test_fold_visits_every_comparison_once_in_order() -> None:
    x, y = sympy.symbols("x y")
    first, second, third = Atomic("<", x, y), Atomic("=", x, 1), Atomic(">", y, 0)
    formula = Junction("->", Negation(first), Junction("and", second, third))
    assert atomics(formula) == [first, second, third]
    shown = fold(
        formula,
        lambda a: f"{a.lhs} {a.op} {a.rhs}",
        lambda inner: f"not ({inner})",
        lambda op, left, right: f"({left}) {op} ({right})",
    )
    assert shown == "(not (x < y)) -> ((x = 1) and (y > 0))"
