"""The long fuzzing run: generated and mutated inputs through the real command line.

    python benchmarks/fuzz.py [--inputs 100000] [--seed 0] [--workers 1] [--timeout 0.05]
                              [--bound 20] [--seconds S] [--failures DIR]

Inputs (tests/fuzzing.py: grammar-aware generation, mutations of proofs/ and tests/cases/,
REPL scripts, `synth` and `report` arguments) run in-process through the command line's
`main` in `--workers` long-lived worker processes, `--timeout` seconds per solver
obligation. A watchdog kills and replaces a worker whose input runs past `--bound` seconds
(a hang) or that dies (a crash). Every failure is written to `--failures` as the input plus
its output. The last line is `N inputs: T tracebacks, H hangs`.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import FuzzInput, Outcome, campaign, make_input, seed_texts  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--timeout", type=float, default=0.05, help="seconds per obligation")
    parser.add_argument("--bound", type=float, default=20.0, help="seconds per input")
    parser.add_argument("--failures", type=Path, default=Path("fuzz-failures"))
    parser.add_argument("--progress", type=int, default=5000, help="report every N inputs")
    parser.add_argument(
        "--seconds", type=float, default=float("inf"), help="stop after this long (wall clock)"
    )
    options = parser.parse_args()
    # SIGTERM: start no new input, finish the ones running, print the counts so far
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    rng = random.Random(options.seed)
    seeds = seed_texts()
    counts: Counter[str] = Counter()
    slowest: list[tuple[float, int, str]] = []
    started = time.monotonic()

    def inputs() -> Iterator[FuzzInput]:
        for _ in range(options.inputs):
            yield make_input(rng, seeds)

    def report(index: int, item: FuzzInput, outcome: Outcome) -> None:
        counts["inputs"] += 1
        counts[item.command] += 1
        counts[f"exit {outcome.exit_code}"] += 1
        slowest.append((outcome.seconds, index, item.command))
        slowest.sort(reverse=True)
        del slowest[5:]
        if outcome.traceback or outcome.hang:
            kind = "hang" if outcome.hang else "traceback"
            counts[kind + "s"] += 1
            options.failures.mkdir(parents=True, exist_ok=True)
            record = options.failures / f"{options.seed}-{index:06d}-{kind}-{item.command}.txt"
            record.write_text(
                f"# command: {item.command} {' '.join(item.arguments)}\n"
                f"# exit: {outcome.exit_code}  seconds: {outcome.seconds:.1f}\n"
                f"{item.text}\n# ---- output ----\n{outcome.output}",
                encoding="utf-8",
                errors="surrogatepass",
            )
        if options.progress and counts["inputs"] % options.progress == 0:
            rate = counts["inputs"] / (time.monotonic() - started)
            print(
                f"... {counts['inputs']} inputs: {counts['tracebacks']} tracebacks, "
                f"{counts['hangs']} hangs ({rate:.1f} inputs/s)",
                flush=True,
            )

    campaign(
        inputs(),
        report,
        workers=options.workers,
        timeout=options.timeout,
        bound=options.bound,
        stop=lambda: bool(stopping) or time.monotonic() - started > options.seconds,
    )
    elapsed = time.monotonic() - started
    done = counts["inputs"]
    kinds = ", ".join(f"{counts[k]} {k}" for k in ("check", "repl", "synth", "report"))
    exits = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()) if k.startswith("exit"))
    print(f"commands: {kinds}; {exits}")
    print("slowest: " + ", ".join(f"#{i} {c} {s:.1f} s" for s, i, c in slowest))
    print(f"elapsed {elapsed:.0f} s, {done / max(elapsed, 1e-9):.1f} inputs/s")
    print(f"{done} inputs: {counts['tracebacks']} tracebacks, {counts['hangs']} hangs")
    return 0 if counts["tracebacks"] == counts["hangs"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
