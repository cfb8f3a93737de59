"""Plots for the proof report: score lines of a scenario and interval charts of symbolic ranges.

Both are drawn from the exact breakpoints as `chart.Chart` records (SVG for HTML, PNG for
Markdown), the same bytes on every run. `svg_text` and `png_bytes` also save a matplotlib
Figure (a sweep's plot), importing matplotlib only then.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from calculus.dominance import Interval, RangeRow, format_intervals
from calculus.numbers import approximation, fraction_text
from calculus.report import chart
from calculus.report.chart import (
    Arrow,
    Axis,
    Band,
    Chart,
    Dot,
    Label,
    LegendEntry,
    Polyline,
    labelled_ticks,
)

__all__ = [
    "PALETTE",
    "colour",
    "score_plot",
    "intervals_chart",
    "svg_text",
    "png_bytes",
    "breakpoints",
    "prefix_ids",
]

# Colour-blind-friendly (Okabe–Ito), in the order programs are listed.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

# How a matplotlib figure (a sweep's) is saved; typed loosely: matplotlib's stubs want
# literal keys.
_STYLE: Any = {
    "svg.hashsalt": "cost-report",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.formatter.useoffset": False,
}


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _approximate(value: Fraction) -> str:
    return f"{float(value):.4g}"


def _label(value: Fraction) -> str:
    """`1000001/118 ≈ 8475`; exact integers and short decimals stand alone, and a number
    too long to read is shown by its approximation alone."""
    exact = fraction_text(value)
    long = approximation(value)
    if long is not None:
        return long
    approximate = _approximate(value)
    return exact if approximate == exact else f"{exact} ≈ {approximate}"


def svg_text(figure: Any) -> str:
    """A chart, or a matplotlib Figure, as one inline <svg> element."""
    if isinstance(figure, Chart):
        return chart.svg(figure)
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # Keep only the <svg> element: the XML prologue and DOCTYPE are not allowed inline in HTML.
    return text[text.index("<svg") :].strip() + "\n"


def png_bytes(figure: Any, dpi: int = 110) -> bytes:
    """A chart, or a matplotlib Figure, as PNG bytes."""
    if isinstance(figure, Chart):
        return chart.png(figure)
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def prefix_ids(svg: str, prefix: str) -> str:
    """Give every id in `svg` a prefix, so several plots can sit inline in one HTML page."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)


def breakpoints(rows: Sequence[RangeRow]) -> list[Any]:
    """Every finite end > 0 of every interval in the rows (rational or algebraic), in
    increasing order."""
    found: set[Any] = set()
    for row in rows:
        for interval in (*row.robust, *row.possible):
            for end in (interval.lo, interval.hi):
                if end is not None and end > 0:
                    found.add(end)
    return sorted(found)


def _crossings(lines: Mapping[str, tuple[Fraction, Fraction]]) -> list[Fraction]:
    values = list(lines.values())
    found: set[Fraction] = set()
    for i, (c1, t1) in enumerate(values):
        for c2, t2 in values[i + 1 :]:
            if c1 != c2:
                g = (t2 - t1) / (c1 - c2)
                if g > 0:
                    found.add(g)
    return sorted(found)


def _extent(points: Sequence[Fraction]) -> float:
    """How far right the g-axis reaches: past the last interesting point, or to 1."""
    return float(max(points)) * 1.5 if points else 1.0


def _where_each_wins(rows: Sequence[RangeRow]) -> str:
    parts = [f"{row.program} wins for g in {format_intervals(row.robust)}" for row in rows]
    return "; ".join(parts)


def score_plot(
    lines: Mapping[str, tuple[Fraction, Fraction]],
    rows: Sequence[RangeRow],
    scenario: str | None = None,
) -> Chart:
    """score_g(P) = g·c(P) + t(P) for each program against g, each program's winning
    region shaded in its colour and the breakpoints between regions marked. Each line
    passes through its exact value at every breakpoint."""
    points = breakpoints(rows)
    right = _extent(points or _crossings(lines))
    names = list(lines)
    inside = [float(p) for p in points if float(p) < right]

    def score(name: str, g: float) -> float:
        c, t = lines[name]
        return float(t) + float(c) * g

    top = max((score(name, g) for name in names for g in (0.0, right)), default=1.0) or 1.0
    y_ticks = labelled_ticks(0.0, top)
    high = max(top * 1.12, y_ticks[-1][0])
    series = tuple(
        Polyline(
            tuple((g, score(name, g)) for g in (0.0, *inside, right)),
            colour(index),
            1.2,
            series=name,
        )
        for index, name in enumerate(names)
    )
    bands, envelope, labels = [], [], []
    row_of = {row.program: row for row in rows}
    for index, name in enumerate(names):
        row = row_of.get(name)
        for interval in row.robust if row else ():
            lo = float(interval.lo)
            hi = right if interval.hi is None else min(float(interval.hi), right)
            bands.append(Band(lo, hi, colour(index), 0.12))
            # The lower envelope: the program's own line where it wins, drawn bold.
            envelope.append(
                Polyline(((lo, score(name, lo)), (hi, score(name, hi))), colour(index), 3.2)
            )
            labels.append(Label((lo + hi) / 2, None, f"{name} wins", colour(index), bold=True))
    marks, dots = [], []
    for point in points:
        x = float(point)
        marks.append(Polyline(((x, 0.0), (x, high)), "#555555", 0.8, dashed=True))
        dots.append(Dot(x, min(score(name, x) for name in names), "#222222", 2.5))
        # Inside the plot whatever the number's length: left of the line when the
        # breakpoint sits in the right half of the plot.
        right_half = x > right / 2
        text = _label(point)
        labels.append(
            Label(
                x,
                None,
                f"g {text}" if text.startswith("≈") else f"g = {text}",
                "#222222",
                anchor="end" if right_half else "start",
                size=10.0,
                edge="bottom",
                dx=-5 if right_half else 5,
            )
        )
    title = f"scenario {scenario}" if scenario else ""
    return Chart(
        title=title or "score against the exchange rate g",
        description=(
            f"Lines of score_g(P) = g·c(P) + t(P) against g from 0 to {_approximate_float(right)}"
            f" for {', '.join(names)}"
            + (f" in scenario {scenario}" if scenario else "")
            + f"; lower wins. {_where_each_wins(rows)}."
        ),
        x=Axis(0.0, right, "exchange rate g", labelled_ticks(0.0, right)),
        y=Axis(0.0, high, "score_g(P) = g·c(P) + t(P)   (lower wins)", y_ticks),
        bands=tuple(bands),
        lines=(*marks, *series, *envelope),
        dots=tuple(dots),
        labels=tuple(labels),
        legend=tuple(
            LegendEntry(
                colour(index),
                f"{name}: {fraction_text(lines[name][0])}·g + {fraction_text(lines[name][1])}",
            )
            for index, name in enumerate(names)
        ),
    )


def _approximate_float(value: float) -> str:
    return f"{value:.4g}"


def intervals_chart(rows: Sequence[RangeRow]) -> Chart:
    """One bar per program over the g-axis: robust ranges solid, possible ranges light;
    filled dots are closed ends, hollow dots open ones, an arrow runs on to infinity."""
    points = breakpoints(rows)
    right = _extent(points)
    count = len(rows)
    bands: list[Band] = []
    dots: list[Dot] = []
    arrows: list[Arrow] = []
    labels: list[Label] = []
    for position, row in enumerate(rows):
        y = count - 1 - position
        tint = colour(position)
        if not row.possible and not row.robust:
            labels.append(
                Label(right * 0.01, y, "∅  wins for no g", "#59636e", anchor="start", dy=4)
            )
        for intervals, height, alpha in ((row.possible, 0.62, 0.25), (row.robust, 0.3, 0.9)):
            for interval in intervals:
                _interval_bar(interval, y, height, alpha, tint, right, bands, dots, arrows)
    marks = tuple(
        Polyline(((float(p), -0.6), (float(p), count - 0.4)), "#777777", 0.8, dashed=True)
        for p in points
    )
    note = "" if points else "; no finite ends"
    return Chart(
        title="",
        description=(
            "Dominance ranges of the exchange rate g: robust ranges solid, possible ranges "
            f"light. {'; '.join(_row_text(row) for row in rows)}."
        ),
        # The ends are exact numbers, so the ticks are exactly the ends; with none, the
        # g-axis has no scale to show.
        x=Axis(
            0.0,
            right,
            f"exchange rate g   (solid: robust, light: possible, ▸: on to ∞{note})",
            ((0.0, "0"), *((float(p), fraction_text(p)) for p in points)),
        ),
        y=Axis(
            -0.6,
            count - 0.4,
            "",
            tuple((float(count - 1 - i), row.program) for i, row in enumerate(rows)),
        ),
        height=96.0 + 52.0 * count,
        bands=tuple(bands),
        lines=marks,
        dots=tuple(dots),
        arrows=tuple(arrows),
        labels=tuple(labels),
        y_grid=False,
    )


def _row_text(row: RangeRow) -> str:
    return (
        f"{row.program}: robust {format_intervals(row.robust)}, "
        f"possible {format_intervals(row.possible)}"
    )


def _interval_bar(
    interval: Interval,
    y: float,
    height: float,
    alpha: float,
    tint: str,
    right: float,
    bands: list[Band],
    dots: list[Dot],
    arrows: list[Arrow],
) -> None:
    lo = float(interval.lo)
    hi = right if interval.hi is None else float(interval.hi)
    bands.append(Band(lo, max(hi, lo + right * 0.004), tint, alpha, y - height / 2, y + height / 2))
    for end, closed in ((interval.lo, interval.lo_closed), (interval.hi, interval.hi_closed)):
        if end is None:
            arrows.append(Arrow(right, y, tint, max(alpha, 0.5)))
            continue
        if alpha < 0.5:
            continue  # the ends of a possible range are drawn by its robust part, if any
        dots.append(Dot(float(end), y, tint, 3.5, hollow=not closed))
