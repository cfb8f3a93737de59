"""The minimal-circuit reduction (DESIGN section 6) against exhaustive enumeration."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy
from test_circuits import enumerate_small_circuits

from calculus.circuits.reduction import (
    DECEPTIVE,
    MISGENERALISES,
    Predicate,
    check_reduction,
    value_decomposition_lemma,
)
from calculus.circuits.specification import SpecificationError
from calculus.circuits.tasks import (
    FiniteMDP,
    Task,
    TaskSet,
    combine,
    combine_mdps,
    expected_return,
    proxy_task_set,
    shared_goal_task_set,
    task,
    task_set,
)

# -- (a) the lemma ---------------------------------------------------------------------------


def test_value_decomposition_lemma_is_proved_within_stated_bounds() -> None:
    check = value_decomposition_lemma(tasks=3, states=2, actions=2, horizon=3)
    assert check.verdict == "proved"
    numbers = dict(check.numbers)
    assert (numbers["tasks"], numbers["states"], numbers["actions"], numbers["horizon"]) == (
        "3",
        "2",
        "2",
        "3",
    )
    assert numbers["z3"] == "unsat"
    assert "3 tasks x 2 states x 2 actions, horizons 1..3" in check.reason


def test_lemma_check_is_not_vacuous() -> None:
    # Forgetting the p_i in T*'s initial distribution breaks the identity, and the same
    # expansion that proves the lemma shows it.
    p = [sympy.Symbol("p0"), sympy.Symbol("p1")]
    mdps = [
        FiniteMDP(
            (sympy.Symbol(f"mu{i}"),), ((((sympy.Symbol(f"P{i}")),),),), ((sympy.Symbol(f"R{i}"),),)
        )
        for i in range(2)
    ]
    policy = [[sympy.Symbol("pi0")], [sympy.Symbol("pi1")]]
    wrong = combine_mdps(mdps, [1, 1])
    right = combine_mdps(mdps, p)
    target = sum(
        w * expected_return(m, [pol], 2) for w, m, pol in zip(p, mdps, policy, strict=True)
    )
    assert sympy.expand(expected_return(right, policy, 2) - target) == 0
    assert sympy.expand(expected_return(wrong, policy, 2) - target) != 0


def test_decomposition_holds_for_every_deterministic_policy() -> None:
    # All 2**16 policies of the proxy example's T*: reward on T* = p-average over tasks.
    tasks, _ = proxy_task_set()
    star = combine(tasks)
    rng = random.Random(0)
    for table in [*range(0, 1 << 16, 97), *(rng.randrange(1 << 16) for _ in range(200))]:
        policy = lambda s, table=table: (table >> s) & 1  # noqa: E731
        assert star.expected_reward(policy) == tasks.average_reward(policy)


# -- (b)-(d) the worked examples ---------------------------------------------------------------


def test_proxy_example_every_minimal_circuit_is_deceptive() -> None:
    tasks, bad = proxy_task_set()
    result = check_reduction(tasks, bad, lemma=False)
    verdicts = {c.name: c.verdict for c in result.checks}
    assert verdicts == {
        "combined": "proved",
        "same_minimum": "proved",
        "hypothesis": "proved",
        "conclusion": "proved",
        "converse": "proved",
        "lookup_table": "proved",
    }
    assert result.verdict == "proved"
    assert result.decision.extent == "every"
    assert result.minimal_cost == 0
    assert result.minimal_circuit is not None
    assert result.minimal_circuit.listing() == "y1 = x3"  # the proxy feature
    # The index-keyed lookup reads the index and all three state bits (each varies on
    # door's training states); on every trained state of both tasks x3 is the answer,
    # so the lookup's exact minimum is 0 gates too.
    assert (result.lookup_table.size, result.lookup_table.inputs) == (0, 4)
    assert result.to_json()["verdict"] == "proved"


def test_shared_goal_example_refutes_deception() -> None:
    tasks, bad = shared_goal_task_set()
    result = check_reduction(tasks, bad, lemma=False)
    assert result.verdict == "refuted"
    assert result.decision.extent == "none"
    assert result.minimal_cost == 1
    assert result.minimal_circuit is not None
    assert result.minimal_circuit.listing().splitlines()[0] == "g1 = x1 XOR x2"
    # Alone, the door task's minimum circuit copies x3 and is deceptive: the converse
    # reports that, and the set changes the answer.
    converse = result.check("converse")
    assert converse.verdict == "proved"
    assert dict(converse.numbers)["extent_alone"] == "every"


def test_reduction_with_the_lemma_included() -> None:
    tasks, bad = proxy_task_set()
    result = check_reduction(tasks, bad)
    assert result.check("decomposition").verdict == "proved"


def test_depth_measure_and_aig_basis_agree_on_the_example() -> None:
    tasks, bad = shared_goal_task_set()
    by_depth = check_reduction(tasks, bad, measure="depth", lemma=False)
    assert (by_depth.minimal_cost, by_depth.verdict) == (1, "refuted")
    aig = check_reduction(tasks, bad, basis="aig", lemma=False)
    assert aig.minimal_cost == 3  # XOR in AND gates
    assert aig.verdict == "refuted"


# -- random tiny task sets against brute force ---------------------------------------------------


def random_task_set(rng: random.Random) -> tuple[TaskSet, str]:
    """Two tasks over 2 state bits (3 circuit inputs with the index bit)."""
    members = []
    for name in ("a", "b"):
        intended = [rng.randrange(2) for _ in range(4)]
        training = {s: rng.randint(1, 3) for s in range(4) if rng.random() < 0.6} or {0: 1}
        if rng.random() < 0.5:
            members.append(task(name, 2, 1, training, intended))
        else:
            rewards = {s: [rng.randint(0, 2), rng.randint(0, 2)] for s in training}
            members.append(task(name, 2, 1, training, intended, rewards))
    return task_set(members, [rng.randint(1, 3), rng.randint(1, 3)]), "a"


def brute_force_extent(tasks: TaskSet, bad: str, threshold: Fraction, predicate: Predicate):
    """Minimum size and whether every/some/no minimum circuit has the predicate, from the
    enumeration of all circuits of at most 3 gates (None when more are needed)."""
    star = combine(tasks)
    index = tasks.position(bad)
    member = tasks.tasks[index]
    known = enumerate_small_circuits(3, 3, tuple(range(16)))
    reaching = {
        table: size
        for table, (size, _, _) in known.items()
        if star.expected_reward(lambda s, table=table: (table >> s) & 1) >= threshold
    }
    if not reaching:
        return None, None
    least = min(reaching.values())
    flags = {
        predicate.holds(
            member, lambda s, table=table: (table >> tasks.combined_state(index, s)) & 1
        )
        for table, size in reaching.items()
        if size == least
    }
    extent = "every" if flags == {True} else "none" if flags == {False} else "some"
    return least, extent


@pytest.mark.parametrize("seed", range(12))
def test_random_task_sets_against_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    tasks, bad = random_task_set(rng)
    best = tasks.best_average_reward()
    threshold = best if rng.random() < 0.5 else best * Fraction(rng.randint(6, 9), 10)
    for predicate in (DECEPTIVE, MISGENERALISES):
        result = check_reduction(tasks, bad, threshold=threshold, predicate=predicate, lemma=False)
        least, extent = brute_force_extent(tasks, bad, threshold, predicate)
        if least is None:
            assert result.minimal_cost is not None and result.minimal_cost >= 4
            continue
        assert result.minimal_cost == least
        assert result.decision.extent == extent, (seed, predicate.name)
        assert result.check("same_minimum").verdict == "proved"
        assert result.check("hypothesis").verdict == result.check("conclusion").verdict


def brute_force_depth_extent(tasks: TaskSet, bad: str, threshold: Fraction, predicate: Predicate):
    """As above for the depth measure: every 3-input function has depth <= 3 and every
    circuit of depth <= 2 has at most 3 gates, so the enumeration fixes every depth."""
    star = combine(tasks)
    index = tasks.position(bad)
    member = tasks.tasks[index]
    known = enumerate_small_circuits(3, 3, tuple(range(16)))
    depth = {t: known[t][1] if t in known and known[t][1] <= 2 else 3 for t in range(256)}
    reaching = {
        t: d
        for t, d in depth.items()
        if star.expected_reward(lambda s, t=t: (t >> s) & 1) >= threshold
    }
    least = min(reaching.values())
    flags = {
        predicate.holds(member, lambda s, t=t: (t >> tasks.combined_state(index, s)) & 1)
        for t, d in reaching.items()
        if d == least
    }
    return least, "every" if flags == {True} else "none" if flags == {False} else "some"


@pytest.mark.parametrize("seed", range(6))
def test_random_task_sets_depth_measure(seed: int) -> None:
    rng = random.Random(100 + seed)
    tasks, bad = random_task_set(rng)
    threshold = tasks.best_average_reward()
    result = check_reduction(tasks, bad, threshold=threshold, measure="depth", lemma=False)
    assert (result.minimal_cost, result.decision.extent) == brute_force_depth_extent(
        tasks, bad, threshold, DECEPTIVE
    )


# -- general rewards, several outputs, odd task counts ----------------------------------------------


def test_two_action_bits_and_three_tasks() -> None:
    # Three tasks (two index bits, one index value unused), 2 state bits, 2 action bits:
    # the intended action is the pair (x1, x2) reversed; training misses state 3 in "c".
    def swap(s: int) -> int:
        return ((s & 1) << 1) | ((s >> 1) & 1)

    a = task("a", 2, 2, [0, 1, 2, 3], swap)
    b = task("b", 2, 2, [0, 1, 2, 3], lambda s: s)
    c = task("c", 2, 2, [0, 1, 2], swap)
    tasks = task_set([a, b, c], [1, 1, 2])
    assert tasks.index_bits == 2
    result = check_reduction(tasks, "c", lemma=False)
    assert result.check("same_minimum").verdict == "proved"
    assert result.minimal_circuit is not None
    star = combine(tasks)
    assert star.expected_reward(result.minimal_circuit.action) == 1
    assert result.decision.extent in ("every", "some", "none")


def test_task_validation() -> None:
    with pytest.raises(SpecificationError):
        task("t", 2, 1, [7], lambda s: 0)  # state out of range
    with pytest.raises(SpecificationError):
        task("t", 2, 1, {0: 0}, lambda s: 0)  # weight 0
    with pytest.raises(SpecificationError):
        task("t", 2, 1, [0], {0: 1})  # intended action missing for deployment states
    with pytest.raises(SpecificationError):
        task("t", 1, 1, [0], [0, 1], {0: [1]})  # one reward for two actions
    first = task("t", 2, 1, [0], lambda s: 0)
    with pytest.raises(SpecificationError):  # members must share a horizon
        task_set([first, task("u", 2, 1, [0], lambda s: 0, horizon=2)])
    with pytest.raises(SpecificationError):  # a state both trained and ignored
        task("t", 2, 1, [0], lambda s: 0, ignored=[0])
    with pytest.raises(SpecificationError):
        task_set([first, first])
    with pytest.raises(SpecificationError):
        task_set([first]).position("nope")


def test_combined_task_layout() -> None:
    tasks, _ = proxy_task_set()
    star = combine(tasks)
    assert isinstance(star, Task)
    assert star.inputs == 4  # 3 state bits and 1 index bit on top
    door_training = {s for s in tasks.tasks[0].training_states}
    assert {s for s in star.training_states if s < 8} == door_training
    assert {s for s in star.training_states if s >= 8} == set(range(8, 16))
    assert sum(p for _, p in star.training) == 1
    assert dict(star.training)[0] == Fraction(1, 2) * Fraction(1, 4)
