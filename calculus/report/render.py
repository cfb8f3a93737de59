"""Laying a report out: the jinja2 environments for HTML and Markdown, and Markdown escaping.

Everything from the `.cost` file reaches the page through escaping (HTML autoescaping, or
`markdown_escape` as the Markdown environment's finalizer), so no name, title or claim can
inject markup. Formulas reach Markdown as GitHub's math: `$`…`$` inline, ```` ```math ````
blocks on their own.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2
from markupsafe import Markup

from calculus.report.math import Math
from calculus.report.views import Report

__all__ = ["markdown_escape", "render_html", "render_markdown"]

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
    """GitHub's inline math, $`…`$: the backticks keep Markdown from reading `_` or `\\`
    inside. It sits in table cells, where a bare `|` would end the cell even in code."""
    return Markup("$`" + item.latex.replace("|", r"\vert ") + "`$")


def _latex_block(item: Math) -> Markup:
    """A display formula as GitHub writes one: a fenced block with the info string `math`."""
    return Markup(f"```math\n{item.latex}\n```")


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


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (keyed by each template's source checksum), in
    jinja2's per-user temporary directory: compiling them costs a report more than drawing
    its plots. None when that directory cannot be made."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@functools.cache
def _environment(kind: str) -> jinja2.Environment:
    """The environment for `kind`, made once per process (it holds the compiled templates)."""
    common: dict[str, Any] = {
        "loader": jinja2.PackageLoader("calculus", "templates"),
        "bytecode_cache": _bytecode_cache(),
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
    return environment


def render_html(report: Report, plot_prefix: str = "plot") -> str:
    from calculus.report.plots import prefix_ids

    inline = {
        view.anchor: Markup(prefix_ids(view.plot.svg, f"{plot_prefix}-{view.anchor}-"))
        for view in report.ranges
        if view.plot is not None
    }
    return _environment("html").get_template("report.html.j2").render(report=report, inline=inline)


def render_markdown(report: Report) -> str:
    text = _environment("markdown").get_template("report.md.j2").render(report=report)
    return re.sub(r"\n{3,}", "\n\n", text)
