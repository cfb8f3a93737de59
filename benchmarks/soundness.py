"""The soundness net at scale: generated linear-family claims against an exact oracle.

    python benchmarks/soundness.py [--claims 10000] [--seed 0] [--timeout 5]

Claims (divisions, guards, assumptions about g, `for some g`, programs with explicit
formulas and `extends` chains, `beats`) are generated and decided by `cost`'s own pipeline,
eight to a file; tests/oracle.py, written apart from calculus/logic, judges every verdict:
a `proved` is attacked by brute force over a small rational grid and by z3 in the oracle's
own encoding (a point found is re-checked with Fractions), a `refuted` counterexample is
re-evaluated with Fractions. The last line is `N claims: W wrong proved, R wrong refuted,
U unknown`; every wrong verdict is printed with its file.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from oracle import Generate, judge, source  # noqa: E402

from calculus.check import check_source  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per obligation")
    parser.add_argument("--per-file", type=int, default=8)
    parser.add_argument("--progress", type=int, default=1000)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    counts = {"claims": 0, "wrong proved": 0, "wrong refuted": 0, "unknown": 0}
    counts["internal errors"] = 0  # files whose check raised
    verdicts = {"proved": 0, "refuted": 0, "unknown": 0}
    started = time.monotonic()
    next_report = options.progress
    while counts["claims"] < options.claims:
        case = Generate(rng).case(min(options.per_file, options.claims - counts["claims"]))
        text = source(case)
        try:
            result = check_source(text, "<generated>", timeout=options.timeout)
        except Exception:  # noqa: BLE001 - a crash is counted and shown, the run goes on
            counts["internal errors"] += 1
            print(f"INTERNAL ERROR\n{traceback.format_exc()}\n{text}", flush=True)
            continue
        if result.diagnostics:
            print("input error on a generated file (a generator bug):", file=sys.stderr)
            print(text, result.diagnostics[0].message, file=sys.stderr)
            return 2
        for index, claimed in enumerate(result.claims):
            counts["claims"] += 1
            verdicts[claimed.verdict.status] += 1
            judgement = judge(case, index, claimed.verdict, rng)
            if claimed.verdict.status == "unknown":
                counts["unknown"] += 1
            if judgement.wrong:
                counts[f"wrong {judgement.status}"] += 1
                print(f"WRONG {judgement.status} k{index}: {judgement.detail}\n{text}", flush=True)
        if options.progress and counts["claims"] >= next_report:
            next_report += options.progress
            rate = counts["claims"] / (time.monotonic() - started)
            print(
                f"... {counts['claims']} claims ({verdicts}): {counts['wrong proved']} wrong "
                f"proved, {counts['wrong refuted']} wrong refuted ({rate:.1f} claims/s)",
                flush=True,
            )
    elapsed = time.monotonic() - started
    print(
        f"elapsed {elapsed:.0f} s; verdicts: {verdicts['proved']} proved, "
        f"{verdicts['refuted']} refuted, {verdicts['unknown']} unknown; "
        f"{counts['internal errors']} files raised"
    )
    print(
        f"{counts['claims']} claims: {counts['wrong proved']} wrong proved, "
        f"{counts['wrong refuted']} wrong refuted, {counts['unknown']} unknown"
    )
    wrong = counts["wrong proved"] + counts["wrong refuted"] + counts["internal errors"]
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
