"""Dominance ranges: for which exchange rates g each program beats every other one.

A scenario (every cost a number) is read off the lower envelope of the lines
g -> g*c(P) + t(P) (`envelope`); symbolic costs go to a back-end that finds each program's
robust and possible sets of g exactly — the linear elimination (`elimination`) when the
costs and assumptions are linear; otherwise z3's projection (`projection`), cvc5's get-qe
(`getqe`) or QEPCAD B (`qepcad`), all answering the questions of `questions` — and the rows
are assembled here, once, whichever back-end answered.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from fractions import Fraction

import sympy

from calculus.dominance.axis import Piece
from calculus.dominance.envelope import envelope
from calculus.dominance.records import (
    Findings,
    Interval,
    RangeRow,
    RangesResult,
    Threshold,
    Unanswered,
    end_json,
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
    "end_json",
]

BACKENDS = ("auto", "elimination", "projection", "z3", "cvc5", "qepcad")


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

    `backend` "auto" takes the linear elimination when costs and assumptions are linear;
    otherwise z3's projection, and QEPCAD B (when installed) where z3 gives up. "elimination",
    "z3", "cvc5" or "qepcad" forces one. A result no back-end could give is `unknown`, with
    each back-end's reason.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown ranges back-end {backend!r}; one of {', '.join(BACKENDS)}")
    for atom, kind in bounds.items():
        if kind not in ("positive", "nonneg"):
            raise ValueError(f"bound of {atom} must be 'positive' or 'nonneg', not {kind!r}")
    names = tuple(costs)
    deadline = time.monotonic() + timeout
    beyond: str | None = None  # why the linear elimination does not apply
    reasons: list[str] = []
    for name in ("elimination", "projection", "qepcad") if backend == "auto" else (backend,):
        remaining = deadline - time.monotonic()
        try:
            if name == "elimination":
                from calculus.dominance import elimination

                try:
                    found = elimination.findings(costs, assumptions, bounds, timeout)
                except elimination.NonLinear as error:
                    beyond = str(error)
                    continue
            elif name == "projection":
                from calculus.dominance import projection, qepcad

                fallback = qepcad.answer if backend == "auto" and qepcad.available() else None
                found = projection.findings(
                    costs, assumptions, bounds, max(remaining, 0.5), fallback
                )
            elif name == "z3":
                from calculus.dominance import z3qe

                found = z3qe.findings(costs, assumptions, bounds, max(remaining, 0.5))
            elif name == "cvc5":
                from calculus.dominance import getqe

                found = getqe.findings(costs, assumptions, bounds, max(remaining, 0.5))
            else:
                from calculus.dominance import qepcad

                if not qepcad.available():
                    reasons.append("QEPCAD B is not installed for the exact fallback")
                    continue
                found = qepcad.findings(costs, assumptions, bounds, max(remaining, 0.5))
        except Unanswered as error:
            if name == "elimination":  # linear, and out of time: no other back-end is faster
                reasons.append(str(error))
                break
            reasons.append(f"{name}: {error}" if name != "qepcad" else str(error))
            continue
        return assemble(names, found)
    reason = "; ".join(reasons) or "no back-end answered"
    if beyond is not None:
        reason = f"beyond the linear elimination ({beyond}); {reason}"
    empty = tuple(RangeRow(name, (), (), ()) for name in names)
    return RangesResult(names, None, empty, "unknown", reason)


def assemble(names: tuple[str, ...], found: Findings) -> RangesResult:
    """Rows from a back-end's findings; interval ends are exact (rational or algebraic)."""
    rows = tuple(
        RangeRow(
            name,
            _intervals(found.ranges[name][0]),
            _intervals(found.ranges[name][1]),
            found.thresholds[name],
        )
        for name in names
    )
    note = (
        None
        if found.satisfiable
        else "the assumptions are unsatisfiable, so every robust range is vacuous"
    )
    return RangesResult(names, None, rows, "exact", note)


def _intervals(pieces: list[Piece]) -> tuple[Interval, ...]:
    return tuple(Interval(p.lo, p.hi, p.lo_closed, p.hi_closed) for p in pieces)
