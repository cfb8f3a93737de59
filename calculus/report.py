"""The proof report: a checked file as one self-contained HTML page or a Markdown post.

`build_report` turns a `FileResult` into plain view records — math already rendered as
MathML and LaTeX, plots as SVG text — and the jinja2 templates in `calculus/templates`
only lay them out. Everything from the `.cost` file reaches the page through escaping,
so no name, title or claim can inject markup.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import sympy
from markupsafe import Markup
from sympy.printing.mathml import MathMLPresentationPrinter

from calculus.check import FileResult, check_file, scenario_values
from calculus.costs import Atomic, G, LogicFormula, atomics
from calculus.diagnostics import InputError
from calculus.logic import POSITIVITY
from calculus.output import MARK, fraction_text, print_diagnostics, summary_line

__all__ = [
    "Report",
    "build_report",
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

_ATOM_NAME = re.compile(r"([ct])\((.*)\)", re.DOTALL)


# ---- math ------------------------------------------------------------------------------


class _MathMLPrinter(MathMLPresentationPrinter):  # type: ignore[misc]
    """sympy's presentation MathML, except that a cost atom `c(find(env))` prints as
    `c(find(env))` rather than having its underscores read as subscripts."""

    def _print_Symbol(self, sym: sympy.Symbol, style: str = "plain") -> Any:
        match = _ATOM_NAME.fullmatch(sym.name)
        if match is None:
            return super()._print_Symbol(sym, style)
        row = self.dom.createElement("mrow")
        kind = self.dom.createElement("mi")
        kind.appendChild(self.dom.createTextNode(match.group(1)))
        row.appendChild(kind)
        for piece, tag in (("(", "mo"), (match.group(2), "mtext"), (")", "mo")):
            element = self.dom.createElement(tag)
            element.appendChild(self.dom.createTextNode(piece))
            if tag == "mo":
                element.setAttribute("stretchy", "false")
            else:
                element.setAttribute("class", "term")
            row.appendChild(element)
        return row


def _latex_symbol(symbol: sympy.Symbol) -> str:
    match = _ATOM_NAME.fullmatch(symbol.name)
    if match is None:
        return str(sympy.latex(symbol))
    term = match.group(2).replace("\\", r"\backslash ").replace("_", r"\_")
    return rf"{match.group(1)}(\texttt{{{term}}})"


@dataclass(frozen=True)
class Math:
    """One formula in the three forms the outputs need. `pieces` are MathML fragments of a
    long sum, one per term (each with its sign), so the page can wrap it between terms."""

    mathml: str  # presentation MathML, without the <math> wrapper
    latex: str
    text: str
    pieces: tuple[tuple[str, str], ...] = ()  # (MathML, plain text) per term

    def element(self, display: bool = False) -> Markup:
        """`<math>` elements; `alttext` carries the plain reading for text-only tools."""
        style = ' displaystyle="true"' if display else ""
        parts = (
            self.pieces
            if len(self.text) > _WRAP_AT and len(self.pieces) > 1
            else ((self.mathml, self.text),)
        )
        elements = [
            f'<math xmlns="http://www.w3.org/1998/Math/MathML"{style} alttext="{Markup.escape(text)}">'
            f"{mathml}</math>"
            for mathml, text in parts
        ]
        if len(elements) == 1:
            return Markup(elements[0])
        return Markup('<span class="wrapped">' + " ".join(elements) + "</span>")


_WRAP_AT = 60  # characters of plain text beyond which a sum may wrap between its terms


def _mathml(expression: Any) -> str:
    text = str(_MathMLPrinter({"mul_symbol": "dot"}).doprint(expression))
    return text.replace("<mo>-</mo>", "<mo>&#8722;</mo>")  # a minus sign, not a hyphen


def _terms(expression: sympy.Expr) -> tuple[tuple[str, str], ...]:
    """The terms of a sum as (MathML, text), the sign of each but the first in front of it.
    A term `g·(a + b)` is opened up into `g·(a`, `+ b)` so that it too can wrap."""
    if not isinstance(expression, sympy.Add):
        return ()
    pieces: list[tuple[str, str]] = []
    for index, term in enumerate(expression.as_ordered_terms()):
        negative = term.could_extract_minus_sign()
        shown = -term if negative else term
        sign = "-" if negative else ("+" if index else "")
        # The space between two <math> pieces already separates a term from the one before.
        operator = f'<mo form="infix" lspace="0">{"−" if negative else sign}</mo>' if sign else ""
        inner = _opened(shown)
        if inner is None:
            pieces.append(
                (f"<mrow>{operator}{_mathml(shown)}</mrow>", f"{sign} {sympy.sstr(shown)}".strip())
            )
            continue
        (head_mathml, head_text), (first, *rest) = inner
        pieces.append(
            (
                f"<mrow>{operator}{head_mathml}{first[0]}</mrow>",
                f"{sign} {head_text}{first[1]}".strip(),
            )
        )
        pieces.extend(rest)
    return tuple(pieces)


def _opened(term: sympy.Expr) -> tuple[tuple[str, str], list[tuple[str, str]]] | None:
    """`factor·(a + b + …)` as its head `factor·(` and the pieces `a`, `+ b`, …, `+ z)`."""
    if not isinstance(term, sympy.Mul):
        return None
    sums = [f for f in term.args if isinstance(f, sympy.Add)]
    if len(sums) != 1:
        return None
    factor = sympy.Mul(*(f for f in term.args if f is not sums[0]))
    inner = list(_terms(sums[0]))
    if len(inner) < 2:
        return None
    open_mathml = '<mo stretchy="false">(</mo>'
    close_mathml = '<mo stretchy="false">)</mo>'
    head = (f"{_mathml(factor)}<mo>&#183;</mo>{open_mathml}", f"{sympy.sstr(factor)}*(")
    last_mathml, last_text = inner[-1]
    inner[-1] = (f"<mrow>{last_mathml}{close_mathml}</mrow>", f"{last_text})")
    return head, inner


def math(expression: Any) -> Math:
    expression = sympy.sympify(expression)
    symbols = sorted(expression.free_symbols, key=lambda s: s.name)
    latex = sympy.latex(
        expression, mul_symbol="dot", symbol_names={s: _latex_symbol(s) for s in symbols}
    )
    return Math(_mathml(expression), str(latex), sympy.sstr(expression), _terms(expression))


def equation(left: Any, right: Any) -> Math:
    """`left = right`, printed side by side (sympy would decide an `Eq` of two symbols)."""
    lhs, rhs = math(left), math(right)
    pieces = rhs.pieces or ((rhs.mathml, rhs.text),)
    first = (f"<mrow>{lhs.mathml}<mo>=</mo>{pieces[0][0]}</mrow>", f"{lhs.text} = {pieces[0][1]}")
    return Math(
        f"<mrow>{lhs.mathml}<mo>=</mo>{rhs.mathml}</mrow>",
        f"{lhs.latex} = {rhs.latex}",
        f"{lhs.text} = {rhs.text}",
        (first, *pieces[1:]) if rhs.pieces else (),
    )


def _simplified(expression: sympy.Expr) -> sympy.Expr:
    """Expanded, with the terms in g gathered: g·(…) + (…)."""
    expanded = sympy.expand(expression)
    return sympy.collect(expanded, G) if G in expanded.free_symbols else expanded


def _as_fraction(value: sympy.Expr) -> Fraction | None:
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    return None


# ---- view records ------------------------------------------------------------------------


@dataclass(frozen=True)
class Plot:
    svg: str
    filename: str  # the SVG file written next to a Markdown report
    caption: str


@dataclass(frozen=True)
class ProgramView:
    name: str
    location: str
    c: Math  # c(P) = …, derived
    t: Math
    c_derivation: str
    t_derivation: str


@dataclass(frozen=True)
class StatementView:
    """An assumption, or a primitive or scenario, as written, with where it was written."""

    name: str
    text: str
    location: str


@dataclass(frozen=True)
class ScenarioView:
    name: str
    location: str
    values: tuple[tuple[str, str], ...]
    default: str | None


@dataclass(frozen=True)
class Evaluation:
    """A side of a comparison (or their difference) at the counterexample's values."""

    value: Math
    exact: bool  # False: atoms not in the counterexample remain (they cancel in the difference)


@dataclass(frozen=True)
class Comparison:
    """One comparison `left op right` of a claim: what sympy makes of it, and, for a
    refuted claim, its value at the counterexample."""

    lhs: Math
    operator: str
    rhs: Math
    difference: Math  # right − left, simplified
    needed: str  # "> 0": what the difference must be for the comparison to hold
    values: tuple[Evaluation, ...] = ()  # left, right, difference at the counterexample
    holds_there: bool | None = None  # None when the truth still depends on g


@dataclass(frozen=True)
class ClaimView:
    name: str
    kind: str
    status: str
    mark: str
    passed: bool
    statement: str
    location: str
    written: str
    comparisons: tuple[Comparison, ...]
    step: str
    uses: tuple[StatementView, ...]
    counterexample: tuple[tuple[str, str], ...] | None
    reason: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RangesRowView:
    program: str
    colour: str
    robust: str
    possible: str
    thresholds: tuple[str, ...]
    c: str | None = None
    t: str | None = None


@dataclass(frozen=True)
class RangesView:
    anchor: str
    heading: str
    location: str | None
    scenario: str | None
    status: str
    reason: str | None
    rows: tuple[RangesRowView, ...]
    plot: Plot | None


@dataclass(frozen=True)
class ReductionCheckView:
    title: str
    verdict: str
    mark: str
    reason: str


@dataclass(frozen=True)
class ReductionView:
    anchor: str
    heading: str
    passed: bool | None
    fields: tuple[tuple[str, str], ...]
    listings: tuple[tuple[str, str], ...]
    # Filled for the language's `reduction` statements; other records show `fields`.
    verdict: str | None = None
    mark: str = ""
    statement: str = ""
    location: str | None = None
    settings: tuple[tuple[str, str], ...] = ()
    checks: tuple[ReductionCheckView, ...] = ()
    inputs_note: str = ""


@dataclass(frozen=True)
class Summary:
    line: str
    claims: int
    proved: int
    refuted: int
    unknown: int
    failed: int
    ranges: int
    reductions: int
    ok: bool


@dataclass(frozen=True)
class Report:
    title: str
    path: str
    family: str
    summary: Summary
    primitives: tuple[StatementView, ...]
    programs: tuple[ProgramView, ...]
    assumptions: tuple[StatementView, ...]
    scenarios: tuple[ScenarioView, ...]
    claims: tuple[ClaimView, ...]
    ranges: tuple[RangesView, ...]
    reductions: tuple[ReductionView, ...]
    versions: tuple[tuple[str, str], ...]
    sha256: str
    tasks: tuple[tuple[str, str, str], ...] = ()


# ---- building ---------------------------------------------------------------------------


def tool_versions() -> tuple[tuple[str, str], ...]:
    """The versions that decide what a report says and how it looks."""
    import lark
    import matplotlib
    import z3

    try:
        cost = metadata.version("cost-calculus")
    except metadata.PackageNotFoundError:
        from calculus import __version__ as cost
    return (
        ("cost", cost),
        ("sympy", sympy.__version__),
        ("z3", z3.get_version_string()),
        ("lark", lark.__version__),
        ("jinja2", jinja2.__version__),
        ("matplotlib", matplotlib.__version__),
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


def _location(result: FileResult, line: int) -> str:
    return f"{result.path}:{line}"


def _statement_text(formula: Any) -> str:
    from calculus.printer import format_expr

    return format_expr(formula)


def _assumption_views(result: FileResult) -> dict[str, StatementView]:
    assert result.model is not None
    views = {
        a.name: StatementView(
            a.name, _statement_text(a.node.formula), _location(result, a.node.span.line)
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
            _location(result, node.span.line),
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
                _location(result, node.span.line),
                equation(sympy.Symbol(f"c({name})"), costs.c),
                equation(sympy.Symbol(f"t({name})"), costs.t),
                costs.derivation("c"),
                costs.derivation("t"),
            )
        )
    return tuple(views)


def _task_views(result: FileResult) -> tuple[tuple[str, str, str], ...]:
    """(name, location, source) of every task and task set, as the file states them."""
    from calculus.printer import format_statement

    assert result.model is not None
    declared = list(result.model.tasks.values()) + list(result.model.task_sets.values())
    return tuple(
        (node.name.text, _location(result, node.span.line), format_statement(node))
        for node in sorted(declared, key=lambda node: node.span.line)
    )


def _scenario_views(result: FileResult) -> tuple[ScenarioView, ...]:
    from calculus.printer import format_expr

    assert result.model is not None
    return tuple(
        ScenarioView(
            name,
            _location(result, node.span.line),
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
    return Evaluation(math(_simplified(value)), not unresolved)


def _holds(operator: str, difference: sympy.Expr) -> bool | None:
    """Whether `difference` stands in the relation `operator` needs; None if not a number."""
    value = _as_fraction(difference)
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
        values = {name: sympy.Rational(v.numerator, v.denominator) for name, v in counterexample}
    found = []
    for comparison in atomics(formula):
        gap = _simplified(comparison.rhs - comparison.lhs)
        if difference is not None and isinstance(formula, Atomic):
            gap = _simplified(difference)
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
                (name, fraction_text(value)) for name, value in verdict.counterexample
            )
        views.append(
            ClaimView(
                name=claim.name,
                kind=claim.kind,
                status=verdict.status,
                mark=MARK[verdict.status],
                passed=claim.passed,
                statement=claim.statement,
                location=_location(result, claim.span.line),
                written=_written(result.source, node.span.line, node.span.end_line),
                comparisons=comparisons,
                step=_step(
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
            )
        )
    return tuple(views)


def _scenario_lines(result: FileResult, ranges: Any) -> dict[str, tuple[Fraction, Fraction]] | None:
    """Each program's (c, t) in the scenario of a `ranges ... in S` statement."""
    assert result.model is not None and result.costs is not None
    scenario = result.model.scenarios.get(ranges.scenario)
    if scenario is None:
        return None
    costs = result.costs
    atoms: set[sympy.Symbol] = set()
    for name in ranges.programs:
        atoms |= costs.program(name).c.free_symbols | costs.program(name).t.free_symbols
    try:
        values = scenario_values(costs, scenario, atoms, scenario.span)
    except InputError:
        return None
    lines: dict[str, tuple[Fraction, Fraction]] = {}
    for name in ranges.programs:
        c = _as_fraction(sympy.nsimplify(costs.program(name).c.xreplace(values)))
        t = _as_fraction(sympy.nsimplify(costs.program(name).t.xreplace(values)))
        if c is None or t is None:
            return None
        lines[name] = (c, t)
    return lines


def _ranges_views(result: FileResult, stem: str) -> tuple[RangesView, ...]:
    from calculus import plots
    from calculus.dominance import format_intervals

    assert result.model is not None
    statements = result.model.ranges
    views = []
    for index, ranges in enumerate(result.ranges, start=1):
        location = None
        if len(statements) == len(result.ranges):
            location = _location(result, statements[index - 1].span.line)
        heading = ", ".join(ranges.programs) + (
            f" in scenario {ranges.scenario}" if ranges.scenario else ""
        )
        colours = {name: plots.colour(i) for i, name in enumerate(ranges.programs)}
        lines = _scenario_lines(result, ranges) if ranges.scenario else None
        rows = tuple(
            RangesRowView(
                row.program,
                colours.get(row.program, plots.colour(0)),
                format_intervals(row.robust),
                format_intervals(row.possible),
                tuple(t.text for t in getattr(row, "thresholds", ())),
                fraction_text(lines[row.program][0]) if lines else None,
                fraction_text(lines[row.program][1]) if lines else None,
            )
            for row in ranges.rows
        )
        plot = None
        if ranges.status == "exact":
            name = f"{stem}.ranges-{index}.svg"
            if lines is not None:
                plot = Plot(
                    plots.score_plot(lines, ranges.rows, ranges.scenario),
                    name,
                    f"score_g(P) = g·c(P) + t(P) against g in scenario {ranges.scenario}; "
                    "shading: where each program wins; dashed: breakpoints",
                )
            elif ranges.scenario is None:
                plot = Plot(
                    plots.intervals_chart(ranges.rows),
                    name,
                    f"dominance ranges of g for {', '.join(ranges.programs)}: "
                    "robust (solid) and possible (light)",
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


def _reduction_views(result: FileResult) -> tuple[ReductionView, ...]:
    """Reduction records shown generically: their JSON fields, and every circuit listing."""
    views = []
    for index, record in enumerate(result.reductions, start=1):
        if hasattr(record, "as_json"):
            data = record.as_json()
        elif isinstance(record, dict):
            data = record
        else:
            data = {"value": str(record)}
        listings: list[tuple[str, str]] = []
        data = _without_listings(data, listings, "") if isinstance(data, dict) else {"value": data}
        listing = getattr(record, "listing", None)
        if not listings and listing is not None:
            listings.append(("listing", _listing_text(listing() if callable(listing) else listing)))
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
        outcome = getattr(record, "result", None)
        if outcome is not None and hasattr(outcome, "checks"):
            view = _structured_reduction(view, record, outcome, result.path)
        views.append(view)
    return tuple(views)


def _structured_reduction(
    view: ReductionView, record: Any, outcome: Any, path: str
) -> ReductionView:
    """A checked `reduction` statement: its settings, each check with its verdict, the
    minimal circuit and the lookup-table size beside it."""
    from calculus.circuits.language import CHECK_TITLES

    marks = {"proved": "✓", "refuted": "✗", "unknown": "?"}
    checks = tuple(
        ReductionCheckView(CHECK_TITLES.get(c.name, c.name), c.verdict, marks[c.verdict], c.reason)
        for c in outcome.checks
    )
    settings = (
        ("bad task", outcome.bad_task),
        ("property", outcome.predicate),
        ("basis", outcome.basis),
        ("measure", outcome.measure),
        ("expected reward to reach", str(outcome.threshold)),
        ("minimum", "—" if outcome.minimal_cost is None else str(outcome.minimal_cost)),
        ("lookup table, training states", str(outcome.lookup_table.size)),
        ("lookup table, all states", str(outcome.lookup_table_all_states.size)),
    )
    listings = view.listings
    if outcome.minimal_circuit is not None:
        listings = (("minimal circuit for T*", outcome.minimal_circuit.listing()),)
    span = getattr(record, "span", None)
    location = f"{path}:{span.line}" if span is not None and span.line else None
    return replace(
        view,
        listings=listings,
        verdict=outcome.verdict,
        mark=marks[outcome.verdict],
        statement=outcome.check("conclusion").statement,
        location=location,
        settings=settings,
        checks=checks,
        inputs_note=getattr(record, "inputs_note", ""),
    )


def _summary(result: FileResult) -> Summary:
    claims = result.claims
    count = {
        s: sum(1 for c in claims if c.verdict.status == s) for s in ("proved", "refuted", "unknown")
    }
    line = summary_line([result])
    unknown_ranges = sum(1 for r in result.ranges if getattr(r, "status", "exact") != "exact")
    failed_reductions = sum(1 for r in result.reductions if getattr(r, "passed", True) is False)
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


def build_report(
    result: FileResult, stem: str = "report", versions: tuple[tuple[str, str], ...] | None = None
) -> Report:
    """The report's content; `stem` names the plot files of a Markdown report."""
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
        ranges=_ranges_views(result, stem),
        reductions=_reduction_views(result),
        versions=tool_versions() if versions is None else versions,
        sha256=source_sha256(result),
    )


# ---- rendering --------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~&])")
_MARKDOWN_LINE_START = re.compile(r"^([#+=-])")


def markdown_escape(value: Any) -> str:
    """Text that Markdown shows literally: no emphasis, links, HTML, math or table cells."""
    if isinstance(value, Markup):
        return str(value)
    text = re.sub(r"\s*\n\s*", " ", str(value))
    text = _MARKDOWN_SPECIAL.sub(
        lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(m.group(1), "\\" + m.group(1)), text
    )
    return _MARKDOWN_LINE_START.sub(r"\\\1", text)


def _markdown_finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else markdown_escape(value)


def _latex_inline(item: Math) -> Markup:
    # Inline math sits in table cells, where a bare `|` would end the cell.
    return Markup("$" + item.latex.replace("|", r"\vert ") + "$")


def _latex_block(item: Math) -> Markup:
    return Markup(f"$$\n{item.latex}\n$$")


def _code(value: Any) -> Markup:
    """An inline code span; Markdown shows its content literally (`|` kept out of tables)."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{padding}{text}{padding}{fence}")


def _code_block(text: str) -> Markup:
    fence = "```"
    while fence in text:
        fence += "`"
    return Markup(f"{fence}\n{text}\n{fence}")


def _environment(kind: str) -> jinja2.Environment:
    common: dict[str, Any] = {
        "loader": jinja2.PackageLoader("calculus", "templates"),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    if kind == "html":
        environment = jinja2.Environment(autoescape=True, **common)
        environment.filters["math"] = lambda item, display=False: item.element(display)
        environment.filters["svg"] = Markup
    else:
        # Markdown has no autoescaping of its own: every value passes through
        # `markdown_escape` unless a filter below produced trusted Markup.
        environment = jinja2.Environment(autoescape=False, finalize=_markdown_finalize, **common)
        environment.filters["latex"] = _latex_inline
        environment.filters["latex_block"] = _latex_block
        environment.filters["code_block"] = _code_block
        environment.filters["code"] = _code
        environment.filters["trusted"] = Markup
        environment.filters["url"] = lambda name: Markup(urllib.parse.quote(str(name)))
    return environment


def render_html(report: Report, plot_prefix: str = "plot") -> str:
    from calculus.plots import prefix_ids

    inline = {
        view.anchor: Markup(prefix_ids(view.plot.svg, f"{plot_prefix}-{view.anchor}-"))
        for view in report.ranges
        if view.plot is not None
    }
    return _environment("html").get_template("report.html.j2").render(report=report, inline=inline)


def render_markdown(report: Report) -> str:
    text = _environment("markdown").get_template("report.md.j2").render(report=report)
    return re.sub(r"\n{3,}", "\n\n", text)


def report_format(output: str | Path) -> str | None:
    """'html' or 'markdown' from the output's suffix; None when it is neither."""
    return _FORMATS.get(Path(output).suffix.lower())


def write_report(result: FileResult, output: Path) -> None:
    """Write the report for `result` to `output` (.html, or .md with its SVG plots beside it)."""
    output = Path(output)
    kind = report_format(output)
    if kind is None:
        raise ValueError(f"a report is written as .html or .md, not {output.suffix or output.name}")
    report = build_report(result, stem=output.stem)
    if kind == "html":
        output.write_text(render_html(report), encoding="utf-8", newline="\n")
        return
    for view in report.ranges:
        if view.plot is not None:
            (output.parent / view.plot.filename).write_text(
                view.plot.svg, encoding="utf-8", newline="\n"
            )
    output.write_text(render_markdown(report), encoding="utf-8", newline="\n")


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
    except OSError as error:
        sys.stderr.write(f"cost: error: cannot write {output}: {error.strerror or error}\n")
        return EXIT_INPUT
    sys.stdout.write(f"wrote {output}: {summary_line([result])}\n")
    return EXIT_OK if result.ok else EXIT_FAILED
