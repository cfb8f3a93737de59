"""The results of a ranges computation, and how a back-end hands its findings over."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import sympy

from calculus.dominance.axis import Piece

__all__ = [
    "Interval",
    "Threshold",
    "RangeRow",
    "RangesResult",
    "Findings",
    "Unanswered",
    "format_interval",
    "format_intervals",
    "number_text",
]


@dataclass(frozen=True)
class Interval:
    """A piece of the g-axis (g > 0) with exact rational ends; `hi is None` means +oo."""

    lo: Fraction
    hi: Fraction | None
    lo_closed: bool
    hi_closed: bool

    def __contains__(self, g: object) -> bool:
        if not isinstance(g, (int, Fraction)):
            raise TypeError(f"an exchange rate is a rational number, not {g!r}")
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
    """Ranges of g for a set of programs. In a scenario, `values` holds each program's
    (c, t) there, in the order of `programs`; symbolic ranges have none."""

    programs: tuple[str, ...]
    scenario: str | None
    rows: tuple[RangeRow, ...]
    status: str
    reason: str | None
    values: tuple[tuple[Fraction, Fraction], ...] | None = None

    @property
    def lines(self) -> dict[str, tuple[Fraction, Fraction]] | None:
        """Program -> (c, t) in the scenario, or None for symbolic ranges."""
        if self.values is None:
            return None
        return dict(zip(self.programs, self.values, strict=True))


@dataclass(frozen=True)
class Findings:
    """What a symbolic back-end found: per program the robust and possible sets of g (sorted
    disjoint pieces with exact ends), the pairwise thresholds, and whether the assumptions
    are satisfiable at all."""

    ranges: dict[str, tuple[list[Piece], list[Piece]]]
    thresholds: dict[str, tuple[Threshold, ...]]
    satisfiable: bool


class Unanswered(Exception):
    """A back-end could not answer (timeout, a peer missing or failing); the message says why."""


def number_text(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def format_interval(interval: Interval) -> str:
    """`(0, 5/2]`, `(3, oo)`, `[2, 2]`."""
    left = "[" if interval.lo_closed else "("
    right = "]" if interval.hi_closed else ")"
    hi = "oo" if interval.hi is None else number_text(interval.hi)
    return f"{left}{number_text(interval.lo)}, {hi}{right}"


def format_intervals(intervals: Iterable[Interval]) -> str:
    """`(0, 1) ∪ (2, oo)`, or `∅` for the empty set."""
    parts = [format_interval(interval) for interval in intervals]
    return " ∪ ".join(parts) if parts else "∅"
