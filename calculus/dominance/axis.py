"""Exact arithmetic on the g-axis: polynomials in g, real algebraic points, cells and sets of g.

The library the symbolic back-ends share: a set of g > 0 is a list of sorted disjoint
`Piece`s whose ends are rationals or real algebraic numbers, compared exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from fractions import Fraction

import sympy

from calculus.frozen import frozen

# Exact arithmetic on the g-axis: polynomials in g and real algebraic points
#
# The symbolic ranges are semi-algebraic subsets of g > 0. Their ends are real roots of
# polynomials in g with rational coefficients; most are rational, but a "possible" range
# against two or more rivals can end at an irrational root, so points are real algebraic
# numbers (an irreducible polynomial plus an isolating interval), compared exactly.

# Coefficients in g, lowest degree first, no trailing zeros. Rows of the elimination keep
# integer coefficients (cheaper than Fractions); algebraic points use Fractions.
GPoly = tuple[Fraction | int, ...]


def poly_trim(coefficients: Iterable[Fraction | int]) -> GPoly:
    values = list(coefficients)
    while values and values[-1] == 0:
        values.pop()
    return tuple(values)


def poly_constant(value: Fraction | int) -> GPoly:
    return (Fraction(value),) if value else ()


def poly_add(a: GPoly, b: GPoly) -> GPoly:
    if len(a) < len(b):
        a, b = b, a
    return poly_trim([x + (b[i] if i < len(b) else 0) for i, x in enumerate(a)])


def poly_scale(a: GPoly, k: Fraction | int) -> GPoly:
    return tuple(x * k for x in a) if k else ()


def poly_mul(a: GPoly, b: GPoly) -> GPoly:
    if not a or not b:
        return ()
    if len(a) == 1:
        return poly_scale(b, a[0])
    if len(b) == 1:
        return poly_scale(a, b[0])
    result: list[Fraction | int] = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            result[i + j] += x * y
    return poly_trim(result)


def poly_combine(operation: str, children: Sequence[GPoly]) -> GPoly | None:
    """`add`, `mul`, `sub` (the first minus the rest) or `neg` of polynomials in g, as a
    solver's answer writes them; None for any other operation."""
    if operation == "add":
        total: GPoly = ()
        for child in children:
            total = poly_add(total, child)
        return total
    if operation == "mul":
        product: GPoly = (Fraction(1),)
        for child in children:
            product = poly_mul(product, child)
        return product
    if operation == "sub":
        result = children[0]
        for child in children[1:]:
            result = poly_add(result, poly_scale(child, -1))
        return result
    if operation == "neg":
        return poly_scale(children[0], -1)
    return None


def poly_eval(a: GPoly, x: Fraction) -> Fraction:
    value: Fraction = Fraction(0)
    for coefficient in reversed(a):
        value = value * x + coefficient
    return value


def poly_remainder(a: GPoly, b: GPoly) -> GPoly:
    remainder = list(a)
    while len(remainder) >= len(b):
        factor = Fraction(remainder[-1]) / b[-1]
        shift = len(remainder) - len(b)
        for i, y in enumerate(b):
            remainder[shift + i] -= factor * y
        remainder = list(poly_trim(remainder))
    return tuple(remainder)


def poly_gcd(a: GPoly, b: GPoly) -> GPoly:
    while b:
        a, b = b, poly_remainder(a, b)
    return poly_scale(a, 1 / Fraction(a[-1])) if a else ()


def signum(value: Fraction | int) -> int:
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
        if signum(poly_eval(self.poly, middle)) == signum(poly_eval(self.poly, self.lo)):
            self.lo = middle
        else:
            self.hi = middle

    def __repr__(self) -> str:
        return f"root#{self.index} of {self.poly} in ({self.lo}, {self.hi})"

    def __lt__(self, other: object) -> bool:
        return compare(self, _point(other)) < 0

    def __le__(self, other: object) -> bool:
        return compare(self, _point(other)) <= 0

    def __gt__(self, other: object) -> bool:
        return compare(self, _point(other)) > 0

    def __ge__(self, other: object) -> bool:
        return compare(self, _point(other)) >= 0

    def __float__(self) -> float:
        while self.hi - self.lo > abs(self.lo) * Fraction(1, 10**15) + Fraction(1, 10**300):
            self.refine()
        return float((self.lo + self.hi) / 2)

    def polynomial_text(self) -> str:
        """The defining polynomial in g with coprime integer coefficients: `g**2 - 3*g + 1`."""
        g = sympy.Symbol("g")
        polynomial = sum(sympy.Rational(c) * g**i for i, c in enumerate(self.poly))
        return sympy.sstr(sympy.expand(polynomial * sympy.denom(sympy.together(polynomial))))

    def exact_text(self) -> str:
        """Exact and readable by sympy: radicals for a quadratic (`3/2 - sqrt(5)/2`), else
        `CRootOf(polynomial, k)` with k counting the real roots from the smallest."""
        g = sympy.Symbol("g")
        polynomial = sympy.sympify(self.polynomial_text(), locals={"g": g})
        if len(self.poly) == 3:
            a, b, c = (sympy.Rational(v) for v in reversed(self.poly))
            root = sympy.sqrt(b * b - 4 * a * c)
            value = (-b + root) / (2 * a) if self.index == 1 else (-b - root) / (2 * a)
            return sympy.sstr(sympy.radsimp(value))
        return sympy.sstr(sympy.CRootOf(polynomial, self.index))

    def text(self) -> str:
        """The exact value with a decimal approximation: `3/2 - sqrt(5)/2 ≈ 0.381966`."""
        return f"{self.exact_text()} ≈ {float(self):.6g}"


RealPoint = Fraction | Algebraic


def _point(value: object) -> RealPoint:
    if isinstance(value, (Algebraic, Fraction)):
        return value
    if isinstance(value, int):
        return Fraction(value)
    raise TypeError(f"cannot compare a real algebraic number with {value!r}")


def compare(x: RealPoint, y: RealPoint) -> int:
    """-1, 0 or 1 as x <, =, > y, exactly."""
    if isinstance(x, Fraction) and isinstance(y, Fraction):
        return signum(x - y)
    if isinstance(x, Fraction):
        return -compare(y, x)
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


def real_roots(p: GPoly) -> tuple[RealPoint, ...]:
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
        monic = poly_scale(poly_trim(coefficients), 1 / coefficients[-1])
        for index, ((lo, hi), _) in enumerate(factor.intervals()):
            roots.append(
                Algebraic(
                    monic, index, Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))
                )
            )
    roots.sort(key=functools.cmp_to_key(compare))
    return tuple(roots)


def sign_at(p: GPoly, x: RealPoint) -> int:
    """The exact sign of p(x)."""
    if len(p) <= 1:
        return signum(p[0]) if p else 0
    if isinstance(x, Fraction):
        if all(type(c) is int for c in p):
            # Integer Horner on the homogenized form sum c_i n^i d^(deg-i), of p(n/d)'s sign.
            n, d = x.numerator, x.denominator
            value, scale = p[-1], 1
            for c in reversed(p[:-1]):
                scale *= d
                value = value * n + c * scale  # type: ignore[operator]
            return (value > 0) - (value < 0)
        return signum(poly_eval(p, x))
    if not poly_remainder(p, x.poly):
        return 0  # x.poly is irreducible, so it divides p exactly when x is a root of p
    roots = real_roots(p)
    # Shrink x's interval until no root of p lies in it; p then has one sign on it.
    while any(compare(root, x.lo) >= 0 and compare(root, x.hi) <= 0 for root in roots):
        x.refine()
    return signum(poly_eval(p, x.lo))


def rational_between(lo: RealPoint, hi: RealPoint | None) -> Fraction:
    """A rational strictly between lo < hi (hi None: +oo)."""
    if hi is None:
        return (lo if isinstance(lo, Fraction) else lo.hi) + 1
    if isinstance(lo, Algebraic):
        while compare(hi, lo.hi) <= 0:
            lo.refine()
        return lo.hi  # lo < lo.hi < hi
    if isinstance(hi, Algebraic):
        while compare(lo, hi.lo) >= 0:
            hi.refine()
        return hi.lo  # lo < hi.lo < hi
    return (lo + hi) / 2


@frozen
class Cell:
    """Either the single point `lo` (hi is lo) or the open interval (lo, hi), hi None = +oo."""

    lo: RealPoint
    hi: RealPoint | None
    point: bool

    @functools.cached_property
    def sample(self) -> Fraction | Algebraic:
        """The point itself, or a rational inside the interval."""
        return self.lo if self.point else rational_between(self.lo, self.hi)


def sign_on(p: GPoly, cell: Cell) -> int:
    """The sign of p on the cell; the caller guarantees p has no root inside an open cell."""
    if len(p) <= 1:
        return signum(p[0]) if p else 0
    return sign_at(p, cell.sample)


def roots_inside(p: GPoly, cell: Cell) -> list[RealPoint]:
    if cell.point or len(p) <= 1:
        return []
    return [
        root
        for root in real_roots(p)
        if compare(root, cell.lo) > 0 and (cell.hi is None or compare(root, cell.hi) < 0)
    ]


def split(cell: Cell, points: Iterable[RealPoint]) -> list[Cell]:
    """The cell cut at the given inside points into open pieces and the points themselves."""
    if cell.point:
        return [cell]
    unique: list[RealPoint] = []
    for point in sorted(points, key=functools.cmp_to_key(compare)):
        if not unique or compare(unique[-1], point) != 0:
            unique.append(point)
    cells: list[Cell] = []
    lo = cell.lo
    for point in unique:
        cells.append(Cell(lo, point, False))
        cells.append(Cell(point, point, True))
        lo = point
    cells.append(Cell(lo, cell.hi, False))
    return cells


# ---------------------------------------------------------------------------
# Sets of g as sorted disjoint pieces with exact ends


@frozen
class Piece:
    lo: RealPoint
    hi: RealPoint | None
    lo_closed: bool
    hi_closed: bool


def union(cells: Iterable[Cell | Piece]) -> list[Piece]:
    """Merge cells and pieces into sorted disjoint pieces, joining pieces that touch."""
    pieces = []
    for item in cells:
        if isinstance(item, Cell):
            pieces.append(Piece(item.lo, item.hi, item.point, item.point))
        else:
            pieces.append(item)

    def order(a: Piece, b: Piece) -> int:
        by_lo = compare(a.lo, b.lo)
        if by_lo:
            return by_lo
        return b.lo_closed - a.lo_closed  # closed starts first

    pieces.sort(key=functools.cmp_to_key(order))
    merged: list[Piece] = []
    for piece in pieces:
        if merged:
            last = merged[-1]
            if last.hi is None:
                continue
            touch = compare(piece.lo, last.hi)
            if touch < 0 or (touch == 0 and (last.hi_closed or piece.lo_closed)):
                if piece.hi is None:
                    hi, hi_closed = None, False
                else:
                    further = compare(piece.hi, last.hi)
                    if further > 0:
                        hi, hi_closed = piece.hi, piece.hi_closed
                    elif further == 0:
                        hi, hi_closed = last.hi, last.hi_closed or piece.hi_closed
                    else:
                        hi, hi_closed = last.hi, last.hi_closed
                merged[-1] = Piece(last.lo, hi, last.lo_closed, hi_closed)
                continue
        merged.append(piece)
    return merged


POSITIVE_AXIS = Piece(Fraction(0), None, False, False)


def complement(pieces: list[Piece]) -> list[Piece]:
    """(0, oo) minus the pieces (which must lie inside (0, oo) and be sorted, disjoint)."""
    result: list[Piece] = []
    lo: RealPoint = Fraction(0)
    lo_closed = False
    for piece in pieces:
        if compare(piece.lo, lo) > 0 or (
            compare(piece.lo, lo) == 0 and lo_closed and not piece.lo_closed
        ):
            result.append(Piece(lo, piece.lo, lo_closed, not piece.lo_closed))
        if piece.hi is None:
            return result
        lo, lo_closed = piece.hi, not piece.hi_closed
    result.append(Piece(lo, None, lo_closed, False))
    return result


def intersection(first: list[Piece], second: list[Piece]) -> list[Piece]:
    return complement(union(complement(first) + complement(second)))


def to_cells(pieces: list[Piece]) -> list[Cell]:
    """Cells covering exactly the pieces: their open insides plus their closed ends."""
    cells = []
    for piece in pieces:
        if piece.hi is not None and compare(piece.lo, piece.hi) == 0:
            cells.append(Cell(piece.lo, piece.lo, True))
            continue
        if piece.lo_closed:
            cells.append(Cell(piece.lo, piece.lo, True))
        cells.append(Cell(piece.lo, piece.hi, False))
        if piece.hi_closed and piece.hi is not None:
            cells.append(Cell(piece.hi, piece.hi, True))
    return cells


def divide_exact(a: GPoly, b: GPoly) -> GPoly:
    quotient: list[Fraction | int] = [0] * max(len(a) - len(b) + 1, 0)
    remainder = list(a)
    while len(remainder) >= len(b) and remainder:
        factor = Fraction(remainder[-1]) / b[-1]
        shift = len(remainder) - len(b)
        quotient[shift] = factor
        for i, y in enumerate(b):
            remainder[shift + i] -= factor * y
        remainder = list(poly_trim(remainder))
    return poly_trim(quotient)


# ---------------------------------------------------------------------------
# Formulas in g alone (what quantifier elimination returns), and the set of g they define


@frozen
class GAtom:
    """poly(g) (relation) 0, or, with `root` set, g (relation) the root-th real root of poly."""

    poly: GPoly
    relation: str
    root: int | None = None  # g (relation) the root-th real root of poly, when set


GFormula = tuple  # ("and"|"or", [trees]) | ("not", tree) | ("atom", GAtom) | ("const", bool)


def formula_atoms(tree: GFormula) -> list[GAtom]:
    kind = tree[0]
    if kind == "atom":
        return [tree[1]]
    if kind == "not":
        return formula_atoms(tree[1])
    if kind in ("and", "or"):
        return [atom for part in tree[1] for atom in formula_atoms(part)]
    return []


def _atom_holds(atom: GAtom, cell: Cell) -> bool:
    if atom.root is None:
        sign = sign_on(atom.poly, cell)
    else:
        roots = real_roots(atom.poly)
        if atom.root > len(roots):
            raise ValueError(f"_root_{atom.root} of a polynomial with {len(roots)} real roots")
        point = roots[atom.root - 1]
        sign = compare(cell.sample, point) if not cell.point else compare(cell.lo, point)
    return {
        "<": sign < 0,
        ">": sign > 0,
        "<=": sign <= 0,
        ">=": sign >= 0,
        "=": sign == 0,
        "/=": sign != 0,
    }[atom.relation]


def holds_on(tree: GFormula, cell: Cell) -> bool:
    kind = tree[0]
    if kind == "const":
        return bool(tree[1])
    if kind == "atom":
        return _atom_holds(tree[1], cell)
    if kind == "not":
        return not holds_on(tree[1], cell)
    if kind == "and":
        return all(holds_on(part, cell) for part in tree[1])
    return any(holds_on(part, cell) for part in tree[1])


def solution_set(tree: GFormula) -> list[Piece]:
    """The set of g > 0 satisfying a formula in g, as sorted disjoint pieces with exact ends."""
    points: list[RealPoint] = []
    positive = Cell(Fraction(0), None, False)
    for atom in formula_atoms(tree):
        if atom.root is None:
            points.extend(roots_inside(atom.poly, positive))
        else:
            roots = real_roots(atom.poly)
            if 0 < atom.root <= len(roots) and compare(roots[atom.root - 1], Fraction(0)) > 0:
                points.append(roots[atom.root - 1])
    return union(cell for cell in split(positive, points) if holds_on(tree, cell))
