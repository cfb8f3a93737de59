"""The report's view records: what a page shows, with every formula already printed."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from calculus.report.math import Math


@dataclass(frozen=True, eq=False)
class Plot:
    """A figure, drawn only when a page shows it: SVG inside HTML, a PNG data URI inside
    Markdown (one file that can be pasted whole; sanitizers let PNG data through, not SVG)."""

    caption: str
    draw: Callable[[], Any]  # -> a chart.Chart, or a matplotlib Figure (a sweep's plot)

    @cached_property
    def figure(self) -> Any:
        return self.draw()

    @cached_property
    def svg(self) -> str:
        from calculus.report.plots import svg_text

        return svg_text(self.figure)

    @cached_property
    def data_uri(self) -> str:
        from calculus.report.plots import png_bytes

        return "data:image/png;base64," + base64.b64encode(png_bytes(self.figure)).decode("ascii")


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
    # Version 2: the sentence the claim checks, a witness of `for some costs`, and the
    # verdict under each family of an `exchange` list (family, status, mark).
    quote: str | None = None
    witness: tuple[tuple[str, str], ...] | None = None
    by_family: tuple[tuple[str, str, str], ...] = ()
    holds_when: str | None = None
    repairs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectionView:
    """An objection re-checked: the verdicts it flips, and its own claims."""

    name: str
    drops: tuple[str, ...]
    flips: tuple[tuple[str, str, str], ...]
    claims: tuple[tuple[str, str, str, str, bool], ...]  # name, statement, status, mark, passed


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
    plot: Plot | None = None


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
    families: tuple[str, ...] = ()
    objections: tuple[ObjectionView, ...] = ()
    # `FILE:LINE:COL: warning[CODE]: message` of each warning of the check.
    warnings: tuple[str, ...] = ()
