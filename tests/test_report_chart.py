"""The report's charts, drawn from exact breakpoints: the SVG is well-formed XML whose lines
pass through each program's exact score at every breakpoint, read back through the axis
ticks; tick labels say the numbers they stand at; the PNG is the same chart, painted."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from calculus.dominance import scenario_ranges
from calculus.report.chart import nice_ticks, tick_text
from calculus.report.plots import PALETTE, intervals_chart, png_bytes, score_plot, svg_text

SVG = "{http://www.w3.org/2000/svg}"

# The essay's plausible scenario (proofs/speed_prior.cost): c and t of each program. By hand:
# Hfh = Hsd where 1002 g + 2 = 4 g + 100003, i.e. g = 100001/998 ≈ 100.2; Hfd is above Hfh
# for every g > 0 (1004 g + 3 > 1002 g + 2), so it never wins.
ESSAY_LINES = {
    "Hfh": (Fraction(1002), Fraction(2)),
    "Hsd": (Fraction(4), Fraction(100003)),
    "Hfd": (Fraction(1004), Fraction(3)),
}
ESSAY_BREAKPOINT = Fraction(100001, 998)


def parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def axis_map(root: ET.Element, which: str) -> tuple[float, float]:
    """(scale, offset) with pixel = scale * value + offset, from the ticks of an axis; every
    tick must sit on that one straight map."""
    ticks = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == f"tick {which}":
            line = group.find(f"{SVG}line")
            assert line is not None
            position = float(line.get("x1" if which == "x" else "y1", "nan"))
            ticks.append((float(group.get("data-value", "nan")), position))
    assert len(ticks) >= 2, f"the {which} axis has fewer than two ticks"
    (v0, p0), (v1, p1) = ticks[0], ticks[-1]
    scale = (p1 - p0) / (v1 - v0)
    for value, position in ticks:
        assert position == pytest.approx(scale * value + p0 - scale * v0, abs=0.02)
    return scale, p0 - scale * v0


def tick_labels(root: ET.Element, which: str) -> list[tuple[float, str]]:
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == f"tick {which}":
            text = group.find(f"{SVG}text")
            assert text is not None and text.text
            found.append((float(group.get("data-value", "nan")), text.text))
    return found


def series(root: ET.Element) -> dict[str, tuple[str, list[tuple[float, float]]]]:
    """Each program's line: its colour and its points in pixels."""
    found = {}
    for line in root.iter(f"{SVG}polyline"):
        name = line.get("data-series")
        if name:
            points = [tuple(map(float, pair.split(","))) for pair in line.get("points", "").split()]
            found[name] = (line.get("stroke", ""), [(x, y) for x, y in points])
    return found


def test_nice_ticks_by_hand() -> None:
    assert nice_ticks(0, 150) == [0, 50, 100, 150]  # 30 per step asked, 50 is the next round
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 170_000) == [0, 50_000, 100_000, 150_000]
    assert nice_ticks(0, 12) == [0, 2.5, 5, 7.5, 10]


def test_tick_text_by_hand() -> None:
    assert tick_text(250, 50) == "250"
    assert tick_text(0.25, 0.05) == "0.25"
    assert tick_text(7.5, 2.5) == "7.5"
    assert tick_text(0, 2.5) == "0"
    assert tick_text(2.5e8, 5e7) == "2.5×10⁸"


def test_score_plot_lines_pass_through_the_exact_scores_at_the_breakpoints() -> None:
    rows = scenario_ranges(ESSAY_LINES, "plausible").rows
    root = parsed(svg_text(score_plot(ESSAY_LINES, rows, "plausible")))
    x_scale, x_offset = axis_map(root, "x")
    y_scale, y_offset = axis_map(root, "y")
    lines = series(root)
    assert list(lines) == ["Hfh", "Hsd", "Hfd"]
    # Colours: the colour-blind-safe palette, in the order the programs are listed.
    assert [colour for colour, _ in lines.values()] == list(PALETTE[:3])
    # The SVG's coordinates are written to 0.01 pixel: that much, in data units, is exact.
    x_step, y_step = 0.011 / abs(x_scale), 0.011 / abs(y_scale)
    for name, (c, t) in ESSAY_LINES.items():
        data = [((x - x_offset) / x_scale, (y - y_offset) / y_scale) for x, y in lines[name][1]]
        assert data[0][0] == pytest.approx(0, abs=x_step)
        # A vertex exactly at the breakpoint, at the program's exact score there.
        at_break = [p for p in data if abs(p[0] - float(ESSAY_BREAKPOINT)) <= x_step]
        assert len(at_break) == 1, name
        expected = float(c * ESSAY_BREAKPOINT + t)
        assert at_break[0][1] == pytest.approx(expected, abs=y_step)
        for g, score in data:
            assert score == pytest.approx(float(c) * g + float(t), abs=y_step + x_step * float(c))


def test_score_plot_axes_titles_and_labels() -> None:
    rows = scenario_ranges(ESSAY_LINES, "plausible").rows
    text = svg_text(score_plot(ESSAY_LINES, rows, "plausible"))
    root = parsed(text)
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "scenario plausible"
    assert desc is not None and "Hfh wins for g in (0, 100001/998)" in (desc.text or "")
    # Ticks: round numbers, labelled by themselves. The g-axis runs to 1.5 x the breakpoint.
    assert [label for _, label in tick_labels(root, "x")] == ["0", "50", "100", "150"]
    for value, label in tick_labels(root, "x") + tick_labels(root, "y"):
        assert float(label) == value
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert {"exchange rate g", "Hfh wins", "Hsd wins", "g = 100001/998 ≈ 100.2"} <= labels
    assert "Hfd wins" not in labels
    assert {"Hfh: 1002·g + 2", "Hsd: 4·g + 100003", "Hfd: 1004·g + 3"} <= labels  # legend
    assert text.count("<svg") == 1 and "<?xml" not in text  # inline in HTML


def test_intervals_chart_ticks_are_the_exact_ends() -> None:
    # P = 2 g, Q = 5: P wins below g = 5/2, Q above it.
    lines = {"P": (Fraction(2), Fraction(0)), "Q": (Fraction(0), Fraction(5))}
    rows = scenario_ranges(lines, "s").rows
    root = parsed(svg_text(intervals_chart(rows)))
    assert tick_labels(root, "x") == [(0.0, "0"), (2.5, "5/2")]
    assert [label for _, label in tick_labels(root, "y")] == ["P", "Q"]
    x_scale, x_offset = axis_map(root, "x")
    # P's bar runs from 0 to 5/2, Q's from 5/2 to the right edge and on (an arrow).
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "band"]
    ends = sorted(
        (
            round((float(r.get("x", "0")) - x_offset) / x_scale, 4),
            round((float(r.get("x", "0")) + float(r.get("width", "0")) - x_offset) / x_scale, 4),
            r.get("fill"),
        )
        for r in bars
    )
    assert (0.0, 2.5, PALETTE[0]) in ends
    assert any(lo == 2.5 and fill == PALETTE[1] for lo, _, fill in ends)
    assert len([p for p in root.iter(f"{SVG}polygon") if p.get("class") == "arrow"]) >= 1
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "P: robust (0, 5/2)" in (desc.text or "")


def test_png_is_the_chart_painted_the_same_each_time() -> None:
    from PIL import Image

    rows = scenario_ranges(ESSAY_LINES, "plausible").rows
    chart = score_plot(ESSAY_LINES, rows, "plausible")
    data = png_bytes(chart)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png_bytes(chart) == data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (792, 462)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []

    def near(target: str) -> int:
        rgb = tuple(int(target[i : i + 2], 16) for i in (1, 3, 5))
        return sum(
            n for n, c in colours if max(abs(a - b) for a, b in zip(c, rgb, strict=True)) < 16
        )

    for colour in PALETTE[:3]:
        assert near(colour) > 100, f"{colour} is not painted"
