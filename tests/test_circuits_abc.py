"""Minimum sizes cross-checked with berkeley-abc, an independent exact synthesizer.

ABC's ``exact`` (Soeken's SAT encoding) writes its network as BLIF, whose 2-input nodes
we count (an inverter is free in our size convention); ``twoexact -N k`` (Knuth's
encoding with counterexample-guided minterms) says whether k gates suffice.  The whole
sweep over the 4-input NPN classes is ``benchmarks/bench_synthesis.py --all``.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from peers import find_peer

from calculus.circuits.npn import npn_representatives
from calculus.circuits.synthesis import synthesize

ABC, WHY = find_peer("berkeley-abc", "berkeley-abc", "abc")
# A peer cross-check: slow, run by CI with the other slow tests.
pytestmark = [pytest.mark.skipif(ABC is None, reason=WHY), pytest.mark.slow]


def abc_exact_size(inputs: int, table: int, workdir: Path) -> int:
    blif = workdir / "exact.blif"
    digits = max(1, (1 << inputs) // 4)
    command = f"exact -C 0 {table:0{digits}x}; write_blif {blif}"
    assert ABC is not None
    subprocess.run([ABC, "-c", command], capture_output=True, check=True, cwd=workdir, timeout=60)
    lines = blif.read_text().splitlines()
    return sum(1 for line in lines if line.startswith(".names") and len(line.split()) == 4)


def abc_twoexact_suffices(inputs: int, table: int, gates: int, workdir: Path) -> bool:
    command = f"twoexact -g -I {inputs} -N {gates} {table:0{(1 << inputs) // 4}x}"
    assert ABC is not None
    run = subprocess.run(
        [ABC, "-c", command], capture_output=True, text=True, cwd=workdir, timeout=60
    )
    if "Realization of given" in run.stdout or "Solution was dumped" in run.stdout:
        return True
    assert "has no solution" in run.stdout or "cannot be implemented" in run.stdout, run.stdout
    return False


def test_four_input_classes_agree_with_abc_exact(tmp_path: Path) -> None:
    classes = [t for t in npn_representatives(4) if t not in (0, 0xFF)]
    sample = random.Random(14).sample(classes, 6) + [0x0116]  # a 7-gate class too
    for table in sample:
        ours = synthesize(4, [table])
        assert ours.proved_minimal and ours.circuit is not None
        assert ours.circuit.truth_tables() == (table,)
        assert ours.cost == abc_exact_size(4, table, tmp_path), hex(table)


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("parity5", sum(1 << t for t in range(32) if bin(t).count("1") % 2)),
        ("threshold 3,3,1,1,1 >= 4", 0xEEEEEEE8),
        ("random", 0x00A2000A),
    ],
)
def test_five_input_minimum_agrees_with_abc_twoexact(name: str, table: int, tmp_path: Path) -> None:
    ours = synthesize(5, [table])
    assert ours.proved_minimal and ours.cost is not None, name
    assert abc_twoexact_suffices(5, table, ours.cost, tmp_path), name
    assert not abc_twoexact_suffices(5, table, ours.cost - 1, tmp_path), name
