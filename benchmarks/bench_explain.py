"""Explanations of claims whose questions are non-linear: time, and whether the conditions and
repairs depend on the order of the file's claims.

Run: python benchmarks/bench_explain.py [--repeat N] [--baseline DIR] [--limit SECONDS]

Two generated files with no assumption beyond positivity, so that the signs in the
explanations are not fixed and their questions are polynomial of degree 3 or more:

* `cubic`: the 24 claims of `tests/test_nonlinear_questions.py` (sums of the costs of two
  programs, comparisons affine in g);
* `products`: 40 claims over products of up to three atoms (degrees up to 6).

For each, `cost check --format json` is run on the file forward, reversed and shuffled; it
prints the CPU time of each run (child user + system; min and median over `--repeat` for the
forward order) and whether the three gave the same verdicts, conditions and repairs.
`--baseline DIR` runs the same with another checkout's `calculus`, interleaved, each run cut
off after `--limit` seconds of wall-clock time (reported as not finished).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import runpy
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import children_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXIT_FAILED = 1  # the files have refuted claims


def cubic_file() -> str:
    sys.path.insert(0, str(ROOT / "tests"))
    tests = runpy.run_path(str(ROOT / "tests" / "test_nonlinear_questions.py"))
    return str(tests["_without_assumptions"](24))


def products_file(claims: int = 40, seed: int = 1) -> str:
    rng = random.Random(seed)
    atoms = ["c(a)", "c(b)", "c(d)", "t(a)", "t(b)", "t(d)", "c(P)", "t(Q)"]

    def term() -> str:
        factors = rng.randint(1, 3)
        if rng.random() < 0.8:
            return " * ".join(rng.sample(atoms, factors))
        return str(rng.randint(1, 9))

    def side() -> str:
        return " + ".join(term() for _ in range(rng.randint(1, 3)))

    head = cubic_file().split("claim k0")[0]
    lines = []
    for index in range(claims):
        statement = f"{side()} {rng.choice(['<', '<=', '>', '>='])} {side()}"
        if rng.random() < 0.5:
            statement = f"{side()} {rng.choice(['<', '>='])} {side()} -> {statement}"
        if rng.random() < 0.3:
            statement = f"g * {side()} + {side()} > {side()} or {statement}"
        lines.append(f"claim k{index}: {statement}")
    return head + "\n".join(lines) + "\n"


def reordered(text: str, order: str) -> str:
    head, _, claims = text.partition("claim k0")
    lines = ("claim k0" + claims).splitlines()
    if order == "reversed":
        lines = lines[::-1]
    elif order == "shuffled":
        random.Random(3).shuffle(lines)
    return head + "\n".join(lines) + "\n"


def run(path: Path, checkout: Path | None, limit: float) -> tuple[float | None, Any]:
    """CPU seconds of `cost check --format json path` and its claims by name (verdict,
    condition, repairs); (None, None) when cut off after `limit` seconds."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if checkout is not None:
        environment["PYTHONPATH"] = str(checkout)
    command = [sys.executable, "-m", "calculus", "check", "--format", "json", str(path)]
    before = children_cpu()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=environment,
            cwd=checkout or ROOT,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, None
    after = children_cpu()
    if done.returncode != EXIT_FAILED or "Traceback" in done.stderr:
        raise SystemExit(f"benchmark aborted: {command} exited {done.returncode}\n{done.stderr}")
    claims = {
        c["name"]: (c["verdict"], c.get("holds_when"), c.get("repairs"))
        for c in json.loads(done.stdout)["claims"]
    }
    return after - before, claims


def shown(seconds: list[float | None]) -> str:
    done = [s for s in seconds if s is not None]
    if not done:
        return "did not finish"
    text = f"min {min(done):.2f} s, median {statistics.median(done):.2f} s"
    if len(done) < len(seconds):
        text += f" ({len(seconds) - len(done)} of {len(seconds)} runs did not finish)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--limit", type=float, default=600.0)
    options = parser.parse_args()
    print("# load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    checkouts: list[tuple[str, Path | None]] = [("ours", None)]
    if options.baseline is not None:
        checkouts.append((f"baseline {options.baseline}", options.baseline.resolve()))
    with tempfile.TemporaryDirectory() as folder:
        for name, text in (("cubic", cubic_file()), ("products", products_file())):
            paths = {}
            for order in ("forward", "reversed", "shuffled"):
                paths[order] = Path(folder) / f"{name}-{order}.cost"
                paths[order].write_text(reordered(text, order))
            times: dict[str, list[float | None]] = {label: [] for label, _ in checkouts}
            results: dict[str, dict[str, Any]] = {label: {} for label, _ in checkouts}
            for _ in range(options.repeat):  # forward, interleaved
                for label, checkout in checkouts:
                    cpu, claims = run(paths["forward"], checkout, options.limit)
                    times[label].append(cpu)
                    results[label]["forward"] = claims
            for label, checkout in checkouts:
                others = []
                for order in ("reversed", "shuffled"):
                    cpu, claims = run(paths[order], checkout, options.limit)
                    results[label][order] = claims
                    others.append(f"{order} {'did not finish' if cpu is None else f'{cpu:.2f} s'}")
                forward = results[label]["forward"]
                if forward is None:
                    verdict = "forward did not finish"
                else:
                    explained = sum(c[1] is not None for c in forward.values())
                    differ = sorted(
                        {
                            claim
                            for order in ("reversed", "shuffled")
                            if results[label][order] is not None
                            for claim in forward
                            if results[label][order][claim] != forward[claim]
                        }
                    )
                    verdict = f"{explained} of {len(forward)} claims with a condition; " + (
                        "the same in every order that finished"
                        if not differ
                        else "differ between orders: " + ", ".join(differ)
                    )
                print(f"{name}: {label}: forward CPU {shown(times[label])}; {'; '.join(others)}")
                print(f"    {verdict}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
