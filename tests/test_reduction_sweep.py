"""Families and sweeps (DESIGN section 10): the lookup table against the learner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calculus.check import check_source
from calculus.circuits import sweep as sweeping
from calculus.printer import format_source
from calculus.syntax import parse

INNER = """
family inner(w1, w2) {
  inputs y1, y2, q1, q2; outputs o
  intended o = (y1 and q1) xor (y2 and q2)
  train where y1 = w1 and y2 = w2
}
sweep crossover {
  family inner
  tasks 1 to 2
  draws 2
  seed 7
  by data
}
"""


def rows_of(text: str) -> list[dict[str, object]]:
    result = check_source(text)
    assert not result.diagnostics, result.diagnostics
    (outcome,) = result.sweeps
    return [
        {k: v for k, v in row.to_json().items() if k not in ("seconds",)} for row in outcome.rows
    ]


def test_sweep_rows_by_hand() -> None:
    rows = rows_of(INNER.replace("tasks 1 to 2", "tasks 1 to 1").replace("draws 2", "draws 1"))
    (row,) = rows
    (member,) = row["members"]  # type: ignore[misc]
    w1, w2 = (int(c) for c in str(member)[len("inner(") : -1].split(","))
    # One member trains on y = w only and must answer w . q there: parity of the q bits w
    # selects, w1 + w2 - 1 gates at least (0 for a single bit; for w = 00 the constant 0).
    assert row["minimum"] == max(w1 + w2 - 1, 0)
    assert row["lookup"] == row["minimum"]  # k = 1: no index, same table
    # The general solution (y1 AND q1) XOR (y2 AND q2) needs 3 gates.
    assert row["general"] == 3
    # Every minimum circuit is wrong on some held-out member's data, unless it happens to
    # compute the inner product (impossible below 3 gates).
    assert row["misgeneralises"] == "every"


def test_sweep_is_reproducible_from_its_seed() -> None:
    first = rows_of(INNER)
    assert first == rows_of(INNER)  # every number, and the members drawn
    assert all(len(row["members"]) == row["k"] for row in first)  # type: ignore[arg-type]
    # The draws are a function of (seed, k, draw) alone; other seeds draw other sets.
    draws = {tuple(sweeping.draw_members(4, 2, 0, seed)) for seed in range(20)}
    assert len(draws) > 1
    assert sweeping.draw_members(4, 2, 1, 7) == sweeping.draw_members(4, 2, 1, 7)


def test_all_members_leaves_nothing_held_out_and_meets_the_general_solution() -> None:
    rows = rows_of(INNER.replace("tasks 1 to 2", "tasks 4 to 4").replace("draws 2", "draws 1"))
    (row,) = rows
    # Trained on every state, the combined task is the inner product itself.
    assert row["minimum"] == row["general"] == 3
    assert row["misgeneralises"] is None
    assert row["lookup"] is not None and row["lookup"] >= 3  # type: ignore[operator]


def test_general_is_null_when_intended_mentions_a_parameter() -> None:
    text = """
family copy(w) {
  inputs y, q; outputs o
  intended o = q xor w
  train where y = w
}
sweep s { family copy; tasks 1 to 1; seed 1; by index }
"""
    (row,) = rows_of(text)
    assert row["general"] is None
    assert row["misgeneralises"] is None  # by index: a held-out member has no index
    assert row["minimum"] == 0


def test_sweep_round_trips_and_reports_errors(tmp_path: Path) -> None:
    tree = parse(INNER, "x")
    assert parse(format_source(tree), "y") == tree
    path = tmp_path / "bad.cost"
    path.write_text(INNER.replace("tasks 1 to 2", "tasks 1 to 9"))
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "has 4 members" in done.stderr
    assert "^" in done.stderr


def test_sweep_json(tmp_path: Path) -> None:
    path = tmp_path / "sweep.cost"
    path.write_text(INNER)
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "check", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)["sweeps"]
    assert record["name"] == "crossover"
    assert [(r["k"], r["draw"]) for r in record["rows"]] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    for row in record["rows"]:
        assert set(row) >= {
            "k",
            "draw",
            "members",
            "minimum",
            "lookup",
            "general",
            "misgeneralises",
        }


def test_sweep_on_a_local_dask_cluster() -> None:
    pytest.importorskip("dask.distributed")
    serial = rows_of(INNER)
    sweeping.configure(workers=1, processes=False)
    try:
        result = check_source(INNER)
    finally:
        sweeping.configure()
    (outcome,) = result.sweeps
    assert outcome.workers.startswith("Dask")
    assert [
        {k: v for k, v in row.to_json().items() if k != "seconds"} for row in outcome.rows
    ] == serial
