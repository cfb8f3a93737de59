"""Cold `cost check` against the import floor, and scenario ranges as programs grow.

Run: python benchmarks/bench_check.py [--repeat N]
Prints each figure next to a baseline measured in the same run, as a ratio:

* cold `cost check proofs/speed_prior.cost` / cold `python -c "import sympy, z3, lark"`
  (target <= 1.3);
* `ranges ... in scenario` over 100, 1,000 and 10,000 programs: end-to-end `cost check`
  (parse, derive, envelope) and the envelope alone, with the growth factor per 10x.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - started


def median_pair(first: list[str], second: list[str], repeat: int) -> tuple[float, float]:
    """Interleave the two commands so machine noise hits both alike."""
    a, b = [], []
    for _ in range(repeat):
        a.append(timed(first))
        b.append(timed(second))
    return statistics.median(a), statistics.median(b)


def scenario_file(programs: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["primitive " + ", ".join(f"p{i}" for i in range(20))]
    for index in range(programs):
        stores = ", ".join(sorted({f"p{rng.randrange(20)}" for _ in range(3)}))
        runs = ", ".join(f"{rng.randint(1, 9)} * p{rng.randrange(20)}" for _ in range(2))
        lines.append(f"program P{index} {{ stores {stores}; runs {runs} }}")
    values = "; ".join(
        f"c(p{i}) = {rng.randint(1, 1000)}; t(p{i}) = {rng.randint(1, 1000)}" for i in range(20)
    )
    lines.append(f"scenario s {{ {values} }}")
    # A list continues onto the next line after a comma.
    names = [f"P{i}" for i in range(programs)]
    rows = [", ".join(names[i : i + 50]) for i in range(0, programs, 50)]
    lines.append("ranges " + ",\n  ".join(rows) + " in s")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    python = sys.executable

    floor, check = median_pair(
        [python, "-c", "import sympy, z3, lark"],
        [python, "-m", "calculus", "check", str(ESSAY)],
        options.repeat,
    )
    print(
        f"cold check of {ESSAY.name}: {check:.3f} s; import floor (sympy, z3, lark): "
        f"{floor:.3f} s; ratio {check / floor:.2f}x (target <= 1.3x)"
    )

    from fractions import Fraction

    from calculus.dominance import scenario_ranges

    previous: tuple[float, float] | None = None
    with tempfile.TemporaryDirectory() as folder:
        for programs in (100, 1_000, 10_000):
            path = Path(folder) / f"s{programs}.cost"
            path.write_text(scenario_file(programs))
            _, end_to_end = median_pair(
                [python, "-c", "pass"], [python, "-m", "calculus", "check", str(path)], 3
            )
            rng = random.Random(programs)
            lines = {
                f"P{i}": (
                    Fraction(rng.randint(1, 10**6), rng.randint(1, 100)),
                    Fraction(rng.randint(1, 10**6), rng.randint(1, 100)),
                )
                for i in range(programs)
            }
            started = time.perf_counter()
            result = scenario_ranges(lines)
            envelope = time.perf_counter() - started
            winners = sum(1 for row in result.rows if row.robust)
            growth = ""
            if previous is not None:
                growth = (
                    f"; growth per 10x: end-to-end {end_to_end / previous[0]:.1f}x, "
                    f"envelope {envelope / previous[1]:.1f}x"
                )
            print(
                f"scenario ranges, {programs:>6,} programs: cost check {end_to_end:.3f} s "
                f"(floor {floor:.3f} s, {end_to_end / floor:.1f}x); envelope alone "
                f"{envelope * 1000:.1f} ms, {winners} programs on the envelope (target <= 1 s)"
                + growth
            )
            previous = (end_to_end, envelope)


if __name__ == "__main__":
    main()
