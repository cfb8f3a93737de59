"""Exact synthesis of minimum circuits, with minimality shown by unsatisfiable smaller sizes.

``synthesize`` takes truth tables (and don't-care masks); ``synthesize_specification``
takes any ``Specification``, including a reward threshold.  The measure is ``size``
(gates; constants, inputs and output inversions are free, TAOCP 7.1.2), ``depth`` (then
fewest gates at that depth) or ``size+depth``.  Sizes are tried upwards from 0 so every
smaller size has an ``unsat`` answer on record; each circuit found is re-simulated against
the specification before it is returned.  A time limit turns into status ``unknown``.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from typing import Literal as TypingLiteral

from calculus.syntax import BASES, MEASURES, Measure

from .circuit import Circuit
from .cnf import CONFLICT_BUDGET, IncrementalSolver
from .encoding import Basis, CircuitEncoding, ExtraConstraint, GrowingEncoding
from .heuristic import shannon_circuit
from .slots import SlotEncoding
from .specification import (
    RewardSpecification,
    Specification,
    SpecificationError,
    TableSpecification,
    reward_specification,
    symmetric_pairs,
    table_specification,
)

#: Sizes beyond this are not searched (the tables this tool handles need far fewer gates).
MAX_GATES = 40


class SynthesisError(RuntimeError):
    """The solver returned a circuit that fails re-simulation: a bug, never a user error."""


@dataclass(frozen=True)
class ProofStep:
    """One question asked on the way: is there a circuit of ``gates`` gates (depth <= bound)?

    ``outcome`` is the solver's ``sat``/``unsat``/``unknown``, or ``bound`` when the answer
    is ``no`` by counting alone (``note`` says why).
    """

    gates: int
    depth_bound: int | None
    outcome: TypingLiteral["sat", "unsat", "unknown", "bound"]
    seconds: float
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "gates": self.gates,
            "depth_bound": self.depth_bound,
            "outcome": self.outcome,
            "seconds": round(self.seconds, 4),
            "note": self.note,
        }


@dataclass(frozen=True)
class SynthesisResult:
    """A minimum circuit with the record of why nothing cheaper exists, or why we do not know."""

    status: TypingLiteral["optimal", "unknown", "infeasible"]
    measure: Measure
    basis: Basis
    circuit: Circuit | None
    cost: int | None
    steps: tuple[ProofStep, ...]
    seconds: float
    reason: str
    #: Proved lower bound on the cost: nothing cheaper meets the specification.
    lower: int = 0
    #: The cheapest circuit found, checked by simulation (the minimum when ``optimal``).
    best: Circuit | None = None
    #: Whether the search was stopped by Ctrl-C rather than finished or timed out.
    interrupted: bool = False

    @property
    def upper(self) -> int | None:
        """Cost of the best circuit found (None when there is none)."""
        return None if self.best is None else measure_cost(self.best, self.measure)

    @property
    def proved_minimal(self) -> bool:
        return self.status == "optimal"

    @property
    def minimum_size(self) -> int | None:
        """Fewest gates of any circuit meeting the specification, once the size search finished."""
        sizes = [
            step.gates for step in self.steps if step.outcome == "sat" and step.depth_bound is None
        ]
        return min(sizes) if sizes else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "proved_minimal": self.proved_minimal,
            "measure": self.measure,
            "basis": self.basis,
            "cost": self.cost,
            "reason": self.reason,
            "seconds": round(self.seconds, 4),
            "proof": [step.to_json() for step in self.steps if step.outcome != "sat"],
            "lower": self.lower,
            "upper": self.upper,
        }
        if self.interrupted:
            data["interrupted"] = True
        shown = self.circuit if self.circuit is not None else self.best
        if shown is not None:
            data.update(shown.to_json())
        else:
            data.update({"size": None, "depth": None, "gates": [], "outputs": []})
        return data


def essential_inputs(spec: TableSpecification, h: int) -> tuple[int, ...]:
    """Inputs output ``h`` depends on: two cared-for assignments differing only there disagree."""
    table, care = spec.tables[h], spec.care[h]
    found = []
    for j in range(spec.inputs):
        bit = 1 << j
        if any(
            (care >> t) & 1
            and (care >> (t | bit)) & 1
            and ((table >> t) ^ (table >> (t | bit))) & 1
            for t in range(1 << spec.inputs)
            if not t & bit
        ):
            found.append(j)
    return tuple(found)


def size_lower_bound(spec: Specification) -> int:
    """Gates any circuit for ``spec`` needs by counting: an output reading s inputs has a cone
    of at least s-1 two-input gates (each gate joins two subtrees into one)."""
    if not isinstance(spec, TableSpecification):
        return 0
    return max(0, *(len(essential_inputs(spec, h)) - 1 for h in range(spec.outputs)))


def measure_cost(circuit: Circuit, measure: Measure) -> int:
    """The circuit's cost under ``measure``."""
    if measure == "size":
        return circuit.size
    if measure == "depth":
        return circuit.depth
    return circuit.size + circuit.depth


def depth_capacity(outputs: int, depth: int) -> int:
    """Most gates a circuit of that depth can have when every gate feeds an output."""
    return outputs * ((1 << depth) - 1)


@dataclass(frozen=True)
class SearchProgress:
    """Where a running search stands: the proved lower bound, the best cost found, the question."""

    lower: int
    upper: int | None
    gates: int
    depth_bound: int | None
    elapsed: float
    tightening: bool = False


Progress = Callable[[SearchProgress], None]

#: Seconds an upward question may run before a time-limited or watched search first looks
#: for cheaper circuits below its best one (then the question resumes where it stopped).
TIGHTEN_AFTER = 1.0


@dataclass
class _Query:
    """One open question "a circuit of exactly ``gates`` gates (depth <= bound)?" and its solver."""

    gates: int
    depth_bound: int | None
    encoding: CircuitEncoding | SlotEncoding
    solver: IncrementalSolver
    seconds: float = 0.0
    assumptions: tuple[int, ...] = ()
    #: A fanin-slot question: when the solver starts over from fresh phases.
    restarts: PhaseRestarts | None = None


class PhaseRestarts:
    """Restarts from random phases for one solver, early in a question only.

    How long a satisfiable fanin-slot question takes varies several times over with the
    solver's path alone (the clause order, for one), with a heavy tail.  So after
    ``FIRST`` conflicts, and again every ``SLICE`` conflicts until ``CAP``, the solver
    stops and starts over with every variable's first phase drawn at random (a fixed
    seed per restart, so a search is repeatable); from ``CAP`` on it runs without a
    budget.  The clauses, and the clauses learnt so far, stay as they are: an answer
    means what it did without restarts, and an unsatisfiable question pays only for
    the restarts before ``CAP``.
    """

    FIRST = 4_000
    SLICE = 2_000
    CAP = 20_000

    def __init__(self, solver: IncrementalSolver) -> None:
        self.solver = solver
        self.end = self.FIRST
        #: Restarts made so far.
        self.count = 0

    def budget(self) -> int | None:
        """Conflicts for the next call (None: no budget), restarting from random phases
        when the previous budget has been spent."""
        met = self.solver.conflicts()
        if met >= self.CAP:
            return None
        if met >= self.end:
            self.count += 1
            draw = random.Random(self.count)
            variables = self.solver.builder.variable_count
            self.solver.set_phases(
                [v if draw.random() < 0.5 else -v for v in range(1, variables + 1)]
            )
            self.end = met + self.SLICE
        return min(self.end, self.CAP) - met


class _Growing:
    """The sizes 1, 2, 3, ... asked of one solver, the problem grown a gate at a time."""

    def __init__(self, encoding: GrowingEncoding) -> None:
        self.encoding = encoding
        self.solver = IncrementalSolver(encoding.builder)

    def query(self, gates: int) -> _Query:
        start = time.perf_counter()
        encoding = self.encoding
        active = encoding.active
        while encoding.r < gates:
            active = encoding.grow()
        assert encoding.r == gates and active is not None
        return _Query(gates, None, encoding, self.solver, time.perf_counter() - start, (active,))

    def close(self) -> None:
        self.solver.close()


#: One-output tables of at least this many inputs are searched in the fanin-slot CNF with
#: rows added on demand; smaller ones in the selection-variable CNF grown gate by gate.
SLOT_INPUTS = 5


class _Search:
    """Settings and state shared by every solver call of one synthesis."""

    def __init__(
        self,
        spec: Specification,
        basis: Basis,
        measure: Measure,
        symmetric: tuple[tuple[int, int], ...],
        extra: ExtraConstraint | None,
        extra_check: Callable[[Circuit], bool] | None,
        start: float,
        timeout: float | None,
        progress: Progress | None = None,
    ) -> None:
        self.spec = spec
        self.basis = basis
        self.measure = measure
        self.symmetric = symmetric
        self.extra = extra
        self.extra_check = extra_check
        self.start = start
        self.deadline = None if timeout is None else start + timeout
        self.progress = progress
        self.steps: list[ProofStep] = []
        self.lower = 0
        self.best: Circuit | None = None
        self._asking: tuple[int, int | None] = (0, None)
        self._tightening = False

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.perf_counter()

    def cost(self, circuit: Circuit) -> int:
        return measure_cost(circuit, self.measure)

    def offer(self, circuit: Circuit) -> None:
        """Keep ``circuit`` as the best found if it is cheaper (it has been verified)."""
        if self.best is None or self.cost(circuit) < self.cost(self.best):
            self.best = circuit
            self.report()

    def report(self) -> None:
        if self.progress is not None:
            gates, depth_bound = self._asking
            self.progress(
                SearchProgress(
                    self.lower,
                    None if self.best is None else self.cost(self.best),
                    gates,
                    depth_bound,
                    time.perf_counter() - self.start,
                    self._tightening,
                )
            )

    def open(self, gates: int, depth_bound: int | None) -> _Query:
        start = time.perf_counter()
        encoding = CircuitEncoding(self.spec, gates, self.basis, depth_bound, self.symmetric)
        if self.extra is not None:
            self.extra(encoding)
        solver = IncrementalSolver(encoding.builder)
        return _Query(gates, depth_bound, encoding, solver, time.perf_counter() - start)

    def one_output(self) -> bool:
        """A one-output table without extra constraints (the upward search's fast paths)."""
        spec = self.spec
        return (
            isinstance(spec, TableSpecification)
            and spec.outputs == 1
            and self.extra is None
            and self.extra_check is None
        )

    def growing(self) -> _Growing | None:
        """One problem grown gate by gate for the upward size search, when it applies."""
        spec = self.spec
        if not self.one_output() or spec.inputs >= SLOT_INPUTS:
            return None
        assert isinstance(spec, TableSpecification)
        return _Growing(GrowingEncoding(spec, self.basis, self.symmetric))

    def slots(self, gates: int) -> _Query | None:
        """The question for ``gates`` >= 1 gates in the fanin-slot CNF with rows added on
        demand, for one-output tables of ``SLOT_INPUTS`` or more inputs (else None)."""
        spec = self.spec
        if gates < 1 or not self.one_output() or spec.inputs < SLOT_INPUTS:
            return None
        assert isinstance(spec, TableSpecification)
        start = time.perf_counter()
        encoding = SlotEncoding(spec, gates, self.basis, self.symmetric, essential_inputs(spec, 0))
        row = encoding.first_row()
        if row is not None:
            encoding.add_row(row)
        solver = IncrementalSolver(encoding.builder)
        restarts = PhaseRestarts(solver) if solver.counts_conflicts else None
        return _Query(gates, None, encoding, solver, time.perf_counter() - start, (), restarts)

    def run(
        self, query: _Query, limit: float | None = None
    ) -> tuple[ProofStep | None, Circuit | None]:
        """Work on ``query`` for at most ``limit`` seconds (and never past the deadline).

        Returns ``(None, None)`` when ``limit`` ran out first (the query can be resumed),
        else the step (``sat`` with its verified circuit, ``unsat`` or ``unknown``).  A
        fanin-slot question is asked again, with the row the candidate got wrong added,
        until its candidate meets the whole table or the rows so far are unsatisfiable.
        """
        self._asking = (query.gates, query.depth_bound)
        self.report()
        stop = None if limit is None else time.perf_counter() + limit
        tick = self.report if self.progress is not None else None
        gates, depth_bound = query.gates, query.depth_bound
        while True:
            remaining = self.remaining()
            left = None if stop is None else stop - time.perf_counter()
            budget = (
                left if remaining is None else remaining if left is None else min(left, remaining)
            )
            conflicts = None if query.restarts is None else query.restarts.budget()
            outcome = query.solver.check(budget, tick, query.assumptions, conflicts)
            query.seconds += outcome.seconds
            if outcome.status == "unknown" and outcome.reason == CONFLICT_BUDGET:
                continue  # restart from fresh phases (see PhaseRestarts)
            if outcome.status == "unknown":
                if left is not None and (remaining is None or left < remaining):
                    return None, None
                return ProofStep(gates, depth_bound, "unknown", query.seconds, outcome.reason), None
            if outcome.status == "unsat":
                return ProofStep(gates, depth_bound, "unsat", query.seconds), None
            circuit = query.encoding.decode(outcome)
            if isinstance(query.encoding, SlotEncoding):
                row = query.encoding.counterexample(circuit)
                if row is not None:
                    start = time.perf_counter()
                    query.encoding.add_row(row)
                    query.seconds += time.perf_counter() - start
                    continue
            self.verify(circuit, gates, depth_bound)
            return ProofStep(gates, depth_bound, "sat", query.seconds), circuit

    def ask(self, gates: int, depth_bound: int | None) -> tuple[ProofStep, Circuit | None]:
        """Is there a circuit of exactly ``gates`` gates (depth <= ``depth_bound``)?"""
        query = self.open(gates, depth_bound)
        try:
            step, circuit = self.run(query)
        finally:
            query.solver.close()
        assert step is not None
        return step, circuit

    def verify(self, circuit: Circuit, gates: int, depth_bound: int | None) -> None:
        if circuit.size != gates:
            raise SynthesisError(f"asked for {gates} gates, decoded {circuit.size}")
        if depth_bound is not None and circuit.depth > depth_bound:
            raise SynthesisError(f"asked for depth <= {depth_bound}, decoded {circuit.depth}")
        if not self.spec.satisfied_by(circuit):
            raise SynthesisError(
                "the decoded circuit does not meet the specification:\n" + circuit.listing()
            )
        if self.basis == "aig" and any(g.op in (6, 9) for g in circuit.gates):
            raise SynthesisError("an AIG circuit uses an XOR gate")
        if self.extra_check is not None and not self.extra_check(circuit):
            raise SynthesisError("the decoded circuit fails the extra constraint")

    def quick_circuit(self) -> Circuit | None:
        """A circuit from Shannon decomposition (no claim of minimality), when one fits."""
        if self.extra is not None or self.extra_check is not None:
            return None
        spec = self.spec
        if isinstance(spec, TableSpecification):
            tables, care = spec.tables, spec.care
        else:  # the best action on every counted state, free elsewhere
            best_action = {t: max(range(len(row)), key=row.__getitem__) for t, row in spec.rewards}
            tables = tuple(
                sum(((a >> h) & 1) << t for t, a in best_action.items())
                for h in range(spec.outputs)
            )
            care = (sum(1 << t for t in best_action),) * spec.outputs
        circuit = shannon_circuit(spec.inputs, tables, care)
        if self.basis == "aig" and any(g.op in (6, 9) for g in circuit.gates):
            return None
        if not spec.satisfied_by(circuit):
            raise SynthesisError("the decomposition circuit does not meet the specification")
        return circuit

    def tighten(self) -> None:
        """Look for circuits smaller than the best one, each question time-boxed.

        Bisects between the pending question and the best size: a circuit found lowers
        the top, anything else raises the bottom (sizes are not monotone under the
        symmetry breaks, so nothing is concluded from it).
        """
        self._tightening = True
        try:
            low = self.lower + 1
            while self.best is not None and low <= self.best.size - 1:
                remaining = self.remaining()
                if remaining is not None and remaining <= 0:
                    break
                limit = TIGHTEN_AFTER if remaining is None else max(TIGHTEN_AFTER, remaining / 10)
                gates = (low + self.best.size - 1) // 2
                query = self.open(gates, None)
                try:
                    _step, circuit = self.run(query, limit)
                finally:
                    query.solver.close()
                if circuit is None:
                    low = gates + 1
                else:
                    self.offer(circuit)
        finally:
            self._tightening = False


def _shapes(
    measure: Measure, cost: int, min_size: int, outputs: int
) -> Iterator[tuple[int, int | None]]:
    """(gates, depth bound) pairs whose circuits have exactly ``cost`` (given size >= min_size)."""
    if measure == "size":
        yield cost, None
        return
    if measure == "depth":
        if cost == 0:
            if min_size == 0:
                yield 0, 0
            return
        for gates in range(max(min_size, cost), depth_capacity(outputs, cost) + 1):
            yield gates, cost
        return
    for depth in range(0, cost + 1):
        gates = cost - depth
        if gates < min_size or (gates == 0) != (depth == 0) or gates < depth:
            continue
        if gates > depth_capacity(outputs, depth):
            continue
        yield gates, depth


def _unknown(search: _Search, reason: str, interrupted: bool = False) -> SynthesisResult:
    best = search.best
    if best is not None:
        unit = "gates" if search.measure == "size" else f"({search.measure})"
        reason += f"; best circuit found: {search.cost(best)} {unit}"
    return SynthesisResult(
        "unknown",
        search.measure,
        search.basis,
        None,
        None,
        tuple(search.steps),
        time.perf_counter() - search.start,
        reason,
        search.lower,
        best,
        interrupted,
    )


def _new_search(
    spec: Specification,
    basis: Basis,
    measure: Measure,
    symmetric_inputs: bool,
    extra: ExtraConstraint | None,
    extra_check: Callable[[Circuit], bool] | None,
    start: float,
    timeout: float | None,
    progress: Progress | None = None,
) -> _Search:
    """A search over ``basis`` for ``spec``, with ``timeout`` seconds counted from ``start``."""
    return _Search(
        spec,
        basis,
        measure,
        symmetric_pairs(spec) if symmetric_inputs else (),
        extra,
        extra_check,
        start,
        _checked_timeout(timeout),
        progress,
    )


def _checked_timeout(timeout: float | None) -> float | None:
    """``timeout`` as seconds; infinity means no limit, NaN and negative numbers are errors."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise SpecificationError(f"the time limit must be a number of seconds, not {timeout!r}")
    if math.isnan(timeout) or timeout < 0:
        raise SpecificationError(f"the time limit must be a non-negative number, not {timeout}")
    return None if math.isinf(timeout) else float(timeout)


def depth_lower_bound(spec: Specification) -> int:
    """Depth any circuit for ``spec`` needs: a gate tree over s inputs has depth >= log2(s)."""
    if not isinstance(spec, TableSpecification):
        return 0
    widest = max(len(essential_inputs(spec, h)) for h in range(spec.outputs))
    return max(widest - 1, 0).bit_length()


def synthesize_specification(
    spec: Specification,
    *,
    basis: Basis = "b2",
    measure: Measure = "size",
    timeout: float | None = None,
    extra: ExtraConstraint | None = None,
    extra_check: Callable[[Circuit], bool] | None = None,
    symmetric_inputs: bool = True,
    progress: Progress | None = None,
    interruptible: bool = False,
    tighten: bool = False,
) -> SynthesisResult:
    """A minimum circuit for ``spec`` under ``measure`` over ``basis``.

    ``extra`` adds clauses to every query (for example "the behaviour differs from X on some
    state") and ``extra_check`` re-checks a decoded circuit against the same condition; with
    ``extra`` the caller must say whether input symmetries of ``spec`` still hold
    (``symmetric_inputs``).  ``timeout`` in seconds bounds the whole search (infinity: no
    bound).  ``progress`` is called as the search moves and while the solver works.  With
    ``tighten``, a long question is paused after ``TIGHTEN_AFTER`` seconds to look for
    circuits below the best found (a better upper bound should the search not finish).  With ``interruptible``, Ctrl-C ends the search with
    status ``unknown`` and the bounds reached instead of raising ``KeyboardInterrupt``.
    An ``unknown`` result still carries the proved lower bound and the best circuit found.
    """
    if basis not in BASES:
        raise SpecificationError(f"unknown basis {basis!r}; use b2 or aig")
    if measure not in MEASURES:
        raise SpecificationError(f"unknown measure {measure!r}; use size, depth or size+depth")
    start = time.perf_counter()
    search = _new_search(
        spec, basis, measure, symmetric_inputs, extra, extra_check, start, timeout, progress
    )
    if isinstance(spec, RewardSpecification) and spec.best_reward() < spec.threshold:
        return SynthesisResult(
            "infeasible",
            measure,
            basis,
            None,
            None,
            (),
            time.perf_counter() - start,
            f"no policy reaches {spec.threshold}: the best expected reward is {spec.best_reward()}",
        )
    try:
        return _search_minimum(search, tighten)
    except KeyboardInterrupt:
        if not interruptible:
            raise
        return _unknown(search, "interrupted", interrupted=True)


def _search_minimum(search: _Search, tighten: bool) -> SynthesisResult:
    spec, measure, steps = search.spec, search.measure, search.steps
    size_lower = size_lower_bound(spec)
    depth_lower = depth_lower_bound(spec)
    if measure == "size":
        search.lower = size_lower
    elif measure == "depth":
        search.lower = depth_lower
    else:
        search.lower = size_lower + depth_lower
    quick = search.quick_circuit()
    if quick is not None:
        search.offer(quick)

    # Fewest gates first; every smaller size is answered unsat (or excluded by counting).
    best: Circuit | None = None
    for gates in range(size_lower):
        steps.append(
            ProofStep(
                gates,
                None,
                "bound",
                0.0,
                f"an output depends on {size_lower + 1} inputs, so its cone has at least "
                f"{size_lower} gates",
            )
        )
    growing = search.growing()
    try:
        for gates in range(size_lower, MAX_GATES + 1):
            if measure == "size":
                search.lower = gates
            if quick is not None and quick.size == gates:
                # A circuit of this size is at hand and every smaller size is refuted.
                steps.append(ProofStep(gates, None, "sat", 0.0, "found by Shannon decomposition"))
                best = quick
                break
            grown = growing is not None and gates > 0
            if growing is not None and grown:
                query = growing.query(gates)
            else:
                query = search.slots(gates) or search.open(gates, None)
            try:
                step, circuit = search.run(query, TIGHTEN_AFTER if tighten else None)
                if step is None:  # a long question: look for cheaper circuits, then resume
                    search.tighten()  # only sizes above this one: it stays the next question
                    step, circuit = search.run(query)
            finally:
                if not grown:
                    query.solver.close()
            assert step is not None
            steps.append(step)
            if step.outcome == "unknown":
                return _unknown(
                    search,
                    (f"no circuit with fewer than {gates} gates; " if gates else "")
                    + f"no answer for {gates} gates ({step.note or 'time limit'})",
                )
            if circuit is not None:
                best = circuit
                break
    finally:
        if growing is not None:
            growing.close()
    if best is None:
        return _unknown(search, f"no circuit with at most {MAX_GATES} gates")
    search.offer(best)
    min_size = best.size
    if measure == "size" or min_size == 0:
        search.lower = measure_cost(best, measure)
        return _finish(search, best)

    # Depth or size+depth: every cheaper (gates, depth bound) shape must be unsat.
    best_cost = measure_cost(best, measure)
    first = 1 if measure == "depth" else min_size + 1
    search.lower = max(search.lower, first if measure == "depth" else min_size)
    for cost in range(first, best_cost):
        search.lower = max(search.lower, cost)
        if measure == "depth" and depth_capacity(spec.outputs, cost) < min_size:
            steps.append(
                ProofStep(
                    min_size,
                    cost,
                    "bound",
                    0.0,
                    f"depth {cost} holds at most {depth_capacity(spec.outputs, cost)} "
                    f"gates feeding {spec.outputs} output(s), fewer than {min_size}",
                )
            )
            continue
        for gates, depth_bound in _shapes(measure, cost, min_size, spec.outputs):
            step, circuit = search.ask(gates, depth_bound)
            steps.append(step)
            if step.outcome == "unknown":
                return _unknown(search, f"no answer for {gates} gates at depth <= {depth_bound}")
            if circuit is not None:
                search.offer(circuit)
                search.lower = cost
                return _finish(search, circuit)
    search.lower = best_cost
    return _finish(search, best)


def _span(sizes: list[int]) -> str:
    return str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"


def _finish(search: _Search, circuit: Circuit) -> SynthesisResult:
    measure, steps = search.measure, search.steps
    cost = measure_cost(circuit, measure)
    refuted = [s for s in steps if s.outcome in ("unsat", "bound")]
    if cost == 0:
        reason = "cost 0: nothing is cheaper"
    elif measure == "size":
        counted = [s.gates for s in refuted if s.outcome == "bound"]
        solved = [s.gates for s in refuted if s.outcome == "unsat"]
        parts = []
        if counted:
            parts.append(f"{_span(counted)} gates excluded by counting")
        if solved:
            parts.append(f"{_span(solved)} gates unsat")
        reason = f"no circuit with fewer than {cost} gates: " + "; ".join(parts)
    else:
        reason = f"unsat or impossible for all {len(refuted)} cheaper shapes (gates, depth bound)"
    return SynthesisResult(
        "optimal",
        measure,
        search.basis,
        circuit,
        cost,
        tuple(steps),
        time.perf_counter() - search.start,
        reason,
        cost,
        circuit,
    )


def synthesize(
    inputs: int,
    tables: Sequence[int],
    *,
    dont_care: Sequence[int] | None = None,
    basis: Basis = "b2",
    measure: Measure = "size",
    timeout: float | None = None,
    progress: Progress | None = None,
    interruptible: bool = False,
    tighten: bool = False,
) -> SynthesisResult:
    """A minimum circuit computing ``tables`` (one per output; bit i = value on assignment i).

    ``dont_care`` gives one mask per output (or one for all): assignments whose bit is set
    are free.  Raises ``SpecificationError`` on malformed input; a time limit gives status
    ``unknown`` with the proved lower bound and the best circuit found.
    """
    spec = table_specification(inputs, tables, dont_care)
    return synthesize_specification(
        spec,
        basis=basis,
        measure=measure,
        timeout=timeout,
        progress=progress,
        interruptible=interruptible,
        tighten=tighten,
    )


def synthesize_reward(
    inputs: int,
    outputs: int,
    weights: Mapping[int, Fraction | int],
    reward: Mapping[int, Sequence[Fraction | int]] | Callable[[int, int], Fraction | int],
    threshold: Fraction | int,
    *,
    basis: Basis = "b2",
    measure: Measure = "size",
    timeout: float | None = None,
) -> SynthesisResult:
    """A minimum circuit whose expected reward ``sum_t weights[t] * reward(t, action(t))``
    is at least ``threshold`` (the action is the outputs read as a number, y1 lowest).
    Status ``infeasible`` when no policy reaches the threshold."""
    spec = reward_specification(inputs, outputs, weights, reward, threshold)
    return synthesize_specification(spec, basis=basis, measure=measure, timeout=timeout)


def circuit_at_cost(
    spec: Specification,
    measure: Measure,
    cost: int,
    min_size: int,
    *,
    basis: Basis = "b2",
    timeout: float | None = None,
    extra: ExtraConstraint | None = None,
    extra_check: Callable[[Circuit], bool] | None = None,
    symmetric_inputs: bool = False,
) -> tuple[TypingLiteral["sat", "unsat", "unknown"], Circuit | None, tuple[ProofStep, ...]]:
    """Is there a circuit of cost exactly ``cost`` meeting ``spec`` and ``extra``?

    ``min_size`` is the proved minimum size for ``spec`` alone (no circuit meeting it is
    smaller).  When ``cost`` is the proved minimum cost, ``unsat`` means *no* minimum
    circuit satisfies ``extra``.
    """
    start = time.perf_counter()
    search = _new_search(spec, basis, measure, symmetric_inputs, extra, extra_check, start, timeout)
    steps: list[ProofStep] = []
    for gates, depth_bound in _shapes(measure, cost, min_size, spec.outputs):
        step, circuit = search.ask(gates, depth_bound)
        steps.append(step)
        if step.outcome == "unknown":
            return "unknown", None, tuple(steps)
        if circuit is not None:
            return "sat", circuit, tuple(steps)
    return "unsat", None, tuple(steps)


@dataclass(frozen=True)
class LookupTableSize:
    """Size and depth of the lookup-table (GLUT) circuit; see ``lookup_table_size``."""

    size: int
    depth: int
    minterms: int
    and_gates: int
    or_gates: int


def lookup_table_size(
    inputs: int, tables: Sequence[int], care: Sequence[int] | None = None
) -> LookupTableSize:
    """The naive lookup-table circuit: a sum of minterms, counted in the size convention.

    For every care assignment on which some output is 1 the circuit builds that minterm,
    the AND of all ``inputs`` literals, with ``inputs - 1`` two-input AND gates (input
    inversions are free; a minterm shared by several outputs is built once, minterms never
    share partial products).  Output h is then the OR of its k_h minterms: ``k_h - 1`` OR
    gates, and the constant 0 when k_h = 0.  Don't-care assignments are answered 0.  So
    ``size = M * (inputs - 1) + sum_h max(k_h - 1, 0)`` with M the number of distinct
    minterms, and ``depth = ceil(log2 inputs) + ceil(log2 max_h k_h)`` with balanced trees.
    This is the table the comments on the essay weigh against learned search: it grows
    with every state it must answer.
    """
    masks = list(care) if care is not None else [(1 << (1 << inputs)) - 1] * len(tables)
    ones = [
        {t for t in range(1 << inputs) if (table >> t) & 1 and (mask >> t) & 1}
        for table, mask in zip(tables, masks, strict=True)
    ]
    minterms = set().union(*ones) if ones else set()
    and_gates = len(minterms) * max(inputs - 1, 0)
    or_gates = sum(max(len(o) - 1, 0) for o in ones)
    widest = max((len(o) for o in ones), default=0)
    depth = (_ceil_log2(inputs) if minterms else 0) + _ceil_log2(widest)
    return LookupTableSize(and_gates + or_gates, depth, len(minterms), and_gates, or_gates)


def _ceil_log2(value: int) -> int:
    return max(value - 1, 0).bit_length()
