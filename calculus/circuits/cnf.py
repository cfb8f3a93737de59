"""Clauses as integer lists, decided by a CDCL SAT solver (python-sat) or by z3.

Encoders build clauses as lists of non-zero integers (DIMACS literals); the constants
``True``/``False`` are folded away as clauses are added, so known values (inputs, fixed
outputs) can be used like literals.  ``IncrementalSolver`` hands the clauses to one solver
and keeps it across calls, so clauses added later (rows found by counterexample-guided
refinement) extend the same problem and learnt clauses carry over.

Back-ends, measured on the same CNF (``benchmarks/bench_synthesis.py --backends``):
MiniSat 2.2 through python-sat is the default; Glucose 4 and CaDiCaL 1.9.5 are there too,
and z3's finite-domain solver (DIMACS text loaded with ``SolverFor("QF_FD")``) is the
fallback when python-sat is missing.  ``COST_SAT_SOLVER`` (``minisat22``, ``glucose4``,
``cadical195``, ``z3``) selects one.  Every call runs in a worker thread while the calling
thread waits, so a time limit interrupts the solver, Ctrl-C cancels it (the
``KeyboardInterrupt`` reaches the caller after the solver has stopped) and a ``tick``
callback can report progress meanwhile.
"""

from __future__ import annotations

import math
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import Literal as TypingLiteral

Lit = int | bool

#: Solvers from python-sat we offer, and z3.
BACKENDS: tuple[str, ...] = (
    "minisat22",
    "glucose4",
    "cadical195",
    "cadical153",
    "maplechrono",
    "mergesat3",
    "lingeling",
    "minisatgh",
    "z3",
)
#: A true DIMACS variable in z3's printed model, which names variable i ``k!i``.
_TRUE_VARIABLE = re.compile(r"define-fun k!(\d+) \(\) Bool\s+true\)")
#: Seconds between progress callbacks while a solver runs.
TICK_SECONDS = 0.2
#: The reason of an ``unknown`` answer that ran out of its conflict budget (not of time).
CONFLICT_BUDGET = "conflict budget spent"


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

    def dimacs(self, first: int = 0) -> str:
        """DIMACS text of the clauses from index ``first`` on."""
        clauses = self.clauses[first:]
        header = f"p cnf {max(self.variable_count, 1)} {len(clauses)}\n"
        body = "".join(" ".join(map(str, clause)) + " 0\n" for clause in clauses)
        return header + body


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


def default_backend() -> str:
    """``COST_SAT_SOLVER`` if set, else MiniSat through python-sat when installed, else z3."""
    chosen = os.environ.get("COST_SAT_SOLVER", "").strip().lower()
    if chosen:
        if chosen not in BACKENDS:
            raise ValueError(f"COST_SAT_SOLVER={chosen!r}: use one of {', '.join(BACKENDS)}")
        return chosen
    try:
        import pysat.solvers  # noqa: F401
    except ImportError:
        return "z3"
    return "minisat22"


class IncrementalSolver:
    """One solver fed the builder's clauses as they grow."""

    def __init__(self, builder: ClauseBuilder, backend: str | None = None) -> None:
        self.builder = builder
        self.backend = backend or default_backend()
        self.sent = 0
        self._solver: Any = None
        if self.backend == "z3":
            import z3

            self._solver = z3.SolverFor("QF_FD")
        else:
            from pysat.solvers import Solver

            self._solver = Solver(name=self.backend)

    def close(self) -> None:
        if self.backend != "z3" and self._solver is not None:
            self._solver.delete()
        self._solver = None

    def __enter__(self) -> IncrementalSolver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def counts_conflicts(self) -> bool:
        """Whether ``check`` takes a conflict budget and ``conflicts`` counts them (the
        python-sat back-ends but Lingeling, which has no limited solve; not z3)."""
        return self.backend not in ("z3", "lingeling")

    def conflicts(self) -> int:
        """Conflicts the solver has met so far, over all calls (0 for z3)."""
        if not self.counts_conflicts or self._solver is None:
            return 0
        try:
            return int(self._solver.accum_stats().get("conflicts", 0))
        except (AttributeError, NotImplementedError):  # a back-end without statistics
            return 0

    def set_phases(self, literals: list[int]) -> None:
        """Ask the solver to try each literal's variable first with the literal's sign
        (python-sat only, see ``counts_conflicts``; the solver's own saved phases take
        over again as it assigns them).  The problem is unchanged."""
        if self.counts_conflicts and self._solver is not None:
            self._solver.set_phases(literals)

    def _send(self) -> None:
        if self.sent >= len(self.builder.clauses):
            return
        if self.backend == "z3":
            self._solver.from_string(self.builder.dimacs(self.sent))
        else:
            self._solver.append_formula(self.builder.clauses[self.sent :])
        self.sent = len(self.builder.clauses)

    def check(
        self,
        timeout_seconds: float | None,
        tick: Callable[[], None] | None = None,
        assumptions: tuple[int, ...] = (),
        conflicts: int | None = None,
    ) -> SolveOutcome:
        """Decide the clauses so far (under ``assumptions``) within ``timeout_seconds``.

        ``tick`` is called every ``TICK_SECONDS`` while the solver runs.  Ctrl-C stops the
        solver and re-raises ``KeyboardInterrupt``.  With ``conflicts`` (python-sat only,
        see ``counts_conflicts``) the call also stops after that many conflicts, answering
        ``unknown`` with reason ``CONFLICT_BUDGET``; the learnt clauses stay for the next call.
        """
        start = time.perf_counter()
        if timeout_seconds is not None and math.isinf(timeout_seconds) and timeout_seconds > 0:
            timeout_seconds = None
        if timeout_seconds is not None and math.isnan(timeout_seconds):
            raise ValueError("a time limit must be a number of seconds, not NaN")
        if self.builder.contradiction:
            return SolveOutcome("unsat", frozenset(), 0.0)
        if timeout_seconds is not None and timeout_seconds <= 0:
            return SolveOutcome("unknown", frozenset(), 0.0, "time limit reached")
        self._send()
        if self.backend == "z3":
            return self._check_z3(start, timeout_seconds, tick, assumptions)
        solver = self._solver
        if conflicts is not None:
            solver.conf_budget(max(int(conflicts), 1))
        try:
            answer = _wait(
                lambda: solver.solve_limited(assumptions=list(assumptions), expect_interrupt=True),
                solver.interrupt,
                start,
                timeout_seconds,
                tick,
            )
        finally:
            if conflicts is not None:
                solver.conf_budget(-1)  # no budget for later calls
        seconds = time.perf_counter() - start
        if answer is True:
            model = solver.get_model()
            return SolveOutcome("sat", frozenset(v for v in model if v > 0), seconds)
        if answer is False:
            return SolveOutcome("unsat", frozenset(), seconds)
        solver.clear_interrupt()
        if conflicts is not None and (timeout_seconds is None or seconds < timeout_seconds):
            return SolveOutcome("unknown", frozenset(), seconds, CONFLICT_BUDGET)
        return SolveOutcome("unknown", frozenset(), seconds, "time limit reached")

    def _check_z3(
        self,
        start: float,
        timeout_seconds: float | None,
        tick: Callable[[], None] | None,
        assumptions: tuple[int, ...],
    ) -> SolveOutcome:
        import z3

        solver = self._solver
        context = solver.ctx
        # z3's DIMACS variables cannot be named from Python: assumptions are unit clauses
        # asserted in a scope of their own.
        if assumptions:
            solver.push()
            units = "".join(f"{a} 0\n" for a in assumptions)
            header = f"p cnf {max(self.builder.variable_count, 1)} {len(assumptions)}\n"
            solver.from_string(header + units)
        try:
            answer = _wait(solver.check, context.interrupt, start, timeout_seconds, tick)
            seconds = time.perf_counter() - start
            if answer == z3.sat:
                # Reading the model's text is several times faster than one wrapper per variable.
                text = solver.model().sexpr()
                true_variables = frozenset(map(int, _TRUE_VARIABLE.findall(text)))
                return SolveOutcome("sat", true_variables, seconds)
            if answer == z3.unsat:
                return SolveOutcome("unsat", frozenset(), seconds)
            return SolveOutcome("unknown", frozenset(), seconds, "time limit reached")
        finally:
            if assumptions:
                solver.pop()


# The signals that raise in Python and would end a wait on the solver (see `_wait`).
_HELD_BACK = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGALRM})


def _wait(
    call: Callable[[], Any],
    interrupt: Callable[[], None],
    start: float,
    timeout_seconds: float | None,
    tick: Callable[[], None] | None,
) -> Any:
    """Run ``call`` in a worker thread; interrupt it at the time limit or on Ctrl-C.

    Returns what ``call`` returned (``None`` when it was interrupted by the time limit).
    """
    result: list[Any] = []
    failure: list[BaseException] = []
    done = threading.Event()
    # Whether the worker may still call the solver: the waiting thread cancels it if it is
    # interrupted before the worker has begun, and otherwise stops the solver and waits.
    guard = threading.Lock()
    state = {"cancelled": False, "begun": False}

    def work() -> None:
        with guard:
            if state["cancelled"]:
                done.set()
                return
            state["begun"] = True
        try:
            result.append(call())
        except BaseException as error:  # handed to the waiting thread
            failure.append(error)
        finally:
            done.set()

    def stop() -> None:
        """Leave nothing running: cancel the worker, or interrupt the solver until it ends
        (an interrupt sent before the solver started may not stick, so repeat it)."""
        with guard:
            state["cancelled"] = True
            begun = state["begun"]
        if begun:
            interrupt()
            while not done.wait(TICK_SECONDS):
                interrupt()

    deadline = None if timeout_seconds is None else start + timeout_seconds
    worker = threading.Thread(target=work, name="sat-solver", daemon=True)
    # Ctrl-C, SIGTERM and the time limit are held back while the worker starts, and the worker
    # keeps them blocked (it inherits the mask), so they always reach the waiting thread. One
    # that had already arrived may still be raised inside `start()`: then the worker is
    # stopped before the exception goes on; a solver left running unwatched would crash the
    # process when it exits under it.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_BACK)
    try:
        worker.start()
    except BaseException:
        stop()
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        while True:
            wait = TICK_SECONDS
            if deadline is not None:
                wait = min(wait, max(deadline - time.perf_counter(), 0.0))
            if done.wait(wait):
                break
            if deadline is not None and time.perf_counter() >= deadline:
                stop()
                if result and result[0] is not None and not _is_unknown(result[0]):
                    break
                return None
            if tick is not None:
                tick()
    except BaseException:  # Ctrl-C, SIGTERM, the time limit: stop the solver before going on
        stop()
        raise
    if failure:
        raise failure[0]
    return result[0]


def _is_unknown(answer: Any) -> bool:
    return str(answer) == "unknown"


def solve(builder: ClauseBuilder, timeout_seconds: float | None) -> SolveOutcome:
    """Decide the clauses within the time limit (one fresh solver)."""
    with IncrementalSolver(builder) as solver:
        return solver.check(timeout_seconds)
