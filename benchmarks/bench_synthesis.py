"""Exact synthesis, ours against berkeley-abc's ``exact``, side by side in one run.

Functions: every NPN class of 3-input functions and a fixed random sample of the 4-input
classes (``--all`` adds all 222), then all 256 functions of 3 inputs through our solver
alone.  Minimum B2 sizes must agree (ABC's networks are read back as BLIF and only its
2-input nodes counted: an output inverter is free in the size convention).  Times are CPU
seconds (this process for ours, the child processes for ABC), which the other jobs on a
shared machine disturb far less than wall-clock time; wall-clock totals are printed too.

Run: ``python benchmarks/bench_synthesis.py [--sample N] [--all] [--output FILE]``.
Targets: ours/ABC <= 1.0 on the 4-input sample; all 256 3-input functions <= 10 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from peers import find_peer  # noqa: E402

from calculus.circuits.npn import npn_representatives  # noqa: E402
from calculus.circuits.synthesis import synthesize  # noqa: E402


@dataclass(frozen=True)
class Row:
    inputs: int
    table: int
    ours_size: int
    abc_size: int | None
    ours_cpu: float
    ours_wall: float
    abc_cpu: float | None
    abc_wall: float | None


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def find_abc() -> tuple[str | None, str]:
    """Path of the ABC binary, or why it is missing (`scripts/install-peers.sh` installs it)."""
    return find_peer("berkeley-abc", "berkeley-abc", "abc")


def abc_exact(abc: str, inputs: int, table: int, workdir: str) -> tuple[int, float, float]:
    """ABC's minimum: 2-input nodes of ``exact -C 0`` (no conflict limit), CPU and wall time."""
    digits = max(1, (1 << inputs) // 4)
    blif = os.path.join(workdir, "exact.blif")
    if os.path.exists(blif):
        os.remove(blif)
    command = f"exact -C 0 {table:0{digits}x}; write_blif {blif}"
    cpu, wall = children_cpu(), time.perf_counter()
    subprocess.run([abc, "-c", command], capture_output=True, text=True, check=True)
    cpu, wall = children_cpu() - cpu, time.perf_counter() - wall
    lines = Path(blif).read_text().splitlines()
    two_input = sum(1 for line in lines if line.startswith(".names") and len(line.split()) == 4)
    return two_input, cpu, wall


def abc_startup(abc: str) -> float:
    """CPU seconds ABC spends starting up and exiting, median of five runs."""
    samples = []
    for _ in range(5):
        cpu = children_cpu()
        subprocess.run([abc, "-c", "quit"], capture_output=True, check=False)
        samples.append(children_cpu() - cpu)
    return statistics.median(samples)


def ours(inputs: int, table: int) -> tuple[int, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = synthesize(inputs, [table])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert result.proved_minimal and result.circuit is not None
    assert result.circuit.truth_tables() == (table,)
    return result.circuit.size, cpu, wall


def compare(abc: str | None, inputs: int, tables: list[int], workdir: str) -> list[Row]:
    rows = []
    for table in tables:
        size, cpu, wall = ours(inputs, table)
        if abc is None or size == 0:
            # ABC's exact asserts on constants and answers literals with 3 gates, so
            # size-0 classes are not compared.
            rows.append(Row(inputs, table, size, None, cpu, wall, None, None))
            continue
        abc_size, abc_cpu, abc_wall = abc_exact(abc, inputs, table, workdir)
        rows.append(Row(inputs, table, size, abc_size, cpu, wall, abc_cpu, abc_wall))
    return rows


def report(title: str, rows: list[Row], startup: float | None, out: list[str]) -> None:
    out.append(f"\n== {title}: {len(rows)} functions ==")
    out.append(f"{'table':>8} {'ours':>4} {'abc':>4} {'ours ms':>9} {'abc ms':>9}")
    for row in rows:
        digits = max(1, (1 << row.inputs) // 4)
        abc_size = "-" if row.abc_size is None else str(row.abc_size)
        abc_ms = "-" if row.abc_cpu is None else f"{row.abc_cpu * 1000:9.1f}"
        name = f"{row.table:0{digits}x}"
        out.append(
            f"{name:>8} {row.ours_size:>4} {abc_size:>4} {row.ours_cpu * 1000:9.1f} {abc_ms:>9}"
        )
    compared = [r for r in rows if r.abc_size is not None]
    mismatches = [r for r in compared if r.abc_size != r.ours_size]
    ours_cpu = sum(r.ours_cpu for r in compared)
    ours_wall = sum(r.ours_wall for r in compared)
    abc_cpu = sum(r.abc_cpu or 0.0 for r in compared)
    abc_wall = sum(r.abc_wall or 0.0 for r in compared)
    out.append(
        f"compared with ABC: {len(compared)}; same minimum size: "
        f"{len(compared) - len(mismatches)}; mismatches: {len(mismatches)}"
    )
    if compared:
        out.append(
            f"CPU  s: ours {ours_cpu:.2f}, ABC {abc_cpu:.2f}, ratio ours/ABC {ours_cpu / abc_cpu:.2f}"
        )
        if startup is not None:
            net = abc_cpu - startup * len(compared)
            out.append(
                f"       ABC without its start-up ({startup * 1000:.1f} ms a call): {net:.2f}, "
                f"ratio {ours_cpu / net:.2f}"
            )
        out.append(
            f"wall s: ours {ours_wall:.2f}, ABC {abc_wall:.2f}, ratio {ours_wall / abc_wall:.2f}"
        )
    for r in mismatches:
        out.append(f"MISMATCH {r.table:x}: ours {r.ours_size}, ABC {r.abc_size}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=40, help="4-input NPN classes to compare")
    parser.add_argument(
        "--all", action="store_true", help="also compare all 4-input classes (220 of size >= 1)"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--output", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)

    out: list[str] = []
    abc, how = find_abc()
    out.append(
        "exact synthesis benchmark: minimum B2 size, ours (selection-variable CNF, z3 QF_FD)"
    )
    out.append(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if abc is None:
        out.append(f"ABC comparison skipped: {how}")
        startup = None
    else:
        startup = abc_startup(abc)
        out.append(f"ABC: {abc} ({how}), command 'exact -C 0 <hex>' one process per function")

    with tempfile.TemporaryDirectory() as workdir:
        three = list(npn_representatives(3))
        rows3 = compare(abc, 3, three, workdir)
        report("all NPN classes of 3-input functions", rows3, startup, out)
        classes4 = list(npn_representatives(4))
        nontrivial = [t for t in classes4 if synthesize(4, [t]).cost]
        sample = sorted(random.Random(args.seed).sample(nontrivial, args.sample))
        title = (
            f"4-input NPN classes, random sample (seed {args.seed}) "
            f"of the {len(nontrivial)} of size >= 1"
        )
        rows4 = compare(abc, 4, sample, workdir)
        report(title, rows4, startup, out)
        if args.all:
            rows_all = compare(abc, 4, nontrivial, workdir)
            report("all 4-input NPN classes of size >= 1", rows_all, startup, out)
            rows4 = rows4 + rows_all

    cpu, wall = time.process_time(), time.perf_counter()
    sizes = [synthesize(3, [table]).cost for table in range(256)]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    counts = {c: sizes.count(c) for c in sorted(set(s for s in sizes if s is not None))}
    out.append("\n== all 256 functions of 3 inputs, ours alone ==")
    out.append(f"CPU {cpu:.2f} s, wall {wall:.2f} s (target <= 10 s); sizes {counts}")

    mismatch = any(r.abc_size is not None and r.abc_size != r.ours_size for r in rows3 + rows4)
    text = "\n".join(out)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    return 1 if mismatch else 0


if __name__ == "__main__":
    raise SystemExit(main())
