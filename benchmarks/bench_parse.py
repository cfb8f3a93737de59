"""Parse time, source text to nodes (diagnostics included), against a baseline checkout.

Run: python benchmarks/bench_parse.py --baseline DIR [--repeat N]

DIR is another checkout of the repository (e.g. `git worktree add /tmp/parse-base <commit>`).
Each figure is CPU time, the two sides interleaved, min and median of N runs, with the ratio
baseline / ours:

* warm: `parse` of the essay (proofs/speed_prior.cost) and of generated files of 500 and
  5,000 programs (`bench_check.scenario_file`), in one long-lived process per side;
* cold: a fresh `python -c 'from calculus.syntax import parse; parse(essay)'` per run.

`--differential N` instead compares the two parsers input by input: this checkout's `parse`
against DIR's `calculus/syntax.py` (loaded beside it, sharing `calculus.nodes`), on every
.cost file under proofs/ and tests/, edge cases (line endings, blanks, every grammar word in
every position, nesting around the bounds) and N inputs of `tests/fuzzing.py` (`make_input`:
generated and mutated files, broken ones included). Nodes must be equal with their spans,
diagnostics equal in code, message, position and hint.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import load_average, scenario_file  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

# A worker parses the file it is sent COUNT times and answers with the CPU seconds per parse.
WORKER = """
import json, sys, time
from calculus.syntax import parse
for line in sys.stdin:
    count, path = line.rstrip("\\n").split(" ", 1)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    started = time.process_time()
    for _ in range(int(count)):
        parse(text, path)
    print(json.dumps((time.process_time() - started) / int(count)), flush=True)
"""


def timed(command: list[str], checkout: Path) -> float:
    """CPU seconds (user + system) of one child process run in `checkout` (whose `calculus`
    comes first on the path), to the microsecond."""
    environment = dict(os.environ, PYTHONPATH=str(checkout))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True, cwd=checkout, env=environment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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

    def parse(self, path: Path, count: int) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{count} {path}\n")
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


def spanned(value: Any) -> Any:
    """A node as nested tuples with every field, spans included (equality ignores spans)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(
            (field.name, spanned(getattr(value, field.name))) for field in dataclasses.fields(value)
        )
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *(spanned(item) for item in value))
    return (type(value).__name__, value)


def outcome(parse: Callable[[str, str], Any], text: str) -> tuple[Any, ...]:
    from calculus.diagnostics import InputError

    try:
        return ("nodes", spanned(parse(text, "input.cost")))
    except InputError as error:
        return ("diagnostics", repr(error.diagnostics))


def edge_cases(seeds: list[str], keywords: tuple[str, ...]) -> list[str]:
    texts = []
    base = "primitive a, b\nprogram P { stores a; runs 2 * b }\n"
    for k in (5, 60, 98, 99, 100, 101, 150, 190, 199, 200, 201, 210, 400, 600):
        texts.append(base + "claim " + " + ".join(["c(a)"] * k) + " > 0\n")
        texts.append(base + "claim " + "not " * k + "c(a) > 0\n")
        texts.append(base + "claim " + "- " * k + "c(a) > 0\n")
        texts.append(base + "claim " + "(" * k + "c(a)" + ")" * k + " > 0\n")
        texts.append(base + "claim c(a) > 2" + "^2" * k + "\n")
        texts.append("task t {\n inputs x, y\n outputs o\n intended o = " + "not " * k + "x\n}\n")
    for text in seeds:
        texts.append(text.replace("\n", "\r\n"))
        texts.append(text.replace("\n", "\r"))
        texts.append(text.replace(" ", "\t"))
        texts.append(text.replace(" ", " \f"))
        texts.append(text.rstrip("\n") + "   ")
        texts.append(text + "# a comment at the end")
        texts.append(text.replace("(", "( ").replace(")", " )"))
        texts.append(text.replace(" ", ""))
        texts.append(text.replace("\n", " \n"))
        texts.append(text.replace("1", "\u0661"))
    for word in keywords:
        texts.append(
            f"primitive {word}\nprogram {word} {{ stores {word} }}\n"
            f"claim {word}: c({word}) > {word}\n"
        )
        texts.append(f"primitive a\nclaim c(a) > 0 for some {word}\nparameter {word}\n")
        texts.append(f"{word} {word}\n")
    return texts


def differential(baseline_root: Path, count: int, seed: int) -> int:
    import fuzzing

    from calculus import syntax

    spec = importlib.util.spec_from_file_location(
        "baseline_syntax", baseline_root / "calculus" / "syntax.py"
    )
    assert spec is not None and spec.loader is not None
    baseline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(baseline)
    files = sorted((ROOT / "proofs").rglob("*.cost")) + sorted((ROOT / "tests").rglob("*.cost"))
    seeds = fuzzing.seed_texts()
    rng = random.Random(seed)
    generated: list[str] = []
    while len(generated) < count:
        item = fuzzing.make_input(rng, seeds)
        if item.text:
            generated.append(item.text)
    groups = {
        f"{len(files)} .cost files under proofs/ and tests/": [
            path.read_text(encoding="utf-8", errors="surrogateescape") for path in files
        ],
        "edge cases": edge_cases(seeds, syntax.KEYWORDS),
        f"tests/fuzzing.py make_input, seed {seed}": generated,
    }
    total = differences = 0
    for label, texts in groups.items():
        found = parsed = 0
        for text in texts:
            ours, theirs = outcome(syntax.parse, text), outcome(baseline.parse, text)
            parsed += theirs[0] == "nodes"
            if ours != theirs:
                found += 1
                if found <= 3:
                    print(f"DIFFERENCE ({label}): {text[:200]!r}\n  ours {str(ours)[:400]}")
                    print(f"  baseline {str(theirs)[:400]}")
        print(
            f"{label}: {len(texts)} inputs ({parsed} parse, {len(texts) - parsed} diagnostics): "
            f"{found} differences"
        )
        total += len(texts)
        differences += found
    print(f"{total} inputs: {differences} differences")
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="another checkout")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--differential", type=int, metavar="N", help="compare outputs instead")
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    baseline_root = options.baseline.resolve()
    if options.differential is not None:
        sys.exit(1 if differential(baseline_root, options.differential, options.seed) else 0)
    print(load_average())
    with tempfile.TemporaryDirectory() as directory:
        # Each sample is the mean of a few parses, so that a short one is not all noise.
        files = {"essay": (ESSAY, 20)}
        for programs, count in ((500, 4), (5000, 1)):
            path = Path(directory) / f"programs{programs}.cost"
            path.write_text(scenario_file(programs), encoding="utf-8")
            files[f"{programs:,} programs"] = (path, count)
        ours_worker, base_worker = Worker(ROOT), Worker(baseline_root)
        try:
            for label, (path, count) in files.items():
                ours_worker.parse(path, 1)  # the first parse builds the tables: see cold
                base_worker.parse(path, 1)
                ours, base = [], []
                for _ in range(options.repeat):
                    ours.append(ours_worker.parse(path, count))
                    base.append(base_worker.parse(path, count))
                print(f"warm parse, {label:>15}: {summary(ours, base)}")
        finally:
            ours_worker.close()
            base_worker.close()
    code = (
        "import calculus.syntax, os; assert calculus.syntax.__file__.startswith(os.getcwd()); "
        f"calculus.syntax.parse(open({str(ESSAY)!r}).read())"
    )
    ours, base = [], []
    for _ in range(options.repeat):
        ours.append(timed([sys.executable, "-c", code], ROOT))
        base.append(timed([sys.executable, "-c", code], baseline_root))
    print(f"cold import + parse, essay: {summary(ours, base)}")
    floor = [timed([sys.executable, "-c", "import lark"], ROOT) for _ in range(options.repeat)]
    print(f"  (cold `python -c 'import lark'`: min {min(floor) * 1000:.1f} ms)")
    print(load_average())


if __name__ == "__main__":
    main()
