"""SVG 1.1 charts for the report: a line chart over dates and a stacked bar chart per day.

The charts are viewed where the report is read (a repository page, a wiki, a pull request), mostly as
`<img>`: no script runs there and the page's colours are not inherited, so the text colour comes from a
`prefers-color-scheme` style inside the file, and the series colours are mid-tones readable on white and on
near-black. Every data point is its own element with a `<title>` (a tooltip in browsers, and what a test or a
screen reader can count). Text is escaped: type names and dates are ours, but nothing here trusts that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 170, 36, 40  # room for the y labels, the legend, the title, the x labels
# Mid-tone colours (mostly Okabe-Ito, colour-blind safe; its yellow swapped for a violet that stays visible on
# white) that keep their contrast on light and dark backgrounds.
LEGEND_CHARS = 22  # what fits in the legend column at 12 px; longer names are cut, the full one in a <title>
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#8C6BB1", "#999999")
STYLE = (
    "text{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:12px;fill:#24292f}"
    ".title{font-size:14px;font-weight:bold}.axis{stroke:#57606a;stroke-width:1}"
    ".grid{stroke:#8c959f;stroke-width:0.5;stroke-dasharray:2,3}"
    "@media (prefers-color-scheme: dark){text{fill:#e6edf3}.axis{stroke:#9198a1}}"
)

Point = tuple[date, float]


def _num(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def _document(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label={quoteattr(title)}>',
            f"<title>{escape(title)}</title>",
            f"<style>{STYLE}</style>",
            f'<text class="title" x="{LEFT}" y="20">{escape(title)}</text>',
            *body,
            "</svg>",
            "",
        ]
    )


def _ticks(high: float) -> list[float]:
    """Four or five round y-axis steps from 0 to at least high."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / 4
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def _axes(
    ticks: list[float], y_of: Callable[[float], float], first: date, last: date, unit: str
) -> list[str]:
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    out = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
    ]
    for t in ticks:
        y = y_of(t)
        out.append(f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_num(t)}</text>')
    out.append(f'<text x="{LEFT}" y="{bottom + 18}">{first.isoformat()}</text>')
    if last != first:
        out.append(f'<text x="{right}" y="{bottom + 18}" text-anchor="end">{last.isoformat()}</text>')
    out.append(f'<text x="{LEFT - 50}" y="{TOP - 6}">{escape(unit)}</text>')
    return out


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = TOP + 8 + i * 18
        colour = PALETTE[i % len(PALETTE)]
        x = WIDTH - RIGHT + 16
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        label = escape(name)
        if len(name) > LEGEND_CHARS:
            label = f"{escape(name[: LEGEND_CHARS - 1])}…<title>{label}</title>"
        out.append(f'<text x="{x + 16}" y="{y}">{label}</text>')
    return out


def line_chart(title: str, unit: str, series: Sequence[tuple[str, Sequence[Point]]]) -> str:
    """Lines over time, one per series; x is the calendar (uneven backups stay uneven), y starts at 0.

    One point in all still renders: a dot in the middle of the axis, with its date under it."""
    points = [p for _, pts in series for p in pts]
    if not points:
        return _document(title, [f'<text x="{LEFT}" y="{HEIGHT // 2}">no data yet</text>'])
    first, last = min(d for d, _ in points), max(d for d, _ in points)
    ticks = _ticks(max(v for _, v in points))
    span = (last - first).days
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(d: date) -> float:
        return LEFT + (plot_w / 2 if span == 0 else plot_w * (d - first).days / span)

    def y_of(v: float) -> float:
        return HEIGHT - BOTTOM - plot_h * v / ticks[-1]

    body = _axes(ticks, y_of, first, last, unit)
    for i, (name, pts) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        coords = [(x_of(d), y_of(v), d, v) for d, v in sorted(pts)]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for x, y, d, v in coords:
            label = escape(f"{name}: {_num(v)} on {d.isoformat()}")
            body.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{label}</title></circle>"
            )
    body.extend(_legend([name for name, _ in series]))
    return _document(title, body)


def bar_chart(
    title: str, unit: str, days: Sequence[date], stacks: Sequence[tuple[str, Sequence[int]]]
) -> str:
    """One stacked bar per day (every day of the range, empty days included, so gaps show as gaps);
    stacks are (name, one count per day)."""
    if not days:
        return _document(title, [f'<text x="{LEFT}" y="{HEIGHT // 2}">no data yet</text>'])
    totals = [sum(counts[i] for _, counts in stacks) for i in range(len(days))]
    ticks = _ticks(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(days)

    def y_of(v: float) -> float:
        return HEIGHT - BOTTOM - plot_h * v / ticks[-1]

    body = _axes(ticks, y_of, days[0], days[-1], unit)
    for i, day in enumerate(days):
        base = 0
        for j, (name, counts) in enumerate(stacks):
            n = counts[i]
            if not n:
                continue
            top, bottom = y_of(base + n), y_of(base)
            body.append(
                f'<rect class="point" x="{LEFT + i * slot + slot * 0.1:.1f}" y="{top:.1f}" '
                f'width="{max(slot * 0.8, 1):.1f}" height="{bottom - top:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(f"{name}: {n} on {day.isoformat()}")}'
                "</title></rect>"
            )
            base += n
    body.extend(_legend([name for name, _ in stacks]))
    return _document(title, body)
