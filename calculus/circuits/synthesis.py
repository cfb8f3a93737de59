"""Exact synthesis of minimum circuits, with minimality shown by unsatisfiable smaller sizes.

``synthesize`` takes truth tables (and don't-care masks); ``synthesize_specification``
takes any ``Specification``, including a reward threshold.  The measure is ``size``
(gates; constants, inputs and output inversions are free, TAOCP 7.1.2), ``depth`` (then
fewest gates at that depth) or ``size+depth``.  Sizes are tried upwards from 0 so every
smaller size has an ``unsat`` answer on record; each circuit found is re-simulated against
the specification before it is returned.  A time limit turns into status ``unknown``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from typing import Literal as TypingLiteral

from calculus.syntax import BASES, MEASURES, Measure

from .circuit import Circuit
from .cnf import solve
from .encoding import Basis, CircuitEncoding, ExtraConstraint
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
        }
        if self.circuit is not None:
            data.update(self.circuit.to_json())
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
class _Search:
    """Settings shared by every solver call of one synthesis."""

    spec: Specification
    basis: Basis
    symmetric: tuple[tuple[int, int], ...]
    extra: ExtraConstraint | None
    extra_check: Callable[[Circuit], bool] | None
    deadline: float | None

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.perf_counter()

    def ask(self, gates: int, depth_bound: int | None) -> tuple[ProofStep, Circuit | None]:
        """Is there a circuit of exactly ``gates`` gates (depth <= ``depth_bound``)?"""
        start = time.perf_counter()
        encoding = CircuitEncoding(self.spec, gates, self.basis, depth_bound, self.symmetric)
        if self.extra is not None:
            self.extra(encoding)
        outcome = solve(encoding.builder, self.remaining())
        seconds = time.perf_counter() - start
        if outcome.status != "sat":
            return ProofStep(gates, depth_bound, outcome.status, seconds, outcome.reason), None
        circuit = encoding.decode(outcome)
        self.verify(circuit, gates, depth_bound)
        return ProofStep(gates, depth_bound, "sat", seconds), circuit

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


def _unknown(
    search: _Search, measure: Measure, steps: list[ProofStep], start: float, reason: str
) -> SynthesisResult:
    return SynthesisResult(
        "unknown",
        measure,
        search.basis,
        None,
        None,
        tuple(steps),
        time.perf_counter() - start,
        reason,
    )


def _new_search(
    spec: Specification,
    basis: Basis,
    symmetric_inputs: bool,
    extra: ExtraConstraint | None,
    extra_check: Callable[[Circuit], bool] | None,
    start: float,
    timeout: float | None,
) -> _Search:
    """A search over ``basis`` for ``spec``, with ``timeout`` seconds counted from ``start``."""
    return _Search(
        spec,
        basis,
        symmetric_pairs(spec) if symmetric_inputs else (),
        extra,
        extra_check,
        None if timeout is None else start + timeout,
    )


def synthesize_specification(
    spec: Specification,
    *,
    basis: Basis = "b2",
    measure: Measure = "size",
    timeout: float | None = None,
    extra: ExtraConstraint | None = None,
    extra_check: Callable[[Circuit], bool] | None = None,
    symmetric_inputs: bool = True,
) -> SynthesisResult:
    """A minimum circuit for ``spec`` under ``measure`` over ``basis``.

    ``extra`` adds clauses to every query (for example "the behaviour differs from X on some
    state") and ``extra_check`` re-checks a decoded circuit against the same condition; with
    ``extra`` the caller must say whether input symmetries of ``spec`` still hold
    (``symmetric_inputs``).  ``timeout`` in seconds bounds the whole search.
    """
    if basis not in BASES:
        raise SpecificationError(f"unknown basis {basis!r}; use b2 or aig")
    if measure not in MEASURES:
        raise SpecificationError(f"unknown measure {measure!r}; use size, depth or size+depth")
    start = time.perf_counter()
    search = _new_search(spec, basis, symmetric_inputs, extra, extra_check, start, timeout)
    steps: list[ProofStep] = []
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

    # Fewest gates first; every smaller size is answered unsat (or excluded by counting).
    best: Circuit | None = None
    lower = size_lower_bound(spec)
    for gates in range(lower):
        steps.append(
            ProofStep(
                gates,
                None,
                "bound",
                0.0,
                f"an output depends on {lower + 1} inputs, so its cone has at least {lower} gates",
            )
        )
    for gates in range(lower, MAX_GATES + 1):
        step, circuit = search.ask(gates, None)
        steps.append(step)
        if step.outcome == "unknown":
            return _unknown(
                search,
                measure,
                steps,
                start,
                (f"no circuit with fewer than {gates} gates; " if gates else "")
                + f"no answer for {gates} gates ({step.note or 'time limit'})",
            )
        if circuit is not None:
            best = circuit
            break
    if best is None:
        return _unknown(search, measure, steps, start, f"no circuit with at most {MAX_GATES} gates")
    min_size = best.size
    if measure == "size" or min_size == 0:
        return _finish(search, measure, best, steps, start)

    # Depth or size+depth: every cheaper (gates, depth bound) shape must be unsat.
    best_cost = measure_cost(best, measure)
    first = 1 if measure == "depth" else min_size + 1
    for cost in range(first, best_cost):
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
                return _unknown(
                    search,
                    measure,
                    steps,
                    start,
                    f"no answer for {gates} gates at depth <= {depth_bound}",
                )
            if circuit is not None:
                return _finish(search, measure, circuit, steps, start)
    return _finish(search, measure, best, steps, start)


def _span(sizes: list[int]) -> str:
    return str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"


def _finish(
    search: _Search, measure: Measure, circuit: Circuit, steps: list[ProofStep], start: float
) -> SynthesisResult:
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
        time.perf_counter() - start,
        reason,
    )


def synthesize(
    inputs: int,
    tables: Sequence[int],
    *,
    dont_care: Sequence[int] | None = None,
    basis: Basis = "b2",
    measure: Measure = "size",
    timeout: float | None = None,
) -> SynthesisResult:
    """A minimum circuit computing ``tables`` (one per output; bit i = value on assignment i).

    ``dont_care`` gives one mask per output (or one for all): assignments whose bit is set
    are free.  Raises ``SpecificationError`` on malformed input; a time limit gives status
    ``unknown``.
    """
    spec = table_specification(inputs, tables, dont_care)
    return synthesize_specification(spec, basis=basis, measure=measure, timeout=timeout)


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
    search = _new_search(spec, basis, symmetric_inputs, extra, extra_check, start, timeout)
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
