"""Cold `cost check` against the import floor, and scenario ranges as programs grow.

Run: python benchmarks/bench_check.py [--repeat N]
Prints each figure next to a baseline measured in the same run, as a ratio:

* cold `cost check proofs/speed_prior.cost` / cold `python -c "import sympy, z3, lark"`
  (target <= 1.3);
* `ranges ... in scenario` over 100, 1,000 and 10,000 programs: end-to-end `cost check`
  (parse, derive, envelope) and the envelope alone, with the growth factor per 10x;
* `cost check` of 100, 1,000 and 5,000 distinct linear claims over the essay's programs
  (`--claims`): peak RSS, CPU time, CPU per claim beyond start-up, claims per second and the
  growth exponent of CPU and RSS in the number of claims.

`--baseline DIR` runs the same commands with another checkout's `calculus` (for before/after
figures) in the same run: the cold check interleaved with ours, and the `--claims` files.
Every timed command must exit as expected (0, or 1 for a file with false claims) without a
traceback; otherwise the benchmark stops with the command's error instead of a figure.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import runpy
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"
EXIT_OK, EXIT_FAILED = 0, 1


class BenchmarkFailed(SystemExit):
    """A timed command did not finish as expected: its time would measure a failure."""


def checkout_environment(checkout: Path | None = None) -> dict[str, str]:
    """The environment of a timed child: `python -m calculus` imports `checkout`'s package
    (ours by default), and bytecode caches are written on the first run, as for an installed
    tool; with PYTHONDONTWRITEBYTECODE set every start would recompile the package."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if checkout is not None:
        environment["PYTHONPATH"] = str(checkout)
    return environment


def finished_as_expected(
    command: list[str],
    returncode: int,
    stderr: str,
    expected: int = EXIT_OK,
    checkout: Path | None = None,
) -> None:
    """Abort the benchmark unless the child exited with `expected` and printed no traceback
    or internal error: a command that dies at once would otherwise look fast."""
    broken = "Traceback (most recent call last)" in stderr or "internal error" in stderr
    if returncode != expected or broken:
        raise BenchmarkFailed(
            f"benchmark aborted: `{shlex.join(command)}` exited {returncode} "
            f"(expected {expected})"
            + (f" with PYTHONPATH={checkout}" if checkout else "")
            + (":\n" + stderr[-3000:] if stderr else "")
        )


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children, to the microsecond
    (getrusage; `os.times()` counts clock ticks of 10 ms, 4 % of a cold check)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], expected: int = EXIT_OK, checkout: Path | None = None) -> float:
    """CPU seconds (user + system) of one child process running `command`, which must exit
    with `expected` (0, or 1 for a file with failing claims)."""
    before = children_cpu()
    done = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        env=checkout_environment(checkout),
        cwd=checkout or ROOT,
    )
    after = children_cpu()
    finished_as_expected(command, done.returncode, done.stderr, expected, checkout)
    return after - before


def interleaved(
    first: list[str], second: list[str], repeat: int
) -> tuple[list[float], list[float]]:
    """CPU seconds of each run of the two commands, interleaved so that machine noise hits
    both alike."""
    a, b = [], []
    for _ in range(repeat):
        a.append(timed(first))
        b.append(timed(second))
    return a, b


def median_pair(first: list[str], second: list[str], repeat: int) -> tuple[float, float]:
    a, b = interleaved(first, second, repeat)
    return statistics.median(a), statistics.median(b)


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


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


ESSAY_PROGRAMS: str = runpy.run_path(str(ROOT / "tests" / "essay_model.py"))["ESSAY_PROGRAMS"]
ESSAY_ATOMS = {
    "c": ["get_base_obj", "simplest_obj", "combine", "mesaoptimize", "is_deployed_in_world"],
    "t": [
        "get_proxy_for_base_obj",
        "find(get_proxy_for_base_obj(env))",
        "combine",
        "mesaoptimize_outer_world_env",
        "is_deployed_in_world",
    ],
}


def claims_file(claims: int, seed: int = 1) -> str:
    """`claims` distinct linear claims over the essay's programs, about half of them true."""
    rng = random.Random(seed)
    programs = ["Hfh", "Hsd", "Hfd"]
    lines = [
        ESSAY_PROGRAMS,
        "exchange linear",
        "assume base_is_complex: c(get_base_obj) > c(simplest_obj) + c(combine)",
        "assume rederiving_is_slower: "
        "t(find(get_proxy_for_base_obj(env))) >= t(get_proxy_for_base_obj)",
    ]
    seen: set[str] = set()
    while len(seen) < claims:
        kind = rng.randrange(4)
        a, b = rng.sample(programs, 2)
        k = rng.randint(0, 99)
        if kind == 0:
            on = rng.choice("ct")
            formula = f"{on}({a}) + {k} {rng.choice(['<', '<=', '>'])} {on}({b}) + {k + 1}"
        elif kind == 1:
            on = rng.choice("ct")
            atom = f"{on}({rng.choice(ESSAY_ATOMS[on])})"
            formula = f"{atom} > {k} -> {rng.randint(1, 3)} * {on}({a}) > {on}({b})"
        elif kind == 2:
            formula = f"g * c({a}) + t({a}) < g * c({b}) + t({b}) + {k}"
        else:
            formula = f"{a} beats {b}" + rng.choice(["", " on c", " on t", " for some g"])
            formula = f"{formula} or c({a}) > {k} * c({b})" if "some" not in formula else formula
        if formula not in seen:
            seen.add(formula)
            lines.append(f"claim k{len(seen)}: {formula}")
    return "\n".join(lines) + "\n"


def measured(
    python: str, arguments: list[str], checkout: Path | None = None, expected: int = EXIT_OK
) -> tuple[float, int]:
    """CPU seconds (user + system) and peak RSS in kB of one child process, which must exit
    with `expected`."""
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(r.ru_utime + r.ru_stime, r.ru_maxrss, done.returncode)\n"
    )
    done = subprocess.run(
        [python, "-c", probe, python, *arguments],
        capture_output=True,
        text=True,
        check=True,
        env=checkout_environment(checkout),
        cwd=checkout or ROOT,
    )
    cpu, rss, returncode = done.stdout.split()
    finished_as_expected([python, *arguments], int(returncode), done.stderr, expected, checkout)
    return float(cpu), int(rss)


def bench_claims(sizes: list[int], repeat: int, baseline: Path | None, baseline_limit: int) -> None:
    import math

    python = sys.executable
    trees: list[tuple[str, Path | None]] = [("ours", None)]
    if baseline is not None:
        trees.append((f"baseline {baseline}", baseline))
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for size in sizes:
            paths[size] = Path(folder) / f"claims{size}.cost"
            paths[size].write_text(claims_file(size))
        empty = Path(folder) / "claims0.cost"
        empty.write_text(claims_file(0))
        for label, tree in trees:
            floors = [measured(python, ["-m", "calculus", "check", str(empty)], tree)[0]]
            floors += [
                measured(python, ["-m", "calculus", "check", str(empty)], tree)[0]
                for _ in range(repeat - 1)
            ]
            floor = statistics.median(floors)
            print(f"{label}: start-up (model, no claims) CPU {floor:.3f} s")
            rows = []
            for size in sizes:
                if tree is not None and size > baseline_limit:
                    print(f"  {size:>5,} claims: not run (baseline limited to {baseline_limit:,})")
                    continue
                runs = [
                    measured(
                        python,
                        ["-m", "calculus", "check", str(paths[size])],
                        tree,
                        expected=EXIT_FAILED,  # about half the claims are false
                    )
                    for _ in range(repeat if size <= 1_000 else 1)
                ]
                cpus = [cpu for cpu, _ in runs]
                cpu, rss = statistics.median(cpus), max(r for _, r in runs)
                per_claim = (cpu - floor) / size
                rows.append((size, cpu, rss))
                print(
                    f"  {size:>5,} claims: CPU min {min(cpus):.2f} s, median {cpu:.2f} s "
                    f"({len(runs)} runs); {per_claim * 1000:.1f} ms per claim beyond start-up "
                    f"(target <= 5 ms); {size / (cpu - floor):.0f} claims/s; "
                    f"peak RSS {rss / 1024:.0f} MB (target <= 400 MB at 1,000)"
                )
            for (n0, c0, r0), (n1, c1, r1) in itertools.pairwise(rows):
                cpu_exponent = math.log((c1 - floor) / (c0 - floor)) / math.log(n1 / n0)
                rss_per_claim = (r1 - r0) / (n1 - n0)
                print(
                    f"  {n0:,} -> {n1:,}: CPU beyond start-up grows as claims^{cpu_exponent:.2f}; "
                    f"RSS grows {rss_per_claim:.1f} kB per claim"
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--claims", action="store_true", help="only the many-claims figures")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up row")
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--baseline", type=Path, help="another checkout to compare against")
    parser.add_argument(
        "--baseline-limit",
        type=int,
        default=1000,
        help="largest file run with the baseline (before the fix 1,000 claims took 8 GB)",
    )
    options = parser.parse_args()
    python = sys.executable
    if options.claims:
        print(f"# {load_average()}")
        sizes = [int(size) for size in options.sizes.split(",")]
        bench_claims(sizes, options.repeat, options.baseline, options.baseline_limit)
        return

    print(f"# CPU seconds (user + system of each child), {options.repeat} runs; {load_average()}")
    floor_command = [python, "-c", "import sympy, z3, lark"]
    # The check loads these modules with the cyclic collector paused (calculus.cli): the same
    # imports done the same way, for the share of the ratio that is our own code.
    paused_command = [
        python,
        "-c",
        "import gc; gc.disable(); import sympy, z3, lark; gc.freeze(); gc.enable()",
    ]
    check_command = [python, "-m", "calculus", "check", str(ESSAY)]
    trees: list[tuple[str, Path | None]] = [("cold check", None)]
    if options.baseline is not None:
        trees.append((f"cold check, baseline {options.baseline}", options.baseline))
    for _, tree in trees:  # writes the bytecode caches, and fails early if the command does
        timed(check_command, checkout=tree)
    floors: list[float] = []
    paused: list[float] = []
    checks: dict[str, list[float]] = {label: [] for label, _ in trees}
    for _ in range(options.repeat):  # interleaved, so that machine noise hits all alike
        floors.append(timed(floor_command))
        paused.append(timed(paused_command))
        for label, tree in trees:
            checks[label].append(timed(check_command, checkout=tree))
    floor = statistics.median(floors)
    print(f"import floor (sympy, z3, lark): CPU min {min(floors):.3f} s, median {floor:.3f} s")
    print(
        f"the same imports with the collector paused, as a check makes them: CPU min "
        f"{min(paused):.3f} s, median {statistics.median(paused):.3f} s "
        f"({statistics.median(paused) / floor:.2f}x the floor)"
    )
    for label, found in checks.items():
        check = statistics.median(found)
        ratios = sorted(c / f for c, f in zip(found, floors, strict=True))
        print(
            f"{label} of {ESSAY.name}: CPU min {min(found):.3f} s, median {check:.3f} s; "
            f"to the floor: ratio of medians {check / floor:.2f}x, "
            f"of mins {min(found) / min(floors):.2f}x, "
            f"per run {ratios[0]:.2f}-{ratios[-1]:.2f}x (target <= 1.3x); beyond the floor "
            f"{check - floor:.3f} s, beyond the paused imports "
            f"{check - statistics.median(paused):.3f} s"
        )
    if options.baseline is not None:
        ours, before = (checks[label] for label, _ in trees)
        print(
            f"ours / baseline: ratio of medians "
            f"{statistics.median(ours) / statistics.median(before):.2f}x, "
            f"of mins {min(ours) / min(before):.2f}x"
        )
    if options.startup_only:
        return

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
