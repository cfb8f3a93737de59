"""`cost report` against `cost check` of the same file: what a report adds to a check.

Run: python benchmarks/bench_report.py [--repeat N] [FILE]
Runs `cost check FILE`, `cost report FILE -o OUT.md` and `cost report FILE -o OUT.html`
interleaved, each in a fresh process, and prints the CPU time of each (user + system of
the child, min and median of N runs) and the ratio report / check (target <= 2x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"


def cpu_seconds(command: list[str]) -> float:
    """CPU time (user + system) of one child process running `command`."""
    before = os.times()
    subprocess.run(command, check=True, capture_output=True)
    after = os.times()
    return (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("file", nargs="?", default=str(ESSAY))
    options = parser.parse_args()
    cost = [sys.executable, "-m", "calculus"]
    with tempfile.TemporaryDirectory() as folder:
        commands = {
            "check": [*cost, "check", options.file],
            "report .md": [*cost, "report", options.file, "-o", str(Path(folder) / "r.md")],
            "report .html": [*cost, "report", options.file, "-o", str(Path(folder) / "r.html")],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.repeat):
            for name, command in commands.items():  # interleaved: noise hits all alike
                times[name].append(cpu_seconds(command))
    check = statistics.median(times["check"])
    print(f"file: {Path(options.file).name}; CPU seconds, {options.repeat} runs, interleaved")
    for name, found in times.items():
        ratio = statistics.median(found) / check
        print(
            f"  {name:<13} min {min(found):.3f}  median {statistics.median(found):.3f}"
            f"  ratio to check {ratio:.2f}x" + ("" if name == "check" else "  (target <= 2x)")
        )


if __name__ == "__main__":
    main()
