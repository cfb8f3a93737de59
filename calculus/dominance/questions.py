"""Dominance as quantifier-elimination questions, for the back-ends that answer them.

"P beats Q at g" is  g*(c(Q)-c(P)) + t(Q)-t(P) > 0. Robust dominance asks it for all
admissible costs, rival by rival (for-all distributes over and); possible dominance asks it
for some costs, every rival at once. Each question leaves g free; a back-end (QEPCAD B,
z3's projection, cvc5's get-qe) answers with the set of g > 0 where it holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import sympy

from calculus.dominance import axis
from calculus.dominance.axis import Piece
from calculus.dominance.records import Findings, Unanswered
from calculus.dominance.thresholds import unsigned_thresholds
from calculus.frozen import frozen

__all__ = ["Problem", "problem", "Answer", "program_ranges", "satisfiable", "findings"]

Answer = Callable[["Problem", float], list[Piece]]  # a question and a time budget -> set of g


@frozen
class Problem:
    """One question: with g free, do all `goals` (each `g*dc + dt > 0`) hold for all
    (quantifier "A") or for some ("E") values of `atoms` satisfying `admissible`?"""

    atoms: tuple[sympy.Symbol, ...]  # in elimination order for QEPCAD: eliminated last first
    admissible: tuple[sympy.Basic, ...]
    goals: tuple[tuple[sympy.Expr, sympy.Expr], ...]  # (dc, dt) per rival
    quantifier: str


def _connected(
    assumptions: list[sympy.Basic], seeds: set[sympy.Symbol]
) -> tuple[list[sympy.Basic], set[sympy.Symbol]]:
    """The assumptions linked to the seed atoms through shared atoms, and all their atoms."""
    atoms = set(seeds)
    chosen: list[sympy.Basic] = []
    # g is the free variable of every question, never one of its quantified atoms
    free = {s for a in assumptions for s in a.free_symbols if s.name == "g"}
    rest = list(assumptions)
    changed = True
    while changed:
        changed = False
        for assumption in list(rest):
            if assumption.free_symbols & atoms:
                chosen.append(assumption)
                atoms |= assumption.free_symbols - free
                rest.remove(assumption)
                changed = True
    return chosen, atoms


def problem(
    goals: list[tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    quantifier: str,
) -> Problem:
    """Set up a question with the reductions that keep QEPCAD's variable count small, each of
    which leaves the set of g unchanged:

    * only atoms in some difference, or tied to one through assumptions, are quantified (the
      others can always meet their bounds; the assumptions about them alone are checked for
      satisfiability separately, see `ranges`);
    * atoms in no assumption that enter every difference linearly with positively parallel
      coefficients are one atom: a sum of positive (non-negative) atoms takes exactly the
      values of one positive (non-negative) atom;
    * for "some costs" (quantifier E) an atom in no assumption whose coefficients g*a + b in
      the goals all have a, b <= 0 is best taken to 0 (the goals are strict, so a limit at 0
      is as good as a positive value), and one whose coefficients all have a, b >= 0 is best
      taken to +oo, which satisfies every goal it enters: those goals are dropped;
    * atoms multiplied by g come first in the order, so QEPCAD eliminates the others first.
    """
    goals = [(sympy.expand(dc), sympy.expand(dt)) for dc, dt in goals]
    if quantifier == "E":
        goals = _drop_one_signed_atoms(goals, assumptions, bounds)
    seeds = {s for dc, dt in goals for s in (dc.free_symbols | dt.free_symbols)}
    chosen, atoms = _connected(assumptions, seeds)
    in_assumptions = {s for a in chosen for s in a.free_symbols if s.name != "g"}
    coefficient_maps = [e.as_coefficients_dict() for pair in goals for e in pair]
    linear_only = {
        atom
        for atom in seeds - in_assumptions
        if all(
            all(term == atom or atom not in sympy.sympify(term).free_symbols for term in terms)
            for terms in coefficient_maps
        )
    }
    groups: dict[tuple[Fraction, ...], list[sympy.Symbol]] = {}
    for atom in sorted(linear_only, key=lambda s: s.name):
        signature = [Fraction(str(terms.get(atom, 0))) for terms in coefficient_maps]
        scale = abs(next(v for v in signature if v))
        groups.setdefault(tuple(v / scale for v in signature), []).append(atom)
    merged_bounds = dict(bounds)
    replacements: dict[sympy.Symbol, sympy.Expr] = {}
    for number, members in enumerate(groups.values()):
        if len(members) == 1:
            continue
        kinds = {bounds.get(m) for m in members}
        fresh = sympy.Symbol(f"merged{number}_{members[0].name}", real=True)
        # every member keeps its own coefficient; the group's weighted sum becomes `fresh`
        if None not in kinds:
            merged_bounds[fresh] = "positive" if "positive" in kinds else "nonneg"
        # The members' coefficients are positive multiples of one signature, so their
        # weighted sum ranges over the same set as one atom of the merged bound.
        replacements[members[0]] = fresh
        for member in members[1:]:
            replacements[member] = sympy.Integer(0)
        atoms -= set(members)
        atoms.add(fresh)
    if replacements:
        goals = [
            (sympy.expand(dc.xreplace(replacements)), sympy.expand(dt.xreplace(replacements)))
            for dc, dt in goals
        ]
    multiplied = {s for dc, _ in goals for s in dc.free_symbols}
    order = sorted(atoms, key=lambda s: (s not in multiplied, s.name))
    admissible = list(chosen) + [
        atom > 0 if merged_bounds[atom] == "positive" else atom >= 0
        for atom in order
        if atom in merged_bounds
    ]
    return Problem(tuple(order), tuple(admissible), tuple(goals), quantifier)


def _drop_one_signed_atoms(
    goals: list[tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
) -> list[tuple[sympy.Expr, sympy.Expr]]:
    in_assumptions = {s for a in assumptions for s in a.free_symbols}
    changed = True
    while changed:
        changed = False
        maps = [(dc.as_coefficients_dict(), dt.as_coefficients_dict()) for dc, dt in goals]
        atoms = {s for dc, dt in goals for s in dc.free_symbols | dt.free_symbols}
        for atom in sorted(atoms - in_assumptions, key=lambda s: s.name):
            if atom not in bounds:
                continue
            if any(
                atom in sympy.sympify(term).free_symbols and term != atom
                for pair in maps
                for terms in pair
                for term in terms
            ):
                continue  # not linear
            signs = {
                (_sign_of(dc_map.get(atom, 0)), _sign_of(dt_map.get(atom, 0)))
                for dc_map, dt_map in maps
            }
            flat = {value for pair in signs for value in pair}
            if flat <= {0, -1}:
                goals = [(dc.xreplace({atom: 0}), dt.xreplace({atom: 0})) for dc, dt in goals]
            elif flat <= {0, 1}:
                goals = [
                    (dc, dt) for dc, dt in goals if atom not in (dc.free_symbols | dt.free_symbols)
                ]
            else:
                continue
            changed = True
            break
    return goals


def _sign_of(value: object) -> int:
    number = sympy.sympify(value)
    return int(sympy.sign(number))


def _differences(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]], program: str, rival: str
) -> tuple[sympy.Expr, sympy.Expr]:
    """(c(Q)-c(P), t(Q)-t(P)): P beats Q  <=>  g*(c(Q)-c(P)) + t(Q)-t(P) > 0."""
    mine, theirs = costs[program], costs[rival]
    return sympy.expand(theirs[0] - mine[0]), sympy.expand(theirs[1] - mine[1])


def program_ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    program: str,
    answer: Answer,
    timeout: float = 60.0,
) -> tuple[list[Piece], list[Piece]]:
    """Robust and possible ranges of one program. Robust is asked rival by rival (for-all
    distributes over and) and intersected; possible needs every rival beaten by the same
    costs, so it is one question."""
    deadline = time.monotonic() + timeout
    rivals = [other for other in costs if other != program]
    robust: list[Piece] = [axis.POSITIVE_AXIS]
    for rival in rivals:
        question = problem([_differences(costs, program, rival)], assumptions, bounds, "A")
        beaten = answer(question, max(deadline - time.monotonic(), 0.5))
        robust = axis.intersection(robust, beaten)
    goals = [_differences(costs, program, rival) for rival in rivals]
    question = problem(goals, assumptions, bounds, "E")
    if not question.goals:  # every rival can be outrun by some atom; assumptions are satisfiable
        return robust, [axis.POSITIVE_AXIS]
    return robust, answer(question, max(deadline - time.monotonic(), 0.5))


def satisfiable(
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    answer: Answer,
    timeout: float = 60.0,
) -> bool:
    """Whether some atoms within their bounds satisfy every assumption."""
    atoms = sorted(
        {s for a in assumptions for s in a.free_symbols if s.name != "g"}, key=lambda s: s.name
    )
    if not any(a.free_symbols for a in assumptions):
        # Closed assumptions (`Q beats Q on t` is `100 < 100`) may come unevaluated.
        decided = [a.doit() for a in assumptions]
        if all(d in (sympy.true, sympy.false) for d in decided):
            return all(d is sympy.true for d in decided)
    admissible = list(assumptions) + [
        atom > 0 if bounds[atom] == "positive" else atom >= 0 for atom in atoms if atom in bounds
    ]
    question = Problem(tuple(atoms), tuple(admissible), (), "E")
    return bool(answer(question, timeout))


def findings(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    answer: Answer,
    timeout: float = 60.0,
) -> Findings:
    """Every program's ranges through `answer`, with thresholds whose sign cases stay open.
    `answer` raises `Unanswered` when it cannot answer a question."""
    names = tuple(costs)
    deadline = time.monotonic() + timeout
    thresholds = {name: unsigned_thresholds(name, names, costs) for name in names}
    if not satisfiable(list(assumptions), bounds, answer, timeout):
        everywhere = [axis.POSITIVE_AXIS]
        return Findings({name: (everywhere, []) for name in names}, thresholds, False)
    ranges: dict[str, tuple[list[Piece], list[Piece]]] = {}
    for name in names:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Unanswered(f"did not finish within {timeout:g} s")
        ranges[name] = program_ranges(costs, assumptions, bounds, name, answer, remaining)
    return Findings(ranges, thresholds, True)


# ---- the questions as z3 terms (shared by the back-ends that ask z3) -----------------------


def z3_term(expression: sympy.Expr, names: Mapping[sympy.Symbol, Any], z3: Any, ctx: Any) -> Any:
    """A sympy polynomial (rational coefficients) in the cost atoms as a z3 real term;
    `names` gives each atom's z3 variable."""
    if expression.is_Rational:
        return z3.RealVal(str(expression), ctx)
    if isinstance(expression, sympy.Symbol):
        return names[expression]
    if isinstance(expression, sympy.Add):
        return z3.Sum([z3_term(a, names, z3, ctx) for a in expression.args])
    if isinstance(expression, sympy.Mul):
        return z3.Product([z3_term(a, names, z3, ctx) for a in expression.args])
    if isinstance(expression, sympy.Pow) and expression.exp.is_Integer and expression.exp > 0:
        base = z3_term(expression.base, names, z3, ctx)
        return z3.Product([base] * int(expression.exp))
    raise Unanswered(f"{expression} is not a polynomial in the cost atoms")


_Z3_RELATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def z3_formula(
    formula: sympy.Basic,
    names: Mapping[sympy.Symbol, Any],
    z3: Any,
    ctx: Any,
    expand: bool = False,
) -> Any:
    """A sympy boolean over polynomial comparisons as a z3 formula (`expand`: each side
    expanded first); `Unanswered` for anything else."""
    from sympy.logic import boolalg

    if formula is sympy.true or formula is sympy.false:
        return z3.BoolVal(formula is sympy.true, ctx)
    if isinstance(formula, sympy.core.relational.Relational):
        sides = [formula.lhs, formula.rhs]  # type: ignore[attr-defined]
        left, right = (z3_term(sympy.expand(s) if expand else s, names, z3, ctx) for s in sides)
        relation = _Z3_RELATIONS.get(formula.rel_op)  # type: ignore[attr-defined]
        if relation is not None:
            return relation(left, right)
    parts = [z3_formula(a, names, z3, ctx, expand) for a in formula.args]
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
