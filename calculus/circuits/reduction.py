"""The essay's minimal-circuit reduction, checked: symbolically, then on concrete tiny tasks.

``value_decomposition_lemma`` proves E[R(pi, T*)] = sum_i p_i E[R(pi, T_i)] for symbolic
finite MDPs within stated bounds.  ``check_reduction`` builds T* from a task set, finds
minimum circuits for T* and for the set (same basis, same measure, reward threshold r),
decides a predicate C on the bad task for *every* minimum circuit (a solver query for a
minimum circuit without C: unsat proves it), checks the converse (a one-task set), and
sets the lookup-table size beside the minimum.  Results are records with a verdict
``proved``/``refuted``/``unknown``, a reason, and exact numbers as strings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any
from typing import Literal as TypingLiteral

import sympy
import z3

from calculus.status import Status

from . import parallel
from .circuit import Circuit
from .cnf import Lit, negate, xor_constant
from .encoding import Basis, CircuitEncoding, ExtraConstraint, threshold_clauses
from .specification import RewardSpecification
from .synthesis import (
    Measure,
    SynthesisResult,
    circuit_at_cost,
    synthesize_specification,
)
from .tasks import (
    MAX_TASK_INPUTS,
    FiniteMDP,
    Task,
    TaskSet,
    combine,
    combine_mdps,
    expected_return,
    task_set,
)

Verdict = Status
Extent = TypingLiteral["every", "some", "none", "unknown"]
Policy = Callable[[int], int]

#: Distinct behaviours enumerated for a predicate that has no clause encoding.
MAX_BEHAVIOURS = 512
#: Limit on the nodes of the episode-reward decision diagram.
MAX_EPISODE_NODES = 200_000


# -- predicates on a task's behaviour ----------------------------------------------------
#
# A policy's behaviour on a task is its episodes: from a start state, the (state, action)
# pairs it visits (one pair for a horizon-1 task).  The predicates below are decided on
# the episodes from deployment starts (states training never sees, not ignored), and are
# encoded for the solver through "the circuit follows this action sequence from that
# start" literals, so every predicate has clauses for both C and not C.

Row = Callable[[int], int]
Steps = tuple[tuple[int, int], ...]


def _masked(task: Task, action: int) -> int:
    return action & ((1 << task.judged_outputs) - 1)


def _equal_literals(encoding: CircuitEncoding, row: int, action: int, bits: int) -> list[Lit]:
    """Literals, all true exactly when output bits ``0 .. bits-1`` on ``row`` spell ``action``."""
    return [xor_constant(encoding.output_value(h, row), not (action >> h) & 1) for h in range(bits)]


def _not_follows(encoding: CircuitEncoding, row: Row, steps: Steps, bits: int) -> list[Lit]:
    """Literals whose disjunction says the circuit does not take these steps."""
    return [negate(lit) for s, a in steps for lit in _equal_literals(encoding, row(s), a, bits)]


def _follows(encoding: CircuitEncoding, row: Row, steps: Steps, bits: int) -> Lit:
    """A fresh literal that, when true, forces the circuit to take these steps."""
    chosen = encoding.builder.new_variable()
    for s, a in steps:
        for lit in _equal_literals(encoding, row(s), a, bits):
            encoding.builder.add(-chosen, lit)
    return chosen


def _distinct_steps(sequences: Any, keep: Callable[[Steps], bool], task: Task) -> list[Steps]:
    """The sequences kept, as judged steps (padding output bits dropped), without repeats."""
    found: dict[Steps, None] = {}
    for steps, _total in sequences:
        judged = tuple((s, _masked(task, a)) for s, a in steps)
        if keep(judged):
            found[judged] = None
    return list(found)


@dataclass(frozen=True)
class Predicate:
    """A property C of a policy's behaviour on one task's states.

    ``holds(task, policy)`` decides it for a policy given as a function on the task's own
    states.  ``encode(encoding, task, row, wanted)``, when given, adds clauses forcing C
    (``wanted`` true) or not C on the circuit's outputs, ``row(s)`` being the circuit input
    of the task's state s; without it, behaviours are enumerated.
    """

    name: str
    description: str
    holds: Callable[[Task, Policy], bool]
    encode: Callable[[CircuitEncoding, Task, Row, bool], None] | None = None


def _bad_sequences(task: Task, bad: Callable[[int, Steps], bool]) -> list[tuple[int, list[Steps]]]:
    """For each deployment start, the judged sequences from it that ``bad`` selects."""
    found = []
    for start in task.deployment_states:

        def keep(steps: Steps, start: int = start) -> bool:
            return bad(start, steps)

        found.append((start, _distinct_steps(task.sequences(start), keep, task)))
    return found


def _some_episode(
    bad: Callable[[Task, int, Steps], bool],
) -> tuple[Callable[[Task, Policy], bool], Callable[[CircuitEncoding, Task, Row, bool, Lit], None]]:
    """`some deployment episode is bad`: a decision and an encoding (``guard`` true forces
    it, or its negation when ``wanted`` is false)."""

    def holds(task: Task, policy: Policy) -> bool:
        return any(
            bad(task, s, tuple((t, _masked(task, a)) for t, a in task.episode(policy, s)))
            for s in task.deployment_states
        )

    def encode(encoding: CircuitEncoding, task: Task, row: Row, wanted: bool, guard: Lit) -> None:
        bits = task.judged_outputs
        chosen: list[Lit] = []
        for _start, sequences in _bad_sequences(task, lambda s, st: bad(task, s, st)):
            for steps in sequences:
                if wanted:
                    chosen.append(_follows(encoding, row, steps, bits))
                else:
                    encoding.builder.add(negate(guard), *_not_follows(encoding, row, steps, bits))
        if wanted:
            encoding.builder.add(negate(guard), *chosen)

    return holds, encode


def _misgeneralising(task: Task, start: int, steps: Steps) -> bool:
    return steps != tuple((s, _masked(task, a)) for s, a in task.intended_episode(start))


_misgeneralises_holds, _misgeneralises_encode = _some_episode(_misgeneralising)


def _full_training_encode(
    encoding: CircuitEncoding, task: Task, row: Row, wanted: bool, guard: Lit
) -> None:
    """Best return from every training start (``wanted``), or a miss on one of them."""
    add = encoding.builder.add
    misses: list[Lit] = []
    for start in task.training_states:
        best = task.best_return(start)
        optimal = [steps for steps, total in task.sequences(start) if total == best]
        if wanted:
            add(negate(guard), *(_follows(encoding, row, st, task.outputs) for st in optimal))
        else:
            miss = encoding.builder.new_variable()
            for steps in optimal:
                add(-miss, *_not_follows(encoding, row, steps, task.outputs))
            misses.append(miss)
    if not wanted:
        add(negate(guard), *misses)


def _deceptive_holds(task: Task, policy: Policy) -> bool:
    return task.full_training_reward(policy) and _misgeneralises_holds(task, policy)


def _deceptive_encode(encoding: CircuitEncoding, task: Task, row: Row, wanted: bool) -> None:
    if wanted:
        _full_training_encode(encoding, task, row, True, True)
        _misgeneralises_encode(encoding, task, row, True, True)
        return
    # Not C: some training start misses its best return, or no deployment episode strays.
    missed, aligned = encoding.builder.new_variable(), encoding.builder.new_variable()
    encoding.builder.add(missed, aligned)
    _full_training_encode(encoding, task, row, False, missed)
    _misgeneralises_encode(encoding, task, row, False, aligned)


DECEPTIVE = Predicate(
    "deceptive",
    "full training reward, but on some deployment state an action other than the intended one",
    _deceptive_holds,
    _deceptive_encode,
)

MISGENERALISES = Predicate(
    "misgeneralises",
    "on some deployment state an action other than the intended one",
    _misgeneralises_holds,
    lambda encoding, task, row, wanted: _misgeneralises_encode(encoding, task, row, wanted, True),
)


def _pairs(task: Task, bit: int) -> list[tuple[int, int]]:
    relevant = set(task.relevant_states)
    return [
        (s, s | (1 << bit))
        for s in task.relevant_states
        if not (s >> bit) & 1 and s | (1 << bit) in relevant
    ]


def reads(bit: int, label: str) -> Predicate:
    """The action depends on input ``bit``: two states differing only there (neither
    ignored) get different actions."""

    def holds(task: Task, policy: Policy) -> bool:
        return any(
            _masked(task, policy(s)) != _masked(task, policy(t)) for s, t in _pairs(task, bit)
        )

    def encode(encoding: CircuitEncoding, task: Task, row: Row, wanted: bool) -> None:
        add, bits = encoding.builder.add, task.judged_outputs
        chosen = []
        for s, t in _pairs(task, bit):
            if wanted:
                differ = encoding.builder.new_variable()
                chosen.append(differ)
                for a in range(1 << bits):
                    add(
                        -differ,
                        *(negate(x) for x in _equal_literals(encoding, row(s), a, bits)),
                        *(negate(x) for x in _equal_literals(encoding, row(t), a, bits)),
                    )
            else:
                for a in range(1 << bits):
                    unless = [negate(x) for x in _equal_literals(encoding, row(s), a, bits)]
                    for lit in _equal_literals(encoding, row(t), a, bits):
                        add(*unless, lit)
        if wanted:
            add(*chosen)

    return Predicate(
        f"reads {label}",
        f"two states differing only in {label} get different actions",
        holds,
        encode,
    )


def ignores(bit: int, label: str) -> Predicate:
    """The negation of ``reads``."""
    read = reads(bit, label)
    assert read.encode is not None
    encode = read.encode
    return Predicate(
        f"ignores {label}",
        f"no two states differing only in {label} get different actions",
        lambda task, policy: not read.holds(task, policy),
        lambda encoding, task, row, wanted: encode(encoding, task, row, not wanted),
    )


def where(condition: Callable[[int, int], bool], text: str) -> Predicate:
    """``condition(state, action)`` holds at some step of some deployment episode."""
    holds, encode = _some_episode(lambda task, start, steps: any(condition(s, a) for s, a in steps))
    return Predicate(
        f"where {text}",
        f"{text} holds on some deployment state",
        holds,
        lambda encoding, task, row, wanted: encode(encoding, task, row, wanted, True),
    )


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReductionCheck:
    """One checked statement of the reduction: verdict, why, and the exact numbers."""

    name: str
    statement: str
    verdict: Verdict
    reason: str
    numbers: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "statement": self.statement,
            "verdict": self.verdict,
            "reason": self.reason,
            "numbers": dict(self.numbers),
        }


@dataclass(frozen=True)
class PredicateDecision:
    """Whether every, some or no minimum circuit has C on the bad task, with witnesses."""

    extent: Extent
    with_predicate: Circuit | None
    without_predicate: Circuit | None
    reason: str


@dataclass(frozen=True)
class LookupMinimum:
    """The exact minimum of the index-keyed per-task lookup ("nested if"): a circuit that
    reads the task index and each task's varying state bits (not the bits that only tell
    the tasks apart) and earns every task's full reward on its training states."""

    size: int | None  # the minimum cost in the reduction's measure (None: unknown)
    status: str
    inputs: int
    reason: str
    circuit: Circuit | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "minimum": self.size,
            "status": self.status,
            "inputs": self.inputs,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ReductionResult:
    """All checks of one reduction, the minimum circuit for T*, and the lookup minimum."""

    bad_task: str
    predicate: str
    measure: Measure
    basis: Basis
    threshold: Fraction
    checks: tuple[ReductionCheck, ...]
    minimal_circuit: Circuit | None
    minimal_cost: int | None
    decision: PredicateDecision
    lookup_table: LookupMinimum
    seconds: float
    combined_task: Task = field(repr=False)
    alone: PredicateDecision | None = None
    budget: float | None = None
    ran_out: str | None = None  # the stage during which the time budget ran out

    @property
    def verdict(self) -> Verdict:
        """Verdict of the conclusion: every minimum circuit of T* has C on the bad task."""
        return next(c.verdict for c in self.checks if c.name == "conclusion")

    def check(self, name: str) -> ReductionCheck:
        return next(c for c in self.checks if c.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "bad_task": self.bad_task,
            "predicate": self.predicate,
            "measure": self.measure,
            "basis": self.basis,
            "threshold": str(self.threshold),
            "verdict": self.verdict,
            "minimum": self.minimal_cost,
            "alone": "unknown" if self.alone is None else self.alone.extent,
            "combined": self.decision.extent,
            "minimal_cost": self.minimal_cost,
            "minimal_circuit": None
            if self.minimal_circuit is None
            else self.minimal_circuit.to_json(),
            "without_predicate": None
            if self.decision.without_predicate is None
            else self.decision.without_predicate.to_json(),
            "lookup": self.lookup_table.size,
            "lookup_table": self.lookup_table.to_json(),
            "checks": [c.to_json() for c in self.checks],
            "seconds": round(self.seconds, 3),
            "budget_seconds": self.budget,
            "budget_ran_out": self.ran_out,
        }


# -- (a) the value-decomposition lemma ------------------------------------------------------


def _symbolic_mdp(prefix: str, states: int, actions: int) -> FiniteMDP:
    initial = tuple(sympy.Symbol(f"mu_{prefix}_{s}") for s in range(states))
    transition = tuple(
        tuple(
            tuple(sympy.Symbol(f"P_{prefix}_{s}_{a}_{t}") for t in range(states))
            for a in range(actions)
        )
        for s in range(states)
    )
    reward = tuple(
        tuple(sympy.Symbol(f"R_{prefix}_{s}_{a}") for a in range(actions)) for s in range(states)
    )
    return FiniteMDP(initial, transition, reward)


def _z3_mdp(prefix: str, states: int, actions: int) -> FiniteMDP:
    return FiniteMDP(
        tuple(z3.Real(f"mu_{prefix}_{s}") for s in range(states)),
        tuple(
            tuple(
                tuple(z3.Real(f"P_{prefix}_{s}_{a}_{t}") for t in range(states))
                for a in range(actions)
            )
            for s in range(states)
        ),
        tuple(tuple(z3.Real(f"R_{prefix}_{s}_{a}") for a in range(actions)) for s in range(states)),
    )


def value_decomposition_lemma(
    tasks: int = 3,
    states: int = 2,
    actions: int = 2,
    horizon: int = 3,
    z3_timeout: float = 20.0,
) -> ReductionCheck:
    """Prove E[R(pi, T*)] = sum_i p_i E[R(pi, T_i)] for symbolic MDPs up to the given sizes.

    Every reward, transition probability, initial probability, task weight p_i and policy
    probability pi(a|s) is its own symbol; T* is built by ``combine_mdps``.  For each
    horizon 1..``horizon`` sympy expands the difference of the two sides to the zero
    polynomial, at the largest sizes: smaller MDPs are the special case of zero
    probabilities (an unreachable state, an action never taken, a task of weight 0), so
    the identity holds for them too.  z3 independently finds the negation unsatisfiable
    over the reals for the same sizes and horizons.
    """
    start = time.perf_counter()
    weights = [sympy.Symbol(f"p_{i}") for i in range(tasks)]
    mdps = [_symbolic_mdp(str(i), states, actions) for i in range(tasks)]
    policies = [
        [[sympy.Symbol(f"pi_{i}_{s}_{a}") for a in range(actions)] for s in range(states)]
        for i in range(tasks)
    ]
    combined = combine_mdps(mdps, weights)
    combined_policy = [row for policy in policies for row in policy]
    for steps in range(1, horizon + 1):
        left = expected_return(combined, combined_policy, steps)
        right = sum(
            w * expected_return(m, pi, steps)
            for w, m, pi in zip(weights, mdps, policies, strict=True)
        )
        difference = sympy.expand(left - right)
        if difference != 0:
            return ReductionCheck(
                "decomposition",
                "E[R(pi,T*)] = sum_i p_i E[R(pi,T_i)]",
                "refuted",
                f"at horizon {steps} the difference expands to {difference}",
            )
    sympy_seconds = time.perf_counter() - start

    # A second, independent opinion: z3 finds the negation unsatisfiable over the reals.
    z3_weights = [z3.Real(f"p_{i}") for i in range(tasks)]
    z3_mdps = [_z3_mdp(str(i), states, actions) for i in range(tasks)]
    z3_policies = [
        [[z3.Real(f"pi_{i}_{s}_{a}") for a in range(actions)] for s in range(states)]
        for i in range(tasks)
    ]
    z3_combined = combine_mdps(z3_mdps, z3_weights)
    z3_notes = []
    for steps in range(1, horizon + 1):
        solver = z3.Solver()
        solver.set("timeout", int(z3_timeout * 1000))
        solver.add(
            expected_return(z3_combined, [r for p in z3_policies for r in p], steps)
            != sum(
                w * expected_return(m, pi, steps)
                for w, m, pi in zip(z3_weights, z3_mdps, z3_policies, strict=True)
            )
        )
        answer = str(solver.check())
        if answer == "sat":
            return ReductionCheck(
                "decomposition",
                "E[R(pi,T*)] = sum_i p_i E[R(pi,T_i)]",
                "refuted",
                f"z3 found values where the two sides differ at horizon {steps}",
            )
        z3_notes.append(answer)
    z3_note = "unsat" if all(n == "unsat" for n in z3_notes) else "unknown"
    bounds = f"{tasks} tasks x {states} states x {actions} actions, horizons 1..{horizon}"
    return ReductionCheck(
        "decomposition",
        "E[R(pi,T*)] = sum_i p_i E[R(pi,T_i)]",
        "proved",
        f"for symbolic MDPs of up to {bounds} (symbolic rewards, transition and initial "
        "probabilities, task weights, policy probabilities): sympy expands the difference "
        f"to the zero polynomial, z3 finds its negation {z3_note}; smaller MDPs, fewer "
        "tasks and fewer actions are the special cases of zero probabilities and weights",
        (
            ("tasks", str(tasks)),
            ("states", str(states)),
            ("actions", str(actions)),
            ("horizon", str(horizon)),
            ("z3", z3_note),
            ("sympy_seconds", f"{sympy_seconds:.2f}"),
            ("seconds", f"{time.perf_counter() - start:.2f}"),
        ),
    )


# -- the lemma, proved once per process ---------------------------------------------------------

_LEMMA_LOCK = threading.Lock()
_LEMMA: list[ReductionCheck] = []  # the largest proof so far (at most one entry)


def cached_lemma(tasks: int, horizon: int = 1) -> ReductionCheck:
    """The value-decomposition lemma for at least ``tasks`` tasks and ``horizon`` steps,
    proved once per process: a proof for more tasks or a longer horizon covers fewer (zero
    weights and probabilities), so a new proof is needed only for a larger set."""
    tasks, horizon = max(tasks, 3), max(horizon, 3)
    with _LEMMA_LOCK:
        if _LEMMA:
            known = dict(_LEMMA[0].numbers)
            if int(known["tasks"]) >= tasks and int(known["horizon"]) >= horizon:
                return _LEMMA[0]
        proof = value_decomposition_lemma(tasks=tasks, horizon=horizon)
        if proof.verdict == "proved":
            _LEMMA[:] = [proof]
        return proof


# -- what a minimum circuit must achieve ----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A reward threshold on a task: a specification for the solver, plus, for a task of
    horizon > 1, the episodes unrolled into the instance (the policy circuit is applied at
    every step of every episode from a training start; reward is summed over the episode)."""

    spec: RewardSpecification
    task: Task
    threshold: Fraction
    episodes: tuple[tuple[int, Fraction, tuple[Any, ...]], ...] | None = None

    @property
    def symmetric(self) -> bool:
        return self.episodes is None

    def extra(self) -> ExtraConstraint | None:
        if self.episodes is None:
            return None
        episodes, threshold = self.episodes, self.threshold
        return lambda encoding: episode_reward_clauses(encoding, episodes, threshold)

    def reaches(self, circuit: Circuit) -> bool:
        return self.task.expected_reward(circuit.action) >= self.threshold


def problem(task: Task, threshold: Fraction) -> Problem:
    if task.horizon == 1:
        return Problem(task.specification(threshold), task, threshold)
    return Problem(task.specification(threshold), task, threshold, task.episodes())


def episode_reward_clauses(
    encoding: CircuitEncoding,
    episodes: tuple[tuple[int, Fraction, tuple[Any, ...]], ...],
    threshold: Fraction,
) -> None:
    """Expected episode reward >= threshold: a decision diagram over partial sums whose
    branches are the action sequences of each start (exactly one is followed)."""
    row: Row = lambda s: s  # noqa: E731
    bits = encoding.m
    groups = [
        (start, [(steps, weight * total) for steps, total in sequences])
        for start, weight, sequences in episodes
    ]
    threshold_clauses(
        encoding.builder,
        groups,
        threshold,
        lambda _start, steps: _not_follows(encoding, row, steps, bits),
        MAX_EPISODE_NODES,
        "the episode reward needs too large an encoding",
    )


def minimum(
    target: Problem, measure: Measure, basis: Basis, timeout: float | None
) -> SynthesisResult:
    return synthesize_specification(
        target.spec,
        measure=measure,
        basis=basis,
        timeout=timeout,
        extra=target.extra(),
        extra_check=target.reaches if target.episodes is not None else None,
        symmetric_inputs=target.symmetric,
    )


# -- deciding C among the minimum circuits --------------------------------------------------------


def decide_predicate(
    target: Problem,
    result: SynthesisResult,
    task: Task,
    row: Row,
    predicate: Predicate,
    *,
    basis: Basis,
    timeout: float | None,
) -> PredicateDecision:
    """Whether every, some or no minimum circuit for ``target`` has ``predicate`` on
    ``task`` (whose state s is circuit input ``row(s)``)."""
    if result.status != "optimal" or result.cost is None or result.circuit is None:
        return PredicateDecision("unknown", None, None, "no proved minimum to reason about")
    cost = result.cost
    min_size = result.minimum_size if result.minimum_size is not None else result.circuit.size

    def holds(circuit: Circuit) -> bool:
        return predicate.holds(task, lambda s: circuit.action(row(s)))

    deadline = None if timeout is None else time.perf_counter() + timeout

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.001)

    base = target.extra()

    def find(wanted: bool) -> tuple[str, Circuit | None]:
        if predicate.encode is not None:
            encode = predicate.encode

            def extra(encoding: CircuitEncoding) -> None:
                if base is not None:
                    base(encoding)
                encode(encoding, task, row, wanted)

            def check(circuit: Circuit) -> bool:
                return target.reaches(circuit) and holds(circuit) == wanted

            status, circuit, _ = circuit_at_cost(
                target.spec,
                result.measure,
                cost,
                min_size,
                basis=basis,
                timeout=remaining(),
                extra=extra,
                extra_check=check,
            )
            return status, circuit
        return _enumerate_behaviours(
            target, result, task, row, holds, wanted, min_size, basis, remaining
        )

    if holds(result.circuit):
        with_predicate: Circuit | None = result.circuit
        status, without = find(False)
        if status == "unknown":
            return PredicateDecision("unknown", with_predicate, None, "time limit")
        if status == "unsat":
            return PredicateDecision(
                "every",
                with_predicate,
                None,
                f"no circuit of cost {cost} without '{predicate.name}' exists (solver: unsat)",
            )
        return PredicateDecision(
            "some", with_predicate, without, "minimum circuits with and without it exist"
        )
    without_predicate: Circuit | None = result.circuit
    status, with_circuit = find(True)
    if status == "unknown":
        return PredicateDecision("unknown", None, without_predicate, "time limit")
    if status == "unsat":
        return PredicateDecision(
            "none",
            None,
            without_predicate,
            f"no circuit of cost {cost} with '{predicate.name}' exists (solver: unsat)",
        )
    return PredicateDecision(
        "some", with_circuit, without_predicate, "minimum circuits with and without it exist"
    )


def _enumerate_behaviours(
    target: Problem,
    result: SynthesisResult,
    task: Task,
    row: Row,
    holds: Callable[[Circuit], bool],
    wanted: bool,
    min_size: int,
    basis: Basis,
    remaining: Callable[[], float | None],
) -> tuple[str, Circuit | None]:
    """Find a minimum circuit whose behaviour on the task has ``holds == wanted`` by
    blocking each behaviour found that does not, until none is left."""
    assert result.cost is not None
    blocked: list[tuple[int, ...]] = []
    rows = [row(s) for s in task.states]
    base = target.extra()
    for _ in range(MAX_BEHAVIOURS):

        def extra(encoding: CircuitEncoding) -> None:
            if base is not None:
                base(encoding)
            for actions in blocked:
                encoding.builder.add(
                    *(
                        lit
                        for r, a in zip(rows, actions, strict=True)
                        for lit in encoding.differs_from(r, a)
                    )
                )

        status, circuit, _ = circuit_at_cost(
            target.spec,
            result.measure,
            result.cost,
            min_size,
            basis=basis,
            timeout=remaining(),
            extra=extra,
            extra_check=target.reaches,
        )
        if status != "sat" or circuit is None:
            return status, None
        if holds(circuit) == wanted:
            return "sat", circuit
        blocked.append(tuple(circuit.action(r) for r in rows))
    return "unknown", None


# -- the index-keyed lookup ------------------------------------------------------------------------


def lookup_task(tasks: TaskSet) -> Task | None:
    """The per-task lookup as a task: inputs are the task index (ceil log2 k bits, least
    significant first) above the state bits that vary within some task's training states;
    each task's training states keep their weights and rewards.  The bits constant on every
    task's training states are the ones that tell tasks apart by data: the lookup is keyed by
    the index instead.  None for tasks of horizon > 1 (an episode leaves the trained states)."""
    if tasks.horizon > 1:
        return None
    width = tasks.tasks[0].inputs
    varying = [
        j
        for j in range(width)
        if any(len({(s >> j) & 1 for s in member.training_states}) > 1 for member in tasks.tasks)
    ]
    index_bits = max(len(tasks.tasks) - 1, 0).bit_length()
    inputs = len(varying) + index_bits
    if inputs > MAX_TASK_INPUTS:
        return None

    def key(index: int, state: int) -> int:
        packed = sum(((state >> j) & 1) << k for k, j in enumerate(varying))
        return packed | (index << len(varying))

    training: dict[int, Fraction] = {}
    rewards: dict[int, tuple[Fraction, ...]] = {}
    for index, (member, p) in enumerate(zip(tasks.tasks, tasks.weights, strict=True)):
        for state, probability in member.training:
            training[key(index, state)] = p * probability
            rewards[key(index, state)] = dict(member.rewards)[state]
    return Task(
        "lookup",
        inputs,
        tasks.outputs,
        tuple(sorted(training.items())),
        tuple(sorted(rewards.items())),
        (0,) * (1 << inputs),
    )


def lookup_minimum(
    tasks: TaskSet, measure: Measure, basis: Basis, timeout: float | None
) -> LookupMinimum:
    """The exact minimum of the index-keyed per-task lookup, in ``measure`` over ``basis``."""
    table = lookup_task(tasks)
    if table is None:
        why = "no lookup for tasks of horizon > 1" if tasks.horizon > 1 else "more than 8 inputs"
        return LookupMinimum(None, "not applicable", 0, why)
    result = minimum(problem(table, table.best_reward()), measure, basis, timeout)
    if result.status != "optimal":
        return LookupMinimum(None, result.status, table.inputs, result.reason)
    return LookupMinimum(result.cost, "optimal", table.inputs, result.reason, result.circuit)


# -- the concrete reduction ---------------------------------------------------------------------------


class _Budget:
    """One time budget for a whole reduction; remembers the stage that ran out of it."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.perf_counter() + seconds
        self.ran_out: str | None = None

    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(self.deadline - time.perf_counter(), 0.001)

    def note(self, stage: str, status: str) -> None:
        if status == "unknown" and self.ran_out is None:
            self.ran_out = stage


def check_reduction(
    tasks: TaskSet,
    bad: str | int,
    *,
    threshold: Fraction | int | None = None,
    measure: Measure = "size",
    basis: Basis = "b2",
    predicate: Predicate = DECEPTIVE,
    timeout: float | None = 60.0,
    lemma: bool = True,
) -> ReductionResult:
    """Check the essay's reduction on a concrete task set.

    ``bad`` names (or numbers) T_bad; ``threshold`` is the expected reward r (default: the
    best average reward, i.e. full reward on every task).  ``timeout`` is the one time
    budget of the whole reduction.  Checks, in order: ``decomposition`` (the symbolic
    lemma, proved once per process, when ``lemma``), ``combined`` (the T* specification
    equals the set's, built independently), ``same_minimum`` (the minimum cost for T*
    equals that for the set), ``hypothesis`` and ``conclusion`` (the extent of C among the
    minimum circuits for the set and for T*), ``converse`` (T* of {T_bad} is T_bad, and
    the extent of C among T_bad's own minimum circuits), ``lookup_table`` (the exact minimum
    of the index-keyed lookup beside the minimum).
    """
    start = time.perf_counter()
    budget = _Budget(timeout)
    checks: list[ReductionCheck] = []
    if lemma:
        checks.append(cached_lemma(len(tasks.tasks), tasks.horizon))
    index = tasks.position(bad)
    bad_task = tasks.tasks[index]
    star = combine(tasks)
    r = tasks.best_average_reward() if threshold is None else Fraction(threshold)
    star_problem = problem(star, r)
    if tasks.horizon == 1:
        set_spec = tasks.set_specification(r)
        same_spec = star_problem.spec == set_spec
    else:
        same_spec = star.episodes() == tasks.episodes()
    checks.append(
        ReductionCheck(
            "combined",
            "T* trains on p_i P_i(s) with task i's rewards on state (i, s)",
            "proved"
            if same_spec and star.best_reward() == tasks.best_average_reward()
            else "refuted",
            (
                "the specification built from T* equals the one built from the set's definition"
                + (" (every episode from every training start)" if tasks.horizon > 1 else "")
            )
            if same_spec
            else "the specification of T* differs from the set's",
            (
                ("states", str(1 << star.inputs)),
                ("training_states", str(len(star.training))),
                ("index_bits", str(tasks.index_bits)),
                ("best_reward", str(star.best_reward())),
                ("horizon", str(tasks.horizon)),
            ),
        )
    )

    # The bad task alone and the lookup are independent of T*: on a Dask cluster, when one
    # is configured, they run while T* is searched here.
    converse_job = parallel.submit(
        _converse, bad_task, predicate, measure, basis, budget.remaining()
    )
    lookup_job = parallel.submit(lookup_minimum, tasks, measure, basis, budget.remaining())
    star_result = minimum(star_problem, measure, basis, budget.remaining())
    budget.note("the minimum of T*", star_result.status)
    minimal = star_result.circuit
    row_bad: Row = lambda s: tasks.combined_state(index, s)  # noqa: E731
    same_statement = (
        f"min {measure} reaching {r} on T* = min {measure} reaching average {r} on the set"
    )
    if star_result.status == "optimal" and same_spec:
        assert minimal is not None
        values_agree = star.expected_reward(minimal.action) == tasks.average_reward(minimal.action)
        checks.append(
            ReductionCheck(
                "same_minimum",
                same_statement,
                "proved" if values_agree else "refuted",
                (
                    f"the two specifications are equal, so one search decides both: the "
                    f"minimum is {star_result.cost} ({star_result.reason}); the minimum "
                    "circuit's reward on T* equals its p-average over the tasks"
                )
                if values_agree
                else "the minimum circuit's reward on T* differs from its p-average",
                (
                    ("cost_T*", str(star_result.cost)),
                    ("cost_set", str(star_result.cost)),
                    ("reward_T*", str(star.expected_reward(minimal.action))),
                    ("average_reward_set", str(tasks.average_reward(minimal.action))),
                ),
            )
        )
    else:
        checks.append(
            ReductionCheck(
                "same_minimum",
                same_statement,
                "unknown" if star_result.status != "optimal" else "refuted",
                f"T*: {star_result.status} ({star_result.reason})"
                + ("" if same_spec else "; the specifications differ"),
            )
        )

    decision = decide_predicate(
        star_problem,
        star_result,
        bad_task,
        row_bad,
        predicate,
        basis=basis,
        timeout=budget.remaining(),
    )
    budget.note(f"deciding '{predicate.name}' on T*", decision.extent)
    for name, statement in (
        ("hypothesis", f"every minimum circuit for the set {_has(predicate)} on {bad_task.name}"),
        ("conclusion", f"every minimum circuit for T* {_has(predicate)} on {bad_task.name}"),
    ):
        checks.append(_extent_check(name, statement, decision, predicate, same_spec))

    converse, alone = converse_job.result()
    budget.note(f"deciding '{predicate.name}' on {bad_task.name} alone", alone.extent)
    checks.append(converse)
    lookup = lookup_job.result()
    budget.note("the lookup minimum", lookup.status)
    checks.append(
        ReductionCheck(
            "lookup_table",
            "index-keyed per-task lookup (nested if) beside the minimum",
            "proved"
            if lookup.status == "optimal" and star_result.status == "optimal"
            else "unknown",
            (
                f"exact minimum {measure} of the lookup keyed by the task index "
                f"({lookup.inputs} inputs): {lookup.size}; minimum on T*: {star_result.cost}"
            )
            if lookup.size is not None
            else f"lookup: {lookup.reason}",
            (
                ("minimum", str(star_result.cost)),
                ("lookup", str(lookup.size)),
                ("lookup_inputs", str(lookup.inputs)),
            ),
        )
    )
    if budget.ran_out is not None:
        checks = [
            replace(
                c,
                reason=f"{c.reason} (time budget of {budget.seconds:g} s ran out during "
                f"{budget.ran_out})",
            )
            if c.verdict == "unknown"
            else c
            for c in checks
        ]
    return ReductionResult(
        bad_task.name,
        predicate.name,
        measure,
        basis,
        r,
        tuple(checks),
        minimal,
        star_result.cost,
        decision,
        lookup,
        time.perf_counter() - start,
        star,
        alone,
        budget.seconds,
        budget.ran_out,
    )


def _extent_check(
    name: str, statement: str, outcome: PredicateDecision, predicate: Predicate, same: bool
) -> ReductionCheck:
    verdict: Verdict = (
        "proved"
        if outcome.extent == "every"
        else "unknown"
        if outcome.extent == "unknown"
        else "refuted"
    )
    numbers: list[tuple[str, str]] = [("extent", outcome.extent)]
    witness = outcome.without_predicate
    if witness is not None and outcome.extent != "every":
        numbers.append(("witness_without", " ; ".join(witness.listing().splitlines())))
    if outcome.with_predicate is not None:
        numbers.append(("circuit_with", " ; ".join(outcome.with_predicate.listing().splitlines())))
    note = " (the set's specification is T*'s, so this is one decision)" if same else ""
    return ReductionCheck(
        name,
        statement,
        verdict,
        f"{_extent_phrase(outcome.extent, predicate)}: {outcome.reason}{note}",
        tuple(numbers),
    )


def _converse(
    bad_task: Task, predicate: Predicate, measure: Measure, basis: Basis, seconds: float | None
) -> tuple[ReductionCheck, PredicateDecision]:
    """A single MDP is the one-task set {T}: T* of that set is T itself, so their minimum
    circuits and whether those have C coincide.  Also the extent of C on T alone."""
    single = task_set([bad_task])
    star = combine(single, bad_task.name)
    same = (star.training, star.rewards, star.intended, star.inputs, star.successor) == (
        bad_task.training,
        bad_task.rewards,
        tuple(0 if s in bad_task.ignored else a for s, a in enumerate(bad_task.intended)),
        bad_task.inputs,
        bad_task.successor,
    )
    budget = _Budget(seconds)
    target = problem(bad_task, bad_task.best_reward())
    result = minimum(target, measure, basis, budget.remaining())
    decision = decide_predicate(
        target, result, bad_task, lambda s: s, predicate, basis=basis, timeout=budget.remaining()
    )
    check = ReductionCheck(
        "converse",
        f"a single task whose minimum circuits are {predicate.name} gives a one-task set whose are",
        "proved" if same else "refuted",
        (
            f"T* of {{{bad_task.name}}} is {bad_task.name} itself (same states, training, rewards, "
            f"intended actions); on {bad_task.name} alone, "
            f"{_extent_phrase(decision.extent, predicate)}"
        )
        if same
        else "T* of the one-task set differs from the task",
        (("extent_alone", decision.extent), ("cost_alone", str(result.cost))),
    )
    return check, decision


def _has(predicate: Predicate) -> str:
    """`is deceptive`, `misgeneralises`, `reads x`, `ignores x`, `has o and x` as a verb."""
    name = predicate.name
    if name == "deceptive":
        return "is deceptive"
    if name.startswith("where "):
        return f"has {name[len('where ') :]} in deployment"
    return name


def _extent_phrase(extent: Extent, predicate: Predicate) -> str:
    return {
        "every": f"every minimum circuit is {predicate.name} ({predicate.description})",
        "some": f"some minimum circuits are {predicate.name}, some are not",
        "none": f"no minimum circuit is {predicate.name}",
        "unknown": f"whether minimum circuits are {predicate.name} is unknown",
    }[extent]
