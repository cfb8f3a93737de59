"""Dominance ranges: for which exchange rates g each program beats every other one.

A scenario (every cost a number) is read off the lower envelope of the lines
g -> g*c(P) + t(P); symbolic costs go through exact elimination in `symbolic_ranges`.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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


def numeric_threshold(winner: str, loser: str, delta_c: Fraction, delta_t: Fraction) -> Threshold:
    """P beats Q  <=>  g*delta_c < delta_t  for numbers delta_c = c(P)-c(Q), delta_t = t(Q)-t(P)."""
    head = f"{winner} beats {loser} <=> "
    if delta_c > 0:
        text = f"g < {_number(delta_t / delta_c)}"
    elif delta_c < 0:
        text = f"g > {_number(delta_t / delta_c)}"
    else:
        text = "always" if delta_t > 0 else "never"
    return Threshold(winner, loser, _rational(delta_c), _rational(delta_t), head + text)


def _rational(value: Fraction) -> sympy.Expr:
    return sympy.Rational(value.numerator, value.denominator)


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
            thresholds.append(numeric_threshold(name, names[other], c1 - c2, t2 - t1))
        rows.append(RangeRow(name, pieces, pieces, tuple(thresholds)))
    return RangesResult(tuple(names), scenario, tuple(rows), "exact", None)


# ---------------------------------------------------------------------------
# Exact arithmetic on the g-axis: polynomials in g and real algebraic points
#
# The symbolic ranges are semi-algebraic subsets of g > 0. Their ends are real roots of
# polynomials in g with rational coefficients; most are rational, but a "possible" range
# against two or more rivals can end at an irrational root, so points are real algebraic
# numbers (an irreducible polynomial plus an isolating interval), compared exactly.

# Coefficients in g, lowest degree first, no trailing zeros. Rows of the elimination keep
# integer coefficients (cheaper than Fractions); algebraic points use Fractions.
GPoly = tuple[Fraction | int, ...]


def _poly_trim(coefficients: Iterable[Fraction | int]) -> GPoly:
    values = list(coefficients)
    while values and values[-1] == 0:
        values.pop()
    return tuple(values)


def _poly_constant(value: Fraction | int) -> GPoly:
    return (Fraction(value),) if value else ()


def _poly_add(a: GPoly, b: GPoly) -> GPoly:
    if len(a) < len(b):
        a, b = b, a
    return _poly_trim([x + (b[i] if i < len(b) else 0) for i, x in enumerate(a)])


def _poly_scale(a: GPoly, k: Fraction | int) -> GPoly:
    return tuple(x * k for x in a) if k else ()


def _poly_mul(a: GPoly, b: GPoly) -> GPoly:
    if not a or not b:
        return ()
    if len(a) == 1:
        return _poly_scale(b, a[0])
    if len(b) == 1:
        return _poly_scale(a, b[0])
    result: list[Fraction | int] = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            result[i + j] += x * y
    return _poly_trim(result)


def _poly_eval(a: GPoly, x: Fraction) -> Fraction:
    value: Fraction = Fraction(0)
    for coefficient in reversed(a):
        value = value * x + coefficient
    return value


def _poly_remainder(a: GPoly, b: GPoly) -> GPoly:
    remainder = list(a)
    while len(remainder) >= len(b):
        factor = Fraction(remainder[-1]) / b[-1]
        shift = len(remainder) - len(b)
        for i, y in enumerate(b):
            remainder[shift + i] -= factor * y
        remainder = list(_poly_trim(remainder))
    return tuple(remainder)


def _poly_gcd(a: GPoly, b: GPoly) -> GPoly:
    while b:
        a, b = b, _poly_remainder(a, b)
    return _poly_scale(a, 1 / Fraction(a[-1])) if a else ()


def _sign(value: Fraction | int) -> int:
    return (value > 0) - (value < 0)


class Algebraic:
    """An irrational real root of an irreducible polynomial, with a shrinking isolating
    interval (lo, hi) of rationals. Equal exactly when polynomial and root index agree."""

    __slots__ = ("poly", "index", "lo", "hi")

    def __init__(self, poly: GPoly, index: int, lo: Fraction, hi: Fraction) -> None:
        self.poly, self.index, self.lo, self.hi = poly, index, lo, hi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Algebraic) and (self.poly, self.index) == (other.poly, other.index)

    def __hash__(self) -> int:
        return hash((self.poly, self.index))

    def refine(self) -> None:
        middle = (self.lo + self.hi) / 2
        if _sign(_poly_eval(self.poly, middle)) == _sign(_poly_eval(self.poly, self.lo)):
            self.lo = middle
        else:
            self.hi = middle

    def __repr__(self) -> str:
        return f"root#{self.index} of {self.poly} in ({self.lo}, {self.hi})"


RealPoint = Fraction | Algebraic


def _compare(x: RealPoint, y: RealPoint) -> int:
    """-1, 0 or 1 as x <, =, > y, exactly."""
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return _sign(x - y)
    if isinstance(x, Fraction):
        return -_compare(y, x)
    assert isinstance(x, Algebraic)
    if isinstance(y, Fraction):
        while x.lo < y < x.hi:
            x.refine()
        return 1 if y <= x.lo else -1
    if x == y:
        return 0
    while not (x.hi <= y.lo or y.hi <= x.lo):
        x.refine()
        y.refine()
    return -1 if x.hi <= y.lo else 1


def _real_roots(p: GPoly) -> tuple[RealPoint, ...]:
    """The distinct real roots of p, ascending."""
    if len(p) <= 1:
        return ()
    if len(p) == 2:
        return (-Fraction(p[0]) / p[1],)
    return _real_roots_of_nonlinear(p)


@functools.lru_cache(maxsize=4096)
def _real_roots_of_nonlinear(p: GPoly) -> tuple[RealPoint, ...]:
    g = sympy.Symbol("g")
    expression = sympy.Poly(list(reversed([sympy.Rational(c) for c in p])), g, domain="QQ")
    roots: list[RealPoint] = []
    for factor, _ in expression.factor_list()[1]:
        coefficients = tuple(Fraction(int(c.p), int(c.q)) for c in reversed(factor.all_coeffs()))
        if len(coefficients) == 2:
            roots.append(-coefficients[0] / coefficients[1])
            continue
        monic = _poly_scale(_poly_trim(coefficients), 1 / coefficients[-1])
        for index, ((lo, hi), _) in enumerate(factor.intervals()):
            roots.append(
                Algebraic(
                    monic, index, Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))
                )
            )
    roots.sort(key=functools.cmp_to_key(_compare))
    return tuple(roots)


def _sign_at(p: GPoly, x: RealPoint) -> int:
    """The exact sign of p(x)."""
    if len(p) <= 1:
        return _sign(p[0]) if p else 0
    if isinstance(x, Fraction):
        return _sign(_poly_eval(p, x))
    if not _poly_remainder(p, x.poly):
        return 0  # x.poly is irreducible, so it divides p exactly when x is a root of p
    roots = _real_roots(p)
    # Shrink x's interval until no root of p lies in it; p then has one sign on it.
    while any(_compare(root, x.lo) >= 0 and _compare(root, x.hi) <= 0 for root in roots):
        x.refine()
    return _sign(_poly_eval(p, x.lo))


def _rational_between(lo: RealPoint, hi: RealPoint | None) -> Fraction:
    """A rational strictly between lo < hi (hi None: +oo)."""
    if hi is None:
        return (lo if isinstance(lo, Fraction) else lo.hi) + 1
    if isinstance(lo, Algebraic):
        while _compare(hi, lo.hi) <= 0:
            lo.refine()
        return lo.hi  # lo < lo.hi < hi
    if isinstance(hi, Algebraic):
        while _compare(lo, hi.lo) >= 0:
            hi.refine()
        return hi.lo  # lo < hi.lo < hi
    return (lo + hi) / 2


@dataclass(frozen=True)
class _Cell:
    """Either the single point `lo` (hi is lo) or the open interval (lo, hi), hi None = +oo."""

    lo: RealPoint
    hi: RealPoint | None
    point: bool

    @functools.cached_property
    def sample(self) -> Fraction | Algebraic:
        """The point itself, or a rational inside the interval."""
        return self.lo if self.point else _rational_between(self.lo, self.hi)


def _sign_on(p: GPoly, cell: _Cell) -> int:
    """The sign of p on the cell; the caller guarantees p has no root inside an open cell."""
    if len(p) <= 1:
        return _sign(p[0]) if p else 0
    return _sign_at(p, cell.sample)


def _roots_inside(p: GPoly, cell: _Cell) -> list[RealPoint]:
    if cell.point or len(p) <= 1:
        return []
    return [
        root
        for root in _real_roots(p)
        if _compare(root, cell.lo) > 0 and (cell.hi is None or _compare(root, cell.hi) < 0)
    ]


def _split(cell: _Cell, points: Iterable[RealPoint]) -> list[_Cell]:
    """The cell cut at the given inside points into open pieces and the points themselves."""
    if cell.point:
        return [cell]
    unique: list[RealPoint] = []
    for point in sorted(points, key=functools.cmp_to_key(_compare)):
        if not unique or _compare(unique[-1], point) != 0:
            unique.append(point)
    cells: list[_Cell] = []
    lo = cell.lo
    for point in unique:
        cells.append(_Cell(lo, point, False))
        cells.append(_Cell(point, point, True))
        lo = point
    cells.append(_Cell(lo, cell.hi, False))
    return cells


# ---------------------------------------------------------------------------
# Sets of g as sorted disjoint pieces with exact ends


@dataclass(frozen=True)
class _Piece:
    lo: RealPoint
    hi: RealPoint | None
    lo_closed: bool
    hi_closed: bool


def _union(cells: Iterable[_Cell | _Piece]) -> list[_Piece]:
    """Merge cells and pieces into sorted disjoint pieces, joining pieces that touch."""
    pieces = []
    for item in cells:
        if isinstance(item, _Cell):
            pieces.append(_Piece(item.lo, item.hi, item.point, item.point))
        else:
            pieces.append(item)

    def order(a: _Piece, b: _Piece) -> int:
        by_lo = _compare(a.lo, b.lo)
        if by_lo:
            return by_lo
        return b.lo_closed - a.lo_closed  # closed starts first

    pieces.sort(key=functools.cmp_to_key(order))
    merged: list[_Piece] = []
    for piece in pieces:
        if merged:
            last = merged[-1]
            if last.hi is None:
                continue
            touch = _compare(piece.lo, last.hi)
            if touch < 0 or (touch == 0 and (last.hi_closed or piece.lo_closed)):
                if piece.hi is None:
                    hi, hi_closed = None, False
                else:
                    further = _compare(piece.hi, last.hi)
                    if further > 0:
                        hi, hi_closed = piece.hi, piece.hi_closed
                    elif further == 0:
                        hi, hi_closed = last.hi, last.hi_closed or piece.hi_closed
                    else:
                        hi, hi_closed = last.hi, last.hi_closed
                merged[-1] = _Piece(last.lo, hi, last.lo_closed, hi_closed)
                continue
        merged.append(piece)
    return merged


_POSITIVE_AXIS = _Piece(Fraction(0), None, False, False)


def _complement(pieces: list[_Piece]) -> list[_Piece]:
    """(0, oo) minus the pieces (which must lie inside (0, oo) and be sorted, disjoint)."""
    result: list[_Piece] = []
    lo: RealPoint = Fraction(0)
    lo_closed = False
    for piece in pieces:
        if _compare(piece.lo, lo) > 0 or (
            _compare(piece.lo, lo) == 0 and lo_closed and not piece.lo_closed
        ):
            result.append(_Piece(lo, piece.lo, lo_closed, not piece.lo_closed))
        if piece.hi is None:
            return result
        lo, lo_closed = piece.hi, not piece.hi_closed
    result.append(_Piece(lo, None, lo_closed, False))
    return result


def _intersection(first: list[_Piece], second: list[_Piece]) -> list[_Piece]:
    return _complement(_union(_complement(first) + _complement(second)))


def _to_cells(pieces: list[_Piece]) -> list[_Cell]:
    """Cells covering exactly the pieces: their open insides plus their closed ends."""
    cells = []
    for piece in pieces:
        if piece.hi is not None and _compare(piece.lo, piece.hi) == 0:
            cells.append(_Cell(piece.lo, piece.lo, True))
            continue
        if piece.lo_closed:
            cells.append(_Cell(piece.lo, piece.lo, True))
        cells.append(_Cell(piece.lo, piece.hi, False))
        if piece.hi_closed and piece.hi is not None:
            cells.append(_Cell(piece.hi, piece.hi, True))
    return cells


# ---------------------------------------------------------------------------
# Fourier–Motzkin elimination with g as a parameter
#
# A row is  sum_j p_j(g) * x_j + p_0(g)  (> 0 | >= 0 | = 0)  with p_j in Q[g]. On a cell of
# the g-axis where every coefficient of the variable being eliminated keeps one sign, a
# Fourier–Motzkin step is exact for every g of the cell at once; where a coefficient changes
# sign the cell is cut at its roots first. When no variable is left, the rows are conditions
# on g alone, decided on the sub-cells between their roots. The result is exactly the set of
# g for which the rows are satisfiable. Chernikov's rule (a row combined from more than k+1
# originals after k eliminations is implied by others) keeps the row count in check.


class _Timeout(Exception):
    pass


@dataclass(frozen=True)
class _Row:
    coefficients: tuple[tuple[int, GPoly], ...]  # (variable, nonzero integer polynomial)
    constant: GPoly
    relation: str  # ">", ">=" or "="
    ancestors: frozenset[int]
    normal: bool = field(default=False, compare=False)  # already normalized on an open cell

    def coefficient(self, variable: int) -> GPoly:
        for index, poly in self.coefficients:
            if index == variable:
                return poly
        return ()


def _combine(first: _Row, k1: GPoly, second: _Row, k2: GPoly, relation: str) -> _Row:
    """k1*first + k2*second."""
    terms: dict[int, GPoly] = {}
    for index, poly in first.coefficients:
        terms[index] = _poly_mul(k1, poly)
    for index, poly in second.coefficients:
        terms[index] = _poly_add(terms.get(index, ()), _poly_mul(k2, poly))
    constant = _poly_add(_poly_mul(k1, first.constant), _poly_mul(k2, second.constant))
    coefficients = tuple(sorted((i, p) for i, p in terms.items() if p))
    return _Row(coefficients, constant, relation, first.ancestors | second.ancestors)


def _integral(polys: list[GPoly]) -> list[GPoly]:
    """The polynomials times one positive rational, with coprime integer coefficients."""
    denominator = 1
    for poly in polys:
        for value in poly:
            if isinstance(value, Fraction):
                denominator = math.lcm(denominator, value.denominator)
    if denominator != 1:
        polys = [tuple(int(value * denominator) for value in poly) for poly in polys]
    content = 0
    for poly in polys:
        for value in poly:
            content = math.gcd(content, int(value))
            if content == 1:
                return [tuple(int(value) for value in poly) for poly in polys]
    if content == 0:
        return polys
    return [tuple(int(value) // content for value in poly) for poly in polys]


def _normalize(row: _Row, cell: _Cell) -> _Row | bool:
    """Drop vanishing terms, divide out a common factor of fixed sign and scale to coprime
    integers, so parallel rows look alike. True/False for a decided row without unknowns."""
    if row.normal and not cell.point:
        return row
    coefficients = row.coefficients
    if cell.point:
        coefficients = tuple((i, p) for i, p in coefficients if _sign_at(p, cell.lo) != 0)
    constant = row.constant
    if not coefficients and len(constant) <= 1:
        value = constant[0] if constant else 0
        return _holds(row.relation, _sign(value))
    polys = [p for _, p in coefficients] + [constant]
    if any(len(p) > 1 for p in polys):
        common = polys[0]
        for p in polys[1:]:
            if len(common) <= 1:
                break
            if p:
                common = _poly_gcd(common, p)
        if len(common) > 1 and not _roots_inside(common, cell):
            sign = _sign_on(common, cell)
            if sign:
                polys = [_poly_scale(_divide_exact(p, common), sign) for p in polys]
    if row.relation == "=":
        lead = polys[0]
        if lead[-1] < 0:  # equalities may also flip sign, to a positive leading coefficient
            polys = [_poly_scale(p, -1) for p in polys]
    polys = _integral(polys)
    coefficients = tuple((i, p) for (i, _), p in zip(coefficients, polys, strict=False))
    return _Row(coefficients, polys[-1], row.relation, row.ancestors, normal=not cell.point)


def _divide_exact(a: GPoly, b: GPoly) -> GPoly:
    quotient: list[Fraction | int] = [0] * max(len(a) - len(b) + 1, 0)
    remainder = list(a)
    while len(remainder) >= len(b) and remainder:
        factor = Fraction(remainder[-1]) / b[-1]
        shift = len(remainder) - len(b)
        quotient[shift] = factor
        for i, y in enumerate(b):
            remainder[shift + i] -= factor * y
        remainder = list(_poly_trim(remainder))
    return _poly_trim(quotient)


def _simplify(rows: Iterable[_Row], cell: _Cell) -> list[_Row] | None:
    """Normalized rows without redundant copies; None when some row is false on the whole cell.

    Of two rows that differ only in their rational constant term, the looser one is dropped
    only when the tighter one descends from a subset of its ancestors; otherwise Chernikov's
    rule could later drop the tighter row's descendants as well and lose a constraint.
    """
    groups: dict[tuple[object, ...], list[_Row]] = {}
    for row in rows:
        normal = _normalize(row, cell)
        if normal is True:
            continue
        if normal is False:
            return None
        assert isinstance(normal, _Row)
        if normal.relation == "=":
            key: tuple[object, ...] = (normal.coefficients, normal.constant, "=")
        else:
            key = (normal.coefficients, normal.constant[1:], ">")
        group = groups.setdefault(key, [])
        if any(_dominates(kept, normal) for kept in group):
            continue
        group[:] = [kept for kept in group if not _dominates(normal, kept)]
        group.append(normal)
    return [row for group in groups.values() for row in group]


def _dominates(first: _Row, second: _Row) -> bool:
    """first implies second (same left-hand side) and descends from no more originals."""
    if not first.ancestors <= second.ancestors:
        return False
    if first.relation == "=":
        return True
    mine = first.constant[0] if first.constant else 0
    theirs = second.constant[0] if second.constant else 0
    return mine < theirs or (mine == theirs and (first.relation == ">" or second.relation == ">="))


def _holds(relation: str, sign: int) -> bool:
    return sign > 0 if relation == ">" else sign >= 0 if relation == ">=" else sign == 0


def _decide_on_axis(rows: list[_Row], cell: _Cell) -> list[_Cell]:
    """The parts of the cell where every row (all without unknowns) holds."""
    points = [root for row in rows for root in _roots_inside(row.constant, cell)]
    return [
        piece
        for piece in _split(cell, points)
        if all(_holds(row.relation, _sign_on(row.constant, piece)) for row in rows)
    ]


_ROW_LIMIT = 20000


def _satisfiable_cells(rows: list[_Row], cells: Iterable[_Cell], deadline: float) -> list[_Cell]:
    """The parts of the cells where the rows have a solution in the unknowns."""
    result: list[_Cell] = []
    work = [(rows, cell, 0) for cell in cells]
    while work:
        if time.monotonic() > deadline:
            raise _Timeout("the elimination ran out of time")
        current, cell, eliminated = work.pop()
        simplified = _simplify(current, cell)
        if simplified is None:
            continue
        if len(simplified) > _ROW_LIMIT:
            raise _Timeout(f"the elimination grew past {_ROW_LIMIT} rows")
        with_unknowns = [row for row in simplified if row.coefficients]
        if not with_unknowns:
            result.extend(_decide_on_axis(simplified, cell))
            continue
        step = _equality_step(simplified, cell, eliminated) or _inequality_step(
            simplified, cell, eliminated
        )
        if step.split is not None:
            work.extend((simplified, piece, eliminated) for piece in step.split)
        else:
            work.append((step.rows, cell, step.eliminated))
    return result


@dataclass(frozen=True)
class _Step:
    """Either cut the cell at `split`, or go on with `rows` after `eliminated` eliminations."""

    split: list[_Cell] | None
    rows: list[_Row]
    eliminated: int


def _equality_step(rows: list[_Row], cell: _Cell, eliminated: int) -> _Step | None:
    """Substitute one equality away, or cut the cell where its pivot could vanish."""
    equalities = [row for row in rows if row.relation == "=" and row.coefficients]
    if not equalities:
        return None
    candidates = []
    for row in equalities:
        for index, poly in row.coefficients:
            candidates.append((len(poly) > 1, len(_roots_inside(poly, cell)) > 0, row, index, poly))
    candidates.sort(key=lambda item: (item[0], item[1]))
    _, ambiguous, pivot_row, variable, pivot = candidates[0]
    if ambiguous:
        return _Step(_split(cell, _roots_inside(pivot, cell)), rows, eliminated)
    sign = _sign_on(pivot, cell)
    new_rows = []
    for row in rows:
        if row is pivot_row:
            continue
        other = row.coefficient(variable)
        if not other:
            new_rows.append(row)
            continue
        # |p|*row - sign(p)*q*equality  cancels the variable and keeps the row's direction.
        new_rows.append(
            _combine(
                row, _poly_scale(pivot, sign), pivot_row, _poly_scale(other, -sign), row.relation
            )
        )
    return _Step(None, new_rows, eliminated)


def _inequality_step(rows: list[_Row], cell: _Cell, eliminated: int) -> _Step:
    variables: dict[int, list[tuple[_Row, GPoly]]] = {}
    for row in rows:
        for index, poly in row.coefficients:
            variables.setdefault(index, []).append((row, poly))
    best = None
    for variable, uses in variables.items():
        ambiguous = [poly for _, poly in uses if _roots_inside(poly, cell)]
        if ambiguous:
            growth = len(uses) ** 2
        else:
            positive = sum(1 for _, poly in uses if _sign_on(poly, cell) > 0)
            negative = len(uses) - positive
            growth = positive * negative - positive - negative
        key = (bool(ambiguous), growth, variable)
        if best is None or key < best[0]:
            best = (key, variable, uses, ambiguous)
    assert best is not None
    _, variable, uses, ambiguous = best
    if ambiguous:
        roots = [root for poly in ambiguous for root in _roots_inside(poly, cell)]
        return _Step(_split(cell, roots), rows, eliminated)
    lower = [(row, poly) for row, poly in uses if _sign_on(poly, cell) > 0]
    upper = [(row, poly) for row, poly in uses if _sign_on(poly, cell) < 0]
    new_rows = [row for row in rows if not row.coefficient(variable)]
    limit = eliminated + 2
    for row_low, a in lower:
        for row_up, b in upper:
            ancestors = row_low.ancestors | row_up.ancestors
            if len(ancestors) > limit:
                continue
            relation = ">" if ">" in (row_low.relation, row_up.relation) else ">="
            new_rows.append(_combine(row_low, _poly_scale(b, -1), row_up, a, relation))
    return _Step(None, new_rows, eliminated + 1)


# ---------------------------------------------------------------------------
# From sympy costs and assumptions to rows


class _NonLinear(Exception):
    """The model is outside what the linear elimination handles (a product, a huge DNF)."""


@dataclass(frozen=True)
class _Linear:
    """sum coefficients[j] * atom_j + constant, over the atoms' indices."""

    coefficients: tuple[tuple[int, Fraction], ...]
    constant: Fraction


def _linear(expression: sympy.Expr, index: Mapping[sympy.Symbol, int]) -> _Linear:
    terms: dict[int, Fraction] = {}
    constant = Fraction(0)
    for term, value in sympy.expand(expression).as_coefficients_dict().items():
        if not value.is_Rational:
            raise _NonLinear(f"coefficient {value} is not rational")
        number = Fraction(int(value.p), int(value.q))
        if term == 1:
            constant += number
        elif term in index:
            terms[index[term]] = terms.get(index[term], Fraction(0)) + number
        else:
            raise _NonLinear(f"{term} is not linear in the cost atoms")
    return _Linear(tuple(sorted((i, v) for i, v in terms.items() if v)), constant)


_Literal = tuple[_Linear, str]  # linear form (> | >= | =) 0
_DNF_LIMIT = 256


def _literals(
    relation: sympy.Basic, index: Mapping[sympy.Symbol, int], negated: bool
) -> list[list[_Literal]]:
    """A comparison (possibly negated) as a disjunction of conjunctions of literals."""
    from sympy.core import relational as rel

    lhs, rhs = relation.lhs, relation.rhs  # type: ignore[attr-defined]
    kind = type(relation)
    if negated:
        kind = {
            rel.StrictLessThan: rel.GreaterThan,
            rel.LessThan: rel.StrictGreaterThan,
            rel.StrictGreaterThan: rel.LessThan,
            rel.GreaterThan: rel.StrictLessThan,
            rel.Equality: rel.Unequality,
            rel.Unequality: rel.Equality,
        }[kind]
    above = _linear(lhs - rhs, index)
    below = _linear(rhs - lhs, index)
    if kind is rel.StrictGreaterThan:
        return [[(above, ">")]]
    if kind is rel.GreaterThan:
        return [[(above, ">=")]]
    if kind is rel.StrictLessThan:
        return [[(below, ">")]]
    if kind is rel.LessThan:
        return [[(below, ">=")]]
    if kind is rel.Equality:
        return [[(above, "=")]]
    if kind is rel.Unequality:
        return [[(above, ">")], [(below, ">")]]
    raise _NonLinear(f"unsupported comparison {relation}")


def _dnf(
    formula: sympy.Basic, index: Mapping[sympy.Symbol, int], negated: bool = False
) -> list[list[_Literal]]:
    """Disjunctive normal form over linear literals, pushing negations down."""
    from sympy.logic import boolalg

    if formula is sympy.true or formula is sympy.false:
        truth = (formula is sympy.true) != negated
        return [[]] if truth else []
    if isinstance(formula, boolalg.Not):
        return _dnf(formula.args[0], index, not negated)
    if isinstance(formula, boolalg.Implies):
        a, b = formula.args
        return _dnf(sympy.Or(sympy.Not(a), b), index, negated)
    if isinstance(formula, boolalg.Equivalent):
        a, b = (
            formula.args[0],
            sympy.And(*formula.args[1:]) if len(formula.args) > 2 else formula.args[1],
        )
        return _dnf(
            sympy.Or(sympy.And(a, b), sympy.And(sympy.Not(a), sympy.Not(b))), index, negated
        )
    conjunctive = isinstance(formula, boolalg.And) != negated
    if isinstance(formula, (boolalg.And, boolalg.Or)):
        parts = [_dnf(arg, index, negated) for arg in formula.args]
        if not conjunctive:
            return [clause for part in parts for clause in part]
        result: list[list[_Literal]] = [[]]
        for part in parts:
            result = [left + right for left in result for right in part]
            if len(result) > _DNF_LIMIT:
                raise _NonLinear(f"the assumptions expand to more than {_DNF_LIMIT} cases")
        return result
    if isinstance(formula, sympy.core.relational.Relational):
        return _literals(formula, index, negated)
    raise _NonLinear(f"unsupported assumption {formula}")


def _literal_row(literal: _Literal, ancestor: int) -> _Row:
    form, relation = literal
    polys = _integral([(v,) for _, v in form.coefficients] + [_poly_constant(form.constant)])
    coefficients = tuple((i, p) for (i, _), p in zip(form.coefficients, polys, strict=False))
    ancestors = frozenset() if relation == "=" else frozenset({ancestor})
    return _Row(coefficients, polys[-1], relation, ancestors)


def _rivalry_row(
    winner: tuple[_Linear, _Linear],
    loser: tuple[_Linear, _Linear],
    relation: str,
    flip: bool,
    ancestor: int,
) -> _Row:
    """g*(c(Q)-c(P)) + t(Q)-t(P)  (relation) 0, or its negation-side when `flip`."""
    sign = Fraction(-1 if flip else 1)
    polys: dict[int, list[Fraction]] = {}
    for degree, (mine, theirs) in enumerate(((winner[1], loser[1]), (winner[0], loser[0]))):
        for i, v in theirs.coefficients:
            polys.setdefault(i, [Fraction(0), Fraction(0)])[degree] += v * sign
        for i, v in mine.coefficients:
            polys.setdefault(i, [Fraction(0), Fraction(0)])[degree] -= v * sign
    constant = _poly_trim(
        [
            (loser[1].constant - winner[1].constant) * sign,
            (loser[0].constant - winner[0].constant) * sign,
        ]
    )
    pairs = sorted((i, _poly_trim(p)) for i, p in polys.items() if _poly_trim(p))
    integral = _integral([p for _, p in pairs] + [constant])
    coefficients = tuple((i, p) for (i, _), p in zip(pairs, integral, strict=False))
    return _Row(coefficients, integral[-1], relation, frozenset({ancestor}))


# ---------------------------------------------------------------------------
# Symbolic ranges


_EVERYWHERE = [_POSITIVE_AXIS]
_ANYWHERE = _Cell(Fraction(1), Fraction(1), True)  # for rows that do not mention g


class _Elimination:
    """Satisfiability in g of the assumptions (a disjunction of cases) plus extra rows."""

    def __init__(self, bound_rows: dict[int, _Row], cases: list[list[_Literal]], deadline: float):
        self.bound_rows = bound_rows
        self.cases = [
            [_literal_row(literal, 1_000_000 + n) for n, literal in enumerate(case)]
            for case in cases
        ]
        self.deadline = deadline
        self._fixed: dict[frozenset[_Row], bool] = {}

    def where(self, extra: list[_Row], within: list[_Piece] = _EVERYWHERE) -> list[_Piece]:
        """The g in `within` where some case together with `extra` has a solution."""
        found: list[_Piece] = []
        for case in self.cases:
            found.extend(self._where_case(case + extra, within))
        return _union(found)

    def _where_case(self, rows: list[_Row], within: list[_Piece]) -> list[_Piece]:
        variables = {index for row in rows for index, _ in row.coefficients}
        rows = rows + [self.bound_rows[v] for v in sorted(variables) if v in self.bound_rows]
        result = within
        for component in _components(rows):
            if all(len(p) <= 1 for row in component for p in _polys(row)):
                if not self._fixed_satisfiable(component):
                    return []
                continue
            rivals = sum(1 for row in component if any(len(p) > 1 for p in _polys(row)))
            convex = _convex_where(component, self.deadline) if rivals > 2 else None
            if convex is not None:
                result = _intersection(result, convex)
            else:
                result = _union(_satisfiable_cells(component, _to_cells(result), self.deadline))
            if not result:
                return []
        return result

    def _fixed_satisfiable(self, rows: list[_Row]) -> bool:
        key = frozenset(rows)
        if key not in self._fixed:
            self._fixed[key] = bool(_satisfiable_cells(rows, [_ANYWHERE], self.deadline))
        return self._fixed[key]


# When every cost atom enters the comparisons either multiplied by g (a c-atom) or not (a
# t-atom), and no row mixes the two kinds, the substitution y = g*x for the c-atoms makes
# every row linear in (g, atoms) jointly (after multiplying it by a power of g > 0). The set
# of g is then the projection of one polyhedron: an interval with rational ends, found by
# exact linear programming instead of elimination. This is the common case in practice (the
# essay's assumptions each speak about description lengths or about run times, not both).


_Scaled = tuple[dict[int, Fraction | int], Fraction | int, Fraction | int, str]


def _scaled_rows(rows: list[_Row]) -> list[_Scaled] | None:
    """Rows as (coefficients, coefficient of g, constant, relation) after the substitution,
    or None when the substitution does not make them linear."""
    scaled = {i for row in rows for i, p in row.coefficients if len(p) > 1}
    result = []
    for row in rows:
        exponents = set()
        terms: dict[int, Fraction | int] = {}
        for index, poly in row.coefficients:
            degrees = [d for d, c in enumerate(poly) if c]
            if len(degrees) != 1:
                return None
            degree = degrees[0]
            exponents.add(degree - 1 if index in scaled else degree)
            terms[index] = poly[degree]
        if len(exponents) > 1:
            return None
        exponent = exponents.pop() if exponents else 0
        constant = row.constant
        if any(c and d not in (exponent, exponent + 1) for d, c in enumerate(constant)):
            return None
        plain = constant[exponent] if 0 <= exponent < len(constant) else 0
        with_g = constant[exponent + 1] if 0 <= exponent + 1 < len(constant) else 0
        result.append((terms, with_g, plain, row.relation))
    return result


def _convex_where(rows: list[_Row], deadline: float) -> list[_Piece] | None:
    """The g > 0 where the rows are satisfiable, when `_scaled_rows` applies; else None."""
    linear = _scaled_rows(rows)
    if linear is None:
        return None
    import z3

    g = z3.Real("g")
    unknowns = {i: z3.Real(f"v{i}") for terms, _, _, _ in linear for i in terms}

    def number(value: Fraction | int) -> z3.ArithRef | int:
        return value if isinstance(value, int) else z3.RealVal(str(value))

    def side(
        terms: dict[int, Fraction | int], with_g: Fraction | int, plain: Fraction | int
    ) -> z3.ArithRef:
        parts = [number(c) * unknowns[i] for i, c in terms.items()]
        if with_g:
            parts.append(number(with_g) * g)
        return z3.Sum(parts) + number(plain) if parts else z3.RealVal(str(plain))

    exact = [g > 0]
    relaxed = [g >= 0]
    for terms, with_g, plain, relation in linear:
        value = side(terms, with_g, plain)
        exact.append(
            value > 0 if relation == ">" else value >= 0 if relation == ">=" else value == 0
        )
        relaxed.append(value == 0 if relation == "=" else value >= 0)

    def budget() -> int:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout("the elimination ran out of time")
        return max(int(remaining * 1000), 1)

    def satisfiable(extra: list[z3.BoolRef]) -> bool:
        solver = z3.Solver()
        solver.set("timeout", budget())
        solver.add(*exact, *extra)
        answer = solver.check()
        if answer == z3.unknown:
            raise _Timeout(f"z3 gave up: {solver.reason_unknown()}")
        return answer == z3.sat

    def extreme(maximize: bool) -> Fraction | None:
        optimizer = z3.Optimize()
        optimizer.set("timeout", budget())
        optimizer.add(*relaxed)
        handle = optimizer.maximize(g) if maximize else optimizer.minimize(g)
        if optimizer.check() != z3.sat:
            raise _Timeout("z3 could not optimize g")
        value = handle.value()
        if z3.is_int_value(value):
            return Fraction(value.as_long())
        if not z3.is_rational_value(value):
            return None  # unbounded
        return Fraction(value.numerator_as_long(), value.denominator_as_long())

    if not satisfiable([]):
        return []
    lo, hi = extreme(False), extreme(True)
    assert lo is not None
    lo_in = lo > 0 and satisfiable([g == z3.RealVal(str(lo))])
    hi_in = hi is not None and satisfiable([g == z3.RealVal(str(hi))])
    if hi is not None and lo == hi:
        return [_Piece(lo, hi, True, True)] if lo_in else []
    return [_Piece(lo, hi, lo_in, hi_in)]


def _polys(row: _Row) -> list[GPoly]:
    return [p for _, p in row.coefficients] + [row.constant]


def _components(rows: list[_Row]) -> list[list[_Row]]:
    """Rows grouped by shared unknowns (rows without unknowns form their own groups)."""
    parent: dict[int, int] = {}

    def find(v: int) -> int:
        while parent.setdefault(v, v) != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for row in rows:
        indices = [i for i, _ in row.coefficients]
        for other in indices[1:]:
            parent[find(other)] = find(indices[0])
    groups: dict[object, list[_Row]] = {}
    for n, row in enumerate(rows):
        key = find(row.coefficients[0][0]) if row.coefficients else ("alone", n)
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def _interval(piece: _Piece) -> Interval | None:
    if isinstance(piece.lo, Algebraic) or isinstance(piece.hi, Algebraic):
        return None
    return Interval(piece.lo, piece.hi, piece.lo_closed, piece.hi_closed)


def _describe_point(point: Algebraic) -> str:
    g = sympy.Symbol("g")
    polynomial = sum(sympy.Rational(c) * g**i for i, c in enumerate(point.poly))
    while point.hi - point.lo > Fraction(1, 10**9):
        point.refine()
    approximate = float((point.lo + point.hi) / 2)
    return f"root of {sympy.sstr(sympy.expand(polynomial * sympy.denom(sympy.together(polynomial))))} near {approximate:.6g}"


def _ratio_text(numerator: sympy.Expr, denominator: sympy.Expr) -> str:
    if denominator.is_number or numerator == 0:
        return sympy.sstr(sympy.expand(numerator / denominator))
    top, bottom = numerator.as_coefficients_dict(), denominator.as_coefficients_dict()
    if set(top) == set(bottom) and len({top[k] / bottom[k] for k in top}) == 1:
        return sympy.sstr(next(iter(top.values())) / next(iter(bottom[k] for k in top)))
    if not all(k == 1 or k.is_Symbol for k in list(top) + list(bottom)):
        ratio = sympy.cancel(numerator / denominator)
        if ratio.is_number:
            return sympy.sstr(ratio)

    def wrapped(expression: sympy.Expr) -> str:
        text = sympy.sstr(expression)
        return f"({text})" if isinstance(expression, sympy.Add) else text

    return f"{wrapped(numerator)}/{wrapped(denominator)}"


def _symbolic_threshold(
    winner: str,
    loser: str,
    delta_c: sympy.Expr,
    delta_t: sympy.Expr,
    signs: set[int] | None,
    time_signs: set[int] | None = None,
) -> Threshold:
    """P beats Q  <=>  g*delta_c < delta_t, one case per sign delta_c can take (`signs`, as
    the assumptions allow; None: any). With the signs delta_t can take (`time_signs`), a
    pair decided the same way for every g says so."""
    possible = signs if signs is not None else {-1, 0, 1}
    if delta_c.is_number:
        possible = {int(sympy.sign(delta_c))}
    times = time_signs if time_signs is not None else {-1, 0, 1}
    if delta_t.is_number:
        times = {int(sympy.sign(delta_t))}
    head = f"{winner} beats {loser} <=> "
    if possible and times and possible <= {-1, 0} and times == {1}:
        why = f"always (c: {sympy.sstr(delta_c)} <= 0, t: {sympy.sstr(delta_t)} > 0)"
        return Threshold(winner, loser, delta_c, delta_t, head + why)
    if possible and times and possible <= {0, 1} and times <= {-1, 0}:
        why = f"never (c: {sympy.sstr(delta_c)} >= 0, t: {sympy.sstr(delta_t)} <= 0)"
        return Threshold(winner, loser, delta_c, delta_t, head + why)
    forced = len(possible) == 1
    cases: list[str] = []
    if 1 in possible:
        condition = "" if forced else f" when {sympy.sstr(delta_c)} > 0"
        cases.append(f"g < {_ratio_text(delta_t, delta_c)}{condition}")
    if -1 in possible:
        condition = "" if forced else f" when {sympy.sstr(-delta_c)} > 0"
        cases.append(f"g > {_ratio_text(-delta_t, -delta_c)}{condition}")
    if 0 in possible:
        condition = "" if forced else f" when {sympy.sstr(delta_c)} = 0"
        if delta_t.is_number:
            cases.append(("always" if delta_t > 0 else "never") + condition)
        else:
            cases.append(f"{sympy.sstr(delta_t)} > 0{condition}")
    if not cases:
        cases.append("never (the assumptions are unsatisfiable)")
    text = f"{winner} beats {loser} <=> " + "; ".join(cases)
    return Threshold(winner, loser, delta_c, delta_t, text)


def _tidy(expression: sympy.Expr) -> sympy.Expr:
    expanded = sympy.expand(expression)
    if expanded.is_polynomial() and all(
        t.is_Symbol or t.is_number or t.is_Mul for t in sympy.Add.make_args(expanded)
    ):
        return expanded
    return sympy.simplify(expression)


def symbolic_ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.logic.boolalg.Boolean],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 10.0,
) -> RangesResult:
    """Robust and possible ranges of g for symbolic costs under the assumptions, exactly.

    Linear costs and assumptions go through parametric Fourier–Motzkin elimination (above):
    robust dominance is split pairwise (for-all distributes over and), its complement is the
    set of g where some admissible costs let the rival tie or win; the possible reading needs
    every rival beaten at once, so it is one joint elimination per program, restricted to the
    g where each rival alone can be beaten. Anything non-linear goes to QEPCAD B when it is
    installed and is reported unknown otherwise.
    """
    deadline = time.monotonic() + timeout
    names = tuple(costs)
    for atom, kind in bounds.items():
        if kind not in ("positive", "nonneg"):
            raise ValueError(f"bound of {atom} must be 'positive' or 'nonneg', not {kind!r}")
    atoms = sorted(
        set(bounds)
        | {s for pair in costs.values() for e in pair for s in e.free_symbols}
        | {s for a in assumptions for s in a.free_symbols},
        key=lambda s: s.name,
    )
    index = {atom: n for n, atom in enumerate(atoms)}
    bound_rows = {
        index[atom]: _Row(
            ((index[atom], (Fraction(1),)),),
            (),
            ">" if kind == "positive" else ">=",
            frozenset({2_000_000 + index[atom]}),
        )
        for atom, kind in bounds.items()
    }
    try:
        linear_costs = {
            name: (_linear(c, index), _linear(t, index)) for name, (c, t) in costs.items()
        }
        cases = _dnf(sympy.And(*assumptions), index)
    except _NonLinear as error:
        return _nonlinear_ranges(costs, assumptions, bounds, timeout, str(error))

    elimination = _Elimination(bound_rows, cases, deadline)
    try:
        pairs: dict[tuple[str, str], Threshold] = {}
        for n, name in enumerate(names):
            for other in names[n + 1 :]:
                forward, backward = _pair_thresholds(name, other, costs, linear_costs, elimination)
                pairs[name, other], pairs[other, name] = forward, backward
        thresholds = {
            name: tuple(pairs[name, other] for other in names if other != name) for name in names
        }
        rows: list[RangeRow] = []
        irrational: list[str] = []
        satisfiable = bool(elimination.where([]))
        for name in names:
            robust_pieces, possible_pieces = _program_ranges(name, names, linear_costs, elimination)
            robust = [_interval(p) for p in robust_pieces]
            possible = [_interval(p) for p in possible_pieces]
            for piece in robust_pieces + possible_pieces:
                for end in (piece.lo, piece.hi):
                    if isinstance(end, Algebraic):
                        irrational.append(f"{name}: {_describe_point(end)}")
            rows.append(
                RangeRow(
                    name,
                    tuple(i for i in robust if i is not None),
                    tuple(i for i in possible if i is not None),
                    thresholds[name],
                )
            )
    except _Timeout as error:
        empty = tuple(RangeRow(n, (), (), ()) for n in names)
        return RangesResult(names, None, empty, "unknown", f"{error} (timeout {timeout:g} s)")
    if irrational:
        # No partial rows: an empty range would read as "never" rather than "not exact".
        why = "a range ends at an irrational g, which intervals cannot hold exactly: "
        bare = tuple(RangeRow(row.program, (), (), row.thresholds) for row in rows)
        return RangesResult(names, None, bare, "unknown", why + "; ".join(irrational))
    note = (
        None
        if satisfiable
        else "the assumptions are unsatisfiable, so every robust range is vacuous"
    )
    return RangesResult(names, None, tuple(rows), "exact", note)


def _difference(first: _Linear, second: _Linear) -> _Linear:
    terms: dict[int, Fraction] = dict(first.coefficients)
    for i, v in second.coefficients:
        terms[i] = terms.get(i, Fraction(0)) - v
    coefficients = tuple(sorted((i, v) for i, v in terms.items() if v))
    return _Linear(coefficients, first.constant - second.constant)


def _signs(form: _Linear, elimination: _Elimination) -> set[int]:
    """The signs the linear form can take on admissible costs."""
    negative = _Linear(tuple((i, -v) for i, v in form.coefficients), -form.constant)
    signs = set()
    for sign, literal in ((1, (form, ">")), (-1, (negative, ">")), (0, (form, "="))):
        if elimination.where([_literal_row(literal, 3_000_000)]):
            signs.add(sign)
    return signs


def _pair_thresholds(
    name: str,
    other: str,
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    linear_costs: Mapping[str, tuple[_Linear, _Linear]],
    elimination: _Elimination,
) -> tuple[Threshold, Threshold]:
    """The thresholds of `name` over `other` and of `other` over `name`."""
    delta_c = _tidy(costs[name][0] - costs[other][0])
    delta_t = _tidy(costs[other][1] - costs[name][1])
    c_signs = _signs(_difference(linear_costs[name][0], linear_costs[other][0]), elimination)
    t_signs = _signs(_difference(linear_costs[other][1], linear_costs[name][1]), elimination)
    flipped_c, flipped_t = {-v for v in c_signs}, {-v for v in t_signs}
    return (
        _symbolic_threshold(name, other, delta_c, delta_t, c_signs, t_signs),
        _symbolic_threshold(other, name, -delta_c, -delta_t, flipped_c, flipped_t),
    )


def _program_ranges(
    name: str,
    names: tuple[str, ...],
    linear_costs: Mapping[str, tuple[_Linear, _Linear]],
    elimination: _Elimination,
) -> tuple[list[_Piece], list[_Piece]]:
    rivals = [other for other in names if other != name]
    mine = linear_costs[name]
    losing: list[_Piece] = []
    beatable: list[_Piece] = _EVERYWHERE
    for n, other in enumerate(rivals):
        theirs = linear_costs[other]
        # Robust: no admissible costs let `other` tie or win at g.
        losing.extend(elimination.where([_rivalry_row(mine, theirs, ">=", True, 4_000_000 + n)]))
        # Possible, one rival at a time: a necessary condition that narrows the joint search.
        if beatable:
            beatable = elimination.where(
                [_rivalry_row(mine, theirs, ">", False, 4_000_000 + n)], beatable
            )
    robust = _complement(_union(losing))
    if len(rivals) <= 1 or not beatable:
        return robust, beatable
    joint = [
        _rivalry_row(mine, linear_costs[other], ">", False, 4_000_000 + n)
        for n, other in enumerate(rivals)
    ]
    return robust, elimination.where(joint, beatable)


def _nonlinear_ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.logic.boolalg.Boolean],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float,
    why: str,
) -> RangesResult:
    """Non-linear costs or assumptions: QEPCAD B decides them exactly when installed."""
    names = tuple(costs)
    from calculus.qepcad import available, ranges  # imported late: it builds on this module

    if not available():
        reason = f"beyond the linear elimination ({why}) and QEPCAD B is not installed for the exact fallback"
        return RangesResult(
            names, None, tuple(RangeRow(n, (), (), ()) for n in names), "unknown", reason
        )
    return ranges(costs, assumptions, bounds, timeout=timeout, fallback_reason=why)
