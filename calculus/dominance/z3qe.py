"""z3's quantifier elimination (the qe2 tactic) as a back-end for non-linear ranges.

The `qe2` tactic eliminates quantifiers by model-based projection (for non-linear real
arithmetic, nlsat's cylindrical projection), returning a formula in g alone. Each answer is
then checked at a rational point inside every open cell of the g-axis it defines, by z3's
decision procedure on the quantified question itself: a disagreement makes the answer
`Unanswered`, so a wrong projection can only cost time, never give a wrong range.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from calculus.dominance import axis, questions
from calculus.dominance.axis import GAtom, GFormula, GPoly, Piece
from calculus.dominance.questions import Problem, z3_formula, z3_term
from calculus.dominance.records import Findings, Unanswered

__all__ = ["answer", "findings"]

_G = (Fraction(0), Fraction(1))  # the polynomial g


def _question(question: Problem, z3: Any, ctx: Any) -> tuple[Any, Any, Any]:
    """(g, the existential formula in g, its quantifier-free matrix). The question holds at g
    exactly when the matrix is satisfiable ("E") or unsatisfiable ("A": the matrix is then
    the admissible costs that break a goal). qe2 answers existential questions far more
    often than universal ones, so "A" is asked as the complement of an "E"."""
    g = z3.Real("g", ctx)
    names: dict[Any, Any] = {atom: z3.Real(f"x{n}", ctx) for n, atom in enumerate(question.atoms)}
    admissible = [z3_formula(a, names, z3, ctx) for a in question.admissible]
    goals = [
        g * z3_term(sympy.expand(dc), names, z3, ctx) + z3_term(sympy.expand(dt), names, z3, ctx)
        > 0
        for dc, dt in question.goals
    ]
    body = z3.And(goals) if goals else z3.BoolVal(True, ctx)
    if question.quantifier == "A":
        body = z3.Not(body)
    matrix = z3.And(admissible + [body])
    variables = [names[atom] for atom in question.atoms]
    return g, z3.Exists(variables, matrix) if variables else matrix, matrix


def _polynomial(term: Any, z3: Any) -> GPoly:
    """A z3 arithmetic term in g alone as a polynomial in g."""
    if z3.is_rational_value(term):
        return axis.poly_constant(Fraction(term.numerator_as_long(), term.denominator_as_long()))
    if z3.is_int_value(term):
        return axis.poly_constant(term.as_long())
    if z3.is_const(term) and term.decl().name() == "g":
        return _G
    kind = term.decl().kind()
    children = [_polynomial(child, z3) for child in term.children()]
    operations = {
        z3.Z3_OP_ADD: "add",
        z3.Z3_OP_MUL: "mul",
        z3.Z3_OP_SUB: "sub",
        z3.Z3_OP_UMINUS: "neg",
    }
    combined = axis.poly_combine(operations.get(kind, ""), children)
    if combined is not None:
        return combined
    if kind in (z3.Z3_OP_TO_REAL, z3.Z3_OP_TO_INT) and len(children) == 1:
        return children[0]
    if kind == z3.Z3_OP_POWER and len(children) == 2 and len(children[1]) <= 1:
        exponent = children[1][0] if children[1] else 0
        if Fraction(exponent).denominator == 1 and exponent >= 0:
            power: GPoly = (Fraction(1),)
            for _ in range(int(exponent)):
                power = axis.poly_mul(power, children[0])
            return power
    if kind == z3.Z3_OP_DIV and len(children[1]) == 1:
        return axis.poly_scale(children[0], 1 / Fraction(children[1][0]))
    raise Unanswered(f"z3's projection gave a term outside Q[g]: {term}")


_COMPARISONS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "="}


def _tree(formula: Any, z3: Any) -> GFormula:
    """z3's quantifier-free answer as a formula in g."""
    if z3.is_true(formula):
        return ("const", True)
    if z3.is_false(formula):
        return ("const", False)
    if z3.is_not(formula):
        return ("not", _tree(formula.arg(0), z3))
    if z3.is_and(formula):
        return ("and", [_tree(child, z3) for child in formula.children()])
    if z3.is_or(formula):
        return ("or", [_tree(child, z3) for child in formula.children()])
    if z3.is_implies(formula):
        left, right = formula.children()
        return ("or", [("not", _tree(left, z3)), _tree(right, z3)])
    kind = formula.decl().kind() if z3.is_app(formula) else None
    relation = {
        z3.Z3_OP_LT: "<",
        z3.Z3_OP_LE: "<=",
        z3.Z3_OP_GT: ">",
        z3.Z3_OP_GE: ">=",
        z3.Z3_OP_EQ: "=",
    }.get(kind)
    if relation is not None and formula.num_args() == 2:
        left, right = formula.children()
        if z3.is_bool(left):
            a, b = _tree(left, z3), _tree(right, z3)
            return ("or", [("and", [a, b]), ("and", [("not", a), ("not", b)])])
        difference = axis.poly_add(
            _polynomial(left, z3), axis.poly_scale(_polynomial(right, z3), -1)
        )
        return ("atom", GAtom(difference, relation))
    if kind == z3.Z3_OP_DISTINCT and formula.num_args() == 2:
        left, right = formula.children()
        difference = axis.poly_add(
            _polynomial(left, z3), axis.poly_scale(_polynomial(right, z3), -1)
        )
        return ("atom", GAtom(difference, "/="))
    raise Unanswered(f"z3's projection left a formula outside real arithmetic in g: {formula}")


def answer(question: Problem, timeout: float) -> list[Piece]:
    """The set of g > 0 where the question holds, by z3's qe2 tactic, checked at a rational
    point inside each open cell."""
    import z3

    ctx = z3.Context()
    try:
        g, existential, matrix = _question(question, z3, ctx)
        universal = question.quantifier == "A"
        goal = z3.Goal(ctx=ctx)
        goal.add(g > 0, existential)
        milliseconds = max(int(timeout * 1000), 1)
        tactic = z3.TryFor(
            z3.Then(z3.Tactic("qe2", ctx), z3.Tactic("simplify", ctx), ctx=ctx), milliseconds, ctx
        )
        try:
            result = tactic.apply(goal)
        except z3.Z3Exception as error:
            raise Unanswered(f"z3's projection gave up: {error}") from error
        disjuncts = []
        for subgoal in result:
            parts = [_tree(subgoal[i], z3) for i in range(len(subgoal))]
            disjuncts.append(("and", parts) if parts else ("const", True))
        tree: GFormula = ("or", disjuncts) if disjuncts else ("const", False)
        found = axis.solution_set(tree)
        if universal:
            found = axis.complement(found)
        _spot_check(found, g, matrix, universal, z3, ctx, timeout)
        return found
    finally:
        del ctx


def _spot_check(
    found: list[Piece], g: Any, matrix: Any, universal: bool, z3: Any, ctx: Any, timeout: float
) -> None:
    """At a rational point inside each open cell between the answer's ends, decide the
    question itself with z3's solver (on its quantifier-free matrix) and compare."""
    ends: list[axis.RealPoint] = []
    for piece in found:
        ends.append(piece.lo)
        if piece.hi is not None:
            ends.append(piece.hi)
    positive = [end for end in ends if axis.compare(end, Fraction(0)) > 0]
    for cell in axis.split(axis.Cell(Fraction(0), None, False), positive):
        if cell.point:
            continue
        sample = cell.sample
        assert isinstance(sample, Fraction)
        inside = any(_contains(piece, sample) for piece in found)
        solver = z3.Solver(ctx=ctx)
        solver.set("timeout", max(int(timeout * 1000), 1))
        solver.add(z3.substitute(matrix, (g, z3.RealVal(str(sample), ctx))))
        verdict = solver.check()
        if verdict == z3.unknown:
            raise Unanswered(f"z3 could not check its projection at g = {sample}")
        if (verdict == z3.sat) == (inside == universal):
            raise Unanswered(f"z3's projection disagrees with z3's solver at g = {sample}")


def _contains(piece: Piece, point: Fraction) -> bool:
    low = axis.compare(point, piece.lo)
    if low < 0 or (low == 0 and not piece.lo_closed):
        return False
    if piece.hi is None:
        return True
    high = axis.compare(point, piece.hi)
    return high < 0 or (high == 0 and piece.hi_closed)


def findings(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 60.0,
) -> Findings:
    """Every program's ranges through z3's projection; `Unanswered` where it gives up."""
    return questions.findings(costs, assumptions, bounds, answer, timeout)
