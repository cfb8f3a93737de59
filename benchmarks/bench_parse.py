"""Parse time, source text to nodes (diagnostics included), against a baseline checkout.

Run: python benchmarks/bench_parse.py --baseline DIR [--repeat N]

DIR is another checkout of the repository (e.g. `git worktree add /tmp/parse-base <commit>`).
Each figure is CPU time, the two sides interleaved, min and median of N runs, with the ratio
baseline / ours:

* warm: `parse` of the essay (proofs/speed_prior.cost) and of generated files of 500 and
  5,000 programs (`bench_check.scenario_file`), in one long-lived process per side;
* cold: a fresh `python -c 'from calculus.syntax import parse; parse(essay)'` per run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import load_average, scenario_file, timed  # noqa: E402

# A worker parses the file it is sent and answers with the CPU seconds the parse took.
WORKER = """
import json, sys, time
from calculus.syntax import parse
for line in sys.stdin:
    path = line.strip()
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    started = time.process_time()
    parse(text, path)
    print(json.dumps(time.process_time() - started), flush=True)
"""


class Worker:
    def __init__(self, checkout: Path):
        environment = dict(os.environ, PYTHONPATH=str(checkout))
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=checkout,
            env=environment,
        )

    def parse(self, path: Path) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        return float(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def summary(ours: list[float], baseline: list[float]) -> str:
    return (
        f"ours min {min(ours) * 1000:8.1f} ms, median {statistics.median(ours) * 1000:8.1f} ms; "
        f"baseline min {min(baseline) * 1000:8.1f} ms, median "
        f"{statistics.median(baseline) * 1000:8.1f} ms; "
        f"ratio (baseline / ours) min {min(baseline) / min(ours):.2f}x, "
        f"median {statistics.median(baseline) / statistics.median(ours):.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    baseline_root = options.baseline.resolve()
    print(load_average())
    with tempfile.TemporaryDirectory() as directory:
        files = {"essay": ESSAY}
        for programs in (500, 5000):
            path = Path(directory) / f"programs{programs}.cost"
            path.write_text(scenario_file(programs), encoding="utf-8")
            files[f"{programs:,} programs"] = path
        ours_worker, base_worker = Worker(ROOT), Worker(baseline_root)
        try:
            for label, path in files.items():
                ours_worker.parse(path)  # the first parse builds the tables: see cold
                base_worker.parse(path)
                ours, base = [], []
                for _ in range(options.repeat):
                    ours.append(ours_worker.parse(path))
                    base.append(base_worker.parse(path))
                print(f"warm parse, {label:>15}: {summary(ours, base)}")
        finally:
            ours_worker.close()
            base_worker.close()
    code = f"from calculus.syntax import parse; parse(open({str(ESSAY)!r}).read())"
    ours, base = [], []
    for _ in range(options.repeat):
        ours.append(timed(["env", f"PYTHONPATH={ROOT}", sys.executable, "-c", code]))
        base.append(timed(["env", f"PYTHONPATH={baseline_root}", sys.executable, "-c", code]))
    print(f"cold import + parse, essay: {summary(ours, base)}")
    floor = [timed([sys.executable, "-c", "import lark"]) for _ in range(options.repeat)]
    print(f"  (cold `python -c 'import lark'`: min {min(floor) * 1000:.1f} ms)")
    print(load_average())


if __name__ == "__main__":
    main()
