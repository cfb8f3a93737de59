"""How `holds_when` works out a condition, checked against independent ways of getting it.

The substitution's sign conditions are worked out in exact polynomials (`explain._Poly`),
with sympy only for the comparisons' sides; they are checked here against the same
conditions worked out in sympy throughout (the path taken when a comparison is not a
polynomial), term order and orientation included, since both are printed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import sympy

from calculus import explain
from calculus.check import check_source, hypotheses, load_model
from calculus.costs import Atomic, G, Junction, LogicFormula, Negation, derive_costs
from calculus.explain import _Poly

ZERO = sympy.Integer(0)


def _symbols(names: str) -> list[sympy.Symbol]:
    return [sympy.Symbol(name, real=True) for name in names.split()]


def _random_polynomial(
    rng: random.Random, symbols: list[sympy.Symbol], terms: int, degree: int = 2
) -> sympy.Expr:
    total: sympy.Expr = ZERO
    for _ in range(terms):
        factors = [rng.choice(symbols) for _ in range(rng.randint(0, degree))]
        coefficient = sympy.Rational(rng.randint(-9, 9), rng.choice((1, 1, 2, 3)))
        total += sympy.Mul(coefficient, *factors)
    return total


def _poly_of(e: sympy.Expr) -> _Poly:
    from calculus.logic.exact import difference_of

    difference = difference_of(Atomic("=", e, ZERO))
    assert difference is not None
    return _Poly({m: explain._small(c) for m, c in difference[0]})


# ---- the exact polynomials print as sympy would --------------------------------------------


def test_polynomials_become_the_expressions_sympy_expands_to() -> None:
    rng = random.Random(3)
    symbols = _symbols("c(a) c(b) t(a) x")
    for _ in range(400):
        e = _random_polynomial(rng, symbols, rng.randint(1, 5)) * _random_polynomial(
            rng, symbols, rng.randint(1, 3), degree=1
        )
        expanded = sympy.expand(e)
        poly = _poly_of(e)
        assert sympy.srepr(poly.expr()) == sympy.srepr(expanded), e
        # The negation, as `_literal` writes a comparison the other way round.
        assert sympy.srepr((-poly).expr()) == sympy.srepr(-expanded), e


def test_the_leading_coefficient_is_the_one_sympy_orders_first() -> None:
    # sympy's `as_ordered_terms` decides which way a condition is written (`x - y > 0` or
    # `y - x < 0`): the exponents over the generators sorted by name, largest first, with
    # its special case of a positive number and one negative multiple of a power (3 - 2x).
    rng = random.Random(5)
    symbols = _symbols("c(b) c(a) t(z) t(a) y")
    cases = [sympy.Integer(3) - 2 * symbols[0], 3 - symbols[0] ** 2, 3 - symbols[0] * symbols[1]]
    cases += [-3 + 2 * symbols[0], 3 + 2 * symbols[0], -symbols[0] - symbols[1]]
    for _ in range(600):
        cases.append(_random_polynomial(rng, symbols, rng.randint(1, 5), degree=3))
    for e in cases:
        expanded = sympy.expand(e)
        if expanded.is_number:
            continue
        leading = expanded.as_ordered_terms()[0].as_coeff_Mul()[0]
        expected = bool(leading.is_Rational and leading < 0)
        assert explain._leading_negative(_poly_of(e)) == expected, e


# ---- the substitution's conditions: exact polynomials and sympy agree ----------------------


class _ProvesPositive:
    """Proves `p > 0` when every coefficient of p is positive and p has no constant term
    (true of positive atoms), `p < 0` of its negation, and nothing else."""

    def __init__(self) -> None:
        self.asked: list[LogicFormula] = []

    def proved(self, f: LogicFormula, some_g: bool = False) -> bool:
        self.asked.append(f)
        if not isinstance(f, Atomic) or f.op not in ("<", ">"):
            return False
        poly = _poly_of(f.lhs - f.rhs)
        sign = 1 if f.op == ">" else -1
        return bool(poly.terms) and all(m and sign * c > 0 for m, c in poly.terms.items())


def _random_formula(rng: random.Random, symbols: list[sympy.Symbol]) -> LogicFormula:
    def leaf() -> Atomic:
        slope = _random_polynomial(rng, symbols, rng.randint(0, 2), degree=1)
        offset = _random_polynomial(rng, symbols, rng.randint(1, 3), degree=1)
        op = rng.choice(("<", "<=", ">", ">=", "=", "!="))
        return Atomic(op, slope * G + offset, _random_polynomial(rng, symbols, 1, degree=1))

    def formula(depth: int) -> LogicFormula:
        if depth == 0 or rng.random() < 0.35:
            return leaf()
        if rng.random() < 0.15:
            return Negation(formula(depth - 1))
        op = rng.choice(("and", "or", "->", "<->"))
        return Junction(op, formula(depth - 1), formula(depth - 1))

    return formula(2)


def _written(b: object) -> object:
    if isinstance(b, Atomic):
        return (b.op, sympy.srepr(b.lhs), sympy.srepr(b.rhs))
    if isinstance(b, bool):
        return b
    return (type(b).__name__, tuple(_written(p) for p in b))  # type: ignore[attr-defined]


def _conditions_in_sympy(monkeypatch: pytest.MonkeyPatch, work: Callable[[], object]) -> object:
    """`work()` with the conditions worked out in sympy throughout (as for a comparison
    that is not a polynomial)."""
    with monkeypatch.context() as patch:
        patch.setattr(explain, "difference_of", lambda a: None)
        return work()


def test_the_conditions_are_the_same_in_exact_polynomials_and_in_sympy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(11)
    symbols = _symbols("c(a) c(b) t(a) t(b)")
    compared = 0
    for _ in range(120):
        formula = _random_formula(rng, symbols)
        exact_prover, sympy_prover = _ProvesPositive(), _ProvesPositive()
        exact = explain._every_g(formula, exact_prover)  # type: ignore[arg-type]
        in_sympy = _conditions_in_sympy(
            monkeypatch,
            lambda f=formula, p=sympy_prover: explain._every_g(f, p),  # type: ignore[misc]
        )
        assert (None if exact is None else [_written(c) for c in exact]) == (
            None if in_sympy is None else [_written(c) for c in in_sympy]  # type: ignore[attr-defined]
        ), formula
        assert exact_prover.asked == sympy_prover.asked
        compared += exact is not None
    assert compared > 100


FILE = """primitive a, b, d
program P {
  c = 2 * c(a) + c(b)
  t = t(a) + 3 * t(d)
}
program Q {
  c = c(a) + c(d)
  t = 2 * t(b) + t(a)
}
exchange linear
assume cheap: c(d) < c(b)
"""


def _claims_text(rng: random.Random, count: int) -> str:
    sides = ["c(P)", "c(Q)", "t(P)", "t(Q)", "c(a)", "t(b)", "g * c(P) + t(P)", "g * c(Q)"]
    lines = []
    for index in range(count):
        left, right = rng.sample(sides, 2)
        op = rng.choice(("<", "<=", ">", ">="))
        statement = f"{left} + {rng.randint(0, 9)} {op} {right}"
        if rng.random() < 0.5:
            statement = f"{rng.choice(['P beats Q', 'Q beats P', 'c(a) > 4'])} -> {statement}"
        if rng.random() < 0.3:
            statement += f" or {rng.choice(sides)} < {rng.randint(1, 30)}"
        lines.append(f"claim k{index}: {statement}")
    return FILE + "\n".join(lines) + "\n"


def test_holds_when_is_the_same_worked_out_in_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _claims_text(random.Random(23), 30)
    explain._CONDITIONS.clear()
    result = check_source(text, timeout=10)
    refuted = [c for c in result.claims if c.verdict.status == "refuted"]
    assert len(refuted) >= 10
    assert sum(c.holds_when is not None for c in refuted) >= 5
    model = load_model(text)
    costs = derive_costs(model)
    nodes = {c.name: c.node for c in model.claims}
    found = hypotheses(costs)

    def again() -> list[str | None]:
        explain._CONDITIONS.clear()
        explain._KNOWN.clear()
        return [explain.holds_when(costs, nodes[c.name], 10, found) for c in refuted]

    assert _conditions_in_sympy(monkeypatch, again) == [c.holds_when for c in refuted]
