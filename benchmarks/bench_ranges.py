"""Dominance ranges against QEPCAD B and cvc5's get-qe, side by side, and scenario envelopes.

Run: python benchmarks/bench_ranges.py [--repeat 5] [--growth [--quick]]
                                       [--output benchmarks/results/ranges.txt]

* Peers (default): the essay's model under its linear assumptions and under a non-linear
  assumption (10*t(find(...)) >= c(get_base_obj)^2), robust and possible ranges of every
  program, by ours (`symbolic_ranges`: the linear elimination, or projection onto g with z3
  and QEPCAD B for the questions z3 cannot settle), by cvc5's get-qe and by QEPCAD B on the
  same questions, and by z3's qe2 tactic. Interleaved runs, CPU time of the process and its
  children, min and median of --repeat runs; the intervals must be identical (asserted)
  wherever a peer answers. cvc5 runs in-process on the linear model and in a child process
  with a time limit on the non-linear one (where it may not finish).

* With --growth: symbolic ranges (robust and possible, every program) computed by `calculus.dominance` and
  by QEPCAD B on the same problems: the essay's three programs under linear assumptions,
  under positivity only and under a non-linear assumption; then 10, 20 and 50 programs with
  shared atoms. Where both answer, the intervals must be identical (asserted). Printed: wall
  and CPU time of each (QEPCAD's CPU is its child processes'), the ratio ours/QEPCAD (target
  <= 0.1 on the essay model) and how our time grows with the number of programs.
* Scenario ranges (lower envelope) for 100, 1,000 and 10,000 programs (target <= 1 s at
  10,000), the smaller two checked against a brute-force scan of g.

The QEPCAD side gets the same problem reduced
by `calculus.dominance.qepcad.problem` (fewer variables, pairwise robust questions), which only helps
it: the unreduced essay formula takes QEPCAD tens of seconds for a single question.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import sympy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import children_cpu  # noqa: E402

from calculus.dominance import (  # noqa: E402
    RangesResult,
    format_intervals,
    qepcad,
    scenario_ranges,
    symbolic_ranges,
)

Costs = dict[str, tuple[sympy.Expr, sympy.Expr]]


def c(name: str) -> sympy.Symbol:
    return sympy.Symbol(f"c({name})", real=True)


def t(name: str) -> sympy.Symbol:
    return sympy.Symbol(f"t({name})", real=True)


FIND = "find(get_proxy_for_base_obj(env))"


def essay() -> Costs:
    return {
        "Hfh": (
            c("get_base_obj") + c("mesaoptimize") + c("useful_knowledge"),
            t("get_proxy_for_base_obj") + t("mesaoptimize_env"),
        ),
        "Hsd": (
            c("simplest_obj") + c("combine") + c("mesaoptimize") + c("useful_knowledge"),
            t("combine") + t(FIND) + t("mesaoptimize_env") + t("mesaoptimize_outer_world_env"),
        ),
        "Hfd": (
            c("get_base_obj")
            + c("simplest_obj")
            + c("is_deployed_in_world")
            + c("mesaoptimize")
            + c("useful_knowledge"),
            t("is_deployed_in_world") + t("get_proxy_for_base_obj") + t("mesaoptimize_env"),
        ),
    }


ESSAY_LINEAR = [
    c("get_base_obj") > c("simplest_obj") + c("combine"),
    c("get_base_obj") <= 100,
    c("simplest_obj") + c("combine") >= 20,
    t(FIND) >= 1000,
    t("get_proxy_for_base_obj") <= 10,
]
# Rederiving the proxy takes time quadratic in what storing it would cost.
ESSAY_NONLINEAR = [a for a in ESSAY_LINEAR if a != (t(FIND) >= 1000)] + [
    10 * t(FIND) >= c("get_base_obj") ** 2
]


def shared_family(n: int) -> tuple[Costs, list[sympy.Basic]]:
    """n programs trading description length against run time through shared atoms:
    P_i stores a common core and n-i units and runs the core and i^2 steps."""
    costs: Costs = {}
    for i in range(1, n + 1):
        costs[f"P{i}"] = (
            c("core") + (n - i) * c("unit"),
            t("core") + i * i * t("step"),
        )
    assumptions = [c("unit") >= 1, c("unit") <= 2, t("step") >= 3, t("step") <= 5]
    return costs, assumptions


def helper_family(n: int, helpers: int = 3) -> tuple[Costs, list[sympy.Basic]]:
    """As `shared_family`, each program also storing one of a few bounded helpers."""
    costs, assumptions = shared_family(n)
    costs = {
        name: (cost + c(f"helper{i % helpers}"), time_)
        for i, (name, (cost, time_)) in enumerate(costs.items(), start=1)
    }
    return costs, assumptions + [c(f"helper{k}") <= 1 for k in range(helpers)]


def positive_bounds(costs: Costs) -> dict[sympy.Symbol, str]:
    return {s: "positive" for pair in costs.values() for e in pair for s in e.free_symbols}


# ---------------------------------------------------------------------------


def measure(run: Callable[[], RangesResult], repeat: int) -> tuple[RangesResult, float, float]:
    """Median wall and CPU seconds (own process and children) over `repeat` runs."""
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu, child = time.perf_counter(), time.process_time(), children_cpu()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu + children_cpu() - child)
    assert result is not None
    return result, statistics.median(walls), statistics.median(cpus)


def table(result: RangesResult) -> dict[str, tuple[str, str]]:
    return {
        row.program: (format_intervals(row.robust), format_intervals(row.possible))
        for row in result.rows
    }


def same(ours: RangesResult, peer: RangesResult) -> str:
    if ours.status == "exact" and peer.status == "exact":
        assert table(ours) == table(peer), (table(ours), table(peer))
        for mine, theirs in zip(ours.rows, peer.rows, strict=True):
            assert (mine.robust, mine.possible) == (theirs.robust, theirs.possible)
        return "identical"
    if ours.status == peer.status == "unknown" and "irrational" in (ours.reason or ""):
        ours_root = (ours.reason or "").split("root of ")[1].split(" near")[0]
        assert ours_root in (peer.reason or ""), (ours.reason, peer.reason)
        return f"both: irrational end, root of {ours_root}"
    if peer.status != "exact":
        return "QEPCAD: " + (peer.reason or "")[:70]
    raise AssertionError(f"ours unknown where QEPCAD answered: {ours.reason}")


def symbolic_section(out: Callable[[str], None], quick: bool) -> None:
    out("Symbolic ranges (robust + possible for every program), ours vs QEPCAD B")
    out(
        f"{'problem':<34} {'ours wall':>10} {'ours cpu':>9} {'QEPCAD wall':>12} {'QEPCAD cpu':>11} "
        f"{'ratio wall':>10} {'ratio cpu':>9}  agreement"
    )
    cases: list[tuple[str, Costs, list[sympy.Basic], float]] = [
        ("essay, linear assumptions", essay(), ESSAY_LINEAR, 300),
        ("essay, positivity only", essay(), [], 300),
        ("essay, non-linear assumption", essay(), ESSAY_NONLINEAR, 300),
    ]
    sizes = [10, 20] if quick else [10, 20, 50]
    for n in sizes:
        costs, assumptions = shared_family(n)
        cases.append((f"{n} programs, shared atoms", costs, assumptions, 600))
    costs, assumptions = helper_family(5)
    cases.append(("5 programs, shared + bounded helpers", costs, assumptions, 60 if quick else 120))
    ours_times: dict[int, float] = {}
    for title, costs, assumptions, peer_timeout in cases:
        bounds = positive_bounds(costs)
        if "non-linear" not in title:  # the linear engine: warm its caches and imports first
            symbolic_ranges(costs, assumptions, bounds, timeout=600)
        repeat = 5 if len(costs) <= 20 else 3
        ours, ours_wall, ours_cpu = measure(
            lambda costs=costs, assumptions=assumptions, bounds=bounds: symbolic_ranges(
                costs, assumptions, bounds, timeout=600
            ),
            1 if "non-linear" in title else repeat,
        )
        peer, peer_wall, peer_cpu = measure(
            lambda costs=costs, assumptions=assumptions, bounds=bounds, limit=peer_timeout: (
                symbolic_ranges(costs, assumptions, bounds, timeout=limit, backend="qepcad")
            ),
            1,
        )
        verdict = same(ours, peer)
        answered = peer.status == "exact" or verdict.startswith("both")
        ratio_wall = f"{ours_wall / peer_wall:.3f}" if answered else "-"
        ratio_cpu = f"{ours_cpu / peer_cpu:.3f}" if answered and peer_cpu > 0 else "-"
        out(
            f"{title:<34} {ours_wall:>9.3f}s {ours_cpu:>8.3f}s {peer_wall:>11.2f}s {peer_cpu:>10.2f}s "
            f"{ratio_wall:>10} {ratio_cpu:>9}  {verdict}"
        )
        if title.startswith("essay"):
            if ours.status != "exact":
                out(f"    unknown: {ours.reason}")
            for program, (robust, possible) in (
                table(ours).items() if ours.status == "exact" else ()
            ):
                out(f"    {program}: robust {robust}, possible {possible}")
        if "shared atoms" in title:
            ours_times[len(costs)] = ours_cpu
    out("")
    out("Growth of our time with the number of programs (shared atoms, CPU seconds):")
    sizes_done = sorted(ours_times)
    for n in sizes_done:
        out(f"  {n:>3} programs: {ours_times[n]:.3f}s")
    for small, large in zip(sizes_done, sizes_done[1:], strict=False):
        exponent = _log(ours_times[large] / ours_times[small]) / _log(large / small)
        out(
            f"  {small} -> {large}: time x{ours_times[large] / ours_times[small]:.1f}, "
            f"about n^{exponent:.1f}"
        )
    big = [] if quick else [50]
    for n in big:
        costs, assumptions = helper_family(n)
        bounds = positive_bounds(costs)
        result, wall, cpu = measure(
            lambda costs=costs, assumptions=assumptions, bounds=bounds: symbolic_ranges(
                costs, assumptions, bounds, timeout=600
            ),
            1,
        )
        out(
            f"  {n} programs with bounded helpers (QEPCAD fails at 5): {wall:.2f}s wall, "
            f"{cpu:.2f}s cpu, {result.status}"
        )


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + children_cpu()


def peers_section(out: Callable[[str], None], repeat: int, only: str | None = None) -> None:
    from calculus.dominance import getqe

    out(
        f"Symbolic ranges, ours vs peers: CPU seconds (process + children), min / median of "
        f"{repeat} interleaved runs"
    )
    costs = essay()
    bounds = positive_bounds(costs)
    problems = [("essay, linear", ESSAY_LINEAR), ("essay, non-linear assumption", ESSAY_NONLINEAR)]
    if only is not None:
        problems = [
            (title, a) for title, a in problems if ("non-linear" in title) == (only == "nonlinear")
        ]
    for title, assumptions in problems:
        linear = "non-linear" not in title
        contenders: dict[str, Callable[[], RangesResult]] = {
            "ours": lambda a=assumptions: symbolic_ranges(costs, a, bounds, timeout=600),
            "QEPCAD B": lambda a=assumptions: symbolic_ranges(
                costs, a, bounds, timeout=600, backend="qepcad"
            ),
        }
        if getqe.available():

            def cvc5_run(a: list[sympy.Basic] = assumptions, here: bool = linear) -> RangesResult:
                from calculus.dominance import assemble

                try:
                    found = getqe.findings(costs, a, bounds, timeout=30, isolate=not here)
                except Exception as error:  # noqa: BLE001 - reported as the peer's answer
                    return RangesResult(tuple(costs), None, (), "unknown", str(error))
                return assemble(tuple(costs), found)

            contenders["cvc5 get-qe"] = cvc5_run
        contenders["z3 qe2"] = lambda a=assumptions: symbolic_ranges(
            costs, a, bounds, timeout=30, backend="z3"
        )
        symbolic_ranges(costs, assumptions, bounds, timeout=600)  # warm imports and caches
        times: dict[str, list[float]] = {name: [] for name in contenders}
        answers: dict[str, RangesResult] = {}
        gave_up: set[str] = set()
        for _ in range(repeat):
            for name, run in contenders.items():
                if name in gave_up:
                    continue
                before = cpu_now()
                answers[name] = run()
                times[name].append(cpu_now() - before)
                if answers[name].status != "exact":
                    gave_up.add(name)  # a peer that does not answer is not timed again
        ours = answers["ours"]
        assert ours.status == "exact", ours.reason
        out(f"{title}:")
        for program, (robust, possible) in table(ours).items():
            out(f"    {program}: robust {robust}, possible {possible}")
        fastest_peer = min(
            (statistics.median(times[n]) for n in contenders if n not in gave_up and n != "ours"),
            default=None,
        )
        for name in contenders:
            answer = answers[name]
            if name in gave_up:
                out(
                    f"  {name:<12} no answer ({(answer.reason or '')[:90]}) after {times[name][0]:.2f}s"
                )
                continue
            if name != "ours":
                assert table(answer) == table(ours), (name, table(answer), table(ours))
                for mine, theirs in zip(ours.rows, answer.rows, strict=True):
                    assert (mine.robust, mine.possible) == (theirs.robust, theirs.possible)
            low, middle = min(times[name]), statistics.median(times[name])
            ratio = (
                ""
                if name == "ours"
                else f"  ours/{name} = {statistics.median(times['ours']) / middle:.3f}"
            )
            same = "" if name == "ours" else "  same intervals"
            out(f"  {name:<12} min {low:8.3f}s  median {middle:8.3f}s{ratio}{same}")
        if fastest_peer is not None:
            out(
                f"  ours / fastest answering peer (medians): "
                f"{statistics.median(times['ours']) / fastest_peer:.3f}"
            )
    out("")


def _log(value: float) -> float:
    import math

    return math.log(value)


# ---------------------------------------------------------------------------


def envelope_lines(n: int, seed: int) -> dict[str, tuple[Fraction, Fraction]]:
    """Lines that all reach the envelope: slopes n-i, intercepts i^2/2 plus a little noise."""
    generator = random.Random(seed)
    return {
        f"P{i}": (Fraction(n - i), Fraction(i * i, 2) + Fraction(generator.randint(0, 999), 4000))
        for i in range(n)
    }


def random_lines(n: int, seed: int) -> dict[str, tuple[Fraction, Fraction]]:
    generator = random.Random(seed)
    return {
        f"P{i}": (
            Fraction(generator.randint(1, 10**6), generator.randint(1, 999)),
            Fraction(generator.randint(1, 10**6), generator.randint(1, 999)),
        )
        for i in range(n)
    }


def brute_force_check(
    lines: dict[str, tuple[Fraction, Fraction]], result: RangesResult, probes: int
) -> None:
    """At every breakpoint of the result, between them and at random g: the program with the
    strictly lowest score is exactly the one whose range holds g."""
    ends = sorted(
        {iv.lo for row in result.rows for iv in row.robust}
        | {iv.hi for row in result.rows for iv in row.robust if iv.hi is not None}
    )
    points = set(ends)
    for left, right in zip(ends, ends[1:], strict=False):
        points.add((left + right) / 2)
    if ends:
        points.add(ends[-1] + 1)
        points.add(ends[0] / 2 if ends[0] > 0 else Fraction(1, 10**9))
    generator = random.Random(1)
    points.update(
        Fraction(generator.randint(1, 10**9), generator.randint(1, 10**6)) for _ in range(probes)
    )
    owner = {}
    for row in result.rows:
        for interval in row.robust:
            owner[row.program] = interval
    for g in sorted(points):
        if g <= 0:
            continue
        scores = sorted((g * cost + time_, name) for name, (cost, time_) in lines.items())
        winner = None if len(scores) > 1 and scores[0][0] == scores[1][0] else scores[0][1]
        holders = [name for name, interval in owner.items() if g in interval]
        assert holders == ([winner] if winner else []), (g, holders, winner)


def scenario_section(out: Callable[[str], None]) -> None:
    out("Scenario ranges (lower envelope, exact rationals), median of 5 runs")
    out(f"{'lines':<20} {'programs':>9} {'wall':>9} {'cpu':>9} {'winners':>8}  check")
    for kind, make in (("random", random_lines), ("all on the envelope", envelope_lines)):
        for n in (100, 1_000, 10_000):
            lines = make(n, n)
            result, wall, cpu = measure(lambda lines=lines: scenario_ranges(lines), 5)
            winners = sum(1 for row in result.rows if row.robust)
            if n <= 1_000:
                brute_force_check(lines, result, probes=200 if n == 100 else 50)
                check = "brute force at and between every breakpoint: identical"
            else:
                check = "target <= 1 s: " + ("met" if wall <= 1.0 else "MISSED")
            out(f"{kind:<20} {n:>9} {wall:>8.4f}s {cpu:>8.4f}s {winners:>8}  {check}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 50-program cases")
    parser.add_argument("--repeat", type=int, default=5, help="runs per contender (peers)")
    parser.add_argument(
        "--growth", action="store_true", help="also the QEPCAD table and growth with programs"
    )
    parser.add_argument(
        "--only", choices=["linear", "nonlinear"], help="one of the two peer problems"
    )
    parser.add_argument("--no-scenarios", action="store_true", help="skip the envelope section")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "ranges.txt"
    )
    arguments = parser.parse_args()
    if not qepcad.available():
        sys.exit("QEPCAD B is not installed (apt-get install qepcad)")
    lines: list[str] = []

    def out(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    out(
        f"bench_ranges.py  {time.strftime('%Y-%m-%d %H:%M')}  python {sys.version.split()[0]}, "
        f"sympy {sympy.__version__}, QEPCAD B"
    )
    out("")
    peers_section(out, arguments.repeat, arguments.only)
    if arguments.growth:
        symbolic_section(out, arguments.quick)
        out("")
    if not arguments.no_scenarios:
        scenario_section(out)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
