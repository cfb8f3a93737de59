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
from sympy.logic import boolalg

from calculus.dominance import axis, questions
from calculus.dominance.axis import GAtom, GFormula, GPoly, Piece
from calculus.dominance.questions import Problem
from calculus.dominance.records import Findings, Unanswered

__all__ = ["answer", "findings"]

_G = (Fraction(0), Fraction(1))  # the polynomial g


def _expression(expression: sympy.Expr, names: Mapping[sympy.Symbol, Any], z3: Any) -> Any:
    """A sympy polynomial (rational coefficients) as a z3 real term."""
    if expression.is_Rational:
        return z3.RealVal(str(expression), names["ctx"])
    if isinstance(expression, sympy.Symbol):
        return names[expression]
    if isinstance(expression, sympy.Add):
        return z3.Sum([_expression(a, names, z3) for a in expression.args])
    if isinstance(expression, sympy.Mul):
        return z3.Product([_expression(a, names, z3) for a in expression.args])
    if isinstance(expression, sympy.Pow) and expression.exp.is_Integer and expression.exp > 0:
        base = _expression(expression.base, names, z3)
        return z3.Product([base] * int(expression.exp))
    raise Unanswered(f"{expression} is not a polynomial in the cost atoms")


_RELATIONS = {
    sympy.StrictLessThan: lambda a, b: a < b,
    sympy.LessThan: lambda a, b: a <= b,
    sympy.StrictGreaterThan: lambda a, b: a > b,
    sympy.GreaterThan: lambda a, b: a >= b,
    sympy.Equality: lambda a, b: a == b,
    sympy.Unequality: lambda a, b: a != b,
}


def _formula(formula: sympy.Basic, names: Mapping[sympy.Symbol, Any], z3: Any) -> Any:
    ctx = names["ctx"]
    if formula is sympy.true:
        return z3.BoolVal(True, ctx)
    if formula is sympy.false:
        return z3.BoolVal(False, ctx)
    for kind, relation in _RELATIONS.items():
        if isinstance(formula, kind):
            return relation(
                _expression(formula.lhs, names, z3),  # type: ignore[attr-defined]
                _expression(formula.rhs, names, z3),  # type: ignore[attr-defined]
            )
    parts = [_formula(a, names, z3) for a in formula.args]
    if isinstance(formula, boolalg.And):
        return z3.And(parts)
    if isinstance(formula, boolalg.Or):
        return z3.Or(parts)
    if isinstance(formula, boolalg.Not):
        return z3.Not(parts[0])
    if isinstance(formula, boolalg.Implies):
        return z3.Implies(parts[0], parts[1])
    if isinstance(formula, boolalg.Equivalent) and len(parts) == 2:
        return parts[0] == parts[1]
    raise Unanswered(f"cannot write {formula} for z3")


def _question(question: Problem, z3: Any, ctx: Any) -> tuple[Any, Any, Any]:
    """(g, the existential formula in g, its quantifier-free matrix). The question holds at g
    exactly when the matrix is satisfiable ("E") or unsatisfiable ("A": the matrix is then
    the admissible costs that break a goal). qe2 answers existential questions far more
    often than universal ones, so "A" is asked as the complement of an "E"."""
    g = z3.Real("g", ctx)
    names: dict[Any, Any] = {atom: z3.Real(f"x{n}", ctx) for n, atom in enumerate(question.atoms)}
    names["ctx"] = ctx
    admissible = [_formula(a, names, z3) for a in question.admissible]
    goals = [
        g * _expression(sympy.expand(dc), names, z3) + _expression(sympy.expand(dt), names, z3) > 0
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
    if kind == z3.Z3_OP_ADD:
        total: GPoly = ()
        for child in children:
            total = axis.poly_add(total, child)
        return total
    if kind == z3.Z3_OP_MUL:
        product: GPoly = (Fraction(1),)
        for child in children:
            product = axis.poly_mul(product, child)
        return product
    if kind == z3.Z3_OP_SUB:
        result = children[0]
        for child in children[1:]:
            result = axis.poly_add(result, axis.poly_scale(child, -1))
        return result
    if kind == z3.Z3_OP_UMINUS:
        return axis.poly_scale(children[0], -1)
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
