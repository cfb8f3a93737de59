"""log2 and b^x under the non-linear exchange families (DESIGN §9.3): decided by facts true
of the real functions only, and every `proved` cross-checked here by exact evaluation at
points where log2 is exact (powers of two) and with several members g of the family."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import sympy

from calculus.check import check_source, load_model
from calculus.costs import EXCHANGE, derive_costs, log2
from calculus.logic import evaluate

FAMILIES = ("linear", "monotone", "subadditive", "superadditive")

SOURCE = """\
primitive fact, verify, a, b
exchange linear, monotone, subadditive, superadditive
program Searches { c = c(verify); t = 2^c(fact) * t(verify) }
claim log_increasing: c(a) < c(b) -> log2(c(a)) < log2(c(b))
claim search_takes_longer: log2(t(Searches)) > log2(t(verify))
claim log_of_power: log2(2^c(fact)) = c(fact)
claim with_g: g(c(a)) > 0 and log2(c(a) + c(b)) > log2(c(a))
refute log_below_line: log2(c(a)) >= c(a) - 1
"""

# Members of the non-linear families, exact on rationals (odd powers keep the sign):
# x, x^3 (superadditive on x >= 0, monotone), x/(1 + |x|) (subadditive on x >= 0).
MEMBERS: dict[str, list[Callable[[sympy.Expr], sympy.Expr]]] = {
    "monotone": [lambda x: x, lambda x: x**3, lambda x: x / (1 + abs(x))],
    "subadditive": [lambda x: x, lambda x: x / (1 + abs(x))],
    "superadditive": [lambda x: x, lambda x: x**3],
}


def _results() -> dict[str, object]:
    result = check_source(SOURCE, timeout=10)
    assert not result.diagnostics
    return {c.name: c for c in result.claims}


def _points() -> list[dict[sympy.Basic, sympy.Expr]]:
    """Atoms at powers of two (log2 exact there), and fact at whole numbers (2^fact exact)."""
    costs = derive_costs(load_model(SOURCE))
    symbols = {str(s): s for s in costs.bounds}
    found = []
    for fact, verify, a, b in itertools.product((1, 2, 5), (1, 4), (1, 2, 8), (1 / 2, 1, 16)):
        found.append(
            {
                symbols["c(fact)"]: sympy.Integer(fact),
                symbols["t(verify)"]: sympy.Integer(verify),
                symbols["c(a)"]: sympy.Integer(a),
                symbols["c(b)"]: sympy.Rational(b),
            }
        )
    return found


def _with_g(formula: object, g: Callable[[sympy.Expr], sympy.Expr]) -> object:
    from calculus.costs import Atomic, Junction, Negation

    def at(e: sympy.Expr) -> sympy.Expr:
        return e.replace(
            lambda x: isinstance(x, sympy.core.function.AppliedUndef) and x.func == EXCHANGE,
            lambda x: g(x.args[0]),
        )

    if isinstance(formula, Atomic):
        return Atomic(formula.op, at(formula.lhs), at(formula.rhs))
    if isinstance(formula, Negation):
        return Negation(_with_g(formula.operand, g))  # type: ignore[arg-type]
    assert isinstance(formula, Junction)
    return Junction(formula.op, _with_g(formula.left, g), _with_g(formula.right, g))  # type: ignore[arg-type]


def test_log2_claims_are_decided_under_every_family() -> None:
    results = _results()
    for name in ("log_increasing", "search_takes_longer", "log_of_power", "with_g"):
        by_family = dict(results[name].by_family)  # type: ignore[attr-defined]
        assert {f: by_family[f].status for f in FAMILIES} == dict.fromkeys(FAMILIES, "proved"), (
            name,
            by_family,
        )
    by_family = dict(results["log_below_line"].by_family)  # type: ignore[attr-defined]
    for family in FAMILIES:
        verdict = by_family[family]
        assert verdict.status == "refuted", (family, verdict)
        # The counterexample, re-evaluated exactly: log2(x) < x - 1 there.
        (name, value), *_ = verdict.counterexample
        assert name == "c(a)"
        x = sympy.Rational(value.numerator, value.denominator)
        assert log2(x).is_number and not (sympy.log(x, 2) >= x - 1)


def test_every_proof_holds_at_exact_points_for_several_members_of_each_family() -> None:
    model = load_model(SOURCE)
    costs = derive_costs(model, "monotone")
    claims = {c.name: costs.formula(c.node.formula) for c in model.claims}
    checked = 0
    for name in ("log_increasing", "search_takes_longer", "log_of_power", "with_g"):
        for family, members in MEMBERS.items():
            for g in members:
                formula = _with_g(claims[name], g)
                for point in _points():
                    assert evaluate(formula, point), (name, family, point)  # type: ignore[arg-type]
                    checked += 1
    assert checked > 500


def test_a_false_claim_applying_g_to_a_logarithm_is_never_proved() -> None:
    # g(log2(c(a))) > 0 fails at c(a) = 1/2 for every member of every family: log2(1/2) = -1
    # and g(-1) < g(0) = 0. It must not be proved under any family (unknown is honest).
    text = "primitive a\nexchange monotone, subadditive, superadditive\n"
    text += "claim wrong: g(log2(c(a))) > 0\n"
    result = check_source(text, timeout=10)
    (claim,) = result.claims
    for family, verdict in claim.by_family:
        assert verdict.status != "proved", family
        for g in MEMBERS[family]:
            assert g(sympy.Integer(-1)) < 0


def test_a_logarithm_that_may_be_undefined_stays_unknown() -> None:
    # c(a) - c(b) may be negative: the claim is undefined there, in every family. (The facts
    # of log2 take their arguments as positive, so they must not be the ones showing it.)
    text = "primitive a, b\nexchange linear, monotone\n"
    text += "claim it: g(c(a)) > 0 and log2(c(a) - c(b)) < c(a)\n"
    (claim,) = check_source(text, timeout=10).claims
    for family, verdict in claim.by_family:  # type: ignore[attr-defined]
        assert verdict.status == "unknown", family
        assert "not positive" in (verdict.reason or ""), family
