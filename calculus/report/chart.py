"""Charts for the proof report, drawn from exact numbers: SVG for HTML, PNG for Markdown.

A `Chart` is a plain record of axes (ticks at exact positions, labelled), shaded bands,
polylines through given points, dots, arrows, text and a legend, all in data coordinates.
`svg` writes it as vector text (crisp at any zoom, with <title> and <desc> for screen
readers); `png` paints the same record with Pillow for Markdown, where sanitizers pass PNG
data but not SVG. The plots are piecewise-linear, so a general plotting library (and its
import, longer than a whole check) buys nothing here.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

__all__ = [
    "Arrow",
    "Axis",
    "Band",
    "Chart",
    "Dot",
    "Label",
    "LegendEntry",
    "Polyline",
    "nice_ticks",
    "png",
    "svg",
    "labelled_ticks",
    "tick_text",
]

Anchor = Literal["start", "middle", "end"]

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
FONT_SIZE = 12.0
INK = "#222222"
GRID = "#d0d7de"
# An average glyph of the font above is about this wide, in ems: used to leave room for
# tick labels (the SVG is laid out before any font is seen).
EM_WIDTH = 0.62


@dataclass(frozen=True)
class Axis:
    """A data range and its ticks: (value, label) at exact positions."""

    low: float
    high: float
    label: str
    ticks: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Band:
    """A shaded rectangle; `y_low`/`y_high` None reach the edge of the plot."""

    x_low: float
    x_high: float
    colour: str
    opacity: float
    y_low: float | None = None
    y_high: float | None = None


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    colour: str
    width: float = 1.5
    dashed: bool = False
    series: str | None = None  # which program's line (for readers and tests)


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    colour: str
    radius: float = 3.0
    hollow: bool = False


@dataclass(frozen=True)
class Arrow:
    """A small triangle pointing right: the range goes on to infinity."""

    x: float
    y: float
    colour: str
    opacity: float = 1.0


@dataclass(frozen=True)
class Label:
    """Text at (x, y) in data coordinates; y None: near the top of the plot (`top`) or
    near its bottom (`bottom`). dx/dy: an offset in pixels."""

    x: float
    y: float | None
    text: str
    colour: str = INK
    anchor: Anchor = "middle"
    bold: bool = False
    size: float = FONT_SIZE
    edge: Literal["top", "bottom"] = "top"
    dx: float = 0.0
    dy: float = 0.0


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    text: str


@dataclass(frozen=True)
class Chart:
    title: str  # also the accessible name
    description: str  # what the chart shows, in words, for screen readers
    x: Axis
    y: Axis
    width: float = 720.0
    height: float = 420.0
    bands: tuple[Band, ...] = ()
    lines: tuple[Polyline, ...] = ()
    dots: tuple[Dot, ...] = ()
    arrows: tuple[Arrow, ...] = ()
    labels: tuple[Label, ...] = ()
    legend: tuple[LegendEntry, ...] = ()
    legend_top: float = 0.12  # fraction of the plot height left free above the legend
    y_grid: bool = True


# ---- numbers on axes ------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """About `count` round values (1, 2 or 5 times a power of ten apart) from low to high."""
    if not high > low:
        return [low]
    raw = (high - low) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def tick_text(value: float, step: float) -> str:
    """A tick value written as exactly as the step between ticks shows it: `250`, `0.25`,
    and `2.5×10⁸` for numbers too long to read."""
    if value == 0:
        return "0"
    if 1e-4 <= step and abs(value) < 1e7:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        while decimals < 12 and not math.isclose(step, round(step, decimals)):
            decimals += 1  # a step of 2.5 needs one more
        return f"{value:.{decimals}f}"
    exponent = math.floor(math.log10(abs(value)))
    mantissa = f"{value / 10**exponent:.3g}"
    return f"{mantissa}×10{str(exponent).translate(_SUPERSCRIPT)}"


def labelled_ticks(low: float, high: float, count: int = 6) -> tuple[tuple[float, str], ...]:
    values = nice_ticks(low, high, count)
    step = values[1] - values[0] if len(values) > 1 else (high - low or 1.0)
    return tuple((v, tick_text(v, step)) for v in values)


# ---- layout -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Where the plot area sits in the picture, and the map from data to pixels."""

    left: float
    top: float
    right: float
    bottom: float
    chart: Chart

    def px(self, x: float) -> float:
        axis = self.chart.x
        # A degenerate axis (every value the same) still maps, to its low edge.
        span = (axis.high - axis.low) or 1.0
        return self.left + (x - axis.low) / span * (self.right - self.left)

    def py(self, y: float) -> float:
        axis = self.chart.y
        span = (axis.high - axis.low) or 1.0
        return self.bottom - (y - axis.low) / span * (self.bottom - self.top)

    def label_y(self, label: Label) -> float:
        if label.y is not None:
            return self.py(label.y)
        return self.top + 16 if label.edge == "top" else self.bottom - 6


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    return len(text) * size * EM_WIDTH


def _frame(chart: Chart) -> _Frame:
    widest = max((_text_width(text) for _, text in chart.y.ticks), default=0.0)
    left = 8 + (20 if chart.y.label else 0) + widest + 8
    top = 30.0 if chart.title else 12.0
    return _Frame(left, top, chart.width - 24, chart.height - 44, chart)


def _legend_rows(chart: Chart, frame: _Frame) -> list[tuple[float, float, LegendEntry]]:
    x = frame.left + 10
    y = frame.top + (frame.bottom - frame.top) * chart.legend_top + 8
    return [(x, y + 18 * i, entry) for i, entry in enumerate(chart.legend)]


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


# ---- SVG ------------------------------------------------------------------------------------


def svg(chart: Chart) -> str:
    """The chart as one <svg> element (no XML prologue: it sits inline in HTML)."""
    frame = _frame(chart)
    n = _number
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{n(chart.width)}" '
        f'height="{n(chart.height)}" viewBox="0 0 {n(chart.width)} {n(chart.height)}" '
        f'role="img" font-family="{FONT}" font-size="{n(FONT_SIZE)}">',
        f"<title>{escape(chart.title)}</title>",
        f"<desc>{escape(chart.description)}</desc>",
        f'<rect width="{n(chart.width)}" height="{n(chart.height)}" fill="#ffffff"/>',
    ]
    if chart.title:
        out.append(
            f'<text x="{n(frame.left)}" y="18" font-weight="bold" fill="{INK}">'
            f"{escape(chart.title)}</text>"
        )
    for band in chart.bands:
        top = frame.top if band.y_high is None else frame.py(band.y_high)
        bottom = frame.bottom if band.y_low is None else frame.py(band.y_low)
        out.append(
            f'<rect class="band" x="{n(frame.px(band.x_low))}" y="{n(top)}" '
            f'width="{n(max(frame.px(band.x_high) - frame.px(band.x_low), 0.5))}" '
            f'height="{n(bottom - top)}" fill="{band.colour}" fill-opacity="{band.opacity}"/>'
        )
    # Axes: ticks with labels, the y grid, the two axis lines and their titles.
    out.append('<g class="axes" shape-rendering="crispEdges">')
    for value, text in chart.x.ticks:
        x = frame.px(value)
        out.append(
            f'<g class="tick x" data-value="{value!r}">'
            f'<line x1="{n(x)}" y1="{n(frame.bottom)}" x2="{n(x)}" y2="{n(frame.bottom + 5)}" '
            f'stroke="{INK}"/><text x="{n(x)}" y="{n(frame.bottom + 18)}" '
            f'text-anchor="middle" fill="{INK}">{escape(text)}</text></g>'
        )
    for value, text in chart.y.ticks:
        y = frame.py(value)
        grid = (
            f'<line x1="{n(frame.left)}" y1="{n(y)}" x2="{n(frame.right)}" y2="{n(y)}" '
            f'stroke="{GRID}" stroke-width="0.6"/>'
            if chart.y_grid
            else ""
        )
        out.append(
            f'<g class="tick y" data-value="{value!r}">{grid}'
            f'<line x1="{n(frame.left - 5)}" y1="{n(y)}" x2="{n(frame.left)}" y2="{n(y)}" '
            f'stroke="{INK}"/><text x="{n(frame.left - 8)}" y="{n(y + 4)}" '
            f'text-anchor="end" fill="{INK}">{escape(text)}</text></g>'
        )
    out.append(
        f'<line x1="{n(frame.left)}" y1="{n(frame.bottom)}" x2="{n(frame.right)}" '
        f'y2="{n(frame.bottom)}" stroke="{INK}"/>'
        f'<line x1="{n(frame.left)}" y1="{n(frame.top)}" x2="{n(frame.left)}" '
        f'y2="{n(frame.bottom)}" stroke="{INK}"/>'
    )
    out.append("</g>")
    middle = (frame.left + frame.right) / 2
    out.append(
        f'<text class="axis-label x" x="{n(middle)}" y="{n(chart.height - 8)}" '
        f'text-anchor="middle" fill="{INK}">{escape(chart.x.label)}</text>'
    )
    if chart.y.label:
        centre = (frame.top + frame.bottom) / 2
        out.append(
            f'<text class="axis-label y" transform="translate(16 {n(centre)}) rotate(-90)" '
            f'text-anchor="middle" fill="{INK}">{escape(chart.y.label)}</text>'
        )
    for line in chart.lines:
        points = " ".join(f"{n(frame.px(x))},{n(frame.py(y))}" for x, y in line.points)
        series = f' data-series="{escape(line.series)}"' if line.series else ""
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        out.append(
            f'<polyline class="line"{series} points="{points}" fill="none" '
            f'stroke="{line.colour}" stroke-width="{n(line.width)}"{dash} '
            f'stroke-linejoin="round"/>'
        )
    for arrow in chart.arrows:
        x, y = frame.px(arrow.x), frame.py(arrow.y)
        out.append(
            f'<polygon class="arrow" points="{n(x)},{n(y - 5)} {n(x + 8)},{n(y)} '
            f'{n(x)},{n(y + 5)}" fill="{arrow.colour}" fill-opacity="{arrow.opacity}"/>'
        )
    for dot in chart.dots:
        fill = "#ffffff" if dot.hollow else dot.colour
        out.append(
            f'<circle class="dot" cx="{n(frame.px(dot.x))}" cy="{n(frame.py(dot.y))}" '
            f'r="{n(dot.radius)}" fill="{fill}" stroke="{dot.colour}" stroke-width="1.5"/>'
        )
    for label in chart.labels:
        weight = ' font-weight="bold"' if label.bold else ""
        size = f' font-size="{n(label.size)}"' if label.size != FONT_SIZE else ""
        out.append(
            f'<text class="label" x="{n(frame.px(label.x) + label.dx)}" '
            f'y="{n(frame.label_y(label) + label.dy)}" text-anchor="{label.anchor}" '
            f'fill="{label.colour}"{weight}{size}>{escape(label.text)}</text>'
        )
    if chart.legend:
        rows = _legend_rows(chart, frame)
        width = 34 + max(_text_width(entry.text) for *_, entry in rows)
        x0, y0 = rows[0][0], rows[0][1]
        out.append(
            f'<g class="legend"><rect x="{n(x0 - 6)}" y="{n(y0 - 13)}" width="{n(width)}" '
            f'height="{n(18 * len(rows) + 4)}" fill="#ffffff" fill-opacity="0.85"/>'
        )
        for x, y, entry in rows:
            out.append(
                f'<line x1="{n(x)}" y1="{n(y - 4)}" x2="{n(x + 20)}" y2="{n(y - 4)}" '
                f'stroke="{entry.colour}" stroke-width="3"/>'
                f'<text x="{n(x + 26)}" y="{n(y)}" fill="{INK}">{escape(entry.text)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---- PNG ------------------------------------------------------------------------------------

# Drawn this many times larger, then scaled down: Pillow's lines are not anti-aliased.
_SUPERSAMPLE = 2
_PNG_SCALE = 1.1  # pixels of the PNG per SVG pixel


def _fonts() -> tuple[Any, Any]:
    """Regular and bold font paths: DejaVu Sans, as the SVG asks for, from wherever it is
    installed; None when no file is found (Pillow's own font is used)."""
    import importlib.util
    from pathlib import Path

    places = []
    spec = importlib.util.find_spec("matplotlib")  # found, not imported: it ships DejaVu
    if spec is not None and spec.origin:
        places.append(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")
    places += [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
    for place in places:
        regular, bold = place / "DejaVuSans.ttf", place / "DejaVuSans-Bold.ttf"
        if regular.exists():
            return regular, bold if bold.exists() else regular
    return None, None


def _rgba(colour: str, opacity: float = 1.0) -> tuple[int, int, int, int]:
    colour = colour.lstrip("#")
    return (
        int(colour[0:2], 16),
        int(colour[2:4], 16),
        int(colour[4:6], 16),
        round(255 * opacity),
    )


def png(chart: Chart) -> bytes:
    """The chart painted as a PNG, the same on every run."""
    from PIL import Image, ImageDraw, ImageFont

    frame = _frame(chart)
    scale = _SUPERSAMPLE * _PNG_SCALE
    final = (round(chart.width * _PNG_SCALE), round(chart.height * _PNG_SCALE))
    size = (final[0] * _SUPERSAMPLE, final[1] * _SUPERSAMPLE)
    # An RGB canvas drawn in RGBA mode: translucent shapes blend with what is below.
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image, "RGBA")
    regular, bold = _fonts()
    cache: dict[tuple[float, bool], Any] = {}

    def font(points: float, heavy: bool = False) -> Any:
        key = (points, heavy)
        if key not in cache:
            path = bold if heavy else regular
            if path is None:
                cache[key] = ImageFont.load_default(points * scale)
            else:
                cache[key] = ImageFont.truetype(str(path), round(points * scale))
        return cache[key]

    def at(x: float, y: float) -> tuple[float, float]:
        return (x * scale, y * scale)

    def text(x: float, y: float, words: str, colour: str, anchor: Anchor, **style: Any) -> None:
        where = {"start": "ls", "middle": "ms", "end": "rs"}[anchor]
        draw.text(
            at(x, y),
            words,
            fill=_rgba(colour),
            font=font(style.get("size", FONT_SIZE), style.get("bold", False)),
            anchor=where,
        )

    def segment(a: tuple[float, float], b: tuple[float, float], colour: Any, width: float) -> None:
        draw.line([at(*a), at(*b)], fill=colour, width=max(1, round(width * scale)))

    if chart.title:
        text(frame.left, 18, chart.title, INK, "start", bold=True)
    for band in chart.bands:
        top = frame.top if band.y_high is None else frame.py(band.y_high)
        bottom = frame.bottom if band.y_low is None else frame.py(band.y_low)
        left, right = frame.px(band.x_low), max(frame.px(band.x_high), frame.px(band.x_low) + 0.5)
        draw.rectangle([at(left, top), at(right, bottom)], fill=_rgba(band.colour, band.opacity))
    for value, words in chart.x.ticks:
        x = frame.px(value)
        segment((x, frame.bottom), (x, frame.bottom + 5), _rgba(INK), 1)
        text(x, frame.bottom + 18, words, INK, "middle")
    for value, words in chart.y.ticks:
        y = frame.py(value)
        if chart.y_grid:
            segment((frame.left, y), (frame.right, y), _rgba(GRID), 0.6)
        segment((frame.left - 5, y), (frame.left, y), _rgba(INK), 1)
        text(frame.left - 8, y + 4, words, INK, "end")
    segment((frame.left, frame.bottom), (frame.right, frame.bottom), _rgba(INK), 1)
    segment((frame.left, frame.top), (frame.left, frame.bottom), _rgba(INK), 1)
    text((frame.left + frame.right) / 2, chart.height - 8, chart.x.label, INK, "middle")
    if chart.y.label:
        # Written on its own strip, then turned to run up the left side.
        label_font = font(FONT_SIZE)
        box = draw.textbbox((0, 0), chart.y.label, font=label_font, anchor="ls")
        strip_size = (math.ceil(box[2] - box[0]) + 4, math.ceil(box[3] - box[1]) + 4)
        strip = Image.new("RGBA", strip_size, (0, 0, 0, 0))
        ImageDraw.Draw(strip).text(
            (2 - box[0], 2 - box[1]), chart.y.label, fill=_rgba(INK), font=label_font, anchor="ls"
        )
        turned = strip.rotate(90, expand=True)
        centre = (frame.top + frame.bottom) / 2 * scale
        corner = (round(16 * scale - turned.width + 4 * scale), round(centre - turned.height / 2))
        image.paste(turned, corner, turned)
    for line in chart.lines:
        points = [(frame.px(x), frame.py(y)) for x, y in line.points]
        colour = _rgba(line.colour)
        for a, b in zip(points, points[1:], strict=False):
            if not line.dashed:
                segment(a, b, colour, line.width)
                continue
            length = math.dist(a, b)
            if length == 0:  # a dash of no length draws nothing
                continue
            for start in range(0, max(1, math.ceil(length / 8))):
                s, e = start * 8 / length, min(1.0, (start * 8 + 5) / length)
                if s >= 1:
                    break
                segment(
                    (a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s),
                    (a[0] + (b[0] - a[0]) * e, a[1] + (b[1] - a[1]) * e),
                    colour,
                    line.width,
                )
    for arrow in chart.arrows:
        x, y = frame.px(arrow.x), frame.py(arrow.y)
        draw.polygon(
            [at(x, y - 5), at(x + 8, y), at(x, y + 5)], fill=_rgba(arrow.colour, arrow.opacity)
        )
    for dot in chart.dots:
        x, y, r = frame.px(dot.x), frame.py(dot.y), dot.radius
        draw.ellipse(
            [at(x - r, y - r), at(x + r, y + r)],
            fill=(255, 255, 255, 255) if dot.hollow else _rgba(dot.colour),
            outline=_rgba(dot.colour),
            width=round(1.5 * scale),
        )
    for label in chart.labels:
        text(
            frame.px(label.x) + label.dx,
            frame.label_y(label) + label.dy,
            label.text,
            label.colour,
            label.anchor,
            bold=label.bold,
            size=label.size,
        )
    if chart.legend:
        rows = _legend_rows(chart, frame)
        width = 34 + max(_text_width(entry.text) for *_, entry in rows)
        x0, y0 = rows[0][0], rows[0][1]
        draw.rectangle(
            [at(x0 - 6, y0 - 13), at(x0 - 6 + width, y0 - 13 + 18 * len(rows) + 4)],
            fill=(255, 255, 255, 217),
        )
        for x, y, entry in rows:
            segment((x, y - 4), (x + 20, y - 4), _rgba(entry.colour), 3)
            text(x + 26, y, entry.text, INK, "start")
    # Each pixel the mean of the block it covers: exact anti-aliasing for a whole factor.
    picture = image.reduce(_SUPERSAMPLE)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
