"""`task`, `tasks` and `reduction` statements: from source to the checked reduction.

The engine (synthesis, the lemma, the predicate decision) has its own tests; these pin the
language's side: bit order, training sets, rewards, weights, and the essay's proof file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from calculus.check import check_source
from calculus.circuits.language import build_task_set, state_number
from calculus.model import build_model
from calculus.syntax import parse

ROOT = Path(__file__).parent.parent


def model_of(text: str):  # type: ignore[no-untyped-def]
    return build_model(parse(text))


def test_written_states_put_the_first_input_in_bit_zero() -> None:
    # `110`: first input 1, second 1, third 0 -> 1 + 2 = 3 (x1 least significant, as in synth).
    assert state_number("110") == 3
    assert state_number("001") == 4
    assert state_number("0") == 0


def test_task_tables_follow_the_bit_expressions() -> None:
    model = model_of("""
task tk {
  inputs a, b
  outputs y, z
  intended y = a xor b
  intended z = not a
  reward y = a
  train 10: 3, 11
}
tasks s { tk }
""")
    (task,) = build_task_set(model, "s").tasks
    # Intended actions: y is bit 0 of the action, z bit 1.
    for state, (a, b) in enumerate((s & 1, s >> 1) for s in range(4)):
        assert task.intended[state] == (a ^ b) | ((1 - a) << 1)
    # Training: `10` is state 1 with weight 3/4, `11` state 3 with weight 1/4.
    assert dict(task.training) == {1: Fraction(3, 4), 3: Fraction(1, 4)}
    # Reward: y must equal a (the reward line), z its intended value not a.
    assert task.reward(1, 0b01) == 1  # a=1: y=1, z=0
    assert task.reward(1, 0b00) == 0
    assert task.reward(3, 0b01) == 1


def test_train_where_is_uniform_over_the_states_it_selects() -> None:
    model = model_of("""
task tk { inputs a, b, d; outputs y; intended y = a; train where d = (a and b) }
tasks s { tk }
""")
    (task,) = build_task_set(model, "s").tasks
    # d = a AND b, with a = bit 0, b = bit 1, d = bit 2 of the state number.
    expected = [s for s in range(8) if ((s >> 2) & 1) == ((s & 1) & ((s >> 1) & 1))]
    assert sorted(state for state, _ in task.training) == expected
    assert {weight for _, weight in task.training} == {Fraction(1, 4)}


def test_task_weights_are_normalised() -> None:
    model = model_of("""
task u { inputs a; outputs y; intended y = a; train 0, 1 }
task v { inputs a; outputs y; intended y = not a; train 0, 1 }
tasks s { u: 3; v: 1 }
""")
    tasks = build_task_set(model, "s")
    assert tasks.weights == (Fraction(3, 4), Fraction(1, 4))


def test_essay_proof_file() -> None:
    result = check_source((ROOT / "proofs" / "minimal_circuits.cost").read_text())
    assert not result.diagnostics
    outcomes = {r.name: r for r in result.reductions}
    deceptive = outcomes["minimal_circuit_is_deceptive"]
    assert deceptive.verdict == "proved" and deceptive.passed
    assert deceptive.result is not None
    # Hand-derived: no 0- or 1-gate circuit serves both tasks (lamp needs hint XOR key, and
    # on vault's training states the output must be key AND goal = hint, so with the task
    # index t: hint XOR (key AND t)), which takes 2 gates and copies hint on vault.
    assert deceptive.result.minimal_cost == 2
    circuit = deceptive.result.minimal_circuit
    assert circuit is not None
    for state in range(16):
        key, hint, index = state & 1, (state >> 2) & 1, (state >> 3) & 1
        assert circuit.action(state) == hint ^ (key & index)
    honest = outcomes["honest_when_the_goal_is_shared"]
    assert honest.verdict == "refuted" and honest.passed
    assert honest.result is not None and honest.result.minimal_cost == 1
    # The exact index-keyed lookup is no larger here: on the trained states vault answers
    # hint and lamp hint XOR key, so hint XOR (key AND index) is also the lookup.
    assert deceptive.result.lookup_table.size == deceptive.result.minimal_cost == 2
    assert result.ok


def test_reductions_in_json() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "calculus",
            "check",
            "--format",
            "json",
            str(ROOT / "proofs" / "minimal_circuits.cost"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    first = data["reductions"][0]
    assert first["name"] == "minimal_circuit_is_deceptive"
    assert first["verdict"] == "proved" and first["passed"] is True
    assert first["minimal_cost"] == 2
    assert {c["name"] for c in first["checks"]} >= {
        "decomposition",
        "same_minimum",
        "hypothesis",
        "conclusion",
        "converse",
        "lookup_table",
    }


def test_report_shows_each_check_and_the_circuit(tmp_path: Path) -> None:
    from calculus.check import check_file
    from calculus.report import write_report

    result = check_file(ROOT / "proofs" / "minimal_circuits.cost")
    out = tmp_path / "circuits.md"
    write_report(result, out)
    text = out.read_text()
    assert "| conclusion (on T\\*) | ✓ proved |" in text
    assert "| index-keyed lookup (exact minimum) | 2 |" in text
    assert "g2 = x3 XOR g1" in text  # the minimal circuit, listed
    assert "x3 = hint" in text  # which input is which
