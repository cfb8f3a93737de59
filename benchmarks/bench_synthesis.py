"""Exact synthesis, ours against berkeley-abc, side by side in one run.

Every row is measured interleaved (ours, then ABC, repeated ``--repeat`` times) in CPU
seconds: this process for ours (the solver thread included), the child processes for ABC,
which the other jobs on a shared machine disturb far less than wall-clock time.  Each row
prints min and median of both and the ratio of the medians; totals add the medians, and
the per-function geometric mean of the ratios is printed beside them.  ABC is a process
per call, so its start-up (measured, a few ms) is in its times; the totals are also given
with that start-up subtracted, the stricter comparison.

Sections:

* all NPN classes of 3-input functions, and a random sample of the 4-input ones (``--all``:
  every 4-input class of size >= 1) against ABC's ``exact -C 0`` (Soeken's SAT-based exact
  synthesis, no conflict limit); ABC's networks are read back as BLIF and only its 2-input
  nodes counted (an output inverter is free in the size convention);
* ``--five``: 5-input functions of 4 to 8 gates (parity, conjunction, threshold
  functions, functions of random circuits, and 8-gate ones built from a 7-gate 4-input
  class) against ABC's ``twoexact -g`` (Knuth's encoding with counterexample-guided
  minterms, Glucose), asked for N = the counting bound, N + 1, ... until it finds a
  circuit, as a user finding the minimum must; sizes must agree.  A question past
  ``--twoexact-limit`` seconds makes the row a lower bound on ABC's time;
* ``--backends``: the SAT back-ends (MiniSat, Glucose, CaDiCaL through python-sat, and z3)
  on the same CNF: whole minimum-size searches of the hardest 4-input classes and of
  5-input functions of 6-7 gates.

Run: ``python benchmarks/bench_synthesis.py [--sample N] [--all] [--five] [--backends]
[--repeat R] [--output FILE]``.  Targets: 4-input classes <= 0.5x ABC ``exact`` in total,
per-function geometric mean <= 0.7x; 5-input functions <= 1.0x ABC ``twoexact -g``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import children_cpu  # noqa: E402
from peers import find_peer  # noqa: E402

from calculus.circuits.circuit import Circuit, Gate, Output  # noqa: E402
from calculus.circuits.npn import npn_representatives  # noqa: E402
from calculus.circuits.specification import table_specification  # noqa: E402
from calculus.circuits.synthesis import size_lower_bound, synthesize  # noqa: E402


@dataclass(frozen=True)
class Row:
    name: str
    inputs: int
    table: int
    ours_size: int
    abc_size: int | None
    ours: list[float]  # CPU seconds, one per repetition
    abc: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.abc)


def find_abc() -> tuple[str | None, str]:
    """Path of the ABC binary, or why it is missing (`scripts/install-peers.sh` installs it)."""
    return find_peer("berkeley-abc", "berkeley-abc", "abc")


def hex_table(inputs: int, table: int) -> str:
    return f"{table:0{max(1, (1 << inputs) // 4)}x}"


def abc_exact(abc: str, inputs: int, table: int, workdir: str) -> tuple[int, float]:
    """ABC's ``exact -C 0``: its number of 2-input nodes, and CPU seconds."""
    blif = os.path.join(workdir, "exact.blif")
    if os.path.exists(blif):
        os.remove(blif)
    command = f"exact -C 0 {hex_table(inputs, table)}; write_blif {blif}"
    cpu = children_cpu()
    subprocess.run([abc, "-c", command], capture_output=True, text=True, check=True, cwd=workdir)
    cpu = children_cpu() - cpu
    lines = Path(blif).read_text().splitlines()
    two_input = sum(1 for line in lines if line.startswith(".names") and len(line.split()) == 4)
    return two_input, cpu


def abc_twoexact(
    abc: str, inputs: int, table: int, start: int, workdir: str, limit: int
) -> tuple[int | None, float]:
    """ABC's ``twoexact -g`` asked for N = start, start + 1, ... gates until it finds one.

    The size is None when one question ran out of its ``limit`` seconds.
    """
    cpu = children_cpu()
    for gates in range(start, 40):
        command = f"twoexact -g -T {limit} -I {inputs} -N {gates} {hex_table(inputs, table)}"
        run = subprocess.run([abc, "-c", command], capture_output=True, text=True, cwd=workdir)
        if "Realization of given" in run.stdout:
            return gates, children_cpu() - cpu
        if "has no solution" not in run.stdout:
            return None, children_cpu() - cpu
    raise RuntimeError("twoexact found nothing below 40 gates")


def abc_startup(abc: str) -> float:
    """CPU seconds ABC spends starting up and exiting, median of five runs."""
    samples = []
    for _ in range(5):
        cpu = children_cpu()
        subprocess.run([abc, "-c", "quit"], capture_output=True, check=False)
        samples.append(children_cpu() - cpu)
    return statistics.median(samples)


def ours(inputs: int, table: int) -> tuple[int, float]:
    cpu = time.process_time()
    result = synthesize(inputs, [table])
    cpu = time.process_time() - cpu
    assert result.proved_minimal and result.circuit is not None
    assert result.circuit.truth_tables() == (table,)  # checked by simulation
    return result.circuit.size, cpu


#: Rows whose runs (ours plus the peer) take over LONG_ROW CPU seconds are repeated
#: only LONG_REPEAT times.
LONG_ROW = 20.0
LONG_REPEAT = 3


def compare(
    rows: list[tuple[str, int, int]],
    peer: Callable[[int, int, int], tuple[int | None, float]] | None,
    repeat: int,
) -> list[Row]:
    """Interleaved: for each function, ``repeat`` times ours then the peer.

    A peer that gives up (size None) is not asked again for that function: its row
    shows the time it spent before giving up, a lower bound.
    """
    result = []
    for name, inputs, table in rows:
        ours_times: list[float] = []
        abc_times: list[float] = []
        size: int | None = None
        abc_size: int | None = None
        gave_up = False
        for index in range(repeat):
            if index == LONG_REPEAT and sum(ours_times) + sum(abc_times) > LONG_ROW * LONG_REPEAT:
                break  # a long row: min and median of LONG_REPEAT runs
            size, seconds = ours(inputs, table)
            ours_times.append(seconds)
            if peer is not None and size > 0 and not gave_up:
                abc_size, seconds = peer(inputs, table, size)
                abc_times.append(seconds)
                gave_up = abc_size is None
        assert size is not None
        result.append(Row(name, inputs, table, size, abc_size, ours_times, abc_times))
    return result


def report(title: str, rows: list[Row], startup: float | None, out: list[str]) -> None:
    if not rows:
        return
    out.append(f"\n== {title}: {len(rows)} functions ==")
    out.append(
        f"{'function':>14} {'ours':>4} {'abc':>4} {'ours min':>9} {'ours med':>9} "
        f"{'abc min':>9} {'abc med':>9} {'ratio':>6}   (CPU ms; ratio of medians)"
    )
    for row in rows:
        if row.abc and row.abc_size is None:
            abc = f"{'gave up':>9} {'>' + format(max(row.abc) * 1000, '.0f'):>9}"
            ratio = f"<{row.ratio:5.3f}"
        elif row.abc:
            abc = f"{min(row.abc) * 1000:9.1f} {statistics.median(row.abc) * 1000:9.1f}"
            ratio = f"{row.ratio:6.2f}"
        else:
            abc, ratio = f"{'-':>9} {'-':>9}", f"{'-':>6}"
        out.append(
            f"{row.name:>14} {row.ours_size:>4} {row.abc_size if row.abc_size is not None else '-':>4} "
            f"{min(row.ours) * 1000:9.1f} {statistics.median(row.ours) * 1000:9.1f} {abc} {ratio}"
        )
    compared = [r for r in rows if r.abc and r.abc_size is not None]
    gave_up = [r for r in rows if r.abc and r.abc_size is None]
    if gave_up:
        out.append(
            f"ABC gave up (a question past its time limit) on {len(gave_up)}: "
            + ", ".join(r.name for r in gave_up)
            + " -- left out of the totals below"
        )
    mismatches = [r for r in compared if r.abc_size != r.ours_size]
    out.append(
        f"compared: {len(compared)}; same minimum size: {len(compared) - len(mismatches)}; "
        f"mismatches: {len(mismatches)}"
    )
    if compared:
        ours_total = sum(statistics.median(r.ours) for r in compared)
        abc_total = sum(statistics.median(r.abc) for r in compared)
        geomean = math.exp(statistics.fmean(math.log(r.ratio) for r in compared))
        out.append(
            f"total CPU s (sum of medians): ours {ours_total:.2f}, ABC {abc_total:.2f}, "
            f"ratio {ours_total / abc_total:.2f}; per-function geometric mean {geomean:.2f}"
        )
        if startup is not None:
            net = [max(statistics.median(r.abc) - startup * _calls(r), 1e-4) for r in compared]
            net_geomean = math.exp(
                statistics.fmean(
                    math.log(statistics.median(r.ours) / n)
                    for r, n in zip(compared, net, strict=True)
                )
            )
            out.append(
                f"  ABC less its start-up ({startup * 1000:.1f} ms a call): {sum(net):.2f} s, "
                f"ratio {ours_total / sum(net):.2f}; geometric mean {net_geomean:.2f}"
            )
    for r in mismatches:
        out.append(f"MISMATCH {r.name}: ours {r.ours_size}, ABC {r.abc_size}")


def disagree(rows: list[Row]) -> bool:
    """Some row where ABC found a minimum different from ours (a row ABC gave up on is not
    one: it has no size to compare)."""
    return any(r.abc and r.abc_size is not None and r.abc_size != r.ours_size for r in rows)


def _calls(row: Row) -> int:
    """ABC processes started for one measurement of ``row``."""
    if row.inputs < 5:
        return 1
    lower = size_lower_bound(table_specification(row.inputs, [row.table]))
    return row.ours_size - lower + 1


# -- 5-input functions -------------------------------------------------------------------


def threshold(weights: tuple[int, ...], bound: int) -> int:
    n = len(weights)
    return sum(
        1 << t
        for t in range(1 << n)
        if sum(w for j, w in enumerate(weights) if (t >> j) & 1) >= bound
    )


def random_chain_table(rng: random.Random, inputs: int, gates: int) -> int:
    """The function of a random chain circuit: gate i reads gate i-1 and an earlier node."""
    while True:
        made = [Gate(rng.choice(_OPERATORS), *sorted(rng.sample(range(inputs), 2)))]
        for index in range(1, gates):
            node = inputs + index
            other = rng.randrange(node - 1)
            made.append(Gate(rng.choice(_OPERATORS), other, node - 1))
        circuit = Circuit(inputs, tuple(made), (Output(inputs + gates - 1),))
        (table,) = circuit.truth_tables()
        spec = table_specification(inputs, [table])
        if size_lower_bound(spec) == inputs - 1 and table & 1 == 0:
            return table


#: Normal non-trivial operators, XOR-type ones twice as likely.
_OPERATORS = (1, 2, 4, 6, 8, 9, 14, 6, 9)


#: Functions of random chain circuits (``random_chain_table``, ``random.Random(2024)``,
#: 8-13 gates drawn) by their minimum size: 5, 6 and 7 gates.
RANDOM_FIVE = (
    (5, 0xF090A0A0),
    (5, 0x02050000),
    (6, 0xA922A622),
    (6, 0x2D667866),
    (6, 0x005200A8),
    (7, 0x6AA5666A),
    (7, 0xDFDF9F8C),
    (7, 0x408D01CC),
)


def five_input_functions() -> list[tuple[str, int, int]]:
    """Named functions, random ones of 5-7 gates, 8-gate ones built from the 7-gate
    4-input class 0116 (its XOR and its AND with x5), and a 9-gate symmetric function twice
    (exactly two of five; exactly three, the same with its inputs negated).  The sizes in the
    names are the minima found here; every row checks them again against ABC."""
    rows = [
        ("parity5", 5, sum(1 << t for t in range(32) if bin(t).count("1") % 2)),
        ("and5", 5, threshold((1, 1, 1, 1, 1), 5)),
        ("or5", 5, threshold((1, 1, 1, 1, 1), 1)),
        ("th41111:5", 5, threshold((4, 1, 1, 1, 1), 5)),
        ("th33111:4", 5, threshold((3, 3, 1, 1, 1), 4)),
    ]
    rows += [(f"r{size}:{table:08x}", 5, table) for size, table in RANDOM_FIVE]
    rows += [
        ("th31111:4", 5, threshold((3, 1, 1, 1, 1), 4)),  # = th42111:5; 8 gates
        ("0116^x5", 5, 0xFEE90116),
        ("0116&x5", 5, 0x01160000),
    ]
    # 9 gates: exactly two, exactly three of the five inputs (symmetric functions; one NPN
    # class, the second is the first with its inputs negated, which is free in B2).
    rows += [
        (f"S{k}:5", 5, sum(1 << t for t in range(32) if bin(t).count("1") == k)) for k in (2, 3)
    ]
    return rows


# -- SAT back-ends on the same CNF ---------------------------------------------------------


def backends(out: list[str], repeat: int) -> None:
    """Whole minimum-size searches (every size's question, refinement included) with each
    back-end, interleaved: the hardest 4-input classes and 5-input functions of 6-7 gates."""
    names = ["minisat22", "glucose4", "cadical195", "z3"]
    functions = [(4, t) for t in (0x16AC, 0x169B, 0x179A, 0x168B, 0x0116, 0x06B3)]
    functions += [(5, t) for t in (0xA922A622, 0x2D667866, 0x005200A8, 0x6AA5666A)]
    out.append("\n== SAT back-ends, whole searches (CPU ms, median) ==")
    out.append(f"{'function':>14} " + " ".join(f"{n:>11}" for n in names))
    totals = dict.fromkeys(names, 0.0)
    saved = os.environ.get("COST_SAT_SOLVER")
    try:
        for inputs, table in functions:
            times: dict[str, list[float]] = {n: [] for n in names}
            sizes = set()
            for _ in range(repeat):
                for name in names:  # interleaved
                    os.environ["COST_SAT_SOLVER"] = name
                    size, seconds = ours(inputs, table)
                    sizes.add(size)
                    times[name].append(seconds)
            assert len(sizes) == 1, (table, sizes)
            cells = []
            for name in names:
                median = statistics.median(times[name])
                totals[name] += median
                cells.append(f"{median * 1000:11.1f}")
            out.append(f"{hex_table(inputs, table):>14} " + " ".join(cells))
    finally:
        if saved is None:
            os.environ.pop("COST_SAT_SOLVER", None)
        else:
            os.environ["COST_SAT_SOLVER"] = saved
    out.append(f"{'total':>14} " + " ".join(f"{totals[n] * 1000:11.1f}" for n in names))
    base = totals["minisat22"]
    out.append(f"{'/ minisat22':>14} " + " ".join(f"{totals[n] / base:11.2f}" for n in names))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sample", type=int, default=40, help="4-input NPN classes to compare")
    parser.add_argument("--all", action="store_true", help="all 4-input classes of size >= 1")
    parser.add_argument("--five", action="store_true", help="5-input functions vs twoexact")
    parser.add_argument(
        "--five-rows",
        type=int,
        default=None,
        help="only the first N 5-input rows (8- and 9-gate last)",
    )
    parser.add_argument(
        "--five-skip", type=int, default=0, help="leave out the first N 5-input rows"
    )
    parser.add_argument("--backends", action="store_true", help="SAT back-ends, same CNF")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per row (min, median)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--twoexact-limit", type=int, default=60, help="seconds for one twoexact question"
    )
    parser.add_argument("--output", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)

    out: list[str] = []
    abc, how = find_abc()
    out.append(
        "exact synthesis benchmark: minimum B2 size, ours (one output: fanin-slot CNF, rows "
        "added as counterexamples, restarts from random phases early in a question) vs ABC"
    )
    out.append(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; {args.repeat} interleaved repetitions a row"
    )
    if abc is None:
        out.append(f"ABC comparison skipped: {how}")
        startup = None
    else:
        startup = abc_startup(abc)
        out.append(f"ABC: {abc}, one process per call")

    shown = 0

    def flush() -> None:
        """Print the lines not yet printed and rewrite the output file (partial results)."""
        nonlocal shown
        print("\n".join(out[shown:]), flush=True)
        shown = len(out)
        if args.output is not None:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text("\n".join(out) + "\n")

    flush()
    mismatch = False
    with tempfile.TemporaryDirectory() as workdir:
        exact = None if abc is None else (lambda n, t, _s: abc_exact(abc, n, t, workdir))
        three = [(hex_table(3, t), 3, t) for t in npn_representatives(3)]
        rows = compare(three, exact, args.repeat)
        report("all NPN classes of 3-input functions, vs ABC exact -C 0", rows, startup, out)
        flush()
        mismatch |= disagree(rows)

        if args.all or args.sample > 0:
            classes4 = [t for t in npn_representatives(4) if synthesize(4, [t]).cost]
            if args.all:
                chosen, title = classes4, "all 4-input NPN classes of size >= 1, vs ABC exact -C 0"
            else:
                chosen = sorted(random.Random(args.seed).sample(classes4, args.sample))
                title = f"4-input NPN classes, random sample (seed {args.seed}), vs ABC exact -C 0"
            rows = compare([(hex_table(4, t), 4, t) for t in chosen], exact, args.repeat)
            report(title, rows, startup, out)
            flush()
            mismatch |= disagree(rows)

        if args.five:

            def twoexact(n: int, t: int, _size: int) -> tuple[int | None, float]:
                lower = size_lower_bound(table_specification(n, [t]))
                assert abc is not None
                return abc_twoexact(abc, n, t, lower, workdir, args.twoexact_limit)

            peer = None if abc is None else twoexact
            chosen5 = five_input_functions()[args.five_skip : args.five_rows]
            rows = compare(chosen5, peer, args.repeat)
            report(
                "5-input functions, vs ABC twoexact -g (N = bound, bound+1, ...)",
                rows,
                startup,
                out,
            )
            mismatch |= disagree(rows)

            flush()
    if args.backends:
        backends(out, args.repeat)
    flush()
    return 1 if mismatch else 0


if __name__ == "__main__":
    raise SystemExit(main())
