"""Well-definedness of divisions (DESIGN §12), as Dafny and Why3 check it.

A division by a non-constant is defined only where its denominator is non-zero. Every such
division in a claim yields a side obligation: under the file's hypotheses and the guards
around it — the left side of `->` and `and`, the negated left side of `or` — its denominator
is non-zero. Divisions inside an explicit program formula count wherever the program's cost
is used. A claim is decided only once every obligation is proved; otherwise its verdict is
`unknown`, with the place of the division and, when the obligation is refuted, a re-checked
witness where the denominator is zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import sympy

from calculus import nodes as n
from calculus.costs import Atomic, CostModel, Junction, LogicFormula, Negation
from calculus.logic import Hypothesis, Problem, Verdict, decide
from calculus.numbers import fraction_text
from calculus.printer import format_expr


@dataclass(frozen=True)
class Division:
    """One division by a non-constant, with the guards under which it is evaluated."""

    denominator: sympy.Expr
    source: n.Expr  # the denominator as written
    span: n.Span  # of the whole division `x / y` (or power `x ^ -k`)
    guards: tuple[LogicFormula, ...]
    path: str  # the file it is written in

    @property
    def place(self) -> str:
        return f"{self.path}:{self.span.line}:{self.span.column}"

    def obligation(self) -> LogicFormula:
        """guards -> denominator != 0."""
        goal: LogicFormula = Atomic("!=", self.denominator, sympy.Integer(0))
        for guard in reversed(self.guards):
            goal = Junction("->", guard, goal)
        return goal


def divisions(costs: CostModel, formula: n.Formula) -> list[Division]:
    """Every division by a non-constant in `formula`, each with its guards, in source order."""
    return _walk(costs, formula, [])


def program_divisions(costs: CostModel, programs: list[str]) -> list[Division]:
    """Every division by a non-constant in the costs of `programs` (explicit formulas, also
    inherited through `extends`); they are evaluated wherever the programs are compared."""
    return _walk(costs, None, programs)


def _walk(costs: CostModel, formula: n.Formula | None, programs: list[str]) -> list[Division]:
    found: list[Division] = []
    seen_programs: set[tuple[str, str]] = set()
    model = costs.model

    def expression(node: n.Expr, guards: tuple[LogicFormula, ...], path: str) -> None:
        if isinstance(node, n.Arithmetic):
            expression(node.left, guards, path)
            expression(node.right, guards, path)
            denominator: n.Expr | None = None
            if node.op == "/":
                denominator = node.right
            elif node.op == "^":
                exponent = costs.expr(node.right)
                if exponent.is_number and exponent.is_negative:
                    denominator = node.left
            if denominator is not None:
                value = costs.expr(denominator)
                if not (value.is_number and value != 0):
                    found.append(Division(value, denominator, node.span, guards, path))
        elif isinstance(node, n.Negate):
            expression(node.operand, guards, path)
        elif isinstance(node, n.GApply):
            expression(node.argument, guards, path)
        elif isinstance(node, n.CostOf):
            if not node.term.args and node.term.head.text in costs.model.programs:
                program_cost(node.term.head.text, node.kind, guards)

    def program_cost(name: str, kind: str, guards: tuple[LogicFormula, ...]) -> None:
        # A program's explicit formula, or the one it inherits through `extends`.
        key = (name, kind)
        if key in seen_programs:
            return
        seen_programs.add(key)
        program = costs.model.programs[name]
        written = program.c_formula if kind == "c" else program.t_formula
        if written is not None:
            expression(written, guards, model.origin(program))
        elif program.extends is not None:
            program_cost(program.extends.text, kind, guards)
        seen_programs.discard(key)

    def walk(node: n.Formula, guards: tuple[LogicFormula, ...], path: str) -> None:
        if isinstance(node, n.Compare):
            expression(node.left, guards, path)
            expression(node.right, guards, path)
        elif isinstance(node, n.Beats):
            kinds = ("c",) if node.on == "c" else ("t",) if node.on == "t" else ("c", "t")
            for kind in kinds:
                program_cost(node.winner.text, kind, guards)
                program_cost(node.loser.text, kind, guards)
        elif isinstance(node, n.Not):
            walk(node.operand, guards, path)
        else:
            walk(node.left, guards, path)
            left = costs.formula(node.left)
            if node.op in ("and", "->"):
                walk(node.right, (*guards, left), path)
            elif node.op == "or":
                walk(node.right, (*guards, Negation(left)), path)
            else:
                walk(node.right, guards, path)

    if formula is not None:
        walk(formula, (), model.origin(formula))
    for name in programs:
        program_cost(name, "c", ())
        program_cost(name, "t", ())
    return found


def check_divisions(
    costs: CostModel,
    formula: n.Formula | None,
    hypotheses: list[Hypothesis],
    timeout: float,
    programs: list[str] | None = None,
) -> Verdict | None:
    """None when every division in `formula` (or in the costs of `programs`) is defined
    wherever it is evaluated; otherwise the `unknown` verdict the claim gets, naming the
    first division not shown defined. An assumption that divides by something equal to 0
    holds nowhere, so nothing is decided under it either."""
    nowhere = _assumption_dividing_by_zero(costs)
    if nowhere is not None:
        return nowhere
    for division in _walk(costs, formula, programs or []):
        where = division.place
        written = format_expr(division.source)
        hint = f"assume {written} != 0 (or guard the division with `{written} != 0 -> ...`)"
        if division.denominator == 0:
            return Verdict(
                "unknown",
                reason=f"division by zero at {where}: `{written}` is 0",
                notes=(f"the denominator `{written}` simplifies to 0",),
            )
        problem = Problem(division.obligation(), hypotheses, False, costs.family, timeout)
        verdict = decide(problem)
        if verdict.status == "proved":
            continue
        if verdict.status == "refuted":
            shown = ", ".join(
                f"{name} = {_text(value)}" for name, value in (verdict.counterexample or ())
            )
            return Verdict(
                "unknown",
                counterexample=verdict.counterexample,
                assignment=verdict.assignment,
                reason=f"possible division by zero at {where}: `{written}` is 0"
                + (f" at {shown}" if shown else " at admissible values"),
                notes=(f"to rule it out, {hint}",),
            )
        return Verdict(
            "unknown",
            reason=f"possible division by zero at {where}: could not show `{written}` is "
            f"non-zero ({verdict.reason})",
            notes=(f"to rule it out, {hint}",),
        )
    return None


@lru_cache(maxsize=8)
def _assumption_dividing_by_zero(costs: CostModel) -> Verdict | None:
    """The verdict of everything decided under an assumption with a denominator that is 0
    for every value of the atoms: such an assumption is defined nowhere (DESIGN §12), so it
    would make any statement vacuously proved."""
    for assumption in costs.model.assumptions:
        for division in _walk(costs, assumption.node.formula, []):
            if division.denominator == 0:
                where = division.place
                written = format_expr(division.source)
                return Verdict(
                    "unknown",
                    reason=f"division by zero at {where} in assumption {assumption.name}: "
                    f"`{written}` is 0",
                    notes=(
                        f"the denominator `{written}` simplifies to 0, so the assumption "
                        "holds nowhere; correct or drop it",
                    ),
                )
    return None


def _text(value: object) -> str:
    return fraction_text(value) if isinstance(value, Fraction) else str(value)
