"""Dominance ranges: for which exchange rates g each program beats every other one.

A scenario (every cost a number) is read off the lower envelope of the lines
g -> g*c(P) + t(P) (`envelope`); symbolic costs go to a back-end that finds each program's
robust and possible sets of g exactly — the linear elimination (`elimination`) when the
costs and assumptions are linear, QEPCAD B (`qepcad`) otherwise — and the rows are
assembled here, once, whichever back-end answered.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from fractions import Fraction

import sympy

from calculus.dominance.axis import Algebraic, Piece, describe_point
from calculus.dominance.envelope import envelope
from calculus.dominance.records import (
    Findings,
    Interval,
    RangeRow,
    RangesResult,
    Threshold,
    Unanswered,
    format_interval,
    format_intervals,
)
from calculus.dominance.thresholds import numeric_threshold

__all__ = [
    "BACKENDS",
    "Interval",
    "Threshold",
    "RangeRow",
    "RangesResult",
    "scenario_ranges",
    "symbolic_ranges",
    "format_interval",
    "format_intervals",
]

BACKENDS = ("auto", "elimination", "qepcad")


def scenario_ranges(
    lines: Mapping[str, tuple[Fraction, Fraction]], scenario: str | None = None
) -> RangesResult:
    """Exact ranges of g > 0 where each program has the strictly lowest g*c + t.

    Ties (identical lines, breakpoints) belong to nobody. Robust and possible readings
    coincide. Each row's thresholds are the pairs that bound its range (its neighbours on
    the envelope). The result carries each program's (c, t).
    """
    names = list(lines)
    values = tuple((Fraction(c), Fraction(t)) for c, t in (lines[name] for name in names))
    winners = envelope(values)
    rows = []
    for index, name in enumerate(names):
        found = winners.get(index)
        pieces: tuple[Interval, ...] = ()
        thresholds = []
        if found is not None:
            lo, hi, neighbours = found
            pieces = (Interval(lo, hi, False, False),)
            for other in neighbours:
                (c1, t1), (c2, t2) = values[index], values[other]
                thresholds.append(numeric_threshold(name, names[other], c1 - c2, t2 - t1))
        rows.append(RangeRow(name, pieces, pieces, tuple(thresholds)))
    return RangesResult(tuple(names), scenario, tuple(rows), "exact", None, values)


def symbolic_ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.logic.boolalg.Boolean],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 10.0,
    backend: str = "auto",
) -> RangesResult:
    """Robust and possible ranges of g for symbolic costs under the assumptions, exactly.

    `backend` "auto" takes the linear elimination when costs and assumptions are linear and
    QEPCAD B otherwise (unknown when it is not installed); "elimination" or "qepcad" forces
    one. A back-end that cannot answer gives an `unknown` result with its reason.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown ranges back-end {backend!r}; one of {', '.join(BACKENDS)}")
    for atom, kind in bounds.items():
        if kind not in ("positive", "nonneg"):
            raise ValueError(f"bound of {atom} must be 'positive' or 'nonneg', not {kind!r}")
    names = tuple(costs)
    started = time.monotonic()
    beyond: str | None = None  # why the linear elimination does not apply
    try:
        if backend in ("auto", "elimination"):
            from calculus.dominance import elimination

            try:
                return _assemble(names, elimination.findings(costs, assumptions, bounds, timeout))
            except elimination.NonLinear as error:
                if backend == "elimination":
                    raise Unanswered(f"beyond the linear elimination ({error})") from error
                beyond = str(error)
        from calculus.dominance import qepcad

        if not qepcad.available():
            reason = "QEPCAD B is not installed"
            if beyond is not None:
                reason = (
                    f"beyond the linear elimination ({beyond}) and {reason} for the exact fallback"
                )
            raise Unanswered(reason)
        remaining = timeout - (time.monotonic() - started)
        found = qepcad.findings(costs, assumptions, bounds, max(remaining, 0.5))
        return _assemble(names, found, beyond)
    except Unanswered as error:
        reason = str(error)
        if beyond is not None and not reason.startswith("beyond"):
            reason = f"beyond the linear elimination ({beyond}); {reason}"
        empty = tuple(RangeRow(name, (), (), ()) for name in names)
        return RangesResult(names, None, empty, "unknown", reason)


def _assemble(names: tuple[str, ...], found: Findings, beyond: str | None = None) -> RangesResult:
    """Rows from a back-end's findings: exact intervals, or `unknown` (with no partial ranges,
    which would read as "never" rather than "not exact") when an end is irrational."""
    rows: list[RangeRow] = []
    irrational: list[str] = []
    for name in names:
        robust, possible = found.ranges[name]
        for piece in robust + possible:
            for end in (piece.lo, piece.hi):
                if isinstance(end, Algebraic):
                    irrational.append(f"{name}: {describe_point(end)}")
        rows.append(
            RangeRow(name, _intervals(robust), _intervals(possible), found.thresholds[name])
        )
    if irrational:
        why = "a range ends at an irrational g, which intervals cannot hold exactly: "
        if beyond is not None:
            why = f"beyond the linear elimination ({beyond}); " + why
        bare = tuple(RangeRow(row.program, (), (), row.thresholds) for row in rows)
        return RangesResult(names, None, bare, "unknown", why + "; ".join(irrational))
    note = (
        None
        if found.satisfiable
        else "the assumptions are unsatisfiable, so every robust range is vacuous"
    )
    return RangesResult(names, None, tuple(rows), "exact", note)


def _intervals(pieces: list[Piece]) -> tuple[Interval, ...]:
    result = []
    for piece in pieces:
        if isinstance(piece.lo, Algebraic) or isinstance(piece.hi, Algebraic):
            continue
        result.append(Interval(piece.lo, piece.hi, piece.lo_closed, piece.hi_closed))
    return tuple(result)
