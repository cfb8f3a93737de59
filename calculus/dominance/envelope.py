"""Scenario ranges: every cost a number, so each program is a line g -> g*c + t and the
winners are read off the lower envelope of the lines, exactly, in O(n log n)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


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


def envelope(
    values: Sequence[tuple[Fraction, Fraction]],
) -> dict[int, tuple[Fraction, Fraction | None, list[int]]]:
    """For each line (c, t) that is strictly lowest somewhere on g > 0: the open interval
    (lo, hi) where it is (hi None: +oo) and the lines bounding it there (its neighbours on
    the envelope). Sort by c, build the lower envelope, cut it at g = 0. Ties (identical
    lines, breakpoints) belong to nobody."""
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

    ranges: dict[int, tuple[Fraction, Fraction | None, list[int]]] = {}
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
        ranges[owner] = (lo if lo is not None and lo > zero else zero, hi, neighbours)
    return ranges
