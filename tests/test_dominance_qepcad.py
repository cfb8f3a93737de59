"""Cross-check of the symbolic ranges against QEPCAD B, and the non-linear fallback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings

from calculus.dominance import qepcad, symbolic_ranges

sys.path.insert(0, str(Path(__file__).parent))
from test_dominance_symbolic import (  # noqa: E402
    ESSAY,
    ESSAY_ASSUMPTIONS,
    ESSAY_BOUNDS,
    check_with_oracle,
    ranges_text,
    tiny_models,
)

pytestmark = pytest.mark.skipif(
    not qepcad.available(),
    reason="QEPCAD B is not installed (Debian package qepcad: apt-get install qepcad)",
)

x, y, s = sympy.symbols("x y s", real=True)
ZERO = sympy.Integer(0)


def same_as_qepcad(costs, assumptions, bounds):
    ours = symbolic_ranges(costs, assumptions, bounds, timeout=60)
    peer = symbolic_ranges(costs, assumptions, bounds, timeout=120, backend="qepcad")
    assert ours.status == "exact", ours.reason
    assert peer.status == "exact", peer.reason
    assert ranges_text(ours) == ranges_text(peer)
    for mine, theirs in zip(ours.rows, peer.rows, strict=True):
        assert mine.robust == theirs.robust and mine.possible == theirs.possible
    return ours


def test_essay_positivity_only():
    same_as_qepcad(ESSAY, [], ESSAY_BOUNDS)


def test_essay_with_assumptions():
    result = same_as_qepcad(ESSAY, ESSAY_ASSUMPTIONS, ESSAY_BOUNDS)
    assert ranges_text(result)["Hfh"] == ("(0, 99/8]", "(0, oo)")


def test_closed_and_open_ends():
    costs = {"A": (sympy.Integer(1), ZERO), "B": (ZERO, y)}
    same_as_qepcad(costs, [y >= 3], {y: "positive"})
    same_as_qepcad(costs, [y > 3], {y: "positive"})


def test_possible_range_in_two_pieces():
    costs = {"P": (ZERO, ZERO), "Q": (1 - 2 * s, -3 + 4 * s)}
    result = same_as_qepcad(costs, [s <= 1], {s: "nonneg"})
    assert ranges_text(result)["P"] == ("∅", "(0, 1) ∪ (3, oo)")


def test_disjunctive_assumptions():
    costs = {"A": (sympy.Integer(1), ZERO), "B": (ZERO, x)}
    assumptions = [
        sympy.Implies(x < 5, sympy.And(x >= sympy.Rational(1, 2), x <= 1)),
        x < 7,
        sympy.Not(sympy.Eq(x, 6)),
    ]
    same_as_qepcad(costs, assumptions, {x: "positive"})


def test_irrational_end_both_sides():
    costs = {"P": (ZERO, ZERO), "Q1": (s, sympy.Integer(-1)), "Q2": (sympy.Integer(-1), 3 - s)}
    result = same_as_qepcad(costs, [], {s: "positive"})
    (interval,) = next(row for row in result.rows if row.program == "P").possible
    assert "g**2 - 3*g + 1" == interval.lo.polynomial_text() == interval.hi.polynomial_text()


def test_nonlinear_costs_fall_back_to_qepcad():
    # P beats Q <=> g*x*y < 1 with x in (0, 2], y in (0, 3]: x*y reaches 6 and approaches 0.
    costs = {"P": (x * y, ZERO), "Q": (ZERO, sympy.Integer(1))}
    result = symbolic_ranges(costs, [x <= 2, y <= 3], {x: "positive", y: "positive"})
    assert result.status == "exact", result.reason
    assert ranges_text(result) == {"P": ("(0, 1/6)", "(0, oo)"), "Q": ("∅", "(1/6, oo)")}
    check_with_oracle(costs, [x <= 2, y <= 3], {x: "positive", y: "positive"})


def test_nonlinear_assumption_falls_back_to_qepcad():
    # P beats Q <=> g*x < y on {x <= 2, y <= 3, x*y >= 4}: x in [4/3, 2], y in [2, 3].
    costs = {"P": (x, ZERO), "Q": (ZERO, y)}
    assumptions = [x <= 2, y <= 3, x * y >= 4]
    result = symbolic_ranges(costs, assumptions, {x: "positive", y: "positive"})
    assert result.status == "exact", result.reason
    assert ranges_text(result) == {"P": ("(0, 1)", "(0, 9/4)"), "Q": ("(9/4, oo)", "(1, oo)")}
    check_with_oracle(costs, assumptions, {x: "positive", y: "positive"})


# The two peer cross-checks draw their models from a fixed seed (`derandomize`): one model can
# keep QEPCAD busy up to its time limit, so random draws made the slow run take from a few
# minutes to, at worst, every example's limit (80 x 30 s). With fixed draws the run takes the
# same time every time (3.5 min for both, one after the other); the exact oracle of
# test_dominance_symbolic.py keeps drawing new models.
@pytest.mark.slow
@settings(
    max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(tiny_models())
def test_tiny_models_agree(model):
    costs, assumptions, bounds = model
    ours = symbolic_ranges(costs, assumptions, bounds, timeout=60)
    peer = symbolic_ranges(costs, assumptions, bounds, timeout=120, backend="qepcad")
    if ours.status == "exact" and peer.status == "exact":
        assert ranges_text(ours) == ranges_text(peer)


@pytest.mark.slow
@settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(tiny_models())
def test_many_tiny_models_agree(model):
    costs, assumptions, bounds = model
    ours = symbolic_ranges(costs, assumptions, bounds, timeout=60)
    peer = symbolic_ranges(costs, assumptions, bounds, timeout=30, backend="qepcad")
    if ours.status == "exact" and peer.status == "exact":
        assert ranges_text(ours) == ranges_text(peer)
    elif "did not finish" in (peer.reason or ""):
        # QEPCAD gave up on this one; the exact oracle still checks ours.
        check_with_oracle(costs, assumptions, bounds)
    else:
        # Otherwise only irrational ends may stop either side on these tiny models.
        assert "irrational" in ((ours.reason or "") + (peer.reason or ""))
