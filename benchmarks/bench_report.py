"""`cost report` against `cost check` of the same file: what a report adds to a check.

Run: python benchmarks/bench_report.py [--repeat N] [--baseline DIR] [FILE]
Runs `cost check FILE`, `cost report FILE -o OUT.md` and `cost report FILE -o OUT.html`
interleaved, each in a fresh process, and prints the CPU time of each (user + system of
the child, min and median of N runs) and the ratio report / check (target <= 2x).
`--baseline DIR` runs the same three commands with another checkout's `calculus`,
interleaved with ours, for before/after figures. Every timed command must exit as expected
(a check: 0, or 1 when a claim fails; a report: 0) and a report must write its file;
otherwise the benchmark stops with the command's error instead of a figure.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import children_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"


def cpu_seconds(
    command: list[str], expected: int, checkout: Path | None, output: Path | None = None
) -> float:
    """CPU time (user + system) of one child process running `command`, which must exit with
    `expected`, print no traceback and (for a report) write `output`."""
    if output is not None:
        output.unlink(missing_ok=True)
    # Bytecode caches are written on the first run, as for an installed tool.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if checkout is not None:
        environment["PYTHONPATH"] = str(checkout)
    before = children_cpu()
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, env=environment, cwd=checkout
    )
    after = children_cpu()
    broken = "Traceback (most recent call last)" in done.stderr or "internal error" in done.stderr
    missing = output is not None and not (output.exists() and output.stat().st_size)
    if done.returncode != expected or broken or missing:
        raise SystemExit(
            f"benchmark aborted: `{shlex.join(command)}` exited {done.returncode} "
            f"(expected {expected})"
            + (f", wrote no {output}" if missing else "")
            + ":\n"
            + done.stderr[-3000:]
        )
    return after - before


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare against")
    parser.add_argument("file", nargs="?", default=str(ESSAY))
    options = parser.parse_args()
    file = str(Path(options.file).resolve())
    cost = [sys.executable, "-m", "calculus"]
    trees: list[tuple[str, Path | None]] = [("", None)]
    if options.baseline is not None:
        trees.append((" (baseline)", options.baseline.resolve()))
    with tempfile.TemporaryDirectory() as folder:
        # The check's own exit status is what a check of this file must return each time.
        expected_check = subprocess.run(
            [*cost, "check", file], capture_output=True, check=False
        ).returncode
        runs: dict[str, tuple[list[str], int, Path | None, Path | None]] = {}
        for suffix, tree in trees:
            md, html = Path(folder) / f"r{len(runs)}.md", Path(folder) / f"r{len(runs)}.html"
            runs[f"check{suffix}"] = ([*cost, "check", file], expected_check, tree, None)
            runs[f"report .md{suffix}"] = ([*cost, "report", file, "-o", str(md)], 0, tree, md)
            runs[f"report .html{suffix}"] = (
                [*cost, "report", file, "-o", str(html)],
                0,
                tree,
                html,
            )
        for run in runs.values():  # writes the bytecode caches; fails early if a command does
            cpu_seconds(*run)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(options.repeat):
            for name, run in runs.items():  # interleaved: noise hits all alike
                times[name].append(cpu_seconds(*run))
    print(
        f"file: {Path(file).name}; CPU seconds, {options.repeat} runs, interleaved; "
        f"{load_average()}"
    )
    for suffix, _ in trees:
        check = statistics.median(times[f"check{suffix}"])
        for name in (f"check{suffix}", f"report .md{suffix}", f"report .html{suffix}"):
            found = times[name]
            ratio = statistics.median(found) / check
            print(
                f"  {name:<24} min {min(found):.3f}  median {statistics.median(found):.3f}"
                f"  ratio to check {ratio:.2f}x"
                + ("" if name.startswith("check") else "  (target <= 2x)")
            )
    if options.baseline is not None:
        for name in ("check", "report .md", "report .html"):
            ours, before = times[name], times[f"{name} (baseline)"]
            print(
                f"  {name:<13} ours / baseline: ratio of medians "
                f"{statistics.median(ours) / statistics.median(before):.2f}x, "
                f"of mins {min(ours) / min(before):.2f}x"
            )


if __name__ == "__main__":
    main()
