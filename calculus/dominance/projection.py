"""Non-linear ranges by projection onto the g-axis, decided cell by cell with z3's nlsat.

A question (see `questions`) holds on a set of g that is a finite union of points and open
intervals whose ends are real roots of the projection of its polynomials onto g. The
projection eliminates the cost atoms one at a time, keeping for every irreducible factor
its leading and trailing coefficients and its discriminant in the eliminated atom, and the
resultants of every pair: Lazard's projection, which is complete for cylindrical algebraic
decomposition (McCallum, Parusiński and Paunescu, J. Symbolic Comput. 92, 2019), so the
truth of the question is constant between consecutive roots. Each point and each open interval between them is
then decided exactly by z3's non-linear real arithmetic solver at one g — a rational inside
an interval, or the algebraic point itself. Extra roots only add cells, never errors.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from fractions import Fraction

import sympy

from calculus.dominance import axis, questions
from calculus.dominance.axis import Cell, Piece
from calculus.dominance.questions import Problem, z3_formula, z3_term
from calculus.dominance.records import Findings, Unanswered

__all__ = ["answer", "findings"]

_G = sympy.Symbol("g", positive=True)


def _polynomial(expression: sympy.Expr, variables: list[sympy.Symbol]) -> sympy.Poly:
    numerator, denominator = sympy.fraction(sympy.together(sympy.expand(expression)))
    if not sympy.sympify(denominator).is_number:
        raise Unanswered(f"{expression} is not a polynomial in the cost atoms")
    try:
        return sympy.Poly(sympy.expand(numerator), *variables, domain="QQ")
    except sympy.PolynomialError as error:
        raise Unanswered(f"{expression} is not a polynomial in the cost atoms") from error


def _comparisons(formula: sympy.Basic) -> list[sympy.Basic]:
    if isinstance(formula, sympy.core.relational.Relational):
        return [formula]
    return [c for arg in formula.args for c in _comparisons(arg)]


def _irreducible(expressions: list[sympy.Expr], variables: list[sympy.Symbol]) -> set[sympy.Expr]:
    """The distinct non-constant irreducible factors, primitive with a positive leading
    coefficient, as expressions."""
    factors: set[sympy.Expr] = set()
    for expression in expressions:
        poly = _polynomial(expression, variables)
        if poly.is_zero or poly.total_degree() == 0:
            continue
        for factor, _ in poly.factor_list()[1]:
            if factor.total_degree() > 0:
                _, primitive = factor.clear_denoms()[1].primitive()
                if primitive.LC() < 0:
                    primitive = -primitive
                factors.add(primitive.as_expr())
    return factors


def _project(
    polys: set[sympy.Expr], variable: sympy.Symbol, variables: list[sympy.Symbol], deadline: float
) -> set[sympy.Expr]:
    """One projection step (Lazard's): the factors free of `variable`, and for those with it
    their leading and trailing coefficients, discriminants and pairwise resultants in
    `variable`."""
    produced = [p for p in polys if variable not in p.free_symbols]
    involved = [p for p in polys if variable in p.free_symbols]
    for poly in involved:
        if time.monotonic() > deadline:
            raise Unanswered("the projection ran out of time")
        univariate = sympy.Poly(poly, variable)
        coefficients = univariate.all_coeffs()
        produced.extend((coefficients[0], coefficients[-1]))
        if univariate.degree() >= 2:
            produced.append(sympy.discriminant(poly, variable))
    for first, second in itertools.combinations(involved, 2):
        if time.monotonic() > deadline:
            raise Unanswered("the projection ran out of time")
        produced.append(sympy.resultant(first, second, variable))
    return _irreducible(produced, variables)


def _breakpoints(question: Problem, deadline: float) -> list[axis.RealPoint]:
    """Candidate ends: the positive real roots of the projection onto g."""
    variables = [_G, *question.atoms]
    expressions = [c.lhs - c.rhs for a in question.admissible for c in _comparisons(a)]  # type: ignore[attr-defined]
    expressions += [_G * dc + dt for dc, dt in question.goals]
    polys = _irreducible(expressions, variables)
    for atom in reversed(question.atoms):
        polys = _project(polys, atom, variables, deadline)
    points: list[axis.RealPoint] = []
    positive = Cell(Fraction(0), None, False)
    for poly in polys:
        univariate = sympy.Poly(poly, _G, domain="QQ")
        coefficients = tuple(
            Fraction(int(c.p), int(c.q)) for c in reversed(univariate.all_coeffs())
        )
        points.extend(axis.roots_inside(axis.poly_trim(coefficients), positive))
    return points


class _Decider:
    """z3's solver on the question's quantifier-free matrix, at one g at a time."""

    def __init__(self, question: Problem, deadline: float) -> None:
        import z3

        self.z3 = z3
        self.deadline = deadline
        self.universal = question.quantifier == "A"
        self.ctx = z3.Context()
        ctx = self.ctx
        self.g = z3.Real("g", ctx)
        names = {atom: z3.Real(f"x{n}", ctx) for n, atom in enumerate(question.atoms)}
        names[_G] = self.g
        admissible = [z3_formula(a, names, z3, ctx, expand=True) for a in question.admissible]
        goals = [
            z3_term(sympy.expand(_G * dc + dt), names, z3, ctx) > 0 for dc, dt in question.goals
        ]
        body = z3.And(goals) if goals else z3.BoolVal(True, ctx)
        if self.universal:
            body = z3.Not(body)
        self.solver = z3.SolverFor("QF_NRA", ctx=ctx)
        self.solver.add(*admissible, body)

    def holds(self, point: axis.RealPoint, limit: int = 0) -> bool:
        """Whether the question holds at g = point; `limit` bounds z3's resource count."""
        z3 = self.z3
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Unanswered("the cell decisions ran out of time")
        self.solver.set("timeout", max(int(remaining * 1000), 1))
        self.solver.set("rlimit", limit)
        self.solver.push()
        try:
            if isinstance(point, Fraction):
                self.solver.add(self.g == z3.RealVal(str(point), self.ctx))
            else:
                polynomial = z3.Sum(
                    [z3.RealVal(str(c), self.ctx) * self.g**i for i, c in enumerate(point.poly)]
                )
                lo, hi = z3.RealVal(str(point.lo), self.ctx), z3.RealVal(str(point.hi), self.ctx)
                self.solver.add(polynomial == 0, self.g > lo, self.g < hi)
            verdict = self.solver.check()
        finally:
            self.solver.pop()
        if verdict == z3.unknown:
            raise Unanswered(f"z3 gave up deciding a cell: {self.solver.reason_unknown()}")
        return (verdict == z3.sat) != self.universal


# z3's resource units for one irrational point before the question goes elsewhere (a count
# of solver steps, so the limit does not depend on how loaded the machine is; deciding a
# point on the essay's model takes from a few thousand to about two million).
_POINT_LIMIT = 20_000_000


def answer(question: Problem, timeout: float) -> list[Piece]:
    """The set of g > 0 where the question holds, exactly.

    Open cells are decided first, at rational points. A possible-dominance question ("E")
    holds on an open set of g (its goals are strict inequalities, so a witness at g is one
    near g too), so a point between two cells where it fails fails too and is not asked."""
    deadline = time.monotonic() + timeout
    points = _breakpoints(question, deadline)
    decider = _Decider(question, deadline)
    cells = axis.split(Cell(Fraction(0), None, False), points)
    truth: list[bool | None] = [None] * len(cells)
    for n, cell in enumerate(cells):
        if not cell.point or isinstance(cell.lo, Fraction):
            truth[n] = decider.holds(cell.sample)
    for n, cell in enumerate(cells):
        if truth[n] is not None:
            continue
        neighbours = [truth[m] for m in (n - 1, n + 1) if 0 <= m < len(cells)]
        if question.quantifier == "E" and not any(neighbours):
            truth[n] = False
        else:
            truth[n] = decider.holds(cell.sample, _POINT_LIMIT)
    return axis.union(cell for cell, holds in zip(cells, truth, strict=True) if holds)


def findings(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 60.0,
    fallback: questions.Answer | None = None,
) -> Findings:
    """Every program's ranges by projection and z3; a question z3 cannot settle goes to
    `fallback` when given, and is `Unanswered` otherwise."""

    def chained(question: Problem, budget: float) -> list[Piece]:
        started = time.monotonic()
        try:
            return answer(question, budget)
        except Unanswered:
            if fallback is None:
                raise
            return fallback(question, max(budget - (time.monotonic() - started), 0.5))

    return questions.findings(costs, assumptions, bounds, chained, timeout)
