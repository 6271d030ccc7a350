"""Chart geometry for server-side SVG (templates/_charts.html draws it; no script, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Okabe–Ito: distinguishable with the common kinds of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999", "#000000")


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    y: float
    width: float
    text: str
    lines: tuple[str, ...] = ()  # the label wrapped onto lines above the bar (phones); () beside it
    href: str = ""  # where a click on the bar leads (the inquiry log filtered to it), under the admin root


@dataclass(frozen=True, slots=True)
class Line:
    y: float
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    """Horizontal bars: one row per item, labels on the left."""

    width: int
    height: int
    label_width: int
    row: int
    bars: list[Bar]
    color: str
    above: bool = False  # labels on their own lines above the bars, whole (phones)

    @property
    def label_chars(self) -> int:
        """How many characters of a label fit left of the bars."""
        return max(8, self.label_width // 7)


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str
    href: str = ""  # where a click on the column leads, under the admin root


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class ColumnChart:
    """Stacked columns over days, with a legend."""

    width: int
    height: int
    plot_left: int
    plot_bottom: int
    rects: list[Rect]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    title: str
    href: str = ""


@dataclass(frozen=True, slots=True)
class LineChart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    segments: list[str]  # polyline point lists; days without data break the line
    dots: list[Dot]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def nice_ceiling(value: float) -> float:
    """A round number at or above value (1, 2, 5 × 10^n), for an axis maximum."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def number(value: float) -> str:
    """1234567 → '1.234.567' (Vietnamese grouping)."""
    return f"{round(value):,}".replace(",", ".")


def bar_chart(
    items: Sequence[tuple[str, float]],
    width: int = 440,
    row: int = 26,
    label_width: int = 150,
    color: str = PALETTE[0],
    links: Sequence[str] = (),
) -> BarChart:
    """Horizontal bars; `links[i]`, if given, is where a click on the i-th bar leads."""
    top = max((v for _label, v in items), default=0) or 1
    room = width - label_width - 60
    bars = [
        Bar(
            label=label,
            value=v,
            y=i * row,
            width=max(1.0, room * v / top) if v else 0.0,
            text=number(v),
            href=links[i] if i < len(links) else "",
        )
        for i, (label, v) in enumerate(items)
    ]
    return BarChart(
        width=width, height=max(row, row * len(items)), label_width=label_width, row=row, bars=bars, color=color
    )


LINE_HEIGHT = 18
CHARS_PER_LINE_PX = 7.6  # average width of a 14px character of Vietnamese text, in viewBox units


def wrap_label(label: str, chars: int) -> tuple[str, ...]:
    """A label broken at spaces into lines of at most `chars` characters (a longer word stays whole)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def labelled_bars(
    items: Sequence[tuple[str, float]], width: int = 360, color: str = PALETTE[0], links: Sequence[str] = ()
) -> BarChart:
    """Bars for a phone: each label whole, wrapped on lines above its bar, the bar full width below."""
    top = max((v for _label, v in items), default=0) or 1
    room, chars, bar = width - 60, int(width / CHARS_PER_LINE_PX), 16
    bars, y = [], 0.0
    for i, (label, v) in enumerate(items):
        lines = wrap_label(label, chars)
        width_v = max(1.0, room * v / top) if v else 0.0
        href = links[i] if i < len(links) else ""
        bars.append(Bar(label=label, value=v, y=y, width=width_v, text=number(v), lines=lines, href=href))
        y += LINE_HEIGHT * len(lines) + bar + 10
    return BarChart(width=width, height=max(26, round(y)), label_width=0, row=bar, bars=bars, color=color, above=True)


def _x_ticks(labels: Sequence[str], x_of: Sequence[float], most: int = 8) -> list[Tick]:
    if not labels:
        return []
    step = max(1, math.ceil(len(labels) / most))
    return [Tick(at=x_of[i], text=labels[i]) for i in range(0, len(labels), step)]


def stacked_columns(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    width: int = 1000,
    height: int = 260,
    colors: Sequence[str] = PALETTE,
    ticks: int = 8,
    link: Callable[[int, int], str] | None = None,
) -> ColumnChart:
    """Columns per label (day), stacked by series (topic); each series is (name, values per label).
    `link(label index, series index)`, if given, is where a click on that piece of a column leads."""
    left, bottom, top_pad = 44, 28, 8
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    totals = [sum(values[i] for _name, values in series) for i in range(len(labels))]
    top = nice_ceiling(max(totals, default=0))
    slot = plot_w / max(1, len(labels))
    bar_w = max(1.0, slot * 0.8)
    rects: list[Rect] = []
    for i, label in enumerate(labels):
        y = float(height - bottom)
        for k, (name, values) in enumerate(series):
            if not values[i]:
                continue
            h = plot_h * values[i] / top
            y -= h
            color = colors[k % len(colors)]
            title = f"{label} · {name}: {number(values[i])}"
            href = link(i, k) if link is not None else ""
            rects.append(Rect(left + i * slot + (slot - bar_w) / 2, y, bar_w, h, color, title, href))
    centres = [left + i * slot + slot / 2 for i in range(len(labels))]
    halves = (0, 0.5, 1) if (top / 2).is_integer() else (0, 1)
    y_ticks = [Tick(at=height - bottom - plot_h * f, text=number(top * f)) for f in halves]
    legend = [(colors[k % len(colors)], name) for k, (name, values) in enumerate(series) if any(values)]
    return ColumnChart(width, height, left, height - bottom, rects, _x_ticks(labels, centres, ticks), y_ticks, legend)


def rate_line(
    labels: Sequence[str],
    rates: Sequence[float | None],
    width: int = 1000,
    height: int = 200,
    ticks: int = 8,
    links: Sequence[str] = (),
) -> LineChart:
    """A line of percentages (0–100) over labels; None where there is nothing to rate."""
    left, bottom, top_pad = 44, 28, 8
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    slot = plot_w / max(1, len(labels))
    xs = [left + i * slot + slot / 2 for i in range(len(labels))]
    segments: list[str] = []
    dots: list[Dot] = []
    current: list[str] = []
    for i, (x, label, rate) in enumerate(zip(xs, labels, rates, strict=True)):
        if rate is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        y = height - bottom - plot_h * rate / 100
        current.append(f"{x:.1f},{y:.1f}")
        dots.append(Dot(x, y, f"{label}: {rate:.0f}%", links[i] if i < len(links) else ""))
    if current:
        segments.append(" ".join(current))
    y_ticks = [Tick(at=height - bottom - plot_h * f / 100, text=f"{f}%") for f in (0, 50, 100)]
    return LineChart(width, height, left, height - bottom, segments, dots, _x_ticks(labels, xs, ticks), y_ticks)


@dataclass(frozen=True, slots=True)
class SplitBar:
    label: str
    y: float
    up: int
    down: int
    up_width: float
    down_width: float


@dataclass(frozen=True, slots=True)
class SplitChart:
    """Diverging bars: 👎 to the left of the centre line, 👍 to the right."""

    width: int
    height: int
    label_width: int
    row: int
    centre: float
    bars: list[SplitBar]

    @property
    def label_chars(self) -> int:
        return max(8, self.label_width // 7)


def split_bars(
    items: Sequence[tuple[str, int, int]], width: int = 440, row: int = 26, label_width: int = 150
) -> SplitChart:
    """One row per (label, up, down)."""
    top = max((max(up, down) for _label, up, down in items), default=0) or 1
    half = (width - label_width - 16) / 2
    centre = label_width + 8 + half
    bars = [
        SplitBar(label, i * row, up, down, (half - 24) * up / top, (half - 24) * down / top)
        for i, (label, up, down) in enumerate(items)
    ]
    return SplitChart(width, max(row, row * len(items)), label_width, row, centre, bars)
