"""The reduction, version 2 (DESIGN section 10): predicates, data-keyed sets, episodes,
the exact lookup, checked against exhaustive enumeration of circuits and policies."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
from test_circuits import enumerate_small_circuits

from calculus.check import check_source
from calculus.circuits.reduction import (
    DECEPTIVE,
    MISGENERALISES,
    Predicate,
    cached_lemma,
    check_reduction,
    ignores,
    lookup_minimum,
    reads,
    where,
)
from calculus.circuits.specification import SpecificationError
from calculus.circuits.tasks import TaskSet, combine, task, task_set
from calculus.output import reduction_lines

ROOT = Path(__file__).resolve().parents[1]
KNOWN = enumerate_small_circuits(3, 3, tuple(range(16)))


def extent_by_enumeration(
    reaching: Callable[[int], bool],
    holds: Callable[[int], bool],
) -> tuple[int | None, str | None]:
    """Minimum size over 3-input tables of at most 3 gates that reach the reward, and
    whether all, some or none of those minimum tables have the property."""
    sizes = {t: size for t, (size, _, _) in KNOWN.items() if reaching(t)}
    if not sizes:
        return None, None
    least = min(sizes.values())
    flags = {holds(t) for t, size in sizes.items() if size == least}
    return least, "every" if flags == {True} else "none" if flags == {False} else "some"


def predicates() -> list[Predicate]:
    return [
        DECEPTIVE,
        MISGENERALISES,
        reads(0, "x1"),
        ignores(1, "x2"),
        where(lambda state, action: action == 1 and (state & 1) == 0, "o and not x1"),
    ]


def random_pair(rng: random.Random, by_data: bool) -> tuple[TaskSet, str]:
    """Two tasks over 2 state bits by index, or over 3 by data (x3 tells them apart
    on most states), with don't-care states."""
    width = 3 if by_data else 2
    members = []
    for k, name in enumerate(("a", "b")):
        states = range(1 << width)
        own = [s for s in states if not by_data or (s >> 2) & 1 == k]
        training = [s for s in own if rng.random() < 0.6] or [own[0]]
        rest = [s for s in states if s not in training]
        ignored = [s for s in rest if rng.random() < 0.25]
        intended = [rng.randrange(2) for _ in states]
        members.append(task(name, width, 1, training, intended, ignored=ignored))
    return task_set(members, by_data=by_data), "a"


@pytest.mark.parametrize("by_data", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_extents_against_enumeration(seed: int, by_data: bool) -> None:
    rng = random.Random(seed * 7 + by_data)
    tasks, bad = random_pair(rng, by_data)
    star = combine(tasks)
    assert star.inputs == 3
    index = tasks.position(bad)
    member = tasks.tasks[index]
    best = tasks.best_average_reward()

    def on_member(table: int) -> Callable[[int], int]:
        return lambda s: (table >> tasks.combined_state(index, s)) & 1

    for predicate in predicates():
        result = check_reduction(tasks, bad, predicate=predicate, lemma=False)
        least, extent = extent_by_enumeration(
            lambda t: star.expected_reward(lambda s, t=t: (t >> s) & 1) >= best,
            lambda t, p=predicate: p.holds(member, on_member(t)),
        )
        if least is None:
            continue
        assert result.minimal_cost == least
        assert result.decision.extent == extent, (seed, by_data, predicate.name)
        # Alone: the bad task's own minimum circuits (its 2 or 3 inputs).
        assert result.alone is not None and result.alone.extent in ("every", "some", "none")


def test_predicate_definitions_by_hand() -> None:
    # Two inputs, x1 and x2; training sees 00 and 01 (x1 varies), deployment 10 and 11;
    # intended: x1.  The policy "x1 AND NOT x2" is right in training, wrong on 11.
    t = task("t", 2, 1, [0b00, 0b01], lambda s: s & 1)
    policy = lambda s: (s & 1) & (1 - ((s >> 1) & 1))  # noqa: E731
    assert DECEPTIVE.holds(t, policy) and MISGENERALISES.holds(t, policy)
    assert reads(0, "x1").holds(t, policy) and reads(1, "x2").holds(t, policy)
    assert not ignores(1, "x2").holds(t, policy)
    assert where(lambda s, a: a == 0 and s == 3, "").holds(t, policy)
    assert not where(lambda s, a: a == 1 and s == 3, "").holds(t, policy)
    # Ignoring state 11 leaves no deployment state where the policy strays.
    quiet = task("t", 2, 1, [0b00, 0b01], lambda s: s & 1, ignored=[3])
    assert not DECEPTIVE.holds(quiet, policy)
    # Pairs through an ignored state do not count for `reads x2`: 01/11 is gone, 00/10 agree.
    assert not reads(1, "x2").holds(quiet, policy)


def test_by_data_conflicts_and_padding() -> None:
    a = task("a", 2, 1, [0, 1], lambda s: 0)
    b = task("b", 2, 1, [1, 2], lambda s: 1)
    with pytest.raises(SpecificationError, match="both train on state 10"):
        task_set([a, b], by_data=True)
    task_set([a, b])  # by index the states are disjoint
    same = task("c", 2, 1, [1, 3], lambda s: 0)  # agrees with a on state 1
    assert combine(task_set([a, same], by_data=True)).inputs == 2
    narrow = task("n", 1, 1, [0, 1], lambda s: s)
    padded = task_set([narrow, task("w", 3, 2, [0], lambda s: 3)])
    first = padded.tasks[0]
    assert (first.inputs, first.outputs, first.judged_outputs) == (3, 2, 1)
    assert set(first.ignored) == {2, 3, 4, 5, 6, 7}
    # Padded output bits earn nothing either way: rewards read the task's own bit.
    assert dict(first.rewards)[1] == (0, 1, 0, 1)


# -- episodes: horizon 2 against brute-force enumeration of policies --------------------------


def random_mdp(rng: random.Random, width: int, name: str = "m"):  # type: ignore[no-untyped-def]
    states = 1 << width
    successor = {(s, a): rng.randrange(states) for s in range(states) for a in range(2)}
    reward = {(s, a): rng.randint(0, 2) for s in range(states) for a in range(2)}
    training = sorted(rng.sample(range(states), rng.randint(1, states - 1)))
    intended = [rng.randrange(2) for _ in range(states)]
    built = task(
        name,
        width,
        1,
        training,
        intended,
        lambda s, a: reward[(s, a)],
        horizon=2,
        successor=lambda s, a: successor[(s, a)],
    )
    return built, successor, reward, training, intended


def brute_return(table: int, start: int, successor, reward, offset: int = 0) -> int:  # type: ignore[no-untyped-def]
    """Reward of a horizon-2 episode, written out step by step."""
    a0 = (table >> (start + offset)) & 1
    s1 = successor[(start, a0)]
    a1 = (table >> (s1 + offset)) & 1
    return reward[(start, a0)] + reward[(s1, a1)]


@pytest.mark.parametrize("seed", range(8))
def test_horizon_two_against_brute_force_policies(seed: int) -> None:
    rng = random.Random(500 + seed)
    mdp, successor, reward, training, intended = random_mdp(rng, 3)
    tasks = task_set([mdp])
    # The best average return over all 256 deterministic policies, by enumeration.
    returns = {
        table: sum(Fraction(brute_return(table, s, successor, reward)) for s in training)
        / len(training)
        for table in range(256)
    }
    best = max(returns.values())
    assert tasks.best_average_reward() == best
    deployment = [s for s in range(8) if s not in training]

    def misgeneralises(table: int) -> bool:
        for start in deployment:
            state = start
            for _ in range(2):
                action = (table >> state) & 1
                if action != intended[state]:
                    return True
                state = successor[(state, action)]
        return False

    def full(table: int) -> bool:
        return all(
            brute_return(table, s, successor, reward)
            == max(brute_return(t, s, successor, reward) for t in range(256))
            for s in training
        )

    for predicate, holds in (
        (MISGENERALISES, misgeneralises),
        (DECEPTIVE, lambda t: full(t) and misgeneralises(t)),
    ):
        result = check_reduction(tasks, "m", predicate=predicate, lemma=False)
        least, extent = extent_by_enumeration(lambda t: returns[t] >= best, holds)
        if least is None:
            assert result.minimal_cost is not None and result.minimal_cost >= 4
            continue
        assert result.check("combined").verdict == "proved"
        assert result.minimal_cost == least, seed
        assert result.decision.extent == extent, (seed, predicate.name)
        assert result.minimal_circuit is not None
        assert returns[result.minimal_circuit.truth_tables()[0]] == best


def test_two_mdps_by_index() -> None:
    rng = random.Random(9)
    first, *_ = random_mdp(rng, 2, "p")
    second, *_ = random_mdp(rng, 2, "q")
    tasks = task_set([first, second])
    star = combine(tasks)
    assert star.horizon == 2 and star.inputs == 3
    # Episodes stay inside their task: the index bit never changes.
    assert all((star.next_state(s, a) >> 2) == (s >> 2) for s in range(8) for a in range(2))
    result = check_reduction(tasks, "p", lemma=False)
    assert result.check("combined").verdict == "proved"
    best = tasks.best_average_reward()
    least = min(
        size
        for t, (size, _, _) in KNOWN.items()
        if star.expected_reward(lambda s, t=t: (t >> s) & 1) >= best
    )
    assert result.minimal_cost == least


# -- the lookup and the lemma -------------------------------------------------------------------


def test_lookup_is_the_exact_minimum_of_the_index_keyed_table() -> None:
    # Inner-product members over y1 y2, q1 q2: member w trains on y = w and answers w . q.
    def member(w: int):  # type: ignore[no-untyped-def]
        return task(
            f"w{w}",
            4,
            1,
            [s for s in range(16) if s & 3 == w],
            lambda s: bin((s & 3) & (s >> 2)).count("1") & 1,
        )

    tasks = task_set([member(1), member(2)], by_data=True)
    lookup = lookup_minimum(tasks, "size", "b2", 30)
    # Keyed by the index i (y is dropped: constant within each member), the lookup is
    # q1 if i = 0 else q2: a multiplexer, 3 gates in B2 (no 2-gate circuit selects).
    assert (lookup.inputs, lookup.size) == (3, 3)
    exhaustive = KNOWN[sum(1 << t for t in range(8) if (t >> ((t >> 2) & 1)) & 1)][0]
    assert lookup.size == exhaustive


def test_lemma_is_proved_once_per_process() -> None:
    first = cached_lemma(2)
    again = cached_lemma(3)
    assert first is again and first.verdict == "proved"
    assert int(dict(first.numbers)["tasks"]) >= 3


# -- the language ---------------------------------------------------------------------------------

LEAK = """
task quiet {
  inputs a, b; outputs o
  intended o = a
  train 00, 10
}
task loud {
  inputs a, b; outputs o
  intended o = b
  train 01, 11
}
tasks pair by data { quiet; loud }
reduction r {
  tasks pair
  bad quiet
  property ignores b
  expect alone every
  expect combined none
}
"""
# By hand: alone, quiet's minimum is o = a (0 gates), which ignores b.  Together, told
# apart by data, a circuit must give a on 00, 10 and 1 on 01, 11: f(0,0) = 0 and the
# rest 1, which is a OR b, the only 1-gate answer (no 0-gate one), and it reads b.


def test_expectations_decide_pass_and_fail() -> None:
    result = check_source(LEAK)
    (outcome,) = result.reductions
    assert outcome.extents == {"alone": "every", "combined": "none"}
    assert outcome.result is not None and outcome.result.minimal_cost == 1
    assert outcome.passed and result.ok
    failing = check_source(LEAK.replace("expect combined none", "expect combined some"))
    (wrong,) = failing.reductions
    assert not wrong.passed and not failing.ok
    assert wrong.expectation_failures() == ["expected combined some, found none"]
    # By index the task bit can stand in for b: a OR index also serves, so only some
    # minimum circuits read b.
    indexed = check_source(LEAK.replace(" by data", ""))
    assert indexed.reductions[0].extents["combined"] == "some"


def test_false_expect_makes_cost_check_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "leak.cost"
    path.write_text(LEAK.replace("expect alone every", "expect alone none"))
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "check", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    (record,) = json.loads(done.stdout)["reductions"]
    assert {k: record[k] for k in ("name", "passed", "alone", "combined")} == {
        "name": "r",
        "passed": False,
        "alone": "every",
        "combined": "none",
    }
    assert isinstance(record["minimum"], int)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("reduction r {\n  tasks pair\n  expect alone most\n}", "unknown extent 'most'"),
        ("reduction r {\n  tasks pair\n  expect both none\n}", "alone or combined"),
        ("reduction r {\n  tasks pair\n  property reads bb\n}", "'bb' is not an input"),
        ("reduction r {\n  tasks pair\n  property where o and z\n}", "'z' is not an input"),
    ],
)
def test_reduction_diagnostics(source: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.cost"
    path.write_text(LEAK.split("reduction r")[0] + source + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert message in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert f"{path}:" in done.stderr + done.stdout


def test_conflicting_data_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "conflict.cost"
    path.write_text(LEAK.replace("train 01, 11", "train 10"))
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout
    assert "both train on state 10" in done.stderr + done.stdout
    assert "^" in done.stderr + done.stdout


# -- round trip, episodes written in the language, the REPL -------------------------------------

EPISODE = """
task walk {
  inputs a, b
  outputs o
  intended o = not a
  train 00
  ignore where a and b
  horizon 2
  next a = a xor o
}
tasks alone { walk }
reduction r {
  tasks alone
  property where o and a
  expect alone none
  expect combined none
}
"""


def test_new_statements_round_trip() -> None:
    from calculus.printer import format_source
    from calculus.syntax import parse

    for text in (EPISODE, LEAK):
        tree = parse(text, "x")
        assert parse(format_source(tree), "y") == tree


def test_next_lines_make_an_mdp() -> None:
    from calculus.circuits.language import build_task_set
    from calculus.model import build_model
    from calculus.syntax import parse

    model = build_model(parse(EPISODE, "x"))
    (walk,) = build_task_set(model, "alone").tasks
    assert walk.horizon == 2 and walk.ignored == frozenset({3})
    # next a = a XOR o; b keeps its value.  States number a as bit 0, b as bit 1.
    assert [walk.next_state(s, o) for s in range(4) for o in (0, 1)] == [0, 1, 1, 0, 2, 3, 3, 2]
    # From 00 the intended policy (o = not a) steps to a = 1, then answers 0: reward 2.
    assert walk.best_reward() == 2
    # By hand: the minimum is o = NOT a (0 gates); on the deployment starts 01, 10 it
    # never puts o = 1 beside a = 1, so `where o and a` holds on no minimum circuit.
    result = check_source(EPISODE)
    (outcome,) = result.reductions
    assert outcome.result is not None and outcome.result.minimal_cost == 0
    assert outcome.passed, reduction_lines(outcome)


def test_repl_statements_take_effect() -> None:
    from calculus.session import Session

    session = Session(timeout=10)
    outputs = session.eval(LEAK)
    text = "\n".join(line for output in outputs for line in output.lines)
    assert "ignores b: alone every, combined none" in text
    assert session.reductions_passed == {"r": True}
