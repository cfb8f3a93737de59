"""Clauses as integer lists, serialised once to DIMACS and decided by z3's finite-domain solver.

Building clauses as z3 terms one at a time costs more than the solving (DESIGN section 6);
emitting DIMACS text and loading it with ``SolverFor("QF_FD").from_string`` does not.
Literals are non-zero integers, or the constants ``True``/``False`` which the builder
simplifies away, so encoders can treat known values (inputs, fixed outputs) uniformly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal as TypingLiteral

import z3

Lit = int | bool


def negate(literal: Lit) -> Lit:
    """The complement of a literal or constant."""
    if isinstance(literal, bool):
        return not literal
    return -literal


def xor_constant(literal: Lit, constant: bool | int) -> Lit:
    """``literal`` complemented when ``constant`` is true."""
    return negate(literal) if constant else literal


class ClauseBuilder:
    """Allocates variables and collects clauses; constants are folded as clauses are added."""

    def __init__(self) -> None:
        self.variable_count = 0
        self.clauses: list[list[int]] = []
        self.contradiction = False

    def new_variable(self) -> int:
        self.variable_count += 1
        return self.variable_count

    def add(self, *literals: Lit) -> None:
        """Add the clause ``OR(literals)``; true constants satisfy it, false ones drop out."""
        clause: list[int] = []
        for literal in literals:
            if literal is True:
                return
            if literal is False:
                continue
            clause.append(literal)
        if not clause:
            self.contradiction = True
        self.clauses.append(clause)

    def add_equal(self, left: Lit, right: Lit, *guard: Lit) -> None:
        """``AND(NOT guard) -> left == right``, i.e. ``left == right`` unless a guard literal holds."""
        self.add(*guard, negate(left), right)
        self.add(*guard, left, negate(right))

    def dimacs(self) -> str:
        parts = [f"p cnf {max(self.variable_count, 1)} {len(self.clauses)}"]
        parts.extend(" ".join(map(str, clause)) + " 0" for clause in self.clauses)
        parts.append("")
        return "\n".join(parts)


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver said: ``sat`` with the true variables, ``unsat``, or ``unknown`` (and why)."""

    status: TypingLiteral["sat", "unsat", "unknown"]
    true_variables: frozenset[int]
    seconds: float
    reason: str = ""

    def value(self, literal: Lit) -> bool:
        if isinstance(literal, bool):
            return literal
        if literal > 0:
            return literal in self.true_variables
        return -literal not in self.true_variables


def solve(builder: ClauseBuilder, timeout_seconds: float | None) -> SolveOutcome:
    """Decide the clauses with z3 (``QF_FD`` from DIMACS text) within the time limit."""
    start = time.perf_counter()
    if builder.contradiction:
        return SolveOutcome("unsat", frozenset(), time.perf_counter() - start)
    if timeout_seconds is not None and timeout_seconds <= 0:
        return SolveOutcome("unknown", frozenset(), 0.0, "time limit reached")
    solver = z3.SolverFor("QF_FD")
    if timeout_seconds is not None:
        solver.set("timeout", max(1, int(timeout_seconds * 1000)))
    solver.from_string(builder.dimacs())
    answer = solver.check()
    seconds = time.perf_counter() - start
    if answer == z3.sat:
        model = solver.model()
        true_variables = frozenset(
            int(declaration.name()[2:])
            for declaration in model.decls()
            if z3.is_true(model[declaration])
        )
        return SolveOutcome("sat", true_variables, seconds)
    if answer == z3.unsat:
        return SolveOutcome("unsat", frozenset(), seconds)
    return SolveOutcome("unknown", frozenset(), seconds, solver.reason_unknown())
