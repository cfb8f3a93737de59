"""Non-linear ranges: hand-derived answers, the exact z3 oracle at rational g, and the
back-ends cross-checked (our projection, QEPCAD B, z3's qe2, cvc5's get-qe)."""

from __future__ import annotations

import shutil
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

from calculus.dominance import end_json, format_intervals, symbolic_ranges

sys.path.insert(0, str(Path(__file__).parent))
from test_dominance_symbolic import check_with_oracle, ranges_text  # noqa: E402

x, y, s = sympy.symbols("x y s", real=True)
ZERO, ONE = sympy.Integer(0), sympy.Integer(1)
POSITIVE = {x: "positive", y: "positive"}

# (title, costs, assumptions, bounds, hand-derived {program: (robust, possible)})
CASES = [
    (
        # P beats Q <=> g*x*y < 1 with x in (0, 2], y in (0, 3]: x*y reaches 6, nears 0.
        "product cost",
        {"P": (x * y, ZERO), "Q": (ZERO, ONE)},
        [x <= 2, y <= 3],
        POSITIVE,
        {"P": ("(0, 1/6)", "(0, oo)"), "Q": ("∅", "(1/6, oo)")},
    ),
    (
        # g*x < y on {x <= 2, y <= 3, x*y >= 4}: x in [4/3, 2], y in [2, 3]; y/x in [1, 9/4].
        "product assumption",
        {"P": (x, ZERO), "Q": (ZERO, y)},
        [x <= 2, y <= 3, x * y >= 4],
        POSITIVE,
        {"P": ("(0, 1)", "(0, 9/4)"), "Q": ("(9/4, oo)", "(1, oo)")},
    ),
    (
        # g*x < 1 for x in (0, sqrt 2]: robust below 1/sqrt 2, which is irrational.
        "square assumption",
        {"P": (x, ZERO), "Q": (ZERO, ONE)},
        [x**2 <= 2],
        {x: "positive"},
        {
            "P": ("(0, sqrt(2)/2 ≈ 0.707107)", "(0, oo)"),
            "Q": ("∅", "(sqrt(2)/2 ≈ 0.707107, oo)"),
        },
    ),
    (
        # g*x < 1 for x in (0, 2^(1/3)]: robust below 2^(-1/3), a root of 2g^3 - 1.
        "cube assumption",
        {"P": (x, ZERO), "Q": (ZERO, ONE)},
        [x**3 <= 2],
        {x: "positive"},
        {
            "P": ("(0, CRootOf(2*g**3 - 1, 0) ≈ 0.793701)", "(0, oo)"),
            "Q": ("∅", "(CRootOf(2*g**3 - 1, 0) ≈ 0.793701, oo)"),
        },
    ),
    (
        # Linear, but two rivals at once: P wins for some s exactly when g^2 - 3g + 1 < 0.
        "irrational possible range",
        {"P": (ZERO, ZERO), "Q1": (s, -ONE), "Q2": (-ONE, 3 - s)},
        [],
        {s: "positive"},
        {
            "P": ("∅", "(3/2 - sqrt(5)/2 ≈ 0.381966, sqrt(5)/2 + 3/2 ≈ 2.61803)"),
            "Q1": ("∅", "(0, 4)"),
            "Q2": ("[4, oo)", "(0, oo)"),
        },
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("title", "costs", "assumptions", "bounds", "expected"), CASES, ids=IDS)
def test_projection_matches_hand_derivation(title, costs, assumptions, bounds, expected):
    result = symbolic_ranges(costs, assumptions, bounds, timeout=60, backend="projection")
    assert result.status == "exact", result.reason
    assert ranges_text(result) == expected
    # And the default route gives the same, checked by the exact oracle at rational g
    # (including rationals within 1e-9 of every irrational end).
    assert ranges_text(check_with_oracle(costs, assumptions, bounds)) == expected


@pytest.mark.skipif(shutil.which("qepcad") is None, reason="QEPCAD B is not installed")
@pytest.mark.parametrize(("title", "costs", "assumptions", "bounds", "expected"), CASES, ids=IDS)
def test_projection_agrees_with_qepcad(title, costs, assumptions, bounds, expected):
    ours = symbolic_ranges(costs, assumptions, bounds, timeout=60, backend="projection")
    peer = symbolic_ranges(costs, assumptions, bounds, timeout=120, backend="qepcad")
    assert ours.status == peer.status == "exact", (ours.reason, peer.reason)
    for mine, theirs in zip(ours.rows, peer.rows, strict=True):
        # Interval ends compare exactly, algebraic ones by polynomial and root index.
        assert (mine.robust, mine.possible) == (theirs.robust, theirs.possible)


@pytest.mark.slow  # a peer cross-check; most of its time is the peers' 5 s limits
@pytest.mark.parametrize("backend", ["z3", "cvc5"])
@pytest.mark.parametrize(("title", "costs", "assumptions", "bounds", "expected"), CASES, ids=IDS)
def test_quantifier_elimination_peers_agree_where_they_answer(
    backend, title, costs, assumptions, bounds, expected
):
    if backend == "cvc5":
        pytest.importorskip("cvc5", reason="cvc5 is an optional extra (pip install cvc5)")
    peer = symbolic_ranges(costs, assumptions, bounds, timeout=5, backend=backend)
    if peer.status != "exact":
        assert peer.reason  # it gave up and said why; it never answers differently
        return
    assert ranges_text(peer) == expected


def test_peers_answer_somewhere():
    """z3's qe2 answers the product assumption, cvc5 the linear essay-like question: the
    cross-checks above are not all vacuous."""
    _, costs, assumptions, bounds, expected = CASES[1]
    peer = symbolic_ranges(costs, assumptions, bounds, timeout=30, backend="z3")
    assert peer.status == "exact", peer.reason
    assert ranges_text(peer) == expected
    pytest.importorskip("cvc5", reason="cvc5 is an optional extra (pip install cvc5)")
    costs = {"A": (ONE, ZERO), "B": (ZERO, y)}
    assumptions = [y >= 3]
    ours = symbolic_ranges(costs, assumptions, {y: "positive"})
    peer = symbolic_ranges(costs, assumptions, {y: "positive"}, timeout=30, backend="cvc5")
    assert peer.status == ours.status == "exact", peer.reason
    assert (
        ranges_text(peer)
        == ranges_text(ours)
        == {"A": ("(0, 3)", "(0, oo)"), "B": ("∅", "(3, oo)")}
    )


def test_algebraic_ends_are_exact_strings():
    _, costs, assumptions, bounds, _ = CASES[2]
    result = symbolic_ranges(costs, assumptions, bounds)
    (interval,) = result.rows[0].robust
    assert end_json(interval.hi) == "sqrt(2)/2"
    assert sympy.sympify(end_json(interval.hi)) == sympy.sqrt(2) / 2
    assert Fraction(7071, 10000) in interval and Fraction(7072, 10000) not in interval
    assert format_intervals(result.rows[1].possible) == "(sqrt(2)/2 ≈ 0.707107, oo)"


SQUARE = """model "square"
primitive a
program P {
  c = c(a)
  t = 0
}
program Q {
  c = 0
  t = 1
}
exchange FAMILY
assume small: c(a) * c(a) <= 2
ranges P, Q
"""


def test_check_json_keeps_algebraic_ends_exact():
    from calculus.check import check_source
    from calculus.output import interval_json

    result = check_source(SQUARE.replace("FAMILY", "linear"))
    assert not result.diagnostics
    (ranges,) = result.ranges
    assert ranges.status == "exact", ranges.reason
    rows = {row.program: row for row in ranges.rows}
    assert [interval_json(i) for i in rows["P"].robust] == [["0", "sqrt(2)/2"]]
    assert [interval_json(i) for i in rows["Q"].possible] == [["sqrt(2)/2", "oo"]]


@pytest.mark.parametrize("family", ["monotone", "subadditive", "superadditive"])
def test_nonlinear_families_say_why_there_are_no_ranges(family):
    from calculus.check import check_source

    result = check_source(SQUARE.replace("FAMILY", family))
    assert not result.diagnostics  # no longer an error that stops the file
    (ranges,) = result.ranges
    assert ranges.status == "unknown"
    assert f"`exchange {family}` g is a function" in (ranges.reason or "")
    assert all(row.robust == () and row.possible == () for row in ranges.rows)
