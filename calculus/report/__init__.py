"""The proof report: a checked file as one self-contained HTML page or a Markdown post.

`build_report` turns a `FileResult` into plain view records (`views`) — formulas printed by
`math`, plots drawn by `plots` as SVG text — and `render` lays them out with the jinja2
templates in `calculus/templates`. Everything shown comes from the check's own results:
no claim is decided again and no scenario is evaluated again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import sympy

from calculus.check import FileResult, ReductionRecord, check_file
from calculus.costs import Atomic, G, LogicFormula, atomics
from calculus.logic import POSITIVITY
from calculus.numbers import as_fraction, readable_text, to_rational
from calculus.output import (
    CHECK_TITLES,
    MARK,
    print_diagnostics,
    reduction_json,
    summary_line,
    sweep_lines,
)
from calculus.report.math import Math, equation, math, simplified
from calculus.report.render import markdown_escape, render_html, render_markdown
from calculus.report.views import (
    ClaimView,
    Comparison,
    Evaluation,
    ObjectionView,
    Plot,
    ProgramView,
    RangesRowView,
    RangesView,
    ReductionCheckView,
    ReductionView,
    Report,
    ScenarioView,
    StatementView,
    Summary,
)
from calculus.status import STATUSES

__all__ = [
    "ClaimView",
    "Math",
    "Report",
    "build_report",
    "markdown_escape",
    "render_html",
    "render_markdown",
    "write_report",
    "report_command",
    "report_format",
    "tool_versions",
]

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2

_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}

# `lhs op rhs` holds exactly when (rhs − lhs) stands in this relation to 0.
_NEEDED = {"<": ">", "<=": "≥", ">": "<", ">=": "≤", "=": "=", "!=": "≠"}
_OPERATOR = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "=": "=", "!=": "≠"}


# ---- building ---------------------------------------------------------------------------


def tool_versions() -> tuple[tuple[str, str], ...]:
    """The versions that decide what a report says and how it looks."""
    import lark
    import z3

    try:
        cost = metadata.version("cost-calculus")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        cost = "not installed"
    return (
        ("cost", cost),
        ("sympy", sympy.__version__),
        ("z3", z3.get_version_string()),
        ("lark", lark.__version__),
        ("jinja2", metadata.version("jinja2")),
        # Pillow paints the Markdown's plots; matplotlib draws only a sweep's. Read from the
        # installation: importing matplotlib costs more than a check.
        ("Pillow", metadata.version("Pillow")),
        ("matplotlib", metadata.version("matplotlib")),
    )


def source_sha256(result: FileResult) -> str:
    """sha256 of the input file's bytes (of the source text when there is no such file)."""
    path = Path(result.path)
    try:
        data = path.read_bytes()
        if data.decode("utf-8-sig") == result.source:
            return hashlib.sha256(data).hexdigest()
    except (OSError, UnicodeDecodeError):
        pass
    return hashlib.sha256(result.source.encode("utf-8")).hexdigest()


def _written(source: str, line: int, end_line: int) -> str:
    lines = source.splitlines()
    return "\n".join(lines[line - 1 : max(line, end_line)]).strip()


def _location(result: FileResult, line: int, node: Any = None) -> str:
    """`file:line` of a statement: the file it was written in, which for an imported
    declaration is the imported file, shown relative to the working directory."""
    path = result.path
    if node is not None and result.model is not None:
        origin = result.model.origin(node)
        if origin and origin != result.model.path:
            path = os.path.relpath(origin) if os.path.isabs(origin) else origin
    return f"{path}:{line}"


def _source_of(result: FileResult, node: Any) -> str:
    """The text of the file a statement was written in (an imported one's own file)."""
    if result.model is not None:
        origin = result.model.origin(node)
        if origin and origin != result.model.path:
            try:
                return Path(origin).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return ""
    return result.source


def _statement_text(formula: Any) -> str:
    from calculus.printer import format_expr

    return format_expr(formula)


def _assumption_views(result: FileResult) -> dict[str, StatementView]:
    assert result.model is not None
    views = {
        a.name: StatementView(
            a.name,
            _statement_text(a.node.formula),
            _location(result, a.node.span.line, a.node),
        )
        for a in result.model.assumptions
    }
    nonneg = any(p.nonneg for p in result.model.primitives.values())
    views[POSITIVITY] = StatementView(
        POSITIVITY,
        "every cost atom is > 0" + (" (≥ 0 for the (nonneg) primitives)" if nonneg else ""),
        "default",
    )
    return views


def _primitive_views(result: FileResult) -> tuple[StatementView, ...]:
    from calculus.printer import format_statement

    assert result.model is not None
    return tuple(
        StatementView(
            name,
            format_statement(node).removeprefix("primitive "),
            _location(result, node.span.line, node),
        )
        for name, node in result.model.primitives.items()
    )


def _program_views(result: FileResult) -> tuple[ProgramView, ...]:
    assert result.model is not None and result.costs is not None
    views = []
    for name, node in result.model.programs.items():
        costs = result.costs.program(name)
        views.append(
            ProgramView(
                name,
                _location(result, node.span.line, node),
                equation(sympy.Symbol(f"c({name})"), costs.c),
                equation(sympy.Symbol(f"t({name})"), costs.t),
                _origin(costs, "c"),
                _origin(costs, "t"),
            )
        )
    return tuple(views)


def _origin(costs: Any, kind: str) -> str:
    """Where a derived cost came from, in words: the formula itself is shown once, above."""
    if kind == "c":
        if costs.c_from_formula:
            return "Given by a formula in the file."
        if costs.extends:
            return f"The stores of {costs.extends} and its own, counted once each (a set)."
        return "The sum of its stores, each counted once (a set)."
    if costs.t_from_formula:
        return "Given by a formula in the file."
    if costs.extends:
        return f"The runs of {costs.extends} and its own, each as often as it runs (a multiset)."
    return "The sum of its runs, each as often as it runs (a multiset)."


def _task_views(result: FileResult) -> tuple[tuple[str, str, str], ...]:
    """(name, location, source) of every task and task set, as the file states them."""
    from calculus.printer import format_statement

    assert result.model is not None
    declared = list(result.model.tasks.values()) + list(result.model.task_sets.values())
    return tuple(
        (node.name.text, _location(result, node.span.line, node), format_statement(node))
        for node in sorted(declared, key=lambda node: node.span.line)
    )


def _scenario_views(result: FileResult) -> tuple[ScenarioView, ...]:
    from calculus.printer import format_expr

    assert result.model is not None
    return tuple(
        ScenarioView(
            name,
            _location(result, node.span.line, node),
            tuple((format_expr(v.target), format_expr(v.value)) for v in node.values),
            format_expr(node.default) if node.default is not None else None,
        )
        for name, node in result.model.scenarios.items()
    )


def _at(expression: sympy.Expr, values: Mapping[str, sympy.Expr]) -> sympy.Expr:
    """`expression` at the counterexample: atoms first, then the applications g(x) whose
    argument has become a number (a non-linear counterexample names them `g(1/4)`)."""

    def named(kinds: tuple[type, ...], where: sympy.Expr) -> dict[sympy.Basic, sympy.Expr]:
        return {item: values[str(item)] for item in where.atoms(*kinds) if str(item) in values}

    value = expression.xreplace(named((sympy.Symbol,), expression))
    value = value.xreplace(named((sympy.core.function.AppliedUndef,), value))
    return sympy.expand(value)


def _evaluation(expression: sympy.Expr, values: Mapping[str, sympy.Expr]) -> Evaluation:
    value = _at(expression, values)
    unresolved = (value.free_symbols - {G}) or value.atoms(sympy.core.function.AppliedUndef)
    return Evaluation(math(simplified(value)), not unresolved)


def _holds(operator: str, difference: sympy.Expr) -> bool | None:
    """Whether `difference` stands in the relation `operator` needs; None if not a number."""
    value = as_fraction(difference)
    if value is None:
        return None
    return {
        "<": value > 0,
        "<=": value >= 0,
        ">": value < 0,
        ">=": value <= 0,
        "=": value == 0,
        "!=": value != 0,
    }[operator]


def _comparisons(
    formula: LogicFormula,
    difference: sympy.Expr | None,
    counterexample: tuple[tuple[str, Fraction], ...] | None,
) -> tuple[Comparison, ...]:
    values = None
    if counterexample is not None:
        values = {name: to_rational(v) for name, v in counterexample}
    found = []
    for comparison in atomics(formula):
        if difference is not None and isinstance(formula, Atomic):
            gap = simplified(difference)  # as the check found it
        else:
            gap = simplified(comparison.rhs - comparison.lhs)
        evaluated: tuple[Evaluation, ...] = ()
        holds_there = None
        if values is not None:
            evaluated = tuple(
                _evaluation(side, values) for side in (comparison.lhs, comparison.rhs, gap)
            )
            holds_there = _holds(comparison.op, _at(gap, values))
        found.append(
            Comparison(
                math(comparison.lhs),
                _OPERATOR[comparison.op],
                math(comparison.rhs),
                math(gap),
                f"{_NEEDED[comparison.op]} 0",
                evaluated,
                holds_there,
            )
        )
    return tuple(found)


def _mentions_g(formula: LogicFormula) -> bool:
    return any(
        G in side.free_symbols or side.atoms(sympy.core.function.AppliedUndef)
        for comparison in atomics(formula)
        for side in (comparison.lhs, comparison.rhs)
    )


def _step(
    status: str,
    family: str,
    mentions_g: bool,
    for_some_g: bool,
    uses: tuple[str, ...],
    single: Comparison | None,
    reason: str | None,
) -> str:
    """The sentence that says what decided the claim (`single`: its only comparison)."""
    some_g = "some g > 0" if family == "linear" else f"some {family} g"
    every_g = "every g > 0" if family == "linear" else f"every {family} g"
    if status == "proved":
        if for_some_g:
            holds = (
                f"for every admissible assignment of the cost atoms {some_g} makes the claim true"
            )
        else:
            what = f"right − left is {single.needed}" if single else "the formula is true"
            holds = f"{what} for every admissible assignment of the cost atoms" + (
                f" and {every_g}" if mentions_g else ""
            )
        if not uses:
            return (
                f"z3 finds the negation of the claim unsatisfiable with no assumption at all, "
                f"so {holds}: the claim is valid outright."
            )
        return (
            f"z3 finds the negation of the claim unsatisfiable together with "
            f"{', '.join(uses)}, so {holds}. The assumptions used form a minimised unsat "
            f"core: dropping any one of them breaks the proof."
        )
    if status == "refuted":
        if for_some_g:
            fails = f"no {some_g.removeprefix('some ')} makes the claim true there"
        else:
            fails = f"right − left is not {single.needed}" if single else "the formula is false"
        return (
            f"z3 finds an assignment of the cost atoms where every assumption holds and the "
            f"claim fails; re-evaluated exactly with sympy, {fails} (the values are in the derivation)."
        )
    return f"The solver could not decide the claim: {reason}."


def _quantified_step(claim: Any) -> str | None:
    """The deciding step of `for some costs` claims, which read differently."""
    verdict = claim.verdict
    if "for some costs" not in claim.statement:
        return None
    if verdict.status == "proved":
        return (
            "z3 finds an admissible assignment of the cost atoms that makes the claim true; "
            "it was re-checked exactly and is shown as the witness."
        )
    if verdict.status == "refuted":
        used = ", ".join(verdict.uses) or "the claim alone"
        return (
            "z3 finds no admissible assignment that makes the claim true; what rules every "
            f"one out (a minimised core): {used}."
        )
    return None


def _claim_views(result: FileResult) -> tuple[ClaimView, ...]:
    assert result.model is not None and result.costs is not None
    nodes = {c.name: c.node for c in result.model.claims}
    assumptions = _assumption_views(result)
    views = []
    for claim in result.claims:
        node = nodes[claim.name]
        formula = result.costs.formula(node.formula)
        verdict = claim.verdict
        comparisons = _comparisons(formula, claim.difference, verdict.counterexample)
        single = isinstance(formula, Atomic)
        counterexample = None
        if verdict.counterexample is not None:
            counterexample = tuple(
                (name, readable_text(value)) for name, value in verdict.counterexample
            )
        views.append(
            ClaimView(
                name=claim.name,
                kind=claim.kind,
                status=verdict.status,
                mark=MARK[verdict.status],
                passed=claim.passed,
                statement=claim.statement,
                location=_location(result, claim.span.line, node),
                written=_written(_source_of(result, node), node.span.line, node.span.end_line),
                comparisons=comparisons,
                step=_quantified_step(claim)
                or _step(
                    verdict.status,
                    result.model.family,
                    _mentions_g(formula),
                    claim.for_some_g,
                    verdict.uses,
                    comparisons[0] if single else None,
                    verdict.reason,
                ),
                uses=tuple(
                    assumptions.get(name, StatementView(name, "", "")) for name in verdict.uses
                ),
                counterexample=counterexample,
                reason=verdict.reason,
                notes=verdict.notes,
                quote=claim.quote,
                witness=(
                    tuple((name, readable_text(value)) for name, value in verdict.witness)
                    if verdict.witness is not None
                    else None
                ),
                by_family=tuple(
                    (family, each.status, MARK[each.status]) for family, each in claim.by_family
                ),
                holds_when=claim.holds_when,
                repairs=claim.repairs,
            )
        )
    return tuple(views)


# Plots are drawn in floating point; numbers past this (a scenario may give an atom a
# 400-digit cost) are shown exactly in the tables and not plotted.
_PLOTTABLE = 1e100


def _drawable(rows: Sequence[Any], lines: Mapping[str, tuple[Fraction, Fraction]] | None) -> bool:
    """Whether every number a plot of these ranges places is well inside a float's range."""
    from calculus.report import plots

    numbers: list[Any] = list(plots.breakpoints(rows))
    for c, t in (lines or {}).values():
        numbers += [c, t]
    try:
        return all(abs(float(number)) < _PLOTTABLE for number in numbers)
    except (OverflowError, TypeError, ValueError):
        return False


def _ranges_views(result: FileResult) -> tuple[RangesView, ...]:
    from calculus.dominance import format_intervals
    from calculus.report import plots

    assert result.model is not None
    statements = result.model.ranges
    views = []
    for index, ranges in enumerate(result.ranges, start=1):
        location = None
        if len(statements) == len(result.ranges):
            location = _location(result, statements[index - 1].span.line, statements[index - 1])
        heading = ", ".join(ranges.programs) + (
            f" in scenario {ranges.scenario}" if ranges.scenario else ""
        )
        colours = {name: plots.colour(i) for i, name in enumerate(ranges.programs)}
        # Each program's (c, t) in the scenario, as the check computed them.
        lines: dict[str, tuple[Fraction, Fraction]] | None = ranges.lines
        rows = tuple(
            RangesRowView(
                row.program,
                colours.get(row.program, plots.colour(0)),
                format_intervals(row.robust),
                format_intervals(row.possible),
                tuple(t.text for t in getattr(row, "thresholds", ())),
                readable_text(lines[row.program][0]) if lines else None,
                readable_text(lines[row.program][1]) if lines else None,
            )
            for row in ranges.rows
        )
        plot = None
        if ranges.status == "exact" and _drawable(ranges.rows, lines):
            if lines is not None:
                plot = Plot(
                    f"score_g(P) = g·c(P) + t(P) against g in scenario {ranges.scenario}; "
                    "shading: where each program wins; dashed: breakpoints",
                    partial(plots.score_plot, lines, ranges.rows, ranges.scenario),
                )
            elif ranges.scenario is None:
                plot = Plot(
                    f"dominance ranges of g for {', '.join(ranges.programs)}: "
                    "robust (solid) and possible (light)",
                    partial(plots.intervals_chart, ranges.rows),
                )
        views.append(
            RangesView(
                f"ranges-{index}",
                heading,
                location,
                ranges.scenario,
                ranges.status,
                ranges.reason,
                rows,
                plot,
            )
        )
    return tuple(views)


def _listing_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "\n".join(str(line) for line in value)
    return str(value)


def _without_listings(value: Any, found: list[tuple[str, str]], where: str) -> Any:
    """The JSON value with every `listing` taken out (into `found`, labelled by its path)."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if key == "listing":
                found.append((where or "listing", _listing_text(item)))
            else:
                kept[key] = _without_listings(item, found, path)
        return kept
    if isinstance(value, (list, tuple)):
        return [_without_listings(item, found, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def _sweep_views(result: FileResult) -> tuple[ReductionView, ...]:
    """Each sweep: its table of rows and the plot of the three sizes against k."""
    if not result.sweeps:
        return ()  # and the circuits package is not imported
    from calculus.circuits.sweep import sweep_figure

    views = []
    for index, outcome in enumerate(result.sweeps, start=1):
        table = "\n".join(sweep_lines(outcome)[1:])
        views.append(
            ReductionView(
                f"sweep-{index}",
                f"sweep {outcome.name}",
                None,
                (
                    ("family", outcome.family),
                    ("by", "data" if outcome.by_data else "index"),
                    ("seed", str(outcome.seed)),
                    ("general solution", str(outcome.general)),
                ),
                (("rows", table),),
                plot=Plot(
                    f"sweep {outcome.name}: minimum, lookup and general {outcome.measure} against k",
                    functools.partial(sweep_figure, outcome),
                ),
            )
        )
    return tuple(views)


def _reduction_views(result: FileResult) -> tuple[ReductionView, ...]:
    """Reduction records shown generically: their JSON fields, and every circuit listing."""
    views = []
    for index, record in enumerate(result.reductions, start=1):
        listings: list[tuple[str, str]] = []
        data = _without_listings(reduction_json(record), listings, "")
        if not listings and not isinstance(record, ReductionRecord):
            listings.append(("listing", _listing_text(record.listing)))
        heading = str(data.get("name") or data.get("title") or f"reduction {index}")
        passed = data.get("passed")
        fields = tuple(
            (
                str(key),
                value
                if isinstance(value, str)
                else json.dumps(value, ensure_ascii=False, sort_keys=True),
            )
            for key, value in data.items()
        )
        view = ReductionView(
            f"reduction-{index}",
            heading,
            passed if isinstance(passed, bool) else None,
            fields,
            tuple(listings),
        )
        if not isinstance(record, ReductionRecord) and record.result is not None:
            view = _structured_reduction(view, record, record.result, result.path)
        views.append(view)
    return tuple(views)


def _structured_reduction(
    view: ReductionView, record: Any, outcome: Any, path: str
) -> ReductionView:
    """A checked `reduction` statement: its settings, each check with its verdict, the
    minimal circuit and the lookup-table size beside it."""
    checks = tuple(
        ReductionCheckView(CHECK_TITLES.get(c.name, c.name), c.verdict, MARK[c.verdict], c.reason)
        for c in outcome.checks
    )
    settings = (
        ("bad task", outcome.bad_task),
        ("property", outcome.predicate),
        ("basis", outcome.basis),
        ("measure", outcome.measure),
        ("expected reward to reach", str(outcome.threshold)),
        ("minimum", "—" if outcome.minimal_cost is None else str(outcome.minimal_cost)),
        ("index-keyed lookup (exact minimum)", str(outcome.lookup_table.size)),
    )
    listings = view.listings
    if outcome.minimal_circuit is not None:
        listings = (("minimal circuit for T*", outcome.minimal_circuit.listing()),)
    span = record.span
    location = f"{path}:{span.line}" if span.line else None
    return replace(
        view,
        listings=listings,
        verdict=outcome.verdict,
        mark=MARK[outcome.verdict],
        statement=outcome.check("conclusion").statement,
        location=location,
        settings=settings,
        checks=checks,
        inputs_note=record.inputs_note,
    )


def _summary(result: FileResult) -> Summary:
    claims = result.claims
    count = {s: sum(1 for c in claims if c.verdict.status == s) for s in STATUSES}
    line = summary_line([result])
    unknown_ranges = sum(1 for r in result.ranges if r.status != "exact")
    failed_reductions = sum(1 for r in result.reductions if not r.passed)
    if unknown_ranges:
        line += f"; {unknown_ranges} ranges unknown"
    if failed_reductions:
        line += f"; {failed_reductions} reductions failed"
    return Summary(
        line,
        len(claims),
        count["proved"],
        count["refuted"],
        count["unknown"],
        sum(1 for c in claims if not c.passed),
        len(result.ranges),
        len(result.reductions),
        result.ok,
    )


def build_report(result: FileResult, versions: tuple[tuple[str, str], ...] | None = None) -> Report:
    """The report's content, from the check's results; plots are drawn when rendered."""
    if result.input_error or result.model is None or result.costs is None:
        raise ValueError("a report needs a file that was checked without input errors")
    model = result.model
    return Report(
        title=model.title or Path(result.path).name,
        path=result.path,
        family=model.family,
        summary=_summary(result),
        primitives=_primitive_views(result),
        programs=_program_views(result),
        assumptions=tuple(v for k, v in _assumption_views(result).items() if k != POSITIVITY),
        scenarios=_scenario_views(result),
        tasks=_task_views(result),
        claims=_claim_views(result),
        ranges=_ranges_views(result),
        reductions=_reduction_views(result) + _sweep_views(result),
        versions=tool_versions() if versions is None else versions,
        sha256=source_sha256(result),
        families=model.exchange_families if len(model.exchange_families) > 1 else (),
        objections=tuple(_objection_view(o) for o in result.objections),
        warnings=tuple(
            f"{w.path}:{w.line}:{w.column}: {w.severity}[{w.code}]: {w.message}"
            for w in result.warnings
        ),
    )


def _objection_view(objection: Any) -> ObjectionView:
    return ObjectionView(
        name=objection.name,
        drops=objection.dropped,
        flips=tuple((f.claim, f.before, f.after) for f in objection.flips),
        claims=tuple(
            (c.name, c.statement, c.verdict.status, MARK[c.verdict.status], c.passed)
            for c in objection.claims
        ),
    )


def report_format(output: str | Path) -> str | None:
    """'html' or 'markdown' from the output's suffix; None when it is neither."""
    return _FORMATS.get(Path(output).suffix.lower())


def write_report(result: FileResult, output: Path) -> None:
    """Write the report for `result` to `output`: .html, or .md with its plots inside."""
    output = Path(output)
    kind = report_format(output)
    if kind is None:
        raise ValueError(f"a report is written as .html or .md, not {output.suffix or output.name}")
    report = build_report(result)
    page = render_html(report) if kind == "html" else render_markdown(report)
    output.write_text(page, encoding="utf-8", newline="\n")


def report_command(path: str, output: str, timeout: float) -> int:
    """`cost report FILE -o OUT`: exit like `cost check`, but write the report even when
    claims fail; on an input error print it, exit 2 and write nothing."""
    if report_format(output) is None:
        sys.stderr.write(f"cost: error: the report must end in .html or .md: {output}\n")
        return EXIT_INPUT
    result = check_file(path, timeout)
    if result.input_error:
        print_diagnostics(result)
        return EXIT_INPUT
    try:
        write_report(result, Path(output))
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        shown = output.encode("utf-8", "backslashreplace").decode("utf-8")
        reason = getattr(error, "strerror", None) or error
        sys.stderr.write(f"cost: error: cannot write {shown!r}: {reason}\n")
        return EXIT_INPUT
    print_diagnostics(result)  # the warnings, as `cost check` prints them
    sys.stdout.write(f"wrote {output}: {summary_line([result])}\n")
    return EXIT_OK if result.ok else EXIT_FAILED
