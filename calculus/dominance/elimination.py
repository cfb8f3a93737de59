"""Symbolic ranges for linear costs and assumptions: parametric Fourier–Motzkin elimination.

Robust dominance is split pairwise (for-all distributes over and); its complement is the set
of g where some admissible costs let the rival tie or win. The possible reading needs every
rival beaten at once, so it is one joint elimination per program, restricted to the g where
each rival alone can be beaten. Assumptions go to disjunctive normal form over linear
literals; when every row is linear in (g, atoms) after scaling, exact linear programming
replaces the elimination (the convex shortcut).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import field
from fractions import Fraction

import sympy

from calculus.dominance.axis import (
    POSITIVE_AXIS,
    Cell,
    GPoly,
    Piece,
    complement,
    divide_exact,
    intersection,
    poly_add,
    poly_constant,
    poly_gcd,
    poly_mul,
    poly_scale,
    poly_trim,
    roots_inside,
    sign_at,
    sign_on,
    signum,
    split,
    to_cells,
    union,
)
from calculus.dominance.records import Findings, Threshold, Unanswered
from calculus.dominance.thresholds import symbolic_threshold, tidy
from calculus.frozen import frozen

__all__ = ["NonLinear", "findings"]

# ---------------------------------------------------------------------------
# A row is  sum_j p_j(g) * x_j + p_0(g)  (> 0 | >= 0 | = 0)  with p_j in Q[g]. On a cell of
# the g-axis where every coefficient of the variable being eliminated keeps one sign, a
# Fourier–Motzkin step is exact for every g of the cell at once; where a coefficient changes
# sign the cell is cut at its roots first. When no variable is left, the rows are conditions
# on g alone, decided on the sub-cells between their roots. The result is exactly the set of
# g for which the rows are satisfiable. Chernikov's rule (a row combined from more than k+1
# originals after k eliminations is implied by others) keeps the row count in check.


class _Timeout(Exception):
    pass


@frozen
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
        terms[index] = poly_mul(k1, poly)
    for index, poly in second.coefficients:
        terms[index] = poly_add(terms.get(index, ()), poly_mul(k2, poly))
    constant = poly_add(poly_mul(k1, first.constant), poly_mul(k2, second.constant))
    coefficients = tuple(sorted((i, p) for i, p in terms.items() if p))
    return _Row(coefficients, constant, relation, first.ancestors | second.ancestors)


def _integral(polys: list[GPoly]) -> list[GPoly]:
    """The polynomials times one positive rational, with coprime integer coefficients."""
    values = [value for poly in polys for value in poly]
    integers = [value for value in values if isinstance(value, int)]
    if len(integers) < len(values):
        return _integral_of_rationals(polys)
    content = math.gcd(*integers)
    if content <= 1:
        return polys
    return [tuple(value // content for value in poly) for poly in polys]


def _integral_of_rationals(polys: list[GPoly]) -> list[GPoly]:
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


def _common_factor(polys: list[GPoly]) -> GPoly:
    """A greatest common divisor of the polynomials (a constant when they share no root)."""
    present = [p for p in polys if p]
    if not present or any(len(p) == 1 for p in present):
        return (1,)
    first = present[0]
    if len(first) == 2:
        # Linear polynomials share a factor only when all are proportional to the first.
        a0, a1 = first
        if any(len(p) == 2 and a0 * p[1] != a1 * p[0] for p in present[1:]):
            return (1,)
    common = first
    for p in present[1:]:
        if len(common) <= 1:
            break
        common = poly_gcd(common, p)
    return common


def _normalize(row: _Row, cell: Cell) -> _Row | bool:
    """Drop vanishing terms, divide out a common factor of fixed sign and scale to coprime
    integers, so parallel rows look alike. True/False for a decided row without unknowns."""
    if row.normal and not cell.point:
        return row
    coefficients = row.coefficients
    if cell.point:
        coefficients = tuple(
            (i, p) for i, p in coefficients if len(p) == 1 or sign_at(p, cell.lo) != 0
        )
    constant = row.constant
    if not coefficients and len(constant) <= 1:
        value = constant[0] if constant else 0
        return _holds(row.relation, signum(value))
    polys = [p for _, p in coefficients] + [constant]
    if max(map(len, polys)) > 1:
        common = _common_factor(polys)
        if len(common) > 1 and not roots_inside(common, cell):
            sign = sign_on(common, cell)
            if sign:
                polys = [poly_scale(divide_exact(p, common), sign) for p in polys]
    if row.relation == "=":
        lead = polys[0]
        if lead[-1] < 0:  # equalities may also flip sign, to a positive leading coefficient
            polys = [poly_scale(p, -1) for p in polys]
    polys = _integral(polys)
    coefficients = tuple((i, p) for (i, _), p in zip(coefficients, polys, strict=False))
    return _Row(coefficients, polys[-1], row.relation, row.ancestors, normal=not cell.point)


def _simplify(rows: Iterable[_Row], cell: Cell) -> list[_Row] | None:
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


def _decide_on_axis(rows: list[_Row], cell: Cell) -> list[Cell]:
    """The parts of the cell where every row (all without unknowns) holds."""
    points = [root for row in rows for root in roots_inside(row.constant, cell)]
    return [
        piece
        for piece in split(cell, points)
        if all(_holds(row.relation, sign_on(row.constant, piece)) for row in rows)
    ]


_ROW_LIMIT = 20000


def _satisfiable_cells(rows: list[_Row], cells: Iterable[Cell], deadline: float) -> list[Cell]:
    """The parts of the cells where the rows have a solution in the unknowns."""
    result: list[Cell] = []
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


@frozen
class _Step:
    """Either cut the cell at `split`, or go on with `rows` after `eliminated` eliminations."""

    split: list[Cell] | None
    rows: list[_Row]
    eliminated: int


def _equality_step(rows: list[_Row], cell: Cell, eliminated: int) -> _Step | None:
    """Substitute one equality away, or cut the cell where its pivot could vanish."""
    equalities = [row for row in rows if row.relation == "=" and row.coefficients]
    if not equalities:
        return None
    candidates = []
    for row in equalities:
        for index, poly in row.coefficients:
            candidates.append((len(poly) > 1, len(roots_inside(poly, cell)) > 0, row, index, poly))
    candidates.sort(key=lambda item: (item[0], item[1]))
    _, ambiguous, pivot_row, variable, pivot = candidates[0]
    if ambiguous:
        return _Step(split(cell, roots_inside(pivot, cell)), rows, eliminated)
    sign = sign_on(pivot, cell)
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
                row, poly_scale(pivot, sign), pivot_row, poly_scale(other, -sign), row.relation
            )
        )
    return _Step(None, new_rows, eliminated)


def _inequality_step(rows: list[_Row], cell: Cell, eliminated: int) -> _Step:
    variables: dict[int, list[tuple[_Row, GPoly]]] = {}
    signs: dict[GPoly, int] = {}  # the coefficients' signs on the cell, where they have one
    vanishing: set[GPoly] = set()  # coefficients with a root inside the cell
    for row in rows:
        for index, poly in row.coefficients:
            variables.setdefault(index, []).append((row, poly))
            if poly in signs or poly in vanishing:
                continue
            if len(poly) == 1:
                signs[poly] = 1 if poly[0] > 0 else -1
            elif roots_inside(poly, cell):
                vanishing.add(poly)
            else:
                signs[poly] = sign_on(poly, cell)
    best = None
    for variable, uses in variables.items():
        ambiguous = [poly for _, poly in uses if poly in vanishing]
        if ambiguous:
            growth = len(uses) ** 2
        else:
            positive = sum(1 for _, poly in uses if signs[poly] > 0)
            negative = len(uses) - positive
            growth = positive * negative - positive - negative
        key = (bool(ambiguous), growth, variable)
        if best is None or key < best[0]:
            best = (key, variable, uses, ambiguous)
    assert best is not None
    _, variable, uses, ambiguous = best
    if ambiguous:
        roots = [root for poly in ambiguous for root in roots_inside(poly, cell)]
        return _Step(split(cell, roots), rows, eliminated)
    lower = [(row, poly) for row, poly in uses if signs[poly] > 0]
    upper = [(row, poly) for row, poly in uses if signs[poly] < 0]
    new_rows = [row for row in rows if not row.coefficient(variable)]
    limit = eliminated + 2
    for row_low, a in lower:
        for row_up, b in upper:
            ancestors = row_low.ancestors | row_up.ancestors
            if len(ancestors) > limit:
                continue
            relation = ">" if ">" in (row_low.relation, row_up.relation) else ">="
            new_rows.append(_combine(row_low, poly_scale(b, -1), row_up, a, relation))
    return _Step(None, new_rows, eliminated + 1)


# ---------------------------------------------------------------------------
# From sympy costs and assumptions to rows


class NonLinear(Exception):
    """The model is outside what the linear elimination handles (a product, a huge DNF)."""


@frozen
class _Linear:
    """sum coefficients[j] * atom_j + constant, over the atoms' indices."""

    coefficients: tuple[tuple[int, Fraction | int], ...]  # integers kept as int: cheaper
    constant: Fraction | int


def _linear(expression: sympy.Expr, index: Mapping[sympy.Symbol, int]) -> _Linear:
    terms: dict[int, Fraction | int] = {}
    constant: Fraction | int = 0
    for term, value in sympy.expand(expression).as_coefficients_dict().items():
        if not value.is_Rational:
            raise NonLinear(f"coefficient {value} is not rational")
        number = int(value.p) if value.q == 1 else Fraction(int(value.p), int(value.q))
        if term == 1:
            constant += number
        elif term in index:
            terms[index[term]] = terms.get(index[term], 0) + number
        else:
            raise NonLinear(f"{term} is not linear in the cost atoms")
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
    raise NonLinear(f"unsupported comparison {relation}")


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
                raise NonLinear(f"the assumptions expand to more than {_DNF_LIMIT} cases")
        return result
    if isinstance(formula, sympy.core.relational.Relational):
        return _literals(formula, index, negated)
    raise NonLinear(f"unsupported assumption {formula}")


def _literal_row(literal: _Literal, ancestor: int) -> _Row:
    form, relation = literal
    polys = _integral([(v,) for _, v in form.coefficients] + [poly_constant(form.constant)])
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
    sign = -1 if flip else 1
    polys: dict[int, list[Fraction | int]] = {}
    for degree, (mine, theirs) in enumerate(((winner[1], loser[1]), (winner[0], loser[0]))):
        for i, v in theirs.coefficients:
            polys.setdefault(i, [0, 0])[degree] += v * sign
        for i, v in mine.coefficients:
            polys.setdefault(i, [0, 0])[degree] -= v * sign
    constant = poly_trim(
        [
            (loser[1].constant - winner[1].constant) * sign,
            (loser[0].constant - winner[0].constant) * sign,
        ]
    )
    pairs = sorted((i, poly_trim(p)) for i, p in polys.items() if poly_trim(p))
    integral = _integral([p for _, p in pairs] + [constant])
    coefficients = tuple((i, p) for (i, _), p in zip(pairs, integral, strict=False))
    return _Row(coefficients, integral[-1], relation, frozenset({ancestor}))


# ---------------------------------------------------------------------------
# Symbolic ranges


_EVERYWHERE = [POSITIVE_AXIS]
_ANYWHERE = Cell(Fraction(1), Fraction(1), True)  # for rows that do not mention g


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

    @functools.cached_property
    def satisfiable(self) -> bool:
        """Whether the assumptions have a solution at some g > 0."""
        return bool(self.where([]))

    def where(self, extra: list[_Row], within: list[Piece] = _EVERYWHERE) -> list[Piece]:
        """The g in `within` where some case together with `extra` has a solution."""
        found: list[Piece] = []
        for case in self.cases:
            found.extend(self._where_case(case + extra, within))
        return union(found)

    def _where_case(self, rows: list[_Row], within: list[Piece]) -> list[Piece]:
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
                result = intersection(result, convex)
            else:
                result = union(_satisfiable_cells(component, to_cells(result), self.deadline))
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


def _convex_where(rows: list[_Row], deadline: float) -> list[Piece] | None:
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
        return [Piece(lo, hi, True, True)] if lo_in else []
    return [Piece(lo, hi, lo_in, hi_in)]


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


def _difference(first: _Linear, second: _Linear) -> _Linear:
    terms: dict[int, Fraction | int] = dict(first.coefficients)
    for i, v in second.coefficients:
        terms[i] = terms.get(i, 0) - v
    coefficients = tuple(sorted((i, v) for i, v in terms.items() if v))
    return _Linear(coefficients, first.constant - second.constant)


def _signs(form: _Linear, elimination: _Elimination) -> set[int]:
    """The signs the linear form can take on admissible costs.

    A form that cannot be <= 0 (or >= 0) has one sign, settled by one query: the common case,
    where an assumption orders two programs' costs. With one case the admissible costs form
    a convex set, on which a linear form that takes values <= 0 and >= 0 also takes 0 (it is
    continuous on a connected set): that query is skipped."""
    if not elimination.satisfiable:
        return set()
    if not form.coefficients:
        return {(form.constant > 0) - (form.constant < 0)}
    negative = _Linear(tuple((i, -v) for i, v in form.coefficients), -form.constant)

    def possible(literal: _Literal) -> bool:
        return bool(elimination.where([_literal_row(literal, 3_000_000)]))

    if not possible((negative, ">=")):
        return {1}
    if not possible((form, ">=")):
        return {-1}
    signs = {0} if len(elimination.cases) == 1 or possible((form, "=")) else set()
    if possible((form, ">")):
        signs.add(1)
    if possible((negative, ">")):
        signs.add(-1)
    return signs


def _pair_thresholds(
    name: str,
    other: str,
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    linear_costs: Mapping[str, tuple[_Linear, _Linear]],
    elimination: _Elimination,
) -> tuple[Threshold, Threshold]:
    """The thresholds of `name` over `other` and of `other` over `name`."""
    delta_c = tidy(costs[name][0] - costs[other][0])
    delta_t = tidy(costs[other][1] - costs[name][1])
    c_signs = _signs(_difference(linear_costs[name][0], linear_costs[other][0]), elimination)
    t_signs = _signs(_difference(linear_costs[other][1], linear_costs[name][1]), elimination)
    flipped_c, flipped_t = {-v for v in c_signs}, {-v for v in t_signs}
    return (
        symbolic_threshold(name, other, delta_c, delta_t, c_signs, t_signs),
        symbolic_threshold(other, name, -delta_c, -delta_t, flipped_c, flipped_t),
    )


def _program_ranges(
    name: str,
    names: tuple[str, ...],
    linear_costs: Mapping[str, tuple[_Linear, _Linear]],
    elimination: _Elimination,
) -> tuple[list[Piece], list[Piece]]:
    rivals = [other for other in names if other != name]
    mine = linear_costs[name]
    # `name` beats each rival: its cost-at-g below theirs.
    beating = [
        _rivalry_row(mine, linear_costs[other], ">", False, 4_000_000 + n)
        for n, other in enumerate(rivals)
    ]
    losing: list[Piece] = []
    beatable: list[Piece] = _EVERYWHERE
    for n, other in enumerate(rivals):
        theirs = linear_costs[other]
        # Robust: no admissible costs let `other` tie or win at g.
        losing.extend(elimination.where([_rivalry_row(mine, theirs, ">=", True, 4_000_000 + n)]))
        # Possible, one rival at a time: a necessary condition that narrows the joint search.
        if beatable:
            beatable = elimination.where([beating[n]], beatable)
    robust = complement(union(losing))
    if len(rivals) <= 1 or not beatable:
        return robust, beatable
    return robust, elimination.where(beating, beatable)


def findings(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.logic.boolalg.Boolean],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float,
) -> Findings:
    """The ranges and thresholds of every program; `NonLinear` when the costs or assumptions
    are beyond this back-end, `Unanswered` when it runs out of time."""
    deadline = time.monotonic() + timeout
    names = tuple(costs)
    atoms = sorted(
        set(bounds)
        | {s for pair in costs.values() for e in pair for s in e.free_symbols}
        | {s for a in assumptions for s in a.free_symbols},
        key=lambda s: s.name,
    )
    index = {atom: n for n, atom in enumerate(atoms)}
    bound_rows = {
        index[atom]: _Row(
            ((index[atom], (1,)),),
            (),
            ">" if kind == "positive" else ">=",
            frozenset({2_000_000 + index[atom]}),
        )
        for atom, kind in bounds.items()
    }
    linear_costs = {name: (_linear(c, index), _linear(t, index)) for name, (c, t) in costs.items()}
    cases = _dnf(sympy.And(*assumptions), index)

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
        satisfiable = elimination.satisfiable
        ranges = {name: _program_ranges(name, names, linear_costs, elimination) for name in names}
    except _Timeout as error:
        raise Unanswered(f"{error} (timeout {timeout:g} s)") from error
    return Findings(ranges, thresholds, satisfiable)
