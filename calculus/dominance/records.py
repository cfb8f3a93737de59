"""The results of a ranges computation, and how a back-end hands its findings over."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import sympy

from calculus.dominance.axis import Algebraic, Piece, compare
from calculus.frozen import frozen

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
    "end_text",
    "end_json",
]


@frozen
class Interval:
    """A piece of the g-axis (g > 0) with exact ends, rational or real algebraic numbers;
    `hi is None` means +oo."""

    lo: Fraction | Algebraic
    hi: Fraction | Algebraic | None
    lo_closed: bool
    hi_closed: bool

    def __contains__(self, g: object) -> bool:
        if not isinstance(g, (int, Fraction)):
            raise TypeError(f"an exchange rate is a rational number, not {g!r}")
        g = Fraction(g)
        low = compare(g, self.lo)
        above = low > 0 or (self.lo_closed and low == 0)
        if self.hi is None:
            return above
        high = compare(g, self.hi)
        return above and (high < 0 or (self.hi_closed and high == 0))


@frozen
class Threshold:
    """P beats Q  <=>  g*(c(P)-c(Q)) < t(Q)-t(P); `delta_c` and `delta_t` are those two sides."""

    winner: str
    loser: str
    delta_c: sympy.Expr
    delta_t: sympy.Expr
    text: str


@frozen
class RangeRow:
    program: str
    robust: tuple[Interval, ...]
    possible: tuple[Interval, ...]
    thresholds: tuple[Threshold, ...]


@frozen
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


@frozen
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


def end_text(value: Fraction | Algebraic) -> str:
    """An interval end for people: `5/2`, or `3/2 - sqrt(5)/2 ≈ 0.381966`."""
    return number_text(value) if isinstance(value, Fraction) else value.text()


def end_json(value: Fraction | Algebraic) -> str:
    """An interval end as an exact string: `5/2`, `3/2 - sqrt(5)/2`, `CRootOf(g**3 - 2, 0)`."""
    return number_text(value) if isinstance(value, Fraction) else value.exact_text()


def format_interval(interval: Interval) -> str:
    """`(0, 5/2]`, `(3, oo)`, `[2, 2]`."""
    left = "[" if interval.lo_closed else "("
    right = "]" if interval.hi_closed else ")"
    hi = "oo" if interval.hi is None else end_text(interval.hi)
    return f"{left}{end_text(interval.lo)}, {hi}{right}"


def format_intervals(intervals: Iterable[Interval]) -> str:
    """`(0, 1) ∪ (2, oo)`, or `∅` for the empty set."""
    parts = [format_interval(interval) for interval in intervals]
    return " ∪ ".join(parts) if parts else "∅"
