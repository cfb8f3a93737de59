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
    # (a) Alone, tbad's minimum is q1 XOR q2 (1 gate), right everywhere; together with the
    # three in-context tasks the minimum (4 gates) learns the bias q3 and carries it over.
    leak = outcomes["learned_default_leaks"]
    assert leak.extents == {"alone": "none", "combined": "every"} and leak.passed
    assert leak.result is not None and leak.result.minimal_cost == 4
    assert dict(leak.result.check("converse").numbers)["cost_alone"] == "1"
    circuit = leak.result.minimal_circuit
    assert circuit is not None
    for state in range(32):
        y1, y2, q1, q2, q3 = ((state >> k) & 1 for k in range(5))
        if not (y1 and y2 and q3):  # every trained state: the in-context rule
            assert circuit.action(state) == (y1 & q1) ^ (y2 & q2) ^ q3
    # (c) No minimum circuit reads the flag training never varies.
    flag = outcomes["deploy_flag_is_never_read"]
    assert flag.extents == {"alone": "none", "combined": "none"} and flag.passed
    # (d) vault alone copies hint (0 gates); with the goal rewarded on every state of the
    # second task, the shared minimum is key AND goal (1 gate).
    honest = outcomes["sharing_the_goal_removes_deception"]
    assert honest.extents == {"alone": "every", "combined": "none"} and honest.passed
    assert honest.result is not None and honest.result.minimal_cost == 1
    assert honest.result.minimal_circuit is not None
    assert honest.result.minimal_circuit.listing().splitlines()[0] == "g1 = x1 AND x2"
    # (b) The sweep: one member's minimum answers its own data only; three members pin
    # down the inner product (3 gates), which generalises to the held-out member.
    (crossover,) = result.sweeps
    rows = {(r.k, r.draw): r for r in crossover.rows}
    assert crossover.general == 3
    assert all(rows[(1, d)].misgeneralises == "every" for d in range(2))
    assert all(
        rows[(3, d)].minimum == 3 and rows[(3, d)].misgeneralises == "none" for d in range(2)
    )
    assert all(rows[(4, d)].minimum == 3 and rows[(4, d)].misgeneralises is None for d in range(2))
    assert all(r.lookup is not None and r.lookup >= r.minimum for r in crossover.rows)  # type: ignore[operator]
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
    assert first["name"] == "learned_default_leaks"
    assert first["verdict"] == "proved" and first["passed"] is True
    assert (first["minimum"], first["alone"], first["combined"]) == (4, "none", "every")
    assert data["sweeps"][0]["name"] == "lookup_against_learner"
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
    assert "| index-keyed lookup (exact minimum) | 4 |" in text
    assert "g1 = x1 AND x3" in text  # the minimal circuit, listed
    assert "x5 = q3" in text  # which input is which
    assert "sweep lookup\\_against\\_learner" in text
    assert "data:image/png;base64," in text  # the sweep's plot
