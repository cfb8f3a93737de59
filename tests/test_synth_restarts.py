"""Conflict budgets, phases, and the restarts from random phases of fanin-slot questions."""

from __future__ import annotations

import random

import pytest

from calculus.circuits import synthesis
from calculus.circuits.circuit import Circuit, Gate, Output
from calculus.circuits.cnf import CONFLICT_BUDGET, ClauseBuilder, IncrementalSolver
from calculus.circuits.specification import table_specification
from calculus.circuits.synthesis import PhaseRestarts, size_lower_bound, synthesize


def pigeonhole(holes: int) -> ClauseBuilder:
    """holes + 1 pigeons in ``holes`` holes, one pigeon a hole: unsatisfiable, and hard
    for resolution (Haken 1985), so CDCL needs many conflicts even for small sizes."""
    builder = ClauseBuilder()
    sits = [[builder.new_variable() for _ in range(holes)] for _ in range(holes + 1)]
    for pigeon in sits:
        builder.add(*pigeon)
    for hole in range(holes):
        for a in range(holes + 1):
            for b in range(a + 1, holes + 1):
                builder.add(-sits[a][hole], -sits[b][hole])
    return builder


def test_a_conflict_budget_stops_the_solver_and_the_search_resumes() -> None:
    with IncrementalSolver(pigeonhole(7)) as solver:
        assert solver.counts_conflicts
        outcome = solver.check(60.0, conflicts=20)
        assert outcome.status == "unknown" and outcome.reason == CONFLICT_BUDGET
        spent = solver.conflicts()
        assert spent >= 20
        # No budget now: the same solver goes on to the answer.
        assert solver.check(60.0).status == "unsat"
        assert solver.conflicts() > spent


def test_phases_decide_the_free_variables() -> None:
    builder = ClauseBuilder()
    variables = [builder.new_variable() for _ in range(6)]
    builder.add(*variables)
    wanted = [v if v % 2 else -v for v in variables]  # 1, 3, 5 true; 2, 4, 6 false
    with IncrementalSolver(builder) as solver:
        solver.set_phases(wanted)
        outcome = solver.check(10.0)
        assert outcome.status == "sat"
        assert [outcome.value(v) for v in variables] == [True, False, True, False, True, False]
        solver.set_phases([-v for v in variables[:-1]] + [variables[-1]])
        outcome = solver.check(10.0)
        assert [outcome.value(v) for v in variables] == [False] * 5 + [True]


class _Small(PhaseRestarts):
    FIRST = 30
    SLICE = 20
    CAP = 150


def test_restarts_budgets_phases_and_cap() -> None:
    with IncrementalSolver(pigeonhole(8)) as solver:
        drawn: list[list[int]] = []
        original = solver.set_phases

        def record(literals: list[int]) -> None:
            drawn.append(list(literals))
            original(literals)

        solver.set_phases = record  # type: ignore[method-assign]
        restarts = _Small(solver)
        assert restarts.budget() == _Small.FIRST and not drawn
        outcome = solver.check(60.0, conflicts=_Small.FIRST)
        assert outcome.status == "unknown" and not drawn
        while (budget := restarts.budget()) is not None:
            assert 1 <= budget <= _Small.SLICE
            met = solver.conflicts()
            assert met < _Small.CAP
            outcome = solver.check(60.0, conflicts=budget)
            assert outcome.status == "unknown" and outcome.reason == CONFLICT_BUDGET
        # Every restart drew phases for every variable, and different ones each time.
        assert restarts.count == len(drawn) >= (_Small.CAP - _Small.FIRST) // _Small.SLICE - 1
        variables = solver.builder.variable_count
        assert all(sorted(abs(v) for v in d) == list(range(1, variables + 1)) for d in drawn)
        assert len({tuple(d) for d in drawn}) == len(drawn)
        assert solver.conflicts() >= _Small.CAP
        assert solver.check(60.0).status == "unsat"  # past the cap: to the end


def random_chain(rng: random.Random, inputs: int, gates: int) -> int:
    """The table of a random chain circuit (gate i reads gate i - 1 and an earlier node)
    that depends on every input."""
    operators = (1, 2, 4, 6, 8, 9, 14)
    while True:
        made = [Gate(rng.choice(operators), *sorted(rng.sample(range(inputs), 2)))]
        for index in range(1, gates):
            node = inputs + index
            made.append(Gate(rng.choice(operators), rng.randrange(node - 1), node - 1))
        (table,) = Circuit(inputs, tuple(made), (Output(inputs + gates - 1),)).truth_tables()
        if size_lower_bound(table_specification(inputs, [table])) == inputs - 1:
            return table


class _Often(PhaseRestarts):
    """Restarts from the first conflicts on, and never stopping: every question of these
    small searches runs through many of them."""

    FIRST = 5
    SLICE = 15
    CAP = 10**9
    made: list[int] = []

    def budget(self) -> int | None:
        before = self.count
        conflicts = super().budget()
        if self.count > before:
            _Often.made.append(self.count)
        return conflicts


def _minimum(
    monkeypatch: pytest.MonkeyPatch, restarts: type[PhaseRestarts], table: int
) -> tuple[int, list[str]]:
    monkeypatch.setattr(synthesis, "PhaseRestarts", restarts)
    # The time limit only guards against a hang: restarting all the way takes about 55 s of
    # CPU on 0x2D667866, and on 2 cores shared with another test worker (and anything else)
    # 120 s of wall-clock time was once not enough.
    result = synthesize(5, [table], timeout=600)
    assert result.status == "optimal" and result.circuit is not None, result.reason
    assert result.circuit.truth_tables() == (table,)  # simulated on the whole table
    return result.circuit.size, [s.outcome for s in result.steps]


class _Never(PhaseRestarts):
    CAP = 0


def test_restarts_keep_the_minimum_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # Restarting from random phases changes the solver's path, never its answers: the
    # same minimum, with every smaller size refuted, as the search without restarts.
    rng = random.Random(3)
    sizes = []
    _Often.made.clear()
    for _ in range(16):
        table = random_chain(rng, 5, rng.randint(5, 6))
        plain = _minimum(monkeypatch, _Never, table)
        often = _minimum(monkeypatch, _Often, table)
        assert often == plain, hex(table)
        sizes.append(plain[0])
    assert sizes.count(5) >= 3  # some of them needed real searches,
    assert len(_Often.made) >= 10  # with restarts on the way


@pytest.mark.slow
def test_restarts_keep_the_minimum_on_six_gate_functions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Five-input functions of minimum 6 gates (sizes confirmed by berkeley-abc twoexact in
    # benchmarks/results/synthesis_five.txt for the first three), with the default
    # schedule and with restarts all the way.
    for index, table in enumerate((0xA922A622, 0x2D667866, 0x005200A8, 0xA8085408, 0x8A883132)):
        for restarts in (PhaseRestarts, _Often) if index < 2 else (PhaseRestarts,):
            size, outcomes = _minimum(monkeypatch, restarts, table)
            assert size == 6, (hex(table), restarts)
            assert outcomes[-1] == "sat" and outcomes[-3:-1] == ["unsat", "unsat"]
