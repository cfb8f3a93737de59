"""Dominance ranges: for which exchange rates g each program beats every other one.

A scenario (every cost a number) is read off the lower envelope of the lines
g -> g*c(P) + t(P); symbolic costs go through exact elimination in `symbolic_ranges`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy

__all__ = [
    "Interval",
    "Threshold",
    "RangeRow",
    "RangesResult",
    "scenario_ranges",
    "symbolic_ranges",
    "format_interval",
    "format_intervals",
]


# ---------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class Interval:
    """A piece of the g-axis (g > 0) with exact rational ends; `hi is None` means +oo."""

    lo: Fraction
    hi: Fraction | None
    lo_closed: bool
    hi_closed: bool

    def __contains__(self, g: object) -> bool:
        if not isinstance(g, (int, Fraction)):
            return NotImplemented
        above = g > self.lo or (self.lo_closed and g == self.lo)
        below = self.hi is None or g < self.hi or (self.hi_closed and g == self.hi)
        return above and below


@dataclass(frozen=True)
class Threshold:
    """P beats Q  <=>  g*(c(P)-c(Q)) < t(Q)-t(P); `delta_c` and `delta_t` are those two sides."""

    winner: str
    loser: str
    delta_c: sympy.Expr
    delta_t: sympy.Expr
    text: str


@dataclass(frozen=True)
class RangeRow:
    program: str
    robust: tuple[Interval, ...]
    possible: tuple[Interval, ...]
    thresholds: tuple[Threshold, ...]


@dataclass(frozen=True)
class RangesResult:
    programs: tuple[str, ...]
    scenario: str | None
    rows: tuple[RangeRow, ...]
    status: str
    reason: str | None


# ---------------------------------------------------------------------------
# Rendering


def _number(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def format_interval(interval: Interval) -> str:
    """`(0, 5/2]`, `(3, oo)`, `[2, 2]`."""
    left = "[" if interval.lo_closed else "("
    right = "]" if interval.hi_closed else ")"
    hi = "oo" if interval.hi is None else _number(interval.hi)
    return f"{left}{_number(interval.lo)}, {hi}{right}"


def format_intervals(intervals: Iterable[Interval]) -> str:
    """`(0, 1) ∪ (2, oo)`, or `∅` for the empty set."""
    parts = [format_interval(interval) for interval in intervals]
    return " ∪ ".join(parts) if parts else "∅"


# ---------------------------------------------------------------------------
# Thresholds


def _threshold_text(
    winner: str,
    loser: str,
    delta_c: sympy.Expr,
    delta_t: sympy.Expr,
    sign_of_delta_c: int | None = None,
) -> str:
    """Spell out P beats Q as a bound on g, one case per possible sign of c(P)-c(Q).

    `sign_of_delta_c` is the sign the assumptions force on c(P)-c(Q) (None: not forced),
    so only the cases that can happen are written.
    """
    head = f"{winner} beats {loser} <=> "
    if delta_c.is_number:
        sign_of_delta_c = int(sympy.sign(delta_c))
    ratio = sympy.simplify(delta_t / delta_c) if delta_c != 0 else None
    cases: list[str] = []
    if sign_of_delta_c in (None, 1):
        cases.append(
            f"g < {sympy.sstr(ratio)}"
            + ("" if sign_of_delta_c == 1 else f" when {sympy.sstr(delta_c)} > 0")
        )
    if sign_of_delta_c in (None, -1):
        cases.append(
            f"g > {sympy.sstr(ratio)}"
            + ("" if sign_of_delta_c == -1 else f" when {sympy.sstr(delta_c)} < 0")
        )
    if sign_of_delta_c in (None, 0):
        if delta_t.is_number:
            verdict = "always" if delta_t > 0 else "never"
            cases.append(
                verdict + ("" if sign_of_delta_c == 0 else f" when {sympy.sstr(delta_c)} = 0")
            )
        else:
            cases.append(
                f"{sympy.sstr(delta_t)} > 0"
                + ("" if sign_of_delta_c == 0 else f" when {sympy.sstr(delta_c)} = 0")
            )
    return head + "; ".join(cases)


def make_threshold(
    winner: str,
    loser: str,
    delta_c: sympy.Expr,
    delta_t: sympy.Expr,
    sign_of_delta_c: int | None = None,
) -> Threshold:
    """The pairwise threshold of `winner` over `loser` from c(P)-c(Q) and t(Q)-t(P)."""
    return Threshold(
        winner,
        loser,
        delta_c,
        delta_t,
        _threshold_text(winner, loser, delta_c, delta_t, sign_of_delta_c),
    )


# ---------------------------------------------------------------------------
# Scenario ranges: the lower envelope of lines


def _to_float(value: Fraction) -> float:
    try:
        return value.numerator / value.denominator
    except OverflowError:
        return math.inf if value > 0 else -math.inf


_EPSILON = 2.0**-49  # generous bound on the rounding of the float filter below


def _redundant(
    first: tuple[Fraction, Fraction, int, float, float],
    middle: tuple[Fraction, Fraction, int, float, float],
    new: tuple[Fraction, Fraction, int, float, float],
) -> bool:
    """Whether `middle` is nowhere strictly below both neighbours: x(first,new) <= x(first,middle)
    with x(i,j) = (tj - ti)/(ci - cj) (both denominators positive). Decided in floats when the
    rounding error provably cannot flip the answer, else exactly."""
    c1, t1, _, cf1, tf1 = first
    c2, t2, _, cf2, tf2 = middle
    c3, t3, _, cf3, tf3 = new
    left = (tf3 - tf1) * (cf1 - cf2)
    right = (tf2 - tf1) * (cf1 - cf3)
    error = _EPSILON * (
        (abs(tf3) + abs(tf1)) * (abs(cf1) + abs(cf2))
        + (abs(tf2) + abs(tf1)) * (abs(cf1) + abs(cf3))
    )
    if math.isfinite(error) and abs(left - right) > error:
        return left < right
    return (t3 - t1) * (c1 - c2) <= (t2 - t1) * (c1 - c3)


def _lower_envelope(
    lines: list[tuple[Fraction, Fraction, int, float, float]],
) -> list[tuple[Fraction, Fraction, int, float, float]]:
    """The lines (slope, intercept, owner, float slope, float intercept) that are strictly
    lowest on some open piece of the real axis, left to right. `lines` must be sorted by slope,
    largest first, with distinct slopes. A line that only touches the envelope at a point is
    dropped (it wins nowhere)."""
    hull: list[tuple[Fraction, Fraction, int, float, float]] = []
    for line in lines:
        while len(hull) >= 2 and _redundant(hull[-2], hull[-1], line):
            hull.pop()
        hull.append(line)
    return hull


def _sorted_by_slope(
    lines: list[tuple[Fraction, Fraction, int, float, float]],
) -> list[tuple[Fraction, Fraction, int, float, float]]:
    """Largest slope first. Sorting on the float slope is exact up to runs of equal floats
    (rounding is monotone), so only those runs are re-sorted with exact comparisons."""
    lines = sorted(lines, key=lambda line: -line[3])
    result: list[tuple[Fraction, Fraction, int, float, float]] = []
    start = 0
    for end in range(1, len(lines) + 1):
        if end == len(lines) or lines[end][3] != lines[start][3]:
            run = lines[start:end]
            if len(run) > 1:
                run.sort(key=lambda line: -line[0])
            result.extend(run)
            start = end
    return result


def scenario_ranges(
    lines: Mapping[str, tuple[Fraction, Fraction]], scenario: str | None = None
) -> RangesResult:
    """Exact ranges of g > 0 where each program has the strictly lowest g*c + t.

    O(n log n): sort by c, build the lower envelope, cut it at g = 0. Ties (identical lines,
    breakpoints) belong to nobody. Robust and possible readings coincide. Each row's
    thresholds are the pairs that bound its range (its neighbours on the envelope).
    """
    names = list(lines)
    values = [(Fraction(c), Fraction(t)) for c, t in (lines[name] for name in names)]
    # Best intercept per slope; identical best lines share their piece and so own nothing.
    best: dict[Fraction, tuple[Fraction, int]] = {}
    tied: set[int] = set()
    for index, (c, t) in enumerate(values):
        current = best.get(c)
        if current is None or t < current[0]:
            best[c] = (t, index)
        elif t == current[0]:
            tied.add(current[1])
    candidates = _sorted_by_slope(
        [(c, t, index, _to_float(c), _to_float(t)) for c, (t, index) in best.items()]
    )
    hull = _lower_envelope(candidates)

    ranges: dict[int, Interval] = {}
    bounding: dict[int, list[int]] = {}
    zero = Fraction(0)
    for position, (c, t, owner, _, _) in enumerate(hull):
        lo = None
        hi = None
        if position > 0:
            c0, t0 = hull[position - 1][:2]
            lo = (t - t0) / (c0 - c)
        if position + 1 < len(hull):
            c2, t2 = hull[position + 1][:2]
            hi = (t2 - t) / (c - c2)
        if hi is not None and hi <= zero:
            continue
        if owner in tied:
            continue
        neighbours = []
        if lo is not None and lo > zero:
            neighbours.append(hull[position - 1][2])
        if hi is not None:
            neighbours.append(hull[position + 1][2])
        ranges[owner] = Interval(lo if lo is not None and lo > zero else zero, hi, False, False)
        bounding[owner] = neighbours

    rows = []
    for index, name in enumerate(names):
        interval = ranges.get(index)
        pieces = (interval,) if interval is not None else ()
        thresholds = []
        for other in bounding.get(index, ()):
            (c1, t1), (c2, t2) = values[index], values[other]
            thresholds.append(
                make_threshold(name, names[other], sympy.Rational(c1 - c2), sympy.Rational(t2 - t1))
            )
        rows.append(RangeRow(name, pieces, pieces, tuple(thresholds)))
    return RangesResult(tuple(names), scenario, tuple(rows), "exact", None)


# ---------------------------------------------------------------------------
# Symbolic ranges


def symbolic_ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.logic.boolalg.Boolean],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 10.0,
) -> RangesResult:
    """Robust and possible ranges of g for symbolic costs under the assumptions."""
    names = tuple(costs)
    rows = tuple(RangeRow(name, (), (), ()) for name in names)
    return RangesResult(names, None, rows, "unknown", "symbolic ranges are not implemented yet")
