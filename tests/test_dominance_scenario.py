"""Scenario ranges (all costs numeric) against exact brute force over g."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculus.dominance import (
    Interval,
    format_interval,
    format_intervals,
    scenario_ranges,
)


def winner_at(lines: dict[str, tuple[Fraction, Fraction]], g: Fraction) -> str | None:
    """The program with the strictly lowest score at g, or None on a tie."""
    scores = sorted((g * c + t, name) for name, (c, t) in lines.items())
    if len(scores) > 1 and scores[0][0] == scores[1][0]:
        return None
    return scores[0][1]


def probe_points(lines: dict[str, tuple[Fraction, Fraction]]) -> list[Fraction]:
    """Every pairwise crossing in g > 0, the midpoints between them, and points beyond."""
    crossings = set()
    values = list(lines.values())
    for i, (c1, t1) in enumerate(values):
        for c2, t2 in values[i + 1 :]:
            if c1 != c2:
                g = (t2 - t1) / (c1 - c2)
                if g > 0:
                    crossings.add(g)
    points = sorted(crossings)
    probes = set(points)
    edges = [Fraction(0)] + points
    for left, right in zip(edges, edges[1:] + [None], strict=True):
        probes.add(left + 1 if right is None else (left + right) / 2)
    if points:
        probes.add(points[0] / 1000)
    return sorted(probes)


def check_against_brute_force(lines: dict[str, tuple[Fraction, Fraction]]) -> None:
    result = scenario_ranges(lines)
    assert result.status == "exact"
    by_name = {row.program: row for row in result.rows}
    assert tuple(by_name) == tuple(lines)
    for row in result.rows:
        assert row.robust == row.possible
        assert len(row.robust) <= 1
    for g in probe_points(lines):
        expected = winner_at(lines, g)
        for name, row in by_name.items():
            inside = any(g in interval for interval in row.robust)
            assert inside == (name == expected), (g, name, expected, row.robust)


F = Fraction


def test_hand_built_envelope():
    lines = {
        "steep": (F(3), F(1)),
        "middle": (F(2), F(2)),
        "flat": (F(1), F(5)),
        "flat_twin": (F(1), F(5)),
        "free": (F(0), F(100)),
        "worse": (F(2), F(7)),
    }
    result = scenario_ranges(lines, "hand")
    ranges = {row.program: format_intervals(row.robust) for row in result.rows}
    # steep/middle cross at g=1, middle/flat at g=3, flat/free at g=95; the twins own nothing.
    assert ranges == {
        "steep": "(0, 1)",
        "middle": "(1, 3)",
        "flat": "∅",
        "flat_twin": "∅",
        "free": "(95, oo)",
        "worse": "∅",
    }
    assert result.scenario == "hand"
    # The result carries each program's (c, t), in program order, for the report to show.
    assert result.values == tuple(lines.values())
    assert result.lines == lines
    middle = next(row for row in result.rows if row.program == "middle")
    assert {(t.winner, t.loser) for t in middle.thresholds} == {
        ("middle", "steep"),
        ("middle", "flat"),
    }
    texts = {t.loser: t.text for t in middle.thresholds}
    assert texts["steep"] == "middle beats steep <=> g > 1"
    assert texts["flat"] == "middle beats flat <=> g < 3"
    check_against_brute_force(lines)


def test_crossings_at_or_below_zero_are_cut():
    lines = {"a": (F(1), F(0)), "b": (F(2), F(0)), "c": (F(3), F(-1))}
    # b ties a at g=0 and loses after; c beats b for g < 1 and a for g < 1/2.
    result = scenario_ranges(lines)
    ranges = {row.program: format_intervals(row.robust) for row in result.rows}
    assert ranges == {"a": "(1/2, oo)", "b": "∅", "c": "(0, 1/2)"}
    check_against_brute_force(lines)


def test_single_program_wins_everywhere():
    result = scenario_ranges({"only": (F(4), F(7))})
    assert result.rows[0].robust == (Interval(F(0), None, False, False),)


def test_three_lines_through_one_point():
    lines = {"a": (F(2), F(0)), "b": (F(1), F(1)), "c": (F(0), F(2))}
    ranges = {row.program: format_intervals(row.robust) for row in scenario_ranges(lines).rows}
    assert ranges == {"a": "(0, 1)", "b": "∅", "c": "(1, oo)"}
    check_against_brute_force(lines)


def test_format_interval():
    assert format_interval(Interval(F(0), F(5, 2), False, True)) == "(0, 5/2]"
    assert format_interval(Interval(F(3), None, False, False)) == "(3, oo)"
    assert format_interval(Interval(F(1), F(2), True, False)) == "[1, 2)"
    assert format_intervals(()) == "∅"
    assert (
        format_intervals((Interval(F(0), F(1), False, False), Interval(F(2), None, False, False)))
        == "(0, 1) ∪ (2, oo)"
    )


numbers = st.fractions(min_value=-20, max_value=40, max_denominator=6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(numbers, numbers), min_size=1, max_size=50))
def test_envelope_matches_pairwise_brute_force(pairs):
    lines = {f"P{i}": pair for i, pair in enumerate(pairs)}
    check_against_brute_force(lines)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=12))
def test_envelope_with_many_ties(pairs):
    lines = {f"P{i}": (F(c), F(t)) for i, (c, t) in enumerate(pairs)}
    check_against_brute_force(lines)


@pytest.mark.slow
def test_ten_thousand_programs_tile_the_axis():
    # Its speed is a figure of benchmarks/bench_check.py, not an assertion here.
    import random

    generator = random.Random(7)
    lines = {
        f"P{i}": (
            F(generator.randint(1, 10**6), generator.randint(1, 999)),
            F(generator.randint(1, 10**6), generator.randint(1, 999)),
        )
        for i in range(10_000)
    }
    result = scenario_ranges(lines)
    winners = [row for row in result.rows if row.robust]
    assert winners
    # The pieces tile (0, oo) up to breakpoints.
    pieces = sorted((row.robust[0] for row in winners), key=lambda iv: iv.lo)
    assert pieces[0].lo == 0 and pieces[-1].hi is None
    for left, right in zip(pieces, pieces[1:], strict=False):
        assert left.hi == right.lo
    # Brute force at a point inside each of a sample of pieces: its winner has the lowest score.
    for row in winners[:: max(1, len(winners) // 25)]:
        piece = row.robust[0]
        g = piece.lo + 1 if piece.hi is None else (piece.lo + piece.hi) / 2
        scores = {name: g * c + t for name, (c, t) in lines.items()}
        assert scores[row.program] == min(scores.values())
