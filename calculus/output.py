"""Rendering check results: plain text (the source of truth), rich colours, and JSON.

The text renderer makes lines from the records in `calculus.check`; rich only restyles
those same lines (and is skipped when `NO_COLOR` is set or the output is not a terminal).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from calculus.check import ClaimResult, FileResult, ObjectionResult, ReductionRecord
from calculus.diagnostics import render
from calculus.numbers import fraction_text, readable_text
from calculus.status import STATUSES, Status

if TYPE_CHECKING:
    from calculus.circuits.language import ReductionOutcome
    from calculus.circuits.sweep import SweepOutcome
    from calculus.dominance import Interval, RangesResult
    from calculus.logic import Verdict

MARK: dict[Status, str] = {"proved": "✓", "refuted": "✗", "unknown": "?"}
# The checks of a reduction, as they are titled in text and in the report.
CHECK_TITLES = {
    "decomposition": "value decomposition E[R(π,T*)] = Σ p_i E[R(π,T_i)]",
    "combined": "T* is the disjoint union with the p-mixture",
    "same_minimum": "minimum on T* = minimum on the set",
    "hypothesis": "hypothesis (on the set)",
    "conclusion": "conclusion (on T*)",
    "converse": "converse (one-task set)",
    "lookup_table": "index-keyed lookup",
}


def _end_json(value: Any) -> str:
    """A rational end, or an algebraic one as its exact text (`3/2 - sqrt(5)/2`)."""
    return value.exact_text() if hasattr(value, "exact_text") else fraction_text(value)


def interval_json(interval: Interval) -> list[str]:
    return [_end_json(interval.lo), "oo" if interval.hi is None else _end_json(interval.hi)]


def _intervals(intervals: Iterable[Interval]) -> tuple[list[list[str]], list[list[bool]]]:
    ends, closed = [], []
    for interval in intervals:
        ends.append(interval_json(interval))
        closed.append([bool(interval.lo_closed), bool(interval.hi_closed)])
    return ends, closed


def _pairs_json(pairs: Any) -> dict[str, str] | None:
    if pairs is None:
        return None
    return {name: fraction_text(value) for name, value in pairs}


def verdict_json(verdict: Verdict, kind: str) -> dict[str, Any]:
    """One verdict's fields (as under each family of `by_family`)."""
    data = {
        "verdict": verdict.status,
        "passed": verdict.status == ("proved" if kind == "claim" else "refuted"),
        "uses": list(verdict.uses),
        "counterexample": _pairs_json(verdict.counterexample),
        "reason": verdict.reason,
    }
    if verdict.witness is not None:
        data["witness"] = _pairs_json(verdict.witness)
    return data


def claim_json(claim: ClaimResult) -> dict[str, Any]:
    verdict = claim.verdict
    data: dict[str, Any] = {
        "name": claim.name,
        "kind": claim.kind,
        "verdict": verdict.status,
        "passed": claim.passed,
        "uses": list(verdict.uses),
        "counterexample": _pairs_json(verdict.counterexample),
        "reason": verdict.reason,
        "statement": claim.statement,
        "line": claim.span.line,
    }
    if verdict.witness is not None:
        data["witness"] = _pairs_json(verdict.witness)
    if claim.by_family:
        data["by_family"] = {
            family: verdict_json(each, claim.kind) for family, each in claim.by_family
        }
    if claim.quote is not None:
        data["quote"] = claim.quote
    if claim.kind == "claim" and (
        claim.verdict.status == "refuted"
        or any(family == "linear" and v.status == "refuted" for family, v in claim.by_family)
    ):
        data["holds_when"] = claim.holds_when
        data["repairs"] = list(claim.repairs)
    if claim.origin is not None:
        data["file"] = claim.origin
    if claim.vacuous:
        data["vacuous"] = list(claim.vacuous)
    return data


def objection_json(objection: ObjectionResult) -> dict[str, Any]:
    return {
        "name": objection.name,
        "drops": list(objection.dropped),
        "flips": [
            {"claim": f.claim, "before": f.before, "after": f.after}
            | ({"vacuous": list(f.vacuous)} if f.vacuous else {})
            for f in objection.flips
        ],
        "claims": [claim_json(c) for c in objection.claims],
        "ok": objection.ok,
    } | ({"warnings": [w.as_json() for w in objection.warnings]} if objection.warnings else {})


def ranges_json(result: RangesResult) -> dict[str, Any]:
    rows = []
    for row in result.rows:
        robust, robust_closed = _intervals(row.robust)
        possible, possible_closed = _intervals(row.possible)
        rows.append(
            {
                "program": row.program,
                "robust": robust,
                "possible": possible,
                "robust_closed": robust_closed,
                "possible_closed": possible_closed,
                "thresholds": [t.text for t in row.thresholds],
            }
        )
    return {
        "programs": list(result.programs),
        "scenario": result.scenario,
        "status": result.status,
        "reason": result.reason,
        "rows": rows,
    }


def file_json(result: FileResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file": result.path,
        "ok": result.ok,
        "claims": [claim_json(c) for c in result.claims],
        "ranges": [ranges_json(r) for r in result.ranges],
        "reductions": [reduction_json(r) for r in result.reductions],
        "sweeps": [sweep_json(s) for s in result.sweeps],
        "objections": [objection_json(o) for o in result.objections],
    }
    if result.diagnostics:
        data["errors"] = [d.as_json() for d in result.diagnostics]
    if result.warnings:
        data["warnings"] = [w.as_json() for w in result.warnings]
    return data


# ---- reductions and sweeps --------------------------------------------------------------


def reduction_json(outcome: ReductionOutcome | ReductionRecord) -> dict[str, Any]:
    if isinstance(outcome, ReductionRecord):
        return outcome.as_json()
    data: dict[str, Any] = {
        "name": outcome.name,
        "kind": "reduction",
        "verdict": outcome.verdict,
        "passed": outcome.passed,
        "reason": outcome.reason,
        "line": outcome.span.line,
        "inputs": outcome.inputs_note,
        "minimum": None,
        "lookup": None,
        **outcome.extents,
        "expects": [{"side": side, "extent": extent} for side, extent in outcome.expects],
        "expectation_failures": outcome.expectation_failures(),
    }
    if outcome.result is not None:
        data.update(outcome.result.to_json())
        data["verdict"] = outcome.verdict
        data["passed"] = outcome.passed
    return data


def reduction_lines(outcome: ReductionOutcome | ReductionRecord) -> list[str]:
    if isinstance(outcome, ReductionRecord):
        return []  # a record of another kind renders itself as JSON only
    status = "pass" if outcome.passed else "FAIL"
    if outcome.result is None:
        return [f"? unknown  reduction {outcome.name}   [{status}]", f"    why: {outcome.reason}"]
    result = outcome.result
    conclusion = result.check("conclusion")
    extents = outcome.extents
    lines = [
        f"{MARK[outcome.verdict]} {outcome.verdict:<8} reduction {outcome.name}: "
        f"{conclusion.statement}   [{status}]",
        f"    {result.predicate}: alone {extents['alone']}, combined {extents['combined']}; "
        f"minimum {result.minimal_cost}, lookup {result.lookup_table.size}",
    ]
    for side, wanted in outcome.expects:
        mark = "✓" if extents[side] == wanted else "✗"
        lines.append(f"    {mark} expect {side} {wanted}: found {extents[side]}")
    if result.ran_out is not None:
        lines.append(f"    time budget of {result.budget:g} s ran out during {result.ran_out}")
    for check in result.checks:
        title = CHECK_TITLES.get(check.name, check.name)
        lines.append(f"    {MARK[check.verdict]} {title}: {check.reason}")
    if result.minimal_circuit is not None:
        lines.append(
            f"    minimal circuit for T* ({result.measure} {result.minimal_cost}, "
            f"basis {result.basis}):"
        )
        lines.extend(f"      {line}" for line in result.minimal_circuit.listing().splitlines())
        if outcome.inputs_note:
            lines.append(f"      ({outcome.inputs_note})")
    return lines


def sweep_json(outcome: SweepOutcome) -> dict[str, Any]:
    return {
        "name": outcome.name,
        "family": outcome.family,
        "by": "data" if outcome.by_data else "index",
        "seed": outcome.seed,
        "measure": outcome.measure,
        "basis": outcome.basis,
        "general": outcome.general,
        "line": outcome.span.line,
        "workers": outcome.workers,
        "seconds": round(outcome.seconds, 3),
        "rows": [row.to_json() for row in outcome.rows],
    }


def sweep_lines(outcome: SweepOutcome) -> list[str]:
    by = "data" if outcome.by_data else "index"
    lines = [
        f"sweep {outcome.name}: family {outcome.family}, by {by}, seed {outcome.seed}, "
        f"{outcome.measure} over {outcome.basis} ({outcome.workers})",
        f"    {'k':>3} {'draw':>4} {'minimum':>7} {'lookup':>6} {'general':>7}  "
        "misgeneralises  members",
    ]
    for row in outcome.rows:
        lines.append(
            f"    {row.k:>3} {row.draw:>4} {_cell(row.minimum):>7} {_cell(row.lookup):>6} "
            f"{_cell(row.general):>7}  {row.misgeneralises or '—':<14}  "
            + " ".join(row.members)
            + (f"  ({row.reason})" if row.reason else "")
        )
    return lines


def _cell(value: int | None) -> str:
    return "?" if value is None else str(value)


# ---- text ---------------------------------------------------------------------------------


def pairs_text(pairs: Any) -> str:
    return ", ".join(f"{name} = {readable_text(value)}" for name, value in pairs or ())


def counterexample_text(claim: ClaimResult) -> str:
    return pairs_text(claim.verdict.counterexample)


def verdict_detail(verdict: Verdict) -> list[str]:
    """What backs a verdict: the assumptions used (and a witness), a counterexample, or why."""
    lines = []
    if verdict.status == "proved":
        witness = verdict.witness
        if witness is not None:
            lines.append("witness: " + (pairs_text(witness) or "any admissible values"))
        if witness is None or verdict.uses:
            lines.append(
                "uses: " + (", ".join(verdict.uses) if verdict.uses else "nothing (valid outright)")
            )
    elif verdict.status == "refuted":
        text = pairs_text(verdict.counterexample)
        if verdict.counterexample is None and verdict.witness is None:
            lines.append(
                "no admissible assignment makes it true; ruled out by: "
                + (", ".join(verdict.uses) or "the claim alone")
            )
        else:
            lines.append("counterexample: " + (text or "any admissible values"))
    else:
        lines.append(f"why: {verdict.reason}")
    lines.extend(f"note: {note}" for note in verdict.notes)
    return lines


FAMILY_WIDTH = 14


def family_header(families: Iterable[str]) -> str:
    return " ".join(f"{family:<{FAMILY_WIDTH}}" for family in families).rstrip()


def claim_lines(claim: ClaimResult) -> list[str]:
    verdict = claim.verdict
    status = "pass" if claim.passed else "FAIL"
    if claim.by_family:
        # One verdict column per family, in the order the `exchange` statement lists them.
        columns = " ".join(
            f"{MARK[v.status] + ' ' + v.status:<{FAMILY_WIDTH}}" for _, v in claim.by_family
        )
        head = f"{columns} {claim.kind:<6} {claim.name}: {claim.statement}"
    else:
        head = f"{MARK[verdict.status]} {verdict.status:<8} {claim.kind:<6} {claim.name}: {claim.statement}"
    lines = [f"{head}   [{status}]"]
    if claim.origin is not None:
        lines.append(f"    from: {claim.origin}")
    if claim.quote is not None:
        lines.append(f'    quote: "{claim.quote}"')
    if claim.by_family:
        for family, each in claim.by_family:
            lines.extend(f"    {family}: {line}" for line in verdict_detail(each))
    else:
        lines.extend(f"    {line}" for line in verdict_detail(verdict))
    return lines


def explanation_lines(claim: ClaimResult) -> list[str]:
    """For a refuted claim: when it would hold, and the proved statements one edit away."""
    lines = []
    # Under an exchange list, they are the linear family's.
    family = "linear: " if claim.by_family else ""
    if claim.holds_when is not None:
        from calculus.explain import condition_text

        lines.append(f"    {family}holds when: {condition_text(claim.holds_when)}")
    lines.extend(f"    {family}repair: {repair}" for repair in claim.repairs)
    return lines


def objection_lines(objection: ObjectionResult) -> list[str]:
    dropped = f" (drops {', '.join(objection.dropped)})" if objection.dropped else ""
    lines = [f"objection {objection.name}{dropped}:"]
    if objection.flips:
        lines.extend(
            f"    {f.claim}: {f.before} → {f.after}"
            + (f" (vacuous: {', '.join(f.vacuous)} cannot all hold)" if f.vacuous else "")
            for f in objection.flips
        )
    else:
        lines.append("    no verdict of the argument changes")
    for claim in objection.claims:
        lines.extend("  " + line for line in claim_lines(claim))
    return lines


def ranges_lines(result: RangesResult) -> list[str]:
    from calculus.dominance import format_intervals

    where = f" in scenario {result.scenario}" if result.scenario else ""
    lines = [f"ranges of g ({', '.join(result.programs)}){where}:"]
    if result.status != "exact":
        lines.append(f"    unknown: {result.reason}")
        return lines
    width = max(len(row.program) for row in result.rows) if result.rows else 0
    for row in result.rows:
        robust = format_intervals(row.robust)
        possible = format_intervals(row.possible)
        if result.scenario:
            lines.append(f"    {row.program:<{width}}  wins for g in {robust}")
        else:
            lines.append(f"    {row.program:<{width}}  robust {robust:<24} possible {possible}")
        for threshold in row.thresholds:
            lines.append(f"    {'':<{width}}    {threshold.text}")
    return lines


def summary_line(results: list[FileResult]) -> str:
    claims = [c for r in results for c in r.claims]
    claims += [c for r in results for o in r.objections for c in o.claims]
    reductions = [x for r in results for x in r.reductions]
    counts = {s: sum(1 for c in claims if c.verdict.status == s) for s in STATUSES}
    if reductions:
        by_verdict = {v: sum(1 for x in reductions if _verdict(x) == v) for v in STATUSES}
        noun_r = "reduction" if len(reductions) == 1 else "reductions"
        reduction_text = f"; {len(reductions)} {noun_r}: " + ", ".join(
            f"{count} {verdict}" for verdict, count in by_verdict.items() if count
        )
    failed = sum(1 for c in claims if not c.passed)
    failed += sum(1 for x in reductions if not x.passed)
    errors = sum(1 for r in results if r.input_error)
    noun = "claim" if len(claims) == 1 else "claims"
    text = (
        f"{len(claims)} {noun}: {counts['proved']} proved, {counts['refuted']} refuted, "
        f"{counts['unknown']} unknown"
    )
    if reductions:
        text += reduction_text
    if failed:
        text += f"; {failed} failed"
    elif not errors:
        text += "; all passed"
    if errors:
        text += f"; {errors} file{'s' if errors != 1 else ''} with input errors"
    warned = sum(len(r.warnings) for r in results)
    if warned:
        text += f"; {warned} warning{'s' if warned != 1 else ''} (assumptions that cannot all hold)"
    return text


def _verdict(reduction: ReductionOutcome | ReductionRecord) -> Status:
    return "unknown" if isinstance(reduction, ReductionRecord) else reduction.verdict


def file_lines(result: FileResult) -> list[str]:
    title = f" — {result.title}" if result.title else ""
    lines = [f"{result.path}{title}"]
    families = next((c.by_family for c in result.claims if c.by_family), ())
    if families:
        lines.append("  " + family_header(family for family, _ in families))
    for claim in result.claims:
        lines.extend("  " + line for line in claim_lines(claim))
        lines.extend("  " + line for line in explanation_lines(claim))
    for ranges in result.ranges:
        lines.extend("  " + line for line in ranges_lines(ranges))
    for reduction in result.reductions:
        lines.extend("  " + line for line in reduction_lines(reduction))
    for sweep in result.sweeps:
        lines.extend("  " + line for line in sweep_lines(sweep))
    for objection in result.objections:
        lines.extend("  " + line for line in objection_lines(objection))
    return lines


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


_STYLES = {"✓": "green", "✗": "red", "?": "yellow"}


def print_lines(lines: list[str], stream: TextIO | None = None) -> None:
    """Print plain lines; on a colour terminal rich restyles the verdict marks."""
    stream = stream or sys.stdout
    if not use_colour(stream):
        stream.write("\n".join(lines) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True)
    for line in lines:
        text = Text(line)
        stripped = line.lstrip()
        if stripped[:1] in _STYLES:
            start = len(line) - len(stripped)
            text.stylize(f"bold {_STYLES[stripped[0]]}", start, start + 10)
        if line.endswith("[FAIL]"):
            text.stylize("bold red", len(line) - 6)
        console.print(text)


def print_diagnostics(result: FileResult, stream: TextIO | None = None) -> None:
    stream = stream or sys.stderr
    for diagnostic in (*result.diagnostics, *result.warnings):
        source = result.source or None
        if diagnostic.path != result.path:
            # A mistake in an imported file is shown with that file's line.
            try:
                source = Path(diagnostic.path).read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                source = None
        stream.write(render(diagnostic, source) + "\n")


def brief_file_lines(result: FileResult, quiet: bool = False) -> list[str]:
    """`file_lines` for a run over many files: one line per passing claim or reduction, the
    detail only for what fails (or is unknown). `quiet`: only what fails, nothing else."""
    body: list[str] = []
    for claim in result.claims:
        lines = claim_lines(claim)
        if claim.passed:
            lines = [] if quiet else lines[:1]
        elif not quiet:
            lines += explanation_lines(claim)
        body.extend("  " + line for line in lines)
    for ranges in result.ranges:
        if not quiet or ranges.status != "exact":
            # The rows, without each row's pairwise thresholds (indented deeper).
            rows = [line for line in ranges_lines(ranges) if len(line) - len(line.lstrip()) <= 4]
            body.extend("  " + line for line in rows)
    for reduction in result.reductions:
        lines = reduction_lines(reduction)
        if reduction.passed:
            lines = [] if quiet else lines[:1]
        body.extend("  " + line for line in lines)
    for sweep in result.sweeps:
        if not quiet:  # a table of results, with no verdict to fail
            body.extend("  " + line for line in sweep_lines(sweep))
    for objection in result.objections:
        if not quiet or not objection.ok:
            body.extend("  " + line for line in objection_lines(objection))
    if quiet and not body:
        return []
    title = f" — {result.title}" if result.title else ""
    return [f"{result.path}{title}", *body]


def without_repeats(lines: list[str]) -> list[str]:
    """A detail line (`✓ title: why`) said word for word further up is shortened to its
    title: a lemma proved once per process reads the same under every reduction."""
    seen: set[str] = set()
    shortened = []
    for line in lines:
        stripped = line.lstrip()
        if stripped[:1] in MARK.values() and ": " in stripped and line.startswith("    "):
            if line in seen:
                line = line.split(": ", 1)[0] + ": as above"
            seen.add(line if not line.endswith(": as above") else "")
        shortened.append(line)
    return shortened
