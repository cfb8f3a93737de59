"""The long fuzzing run: generated and mutated inputs through the real command line.

    python benchmarks/fuzz.py [--inputs 100000] [--seed 0] [--timeout 1] [--bound 20]
                              [--seconds S]

Each input runs in a forked child (tests/fuzzing.py) with `--timeout` seconds per solver
obligation and a hard bound per input. Every failure is written to `--failures DIR` as the
input plus its output. The last line is `N inputs: T tracebacks, H hangs`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import make_input, preload, run, seed_texts  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per obligation")
    parser.add_argument("--bound", type=float, default=20.0, help="seconds per input")
    parser.add_argument("--failures", type=Path, default=Path("fuzz-failures"))
    parser.add_argument("--progress", type=int, default=1000, help="report every N inputs")
    parser.add_argument(
        "--seconds", type=float, default=float("inf"), help="stop after this long (wall clock)"
    )
    options = parser.parse_args()
    preload()
    rng = random.Random(options.seed)
    seeds = seed_texts()
    tracebacks = hangs = 0
    started = time.monotonic()
    done = 0
    for index in range(options.inputs):
        if time.monotonic() - started > options.seconds:
            break
        done += 1
        item = make_input(rng, seeds)
        outcome = run(item, options.timeout, options.bound)
        if outcome.traceback or outcome.hang:
            tracebacks += outcome.traceback
            hangs += outcome.hang
            options.failures.mkdir(parents=True, exist_ok=True)
            kind = "hang" if outcome.hang else "traceback"
            record = options.failures / f"{index:06d}-{kind}-{item.command}.txt"
            record.write_text(
                f"# command: {item.command} {' '.join(item.arguments)}\n"
                f"# exit: {outcome.exit_code}  seconds: {outcome.seconds:.1f}\n"
                f"{item.text}\n# ---- output ----\n{outcome.output}",
                encoding="utf-8",
                errors="surrogatepass",
            )
        if options.progress and (index + 1) % options.progress == 0:
            rate = (index + 1) / (time.monotonic() - started)
            print(
                f"... {index + 1} inputs: {tracebacks} tracebacks, {hangs} hangs"
                f" ({rate:.1f} inputs/s)",
                flush=True,
            )
    elapsed = time.monotonic() - started
    print(f"elapsed {elapsed:.0f} s, {done / max(elapsed, 1e-9):.2f} inputs/s")
    print(f"{done} inputs: {tracebacks} tracebacks, {hangs} hangs")
    return 0 if tracebacks == hangs == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
