"""The proof report: goldens for proofs/speed_prior.cost, determinism, escaping, exit codes.

Regenerate the goldens after an intended change with

    COST_UPDATE_GOLDEN=1 pytest tests/test_report.py

The goldens hold the Markdown and the HTML's text content (tags, styles and plots
stripped; each <math> read by its alttext), rendered in a fresh process with placeholder
versions so a library upgrade does not touch them. Nothing in a report is a timing or a date.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from calculus.check import FileResult, check_source
from calculus.report import (
    build_report,
    markdown_escape,
    render_html,
    render_markdown,
    report_command,
    write_report,
)

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "report"
SPEED_PRIOR = "proofs/speed_prior.cost"
UPDATE = bool(os.environ.get("COST_UPDATE_GOLDEN"))
VERSIONS = (
    ("cost", "X"),
    ("sympy", "X"),
    ("z3", "X"),
    ("lark", "X"),
    ("jinja2", "X"),
    ("Pillow", "X"),
    ("matplotlib", "X"),
)

SMALL = """\
model "Small example"
primitive a, b, find
program P { stores a; runs b }
program Q { stores a, b; runs 3 * b }
program R { c = c(a) / 2; t = t(find(b)) }
assume slow_search: t(find(b)) > 2 * t(b)
claim p_simpler: P beats Q on c
claim p_wins: P beats Q
claim r_slow: P beats R on t
refute q_never: Q beats P for some g
ranges P, Q, R
scenario numbers {
  c(a) = 4
  t(find(b)) = 10
  default = 1
}
ranges P, Q, R in numbers
"""


class TextContent(html.parser.HTMLParser):
    """The text a reader sees: one line per block, each <math> as its alttext, plots as
    a `[plot]` marker, styles and the head left out."""

    BLOCKS = {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "li",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "pre",
        "figure",
        "figcaption",
        "dt",
        "dd",
        "ul",
        "nav",
        "br",
    }
    SKIPPED = {"style", "head", "svg", "math"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []
        self.preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.append(tag)
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in ("td", "th", "dd", "code", "span"):
            self.parts.append(" ")
        if tag == "math":
            self.parts.append(" " + (dict(attrs).get("alttext") or "") + " ")
        if tag == "svg":
            self.parts.append("\n[plot]\n")
        if tag in self.SKIPPED:
            self.skipping.append(tag)
        if tag == "pre":
            self.preformatted += 1

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "pre":
            self.preformatted -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            # Outside <pre>, a line break in the source is just a space.
            self.parts.append(data if self.preformatted else data.replace("\n", " "))

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line) + "\n"


def text_content(page: str) -> str:
    parser = TextContent()
    parser.feed(page)
    parser.close()
    return parser.text()


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with COST_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from its golden; if intended, run with COST_UPDATE_GOLDEN=1"
    )


@pytest.fixture(scope="module")
def small() -> FileResult:
    result = check_source(SMALL, "small.cost")
    assert not result.input_error, result.diagnostics
    return result


# ---- goldens ------------------------------------------------------------------------------

# z3's models depend on what the process asked it before, so the goldens are rendered in a
# fresh process: exactly what `cost report` would write, whatever ran earlier in this one.
RENDER = """
import json, sys
from calculus.check import check_source
from calculus.report import build_report, render_html, render_markdown
result = check_source(open(sys.argv[1], encoding="utf-8").read(), sys.argv[2])
report = build_report(result, versions=tuple(map(tuple, json.loads(sys.argv[3]))))
json.dump({"html": render_html(report), "markdown": render_markdown(report)}, sys.stdout)
"""


@pytest.fixture(scope="module")
def speed_prior_rendered() -> dict[str, str]:
    if not (ROOT / SPEED_PRIOR).exists():
        pytest.skip(f"{SPEED_PRIOR} is not there")
    completed = subprocess.run(
        [sys.executable, "-c", RENDER, str(ROOT / SPEED_PRIOR), SPEED_PRIOR, json.dumps(VERSIONS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    rendered: dict[str, str] = json.loads(completed.stdout)
    return rendered


_PNG_DATA = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def test_golden_markdown(speed_prior_rendered: dict[str, str]) -> None:
    # The plots' pixels depend on the installed fonts and Pillow; the text does not.
    markdown = _PNG_DATA.sub("data:image/png;base64,…", speed_prior_rendered["markdown"])
    check_golden("speed_prior.md", markdown)


class _Visible(html.parser.HTMLParser):
    """From GitHub-style rendered Markdown: prose text, display math, inline math, images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.prose: list[str] = []
        self.display: list[str] = []
        self.inline: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.code: list[str | None] = []  # the class of each open <code>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "code":
            self.code.append(dict(attrs).get("class") or "")
            self.buffer: list[str] = []
        if tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self.code:
            kind = self.code.pop()
            text = "".join(self.buffer)
            if kind == "language-math":
                self.display.append(text.strip())
            elif self.prose and self.prose[-1].endswith("$"):
                self.inline.append(text)

    def handle_data(self, data: str) -> None:
        if self.code:
            self.buffer.append(data)
        else:
            self.prose.append(data)


def _github_render(markdown: str) -> _Visible:
    """Markdown as GitHub renders it: CommonMark with GFM tables and strikethrough; GitHub
    then typesets ```` ```math ```` blocks and $`…`$ spans with MathJax."""
    from markdown_it import MarkdownIt

    page = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    visible = _Visible()
    visible.feed(page)
    visible.close()
    return visible


def test_markdown_renders_on_github(speed_prior_rendered: dict[str, str]) -> None:
    markdown = speed_prior_rendered["markdown"]
    rendered = _github_render(markdown)
    prose = "".join(rendered.prose)
    # No Markdown escape survives into what a reader sees.
    assert "\\" not in prose, [line for line in prose.splitlines() if "\\" in line][:5]
    assert "$$" not in markdown  # GitHub's own math syntax only
    assert rendered.display and rendered.inline
    for formula in rendered.display + rendered.inline:
        # MathJax shows `\_` inside a text-mode macro as a backslash and an underscore.
        assert not re.search(r"\\(text|texttt|textrm|mbox)\b", formula), formula
        assert formula.count("{") == formula.count("}"), formula
        assert "|" not in formula  # a table cell would end there
    # Each program's costs are stated once, as math, and not again as text.
    assert len(rendered.display) == len(set(rendered.display))
    assert not re.search(r"\b[ct]\(H\w+\) = ", prose)
    # Plots travel inside the file.
    assert rendered.images
    assert all(
        str(image.get("src")).startswith("data:image/png;base64,") for image in rendered.images
    )


def test_atom_names_are_math_mode_identifiers(small: FileResult) -> None:
    programs = {p.name: p for p in build_report(small).programs}
    assert programs["R"].t.latex == r"t(\mathtt{R}) = t(\mathtt{find(b)})"
    result = check_source("primitive get_base_obj\nprogram P { stores get_base_obj }\n", "u.cost")
    (program,) = build_report(result).programs
    assert program.c.latex == r"c(\mathtt{P}) = c(\mathtt{get\_base\_obj})"


def test_golden_html_text(speed_prior_rendered: dict[str, str]) -> None:
    check_golden("speed_prior.html.txt", text_content(speed_prior_rendered["html"]))


def test_goldens_hold_no_timing() -> None:
    for path in GOLDEN.glob("speed_prior.*"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\d+(\.\d+)?\s*(ms|s|seconds)\b", text), path
        assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), path


# ---- content ------------------------------------------------------------------------------


def test_html_is_self_contained(small: FileResult) -> None:
    page = render_html(build_report(small))
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "nothing is fetched"
    assert "@import" not in page and "url(http" not in page
    assert page.count("<svg") == 2  # one plot per ranges statement
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML"' in page
    # A cost atom prints whole, not with its underscores read as subscripts.
    assert "<msub>" not in page


def test_summary_and_badges(small: FileResult) -> None:
    report = build_report(small)
    assert report.summary.claims == 4
    assert (report.summary.proved, report.summary.refuted, report.summary.unknown) == (3, 1, 0)
    page = render_html(report)
    assert page.index("4 claims: 3 proved, 1 refuted, 0 unknown") < page.index('id="model"')
    assert '<span class="badge proved">✓ proved</span>' in page
    assert '<span class="badge refuted">✗ refuted</span>' in page
    assert "small.cost:7" in page  # claim p_simpler, as file:line


def test_program_costs_are_derived(small: FileResult) -> None:
    programs = {p.name: p for p in build_report(small).programs}
    assert programs["Q"].c.text == "c(Q) = c(a) + c(b)"
    assert programs["Q"].t.text == "t(Q) = 3*t(b)"
    assert programs["R"].c.text == "c(R) = c(a)/2"
    assert r"c(\mathtt{a})" in programs["Q"].c.latex


def test_proved_claim_shows_difference_and_uses(small: FileResult) -> None:
    claims = {c.name: c for c in build_report(small).claims}
    slow = claims["r_slow"]
    assert slow.status == "proved" and [u.name for u in slow.uses] == ["slow_search", "positivity"]
    assert slow.uses[0].location == "small.cost:6"
    (comparison,) = slow.comparisons
    assert comparison.lhs.text == "t(b)" and comparison.rhs.text == "t(find(b))"
    assert comparison.difference.text == "-t(b) + t(find(b))"
    assert comparison.needed == "> 0"
    assert "slow_search" in slow.step


def test_counterexample_sides_are_evaluated_exactly() -> None:
    result = check_source(
        "primitive a, b\nprogram P { stores a; runs b }\nprogram Q { stores b; runs a }\n"
        "claim wrong: P beats Q on c\n",
        "cx.cost",
    )
    (claim,) = build_report(result).claims
    assert claim.status == "refuted" and not claim.passed
    values = {name: Fraction(value) for name, value in claim.counterexample or ()}
    (comparison,) = claim.comparisons
    left, right, difference = (v.value.text for v in comparison.values)
    assert Fraction(left) == values["c(a)"]
    assert Fraction(right) == values["c(b)"]
    assert Fraction(difference) == values["c(b)"] - values["c(a)"] <= 0
    assert comparison.holds_there is False


def test_refute_for_some_g_keeps_g_symbolic(small: FileResult) -> None:
    claims = {c.name: c for c in build_report(small).claims}
    wins = claims["q_never"]
    assert wins.status == "refuted" and wins.passed
    assert all(name != "g" for name, _ in wins.counterexample or ())
    assert wins.comparisons[0].holds_there is None  # the truth still depends on g


def test_scenario_plot_and_symbolic_chart(small: FileResult) -> None:
    ranges = build_report(small).ranges
    symbolic, scenario = ranges
    assert symbolic.scenario is None and scenario.scenario == "numbers"
    assert scenario.plot is not None and "score" in scenario.plot.caption
    assert {row.program: (row.c, row.t) for row in scenario.rows} == {
        "P": ("4", "1"),
        "Q": ("5", "3"),
        "R": ("2", "10"),
    }
    assert scenario.plot.svg.startswith("<svg")
    if symbolic.status == "exact":
        assert symbolic.plot is not None and "robust" in symbolic.plot.caption
    else:
        assert symbolic.plot is None


def test_reductions_plug_in(small: FileResult) -> None:
    @dataclass(frozen=True)
    class Record:
        passed: bool

        def as_json(self) -> dict[str, Any]:
            return {
                "name": "bandit <pair>",
                "passed": self.passed,
                "minimal_size": 3,
                "circuit": {"gates": [[1, 2]], "listing": ["x3 = AND(x1, x2)", "out <- x3"]},
            }

    result = replace(small, reductions=(Record(True),))
    page = render_html(build_report(result))
    assert 'id="reductions"' in page
    assert "bandit &lt;pair&gt;" in page
    assert "x3 = AND(x1, x2)\nout &lt;- x3" in page
    assert "minimal_size" in page
    markdown = render_markdown(build_report(result))
    assert "## Reductions" in markdown and "out <- x3" in markdown  # inside a code block
    assert "bandit &lt;pair&gt;" in markdown


def test_unknown_verdicts_and_ranges_say_why(small: FileResult) -> None:
    from calculus.logic import Verdict

    claims = (
        replace(small.claims[0], verdict=Verdict("unknown", reason="the solver timed out")),
        *small.claims[1:],
    )
    ranges = (
        replace(small.ranges[0], status="unknown", reason="the elimination gave up"),
        *small.ranges[1:],
    )
    report = build_report(replace(small, claims=claims, ranges=ranges))
    assert report.summary.unknown == 1 and not report.summary.ok
    assert report.summary.line.endswith("; 1 failed; 1 ranges unknown")
    assert report.claims[0].step == "The solver could not decide the claim: the solver timed out."
    assert report.ranges[0].plot is None
    page = render_html(report)
    assert '<span class="badge unknown">? unknown</span>' in page
    assert "Why unknown:</strong> the solver timed out" in page
    assert "the elimination gave up" in page
    markdown = render_markdown(report)
    assert "🟡 ? unknown" in markdown and "the elimination gave up" in markdown


def test_non_linear_counterexample_evaluates_g_at_its_points() -> None:
    result = check_source(
        "primitive a, b\nprogram P { stores a; runs b }\n"
        "program Q { stores a, b; runs b }\nexchange monotone\n"
        "refute q_wins: Q beats P\n",
        "mono.cost",
    )
    (claim,) = build_report(result).claims
    assert claim.status == "refuted" and claim.passed
    assert any(name.startswith("g(") for name, _ in claim.counterexample or ())
    (comparison,) = claim.comparisons
    assert comparison.values[2].exact and comparison.holds_there is False
    assert "every monotone g" not in claim.step and "g > 0" not in claim.step


# ---- escaping -----------------------------------------------------------------------------

HOSTILE = """\
model "<script>alert('title')</script> & <b>bold</b> *x* [l](javascript:x) $y$ | ``` <!--"
primitive a, b
program P { stores a; runs b }
program Q { stores a, b; runs b }
claim ok: P beats Q on c   # </code></pre><script>alert(1)</script> ``` <img src=x onerror=alert(2)>
refute no: Q beats P on c <-> P beats Q on c   # <style>body{display:none}</style>
"""


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collector(html.parser.HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Collector().feed(page)
    return found


def test_hostile_strings_cannot_inject_html() -> None:
    result = check_source(HOSTILE, "hostile.cost")
    assert not result.input_error, result.diagnostics
    page = render_html(build_report(result))
    tags = _tags(page)
    assert [t for t, _ in tags].count("script") == 0
    assert [t for t, _ in tags].count("style") == 1  # the page's own
    assert "img" not in [t for t, _ in tags] and "b" not in [t for t, _ in tags]
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    text = text_content(page)
    assert "<script>alert('title')</script> & <b>bold</b>" in text  # shown, as text


def test_hostile_strings_cannot_inject_markdown() -> None:
    from markdown_it import MarkdownIt

    result = check_source(HOSTILE, "hostile.cost")
    markdown = render_markdown(build_report(result))
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    tags = [t for t, _ in _tags(rendered)]
    assert "script" not in tags and "img" not in tags and "b" not in tags and "style" not in tags
    assert "javascript:" not in "".join(str(a.get("href")) for _, a in _tags(rendered))
    title = rendered.split("</h1>")[0]
    assert "<em>" not in title and "<a" not in title
    # The fenced source keeps its backticks inside a longer fence.
    assert "````\nclaim ok: P beats Q on c   # </code></pre><script>" in markdown


def test_markdown_escape() -> None:
    assert markdown_escape("a_b*c") == r"a\_b\*c"
    assert markdown_escape("<x> & y") == "&lt;x&gt; &amp; y"
    assert markdown_escape("# not a heading") == r"\# not a heading"
    assert markdown_escape("one\ntwo") == "one two"


# ---- files and exit codes ----------------------------------------------------------------


def test_write_report_markdown_is_one_file_with_its_plots_inside(
    small: FileResult, tmp_path: Path
) -> None:
    import base64

    output = tmp_path / "out" / "my report.md"
    output.parent.mkdir()
    write_report(small, output)
    assert sorted(p.name for p in output.parent.iterdir()) == ["my report.md"]
    text = output.read_text(encoding="utf-8")
    assert "```math\nc(\\mathtt{P}) = c(\\mathtt{a})\n```" in text
    images = re.findall(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
    assert len(images) == sum(1 for view in build_report(small).ranges if view.plot)
    assert len(images) >= 1
    for image in images:
        assert base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n")


def test_report_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    passing = tmp_path / "passing.cost"
    passing.write_text(
        "primitive a, b\nprogram P { stores a }\nprogram Q { stores a, b }\n"
        "claim fine: P beats Q on c\n"
    )
    failing = tmp_path / "failing.cost"
    failing.write_text(
        "primitive a, b\nprogram P { stores a }\nprogram Q { stores b }\n"
        "claim wrong: P beats Q on c\n"
    )
    assert report_command(str(passing), str(tmp_path / "passing.html"), 10.0) == 0
    # A failing claim still gets its report: a refutation is the point of one.
    assert report_command(str(failing), str(tmp_path / "failing.html"), 10.0) == 1
    assert "FAILS" in (tmp_path / "failing.html").read_text(encoding="utf-8")
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_syntax_error_writes_nothing(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.cost"
    bad.write_text("primitive a\nprogram P { stores a\nclaim x: P beats\n")
    out = tmp_path / "out"
    out.mkdir()
    assert report_command(str(bad), str(out / f"report{suffix}"), 10.0) == 2
    assert list(out.iterdir()) == []
    error = capsys.readouterr().err
    assert re.search(r"bad\.cost:\d+:\d+: error\[syntax\]", error), error


def test_unknown_output_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.cost"
    good.write_text("primitive a\n")
    assert report_command(str(good), str(tmp_path / "report.pdf"), 10.0) == 2
    assert not (tmp_path / "report.pdf").exists()
    assert ".html or .md" in capsys.readouterr().err


def _same_files(here: Path, there: Path) -> None:
    files = sorted(p.name for p in here.iterdir())
    assert files == sorted(p.name for p in there.iterdir())
    assert files == ["r.html", "r.md"]  # the Markdown report holds its plots
    for name in files:
        assert (here / name).read_bytes() == (there / name).read_bytes(), name


def test_rendering_twice_gives_the_same_bytes(small: FileResult, tmp_path: Path) -> None:
    # Rendering only: z3 may pick other counterexamples once it has answered other
    # queries in the same process, which the fresh-process test below rules out.
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        write_report(small, tmp_path / name / "r.html")
        write_report(small, tmp_path / name / "r.md")
    _same_files(tmp_path / "first", tmp_path / "second")


@pytest.mark.slow
def test_runs_in_fresh_processes_are_byte_identical(tmp_path: Path) -> None:
    """Different hash seeds, so nothing may depend on the order of a set or dict of str."""
    source = tmp_path / "small.cost"
    source.write_text(SMALL)
    for seed, name in (("1", "first"), ("4242", "second")):
        (tmp_path / name).mkdir()
        command = [sys.executable, "-m", "calculus", "report", str(source), "-o"]
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        for suffix in ("html", "md"):
            completed = subprocess.run(
                [*command, str(tmp_path / name / f"r.{suffix}")],
                env=environment,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert completed.returncode == 0, completed.stderr
    _same_files(tmp_path / "first", tmp_path / "second")


def test_a_report_draws_its_plots_without_matplotlib() -> None:
    """The plots are drawn from the exact breakpoints: matplotlib is never imported for a
    report of ranges, and Pillow only to paint the Markdown's PNGs."""
    probe = """
import sys
from calculus.check import check_source
from calculus.report import build_report, render_html, render_markdown
plain = check_source("primitive a, b\\nprogram P { stores a }\\nprogram Q { stores a, b }\\n"
                     "claim c1: P beats Q on c\\n", "plain.cost")
render_markdown(build_report(plain)); render_html(build_report(plain))
assert "PIL" not in sys.modules, "imported for a report without plots"
ranged = check_source(sys.argv[1], "small.cost")
report = build_report(ranged)
assert "<svg" in render_html(report)
assert "PIL" not in sys.modules, "imported for the HTML report, whose plots are SVG"
assert "data:image/png;base64," in render_markdown(report)
assert "PIL" in sys.modules
assert not [m for m in sys.modules if m.split(".")[0] in ("matplotlib", "numpy")]
"""
    completed = subprocess.run(
        [sys.executable, "-c", probe, SMALL], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr


def test_breakpoint_label_stays_inside_the_plot() -> None:
    """A breakpoint in the right half is labelled to the left of its line, and a long
    exact number is shown by its approximation, so the label is never cut off."""
    from calculus.dominance import scenario_ranges
    from calculus.report.plots import score_plot, svg_text

    lines = {"P": (Fraction(1), Fraction(0)), "Q": (Fraction(0), Fraction(10**27 * 5, 54))}
    rows = scenario_ranges(lines, "s").rows
    svg = svg_text(score_plot(lines, rows, "s"))
    width = float(re.search(r'<svg[^>]*viewBox="0 0 ([\d.]+) ', svg).group(1))  # type: ignore[union-attr]
    label = re.search(r'<text class="label" x="([\d.]+)"[^>]*>g ≈ 9\.26e\+25</text>', svg)
    assert label is not None, "the breakpoint is labelled by its approximation"
    assert 'text-anchor="end"' in label.group(0)  # it ends at its line, left of it
    assert 0 < float(label.group(1)) < width
