"""Plots for the proof report: score lines of a scenario and interval charts of symbolic ranges.

Each plot is a matplotlib Figure, saved as SVG text or PNG bytes that are the same on every
run (fixed hash salt, no date or software stamp, SVG text kept as text); no pyplot, so no
global figure state is touched. matplotlib is imported when the first figure is drawn.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from calculus.dominance import Interval, RangeRow
from calculus.numbers import approximation, fraction_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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

# Typed loosely: matplotlib's stubs want literal keys.
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


def svg_text(figure: Figure) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # Keep only the <svg> element: the XML prologue and DOCTYPE are not allowed inline in HTML.
    return text[text.index("<svg") :].strip() + "\n"


def png_bytes(figure: Figure, dpi: int = 110) -> bytes:
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


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


def score_plot(
    lines: Mapping[str, tuple[Fraction, Fraction]],
    rows: Sequence[RangeRow],
    scenario: str | None = None,
) -> Figure:
    """score_g(P) = g·c(P) + t(P) for each program against g, each program's winning
    region shaded in its colour and the breakpoints between regions marked."""
    points = breakpoints(rows)
    right = _extent(points or _crossings(lines))
    import matplotlib

    figure = _new_figure(7.2, 4.2)
    with matplotlib.rc_context(_STYLE):
        axes = figure.add_subplot()
        names = list(lines)
        for index, name in enumerate(names):
            c, t = lines[name]
            axes.plot(
                [0.0, right],
                [float(t), float(t) + float(c) * right],
                color=colour(index),
                linewidth=1.2,
                label=f"{name}: {fraction_text(c)}·g + {fraction_text(t)}",
            )
        row_of = {row.program: row for row in rows}
        for index, name in enumerate(names):
            row = row_of.get(name)
            c, t = lines[name]
            for interval in row.robust if row else ():
                lo = float(interval.lo)
                hi = right if interval.hi is None else min(float(interval.hi), right)
                axes.axvspan(lo, hi, color=colour(index), alpha=0.12, linewidth=0)
                # The lower envelope: the program's own line where it wins, drawn bold.
                axes.plot(
                    [lo, hi],
                    [float(t) + float(c) * lo, float(t) + float(c) * hi],
                    color=colour(index),
                    linewidth=3.2,
                    solid_capstyle="butt",
                )
                axes.text(
                    (lo + hi) / 2,
                    0.97,
                    f"{name} wins",
                    transform=axes.get_xaxis_transform(),
                    ha="center",
                    va="top",
                    color=colour(index),
                    fontweight="bold",
                )
        for point in points:
            x = float(point)
            axes.axvline(x, color="#555555", linestyle="--", linewidth=0.8)
            lowest = min(float(t) + float(c) * x for c, t in lines.values())
            axes.plot([x], [lowest], marker="o", color="#222222", markersize=4)
            # Inside the axes whatever the number's length: left of the line when the
            # breakpoint sits in the right half of the plot.
            right_half = x > right / 2
            axes.annotate(
                f"g {label}" if (label := _label(point)).startswith("≈") else f"g = {label}",
                (x, 0.02),
                xycoords=axes.get_xaxis_transform(),
                xytext=(-5 if right_half else 5, 0),
                textcoords="offset points",
                ha="right" if right_half else "left",
                va="bottom",
                fontsize=8,
                color="#222222",
                annotation_clip=False,
            )
        axes.set_xlim(0.0, right)
        axes.set_ylim(bottom=0.0)
        axes.set_xlabel("exchange rate g")
        axes.set_ylabel("score_g(P) = g·c(P) + t(P)   (lower wins)")
        if scenario:
            axes.set_title(f"scenario {scenario}", loc="left")
        axes.legend(loc="upper left", bbox_to_anchor=(0.0, 0.9), frameon=False)
        figure.tight_layout()
    return figure


def intervals_chart(rows: Sequence[RangeRow]) -> Figure:
    """One bar per program over the g-axis: robust ranges solid, possible ranges light;
    filled dots are closed ends, hollow dots open ones, an arrow runs on to infinity."""
    points = breakpoints(rows)
    right = _extent(points)
    import matplotlib

    figure = _new_figure(7.2, 0.9 + 0.55 * len(rows))
    with matplotlib.rc_context(_STYLE):
        axes = figure.add_subplot()
        for position, row in enumerate(rows):
            y = len(rows) - 1 - position
            tint = colour(position)
            if not row.possible and not row.robust:
                axes.text(right * 0.01, y, "∅  wins for no g", va="center", color="#59636e")
            for intervals, height, alpha in ((row.possible, 0.62, 0.25), (row.robust, 0.3, 0.9)):
                for interval in intervals:
                    _interval_bar(axes, interval, y, height, alpha, tint, right)
        for point in points:
            axes.axvline(float(point), color="#777777", linestyle=":", linewidth=0.8)
        axes.set_yticks(range(len(rows)), [row.program for row in reversed(rows)])
        axes.set_ylim(-0.6, len(rows) - 0.4)
        axes.set_xlim(0.0, right)
        # The ends are exact numbers, so the ticks are exactly the ends; with none, the
        # g-axis has no scale to show.
        axes.set_xticks(
            [0.0, *(float(p) for p in points)], ["0", *(fraction_text(p) for p in points)]
        )
        note = "" if points else "; no finite ends"
        axes.set_xlabel(f"exchange rate g   (solid: robust, light: possible, ▸: on to ∞{note})")
        figure.tight_layout()
    return figure


def _interval_bar(
    axes: Axes, interval: Interval, y: float, height: float, alpha: float, tint: str, right: float
) -> None:
    lo = float(interval.lo)
    hi = right if interval.hi is None else float(interval.hi)
    axes.broken_barh(
        [(lo, max(hi - lo, right * 0.004))],
        (y - height / 2, height),
        facecolors=tint,
        alpha=alpha,
        linewidth=0,
    )
    for end, closed in ((interval.lo, interval.lo_closed), (interval.hi, interval.hi_closed)):
        if end is None:
            axes.plot(
                [right],
                [y],
                marker=">",
                markersize=7,
                color=tint,
                alpha=max(alpha, 0.5),
                clip_on=False,
            )
            continue
        if alpha < 0.5:
            continue  # the ends of a possible range are drawn by its robust part, if any
        axes.plot(
            [float(end)],
            [y],
            marker="o",
            markersize=5,
            color=tint,
            markerfacecolor=tint if closed else "white",
            clip_on=False,
        )
