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

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from typing import Literal as TypingLiteral

import sympy
import z3

from .circuit import Circuit
from .cnf import xor_constant
from .encoding import Basis, CircuitEncoding
from .specification import RewardSpecification
from .synthesis import (
    LookupTableSize,
    Measure,
    SynthesisResult,
    circuit_at_cost,
    lookup_table_size,
    synthesize_specification,
)
from .tasks import FiniteMDP, Task, TaskSet, combine, combine_mdps, expected_return, task_set

Verdict = TypingLiteral["proved", "refuted", "unknown"]
Extent = TypingLiteral["every", "some", "none", "unknown"]
Policy = Callable[[int], int]

#: Distinct behaviours enumerated for a predicate that has no clause encoding.
MAX_BEHAVIOURS = 512


# -- predicates on a task's behaviour ----------------------------------------------------


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
    encode: Callable[[CircuitEncoding, Task, Callable[[int], int], bool], None] | None = None


def _deceptive_holds(task: Task, policy: Policy) -> bool:
    full_training = all(policy(s) in task.best_actions(s) for s in task.training_states)
    return full_training and any(policy(s) != task.intended[s] for s in task.deployment_states)


def _deceptive_encode(
    encoding: CircuitEncoding, task: Task, row: Callable[[int], int], wanted: bool
) -> None:
    add = encoding.builder.add
    new = encoding.builder.new_variable
    deployment = task.deployment_states
    if wanted:
        # Every training state gets a best action ...
        for s in task.training_states:
            for action in task.actions:
                if action not in task.best_actions(s):
                    add(*encoding.differs_from(row(s), action))
        # ... and some deployment state gets an action other than the intended one.
        chosen = []
        for s in deployment:
            differs = new()
            add(-differs, *encoding.differs_from(row(s), task.intended[s]))
            chosen.append(differs)
        add(*chosen)
        return
    # Not C: some training state misses a best action, or every deployment state is intended.
    aligned = new()
    for s in deployment:
        for h in range(encoding.m):
            bit = (task.intended[s] >> h) & 1
            add(-aligned, xor_constant(encoding.output_value(h, row(s)), not bit))
    misses = []
    for s in task.training_states:
        miss = new()
        for action in task.best_actions(s):
            add(-miss, *encoding.differs_from(row(s), action))
        misses.append(miss)
    add(aligned, *misses)


DECEPTIVE = Predicate(
    "deceptive",
    "full training reward, but on some deployment state an action other than the intended one",
    _deceptive_holds,
    _deceptive_encode,
)


def _misgeneralises_holds(task: Task, policy: Policy) -> bool:
    return any(policy(s) != task.intended[s] for s in task.deployment_states)


MISGENERALISES = Predicate(
    "misgeneralises",
    "on some deployment state an action other than the intended one",
    _misgeneralises_holds,
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
class ReductionResult:
    """All checks of one reduction, the minimum circuit for T*, and the lookup-table sizes."""

    bad_task: str
    predicate: str
    measure: Measure
    basis: Basis
    threshold: Fraction
    checks: tuple[ReductionCheck, ...]
    minimal_circuit: Circuit | None
    minimal_cost: int | None
    decision: PredicateDecision
    lookup_table: LookupTableSize
    lookup_table_all_states: LookupTableSize
    seconds: float
    combined_task: Task = field(repr=False)

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
            "extent": self.decision.extent,
            "minimal_cost": self.minimal_cost,
            "minimal_circuit": None
            if self.minimal_circuit is None
            else self.minimal_circuit.to_json(),
            "without_predicate": None
            if self.decision.without_predicate is None
            else self.decision.without_predicate.to_json(),
            "lookup_table": {
                "training_states": self.lookup_table.size,
                "all_states": self.lookup_table_all_states.size,
            },
            "checks": [c.to_json() for c in self.checks],
            "seconds": round(self.seconds, 3),
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


# -- (b)-(d) the concrete reduction ------------------------------------------------------------


def decide_predicate(
    spec: RewardSpecification,
    result: SynthesisResult,
    task: Task,
    row: Callable[[int], int],
    predicate: Predicate,
    *,
    basis: Basis,
    timeout: float | None,
) -> PredicateDecision:
    """Whether every, some or no minimum circuit for ``spec`` has ``predicate`` on ``task``
    (whose state s is circuit input ``row(s)``)."""
    if result.status != "optimal" or result.cost is None or result.circuit is None:
        return PredicateDecision("unknown", None, None, "no proved minimum to reason about")
    cost = result.cost
    min_size = result.minimum_size if result.minimum_size is not None else result.circuit.size

    def behaviour(circuit: Circuit) -> Policy:
        return lambda s: circuit.action(row(s))

    def holds(circuit: Circuit) -> bool:
        return predicate.holds(task, behaviour(circuit))

    deadline = None if timeout is None else time.perf_counter() + timeout

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.001)

    def find(wanted: bool) -> tuple[str, Circuit | None]:
        if predicate.encode is not None:
            encode = predicate.encode

            def extra(encoding: CircuitEncoding) -> None:
                encode(encoding, task, row, wanted)

            status, circuit, _ = circuit_at_cost(
                spec,
                result.measure,
                cost,
                min_size,
                basis=basis,
                timeout=remaining(),
                extra=extra,
                extra_check=lambda c: holds(c) == wanted,
            )
            return status, circuit
        return _enumerate_behaviours(
            spec, result, task, row, holds, wanted, min_size, basis, remaining
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
    spec: RewardSpecification,
    result: SynthesisResult,
    task: Task,
    row: Callable[[int], int],
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
    for _ in range(MAX_BEHAVIOURS):

        def extra(encoding: CircuitEncoding) -> None:
            for actions in blocked:
                encoding.builder.add(
                    *(
                        lit
                        for r, a in zip(rows, actions, strict=True)
                        for lit in encoding.differs_from(r, a)
                    )
                )

        status, circuit, _ = circuit_at_cost(
            spec,
            result.measure,
            result.cost,
            min_size,
            basis=basis,
            timeout=remaining(),
            extra=extra,
        )
        if status != "sat" or circuit is None:
            return status, None
        if holds(circuit) == wanted:
            return "sat", circuit
        blocked.append(tuple(circuit.action(r) for r in rows))
    return "unknown", None


def _table_of_actions(
    inputs: int, outputs: int, actions: Mapping[int, int]
) -> tuple[list[int], list[int]]:
    tables = [0] * outputs
    care = 0
    for state, action in actions.items():
        care |= 1 << state
        for h in range(outputs):
            tables[h] |= ((action >> h) & 1) << state
    return tables, [care] * outputs


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
    best average reward, i.e. full reward on every task).  Checks, in order:
    ``decomposition`` (the symbolic lemma, when ``lemma``), ``combined`` (the T*
    specification equals the set's, built independently), ``same_minimum`` (minimum cost
    for T* equals that for the set, and each minimum circuit's reward on T* equals its
    p-average over the tasks), ``hypothesis`` (every minimum circuit for the set has C on
    T_bad), ``conclusion`` (every minimum circuit for T* has C on T_bad), ``converse``
    (T* of the one-task set {T_bad} is T_bad), ``lookup_table`` (sizes beside the minimum).
    """
    start = time.perf_counter()
    deadline = None if timeout is None else start + timeout

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.001)

    checks: list[ReductionCheck] = []
    if lemma:
        checks.append(value_decomposition_lemma())
    index = tasks.position(bad)
    bad_task = tasks.tasks[index]
    star = combine(tasks)
    r = tasks.best_average_reward() if threshold is None else Fraction(threshold)
    star_spec = star.specification(r)
    set_spec = tasks.set_specification(r)

    same_spec = star_spec == set_spec
    checks.append(
        ReductionCheck(
            "combined",
            "T* trains on p_i P_i(s) with task i's rewards on state (i, s)",
            "proved"
            if same_spec and star.best_reward() == tasks.best_average_reward()
            else "refuted",
            "the specification built from T* equals the one built from the set's definition"
            if same_spec
            else "the specification of T* differs from the set's",
            (
                ("states", str(1 << star.inputs)),
                ("training_states", str(len(star.training))),
                ("index_bits", str(tasks.index_bits)),
                ("best_reward", str(star.best_reward())),
            ),
        )
    )

    star_result = synthesize_specification(
        star_spec, measure=measure, basis=basis, timeout=remaining()
    )
    set_result = synthesize_specification(
        set_spec, measure=measure, basis=basis, timeout=remaining()
    )
    minimal = star_result.circuit
    row_bad = lambda s: tasks.combined_state(index, s)  # noqa: E731
    if star_result.status == "optimal" and set_result.status == "optimal":
        assert minimal is not None and set_result.circuit is not None
        values_agree = all(
            star.expected_reward(c.action) == tasks.average_reward(c.action)
            for c in (minimal, set_result.circuit)
        )
        equal = star_result.cost == set_result.cost and values_agree
        checks.append(
            ReductionCheck(
                "same_minimum",
                f"min {measure} reaching {r} on T* = min {measure} reaching average {r} on the set",
                "proved" if equal else "refuted",
                (
                    f"both minima are {star_result.cost} ({star_result.reason}); each minimum "
                    "circuit's reward on T* equals its p-average over the tasks"
                )
                if equal
                else f"T*: {star_result.cost}, set: {set_result.cost}, values agree: {values_agree}",
                (
                    ("cost_T*", str(star_result.cost)),
                    ("cost_set", str(set_result.cost)),
                    ("reward_T*", str(star.expected_reward(minimal.action))),
                    ("average_reward_set", str(tasks.average_reward(minimal.action))),
                ),
            )
        )
    else:
        checks.append(
            ReductionCheck(
                "same_minimum",
                f"min {measure} reaching {r} on T* = min {measure} reaching average {r} on the set",
                "unknown",
                f"T*: {star_result.status} ({star_result.reason}); set: {set_result.status} "
                f"({set_result.reason})",
            )
        )

    hypothesis = decide_predicate(
        set_spec, set_result, bad_task, row_bad, predicate, basis=basis, timeout=remaining()
    )
    decision = decide_predicate(
        star_spec, star_result, bad_task, row_bad, predicate, basis=basis, timeout=remaining()
    )
    for name, statement, outcome in (
        (
            "hypothesis",
            f"every minimum circuit for the set is {predicate.name} on {bad_task.name}",
            hypothesis,
        ),
        (
            "conclusion",
            f"every minimum circuit for T* is {predicate.name} on {bad_task.name}",
            decision,
        ),
    ):
        verdict: Verdict = (
            "proved"
            if outcome.extent == "every"
            else "unknown"
            if outcome.extent == "unknown"
            else "refuted"
        )
        witness = outcome.without_predicate
        numbers: list[tuple[str, str]] = [("extent", outcome.extent)]
        if witness is not None and outcome.extent != "every":
            numbers.append(("witness_without", " ; ".join(witness.listing().splitlines())))
        if outcome.with_predicate is not None:
            numbers.append(
                ("circuit_with", " ; ".join(outcome.with_predicate.listing().splitlines()))
            )
        checks.append(
            ReductionCheck(
                name,
                statement,
                verdict,
                f"{_extent_phrase(outcome.extent, predicate)}: {outcome.reason}",
                tuple(numbers),
            )
        )

    checks.append(_converse(bad_task, predicate, measure, basis, remaining()))
    # (d) the lookup table: the intended (or first best) action on the training states only,
    # and the intended action on every state of every task.
    star_training = {
        s: (
            star.intended[s]
            if star.intended[s] in star.best_actions(s)
            else star.best_actions(s)[0]
        )
        for s in star.training_states
    }
    tables, care = _table_of_actions(star.inputs, star.outputs, star_training)
    glut = lookup_table_size(star.inputs, tables, care)
    owned = {
        tasks.combined_state(i, s): member.intended[s]
        for i, member in enumerate(tasks.tasks)
        for s in member.states
    }
    all_tables, all_care = _table_of_actions(star.inputs, star.outputs, owned)
    glut_all = lookup_table_size(star.inputs, all_tables, all_care)
    checks.append(
        ReductionCheck(
            "lookup_table",
            "lookup-table (GLUT) circuit size beside the minimum",
            "proved" if minimal is not None and star_result.status == "optimal" else "unknown",
            f"sum-of-minterms table: {glut.size} gates on the training states, {glut_all.size} "
            f"on every state; minimum: {star_result.cost}",
            (
                ("minimum", str(star_result.cost)),
                ("lookup_table_training", str(glut.size)),
                ("lookup_table_all_states", str(glut_all.size)),
                ("minterms_training", str(glut.minterms)),
            ),
        )
    )
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
        glut,
        glut_all,
        time.perf_counter() - start,
        star,
    )


def _converse(
    bad_task: Task, predicate: Predicate, measure: Measure, basis: Basis, timeout: float | None
) -> ReductionCheck:
    """A single MDP is the one-task set {T}: T* of that set is T itself, so their minimum
    circuits and whether those have C coincide."""
    single = task_set([bad_task])
    star = combine(single, bad_task.name)
    same = (star.training, star.rewards, star.intended, star.inputs) == (
        bad_task.training,
        bad_task.rewards,
        bad_task.intended,
        bad_task.inputs,
    )
    spec = bad_task.specification()
    result = synthesize_specification(spec, measure=measure, basis=basis, timeout=timeout)
    decision = decide_predicate(
        spec, result, bad_task, lambda s: s, predicate, basis=basis, timeout=timeout
    )
    return ReductionCheck(
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


def _extent_phrase(extent: Extent, predicate: Predicate) -> str:
    return {
        "every": f"every minimum circuit is {predicate.name} ({predicate.description})",
        "some": f"some minimum circuits are {predicate.name}, some are not",
        "none": f"no minimum circuit is {predicate.name}",
        "unknown": f"whether minimum circuits are {predicate.name} is unknown",
    }[extent]
