"""The reduction v2: the lookup-against-learner sweep on Dask, and the lemma cache.

1. The sweep of ``proofs/minimal_circuits.cost`` (b), made larger: the inner-product family
   over three query bits, k = 1..K members, D draws.  Run on a local Dask cluster with 1
   worker process and with 2, interleaved, R times each; wall-clock seconds from a started
   cluster to the last row (the rows run in other processes, so this process's CPU time
   says nothing), min and median, and the ratio 2 workers / 1 worker.  Both runs must give the same rows (checked).
2. Each reduction of ``proofs/minimal_circuits.cost``: CPU seconds with the value-
   decomposition lemma proved for that reduction (the cache emptied first: what every
   reduction paid before the cache) and with the lemma already proved in the process.

Run: ``python benchmarks/bench_reduction.py [--k 4] [--draws 1] [--repeats 2] [--output FILE]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from calculus.check import check_source  # noqa: E402
from calculus.circuits import parallel, reduction, sweep  # noqa: E402
from calculus.circuits.language import run_reduction  # noqa: E402
from calculus.model import build_model  # noqa: E402
from calculus.output import reduction_lines  # noqa: E402
from calculus.syntax import parse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

FAMILY = """
family inner(w1, w2, w3) {
  inputs y1, y2, y3, q1, q2, q3
  outputs o
  intended o = (y1 and q1) xor (y2 and q2) xor (y3 and q3)
  train where y1 = w1 and y2 = w2 and y3 = w3
}
sweep crossover {
  family inner
  tasks 1 to K
  draws D
  seed 1
  by data
}
"""


def sweep_rows(text: str, workers: int) -> tuple[float, list[dict[str, object]], str]:
    sweep.configure(workers=workers, processes=True)
    try:
        parallel.client()  # the cluster's start-up is not the sweep's time
        start = time.perf_counter()
        result = check_source(text, timeout=10)
        seconds = time.perf_counter() - start
    finally:
        sweep.configure()  # closes the cluster
    (outcome,) = result.sweeps
    rows = [
        {k: v for k, v in row.to_json().items() if k not in ("seconds",)} for row in outcome.rows
    ]
    return seconds, rows, "\n".join(reduction_lines(outcome))


def bench_sweep(k: int, draws: int, repeats: int) -> list[str]:
    text = FAMILY.replace("tasks 1 to K", f"tasks 1 to {k}").replace("draws D", f"draws {draws}")
    times: dict[int, list[float]] = {1: [], 2: []}
    reference: list[dict[str, object]] | None = None
    table = ""
    for _ in range(repeats):
        for workers in (1, 2):
            seconds, rows, table = sweep_rows(text, workers)
            times[workers].append(seconds)
            if reference is None:
                reference = rows
            # A row that ran out of time in one run is unknown there; every number found
            # in both runs must agree.
            for mine, first in zip(rows, reference, strict=True):
                for key in ("members", "minimum", "lookup", "general", "misgeneralises"):
                    if mine[key] not in (None, "unknown") and first[key] not in (None, "unknown"):
                        assert mine[key] == first[key], (key, mine, first)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return [
        f"sweep: inner product over 3 query bits, k = 1..{k}, {draws} draw(s), by data",
        table,
        f"1 worker : wall min {min(times[1]):.1f} s, median {one:.1f} s",
        f"2 workers: wall min {min(times[2]):.1f} s, median {two:.1f} s",
        f"ratio 2 workers / 1 worker (median): {two / one:.2f}",
    ]


def bench_lemma() -> list[str]:
    path = ROOT / "proofs" / "minimal_circuits.cost"
    model = build_model(parse(path.read_text(), str(path)))
    lines = ["reductions of proofs/minimal_circuits.cost, CPU seconds:"]
    lines.append(f"  {'reduction':<36} {'lemma proved':>13} {'lemma cached':>13}")
    for statement in model.reductions:
        reduction._LEMMA.clear()
        start = time.process_time()
        run_reduction(model, statement, 120)
        fresh = time.process_time() - start
        start = time.process_time()
        run_reduction(model, statement, 120)
        cached = time.process_time() - start
        lines.append(f"  {statement.name.text:<36} {fresh:>12.2f}s {cached:>12.2f}s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--output", type=Path)
    options = parser.parse_args()
    lines = [f"machine: {platform.machine()}, Python {platform.python_version()}"]
    lines += bench_lemma()
    print("\n".join(lines), flush=True)
    lines += bench_sweep(options.k, options.draws, options.repeats)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if options.output is not None:
        options.output.write_text(text)


if __name__ == "__main__":
    main()
