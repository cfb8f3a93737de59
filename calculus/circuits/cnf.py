"""Clauses as integer lists, serialised once to DIMACS and decided by z3's finite-domain solver.

Building clauses as z3 terms one at a time costs more than the solving (DESIGN section 6);
emitting DIMACS text and loading it with ``SolverFor("QF_FD").from_string`` does not.
Literals are non-zero integers, or the constants ``True``/``False`` which the builder
simplifies away, so encoders can treat known values (inputs, fixed outputs) uniformly.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Literal as TypingLiteral

import z3

Lit = int | bool

#: A true DIMACS variable in z3's printed model, which names variable i ``k!i``.
_TRUE_VARIABLE = re.compile(r"define-fun k!(\d+) \(\) Bool\s+true\)")


def negate(literal: Lit) -> Lit:
    """The complement of a literal or constant."""
    if isinstance(literal, bool):
        return not literal
    return -literal


def xor_constant(literal: Lit, constant: bool | int) -> Lit:
    """``literal`` complemented when ``constant`` is true."""
    return negate(literal) if constant else literal


class ClauseBuilder:
    """Allocates variables and collects clauses; constants are folded as clauses are added.

    Clauses are kept as DIMACS lines (``"1 -2 0"``): formatting each once as it is added is
    the cheapest route to the text z3 reads.
    """

    def __init__(self) -> None:
        self.variable_count = 0
        self.clauses: list[str] = []
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
        self.clauses.append(" ".join(map(str, clause)) + " 0")

    def add_equal(self, left: Lit, right: Lit, *guard: Lit) -> None:
        """``AND(NOT guard) -> left == right``, i.e. ``left == right`` unless a guard literal holds."""
        self.add(*guard, negate(left), right)
        self.add(*guard, left, negate(right))

    def dimacs(self, first: int = 0) -> str:
        """DIMACS text of the clauses from index ``first`` on."""
        clauses = self.clauses[first:]
        header = f"p cnf {max(self.variable_count, 1)} {len(clauses)}\n"
        return header + "\n".join(clauses) + "\n"


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


class IncrementalSolver:
    """One z3 solver fed the builder's clauses as they grow; learnt clauses carry over.

    z3 maps DIMACS variable i to the same Boolean on every ``from_string`` call, so new
    clauses (e.g. rows added by counterexample-guided refinement) extend the same problem.
    """

    def __init__(self, builder: ClauseBuilder) -> None:
        self.builder = builder
        self.solver = z3.SolverFor("QF_FD")
        self.sent = 0

    def check(self, timeout_seconds: float | None) -> SolveOutcome:
        start = time.perf_counter()
        if self.builder.contradiction:
            return SolveOutcome("unsat", frozenset(), time.perf_counter() - start)
        if timeout_seconds is not None and timeout_seconds <= 0:
            return SolveOutcome("unknown", frozenset(), 0.0, "time limit reached")
        if self.sent < len(self.builder.clauses):
            self.solver.from_string(self.builder.dimacs(self.sent))
            self.sent = len(self.builder.clauses)
        if timeout_seconds is not None:
            self.solver.set("timeout", max(1, int(timeout_seconds * 1000)))
        return _outcome(self.solver, start)


def _outcome(solver: z3.Solver, start: float) -> SolveOutcome:
    answer = solver.check()
    seconds = time.perf_counter() - start
    if answer == z3.sat:
        # Reading the model's text is several times faster than one wrapper per variable.
        true_variables = frozenset(map(int, _TRUE_VARIABLE.findall(solver.model().sexpr())))
        return SolveOutcome("sat", true_variables, seconds)
    if answer == z3.unsat:
        return SolveOutcome("unsat", frozenset(), seconds)
    return SolveOutcome("unknown", frozenset(), seconds, solver.reason_unknown())


def solve(builder: ClauseBuilder, timeout_seconds: float | None) -> SolveOutcome:
    """Decide the clauses with z3 (``QF_FD`` from DIMACS text) within the time limit."""
    return IncrementalSolver(builder).check(timeout_seconds)
