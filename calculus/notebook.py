"""Jupyter: `%load_ext calculus`, then a `%%cost` cell is checked as a `.cost` file.

The cell's value is a `CellResult`: in a notebook it shows the report's claim table
(`_repr_html_`), elsewhere the lines `cost check` prints. Loading the extension only
registers the magic; the checker is imported when the first cell runs.
"""

from __future__ import annotations

import shlex
from typing import Any

__all__ = ["CellResult", "cost_cell", "load_ipython_extension"]

_BADGE = {
    "proved": ("✓", "#1a7f37"),
    "refuted": ("✗", "#cf222e"),
    "unknown": ("?", "#9a6700"),
}


class CellResult:
    """A checked cell: `result` is the `calculus.check.FileResult`."""

    def __init__(self, result: Any) -> None:
        self.result = result

    @property
    def ok(self) -> bool:
        return bool(self.result.ok)

    def lines(self) -> list[str]:
        from calculus.diagnostics import render
        from calculus.output import file_lines, summary_line

        result = self.result
        if result.input_error:
            return [render(d, result.source or None) for d in result.diagnostics]
        warnings = [render(w, result.source or None) for w in result.warnings]
        return [*warnings, *file_lines(result), summary_line([result])]

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        from markupsafe import Markup, escape

        result = self.result
        if result.input_error:
            return str(Markup("<pre>{}</pre>").format("\n".join(self.lines())))
        from calculus.report import build_report

        report = build_report(result, versions=())
        rows = []
        for claim in report.claims:
            mark, colour = _BADGE[claim.status]
            if claim.status == "proved":
                detail = "uses " + (", ".join(u.name for u in claim.uses) or "nothing")
            elif claim.counterexample is not None:
                detail = "counterexample: " + (
                    ", ".join(f"{atom} = {value}" for atom, value in claim.counterexample)
                    or "any admissible values"
                )
            else:
                detail = f"why: {claim.reason}"
            rows.append(
                Markup(
                    '<tr><td style="color:{};font-weight:bold;white-space:nowrap">{} {}</td>'
                    "<td>{}</td><td><code>{} {}</code></td><td>{}</td><td>{}</td></tr>"
                ).format(
                    colour,
                    mark,
                    claim.status,
                    claim.name,
                    claim.kind,
                    claim.statement,
                    "passes" if claim.passed else Markup("<strong>FAILS</strong>"),
                    detail,
                )
            )
        head = Markup(
            "<tr><th>verdict</th><th>claim</th><th>statement</th><th>result</th>"
            "<th>uses / counterexample</th></tr>"
        )
        summary = escape(report.summary.line)
        warnings = Markup("").join(
            Markup('<p style="color:#9a6700">⚠ {}</p>').format(w) for w in report.warnings
        )
        return str(
            Markup(
                '<div class="cost-result"><p><strong>{}</strong></p>{}<table>{}{}</table></div>'
            ).format(summary, warnings, head, Markup("").join(rows))
        )


def cost_cell(line: str, cell: str) -> CellResult:
    """`%%cost [--timeout S] [NAME]`: check the cell's text; NAME is the file name shown."""
    from calculus.check import DEFAULT_TIMEOUT, check_source

    words = shlex.split(line)
    timeout = DEFAULT_TIMEOUT
    name = "<cell>"
    while words:
        word = words.pop(0)
        if word == "--timeout" and words:
            timeout = float(words.pop(0))
        else:
            name = word
    return CellResult(check_source(cell, name, timeout))


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(cost_cell, magic_kind="cell", magic_name="cost")
