"""Charts drawn on the server as SVG: no script, readable on a phone (they scale to the width
of their box), each beside a table with the same numbers for screen readers and for copying.

The SVG is marked aria-hidden; its table (in a <details>) carries the figures.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def line(points: list[tuple[str, int | None]], *, label: str, width: int = 600,
         height: int = 180) -> Markup:
    """A line through the points that have a value (None: not measured, a gap, never 0)."""
    pad_l, pad_r, pad_t, pad_b = 44, 12, 12, 28
    values = [v for _x, v in points if v is not None]
    top = max(values, default=0) or 1
    n = max(len(points) - 1, 1)
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def xy(i: int, v: int) -> tuple[float, float]:
        return pad_l + w * i / n, pad_t + h - h * v / top

    runs, run = [], []
    for i, (_x, v) in enumerate(points):
        if v is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(xy(i, v))
    if run:
        runs.append(run)
    paths = "".join(
        f'<polyline fill="none" stroke="currentColor" stroke-width="2" points="'
        f'{" ".join(f"{x:.1f},{y:.1f}" for x, y in r)}"/>'
        + "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="currentColor"/>' for x, y in r)
        for r in runs)
    first, last = (escape(points[0][0]), escape(points[-1][0])) if points else ("", "")
    axis = (f'<line x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}" '
            f'stroke="#999"/><text x="{pad_l}" y="{height - 8}" font-size="12">{first}</text>'
            f'<text x="{pad_l + w}" y="{height - 8}" font-size="12" text-anchor="end">{last}</text>'
            f'<text x="{pad_l - 6}" y="{pad_t + 10}" font-size="12" text-anchor="end">{top}</text>'
            f'<text x="{pad_l - 6}" y="{pad_t + h}" font-size="12" text-anchor="end">0</text>')
    empty = "" if values else (f'<text x="{width / 2}" y="{height / 2}" font-size="14" '
                               f'text-anchor="middle">not measured yet</text>')
    # Every interpolated value is a number or escaped text.
    return Markup(f'<svg class="chart" viewBox="0 0 {width} {height}" '  # noqa: S704
                  f'aria-hidden="true" data-label="{escape(label)}">'
                  f'{axis}{paths}{empty}</svg>')


def heatmap(grid: dict[tuple[int, int], tuple[float, int]], top: float) -> Markup:
    """Weekday rows by 24 hour columns, darker where posts drew more engagement on average."""
    cell, pad_l, pad_t = 14, 34, 16
    width, height = pad_l + 24 * cell + 2, pad_t + 7 * cell + 2
    parts = [f'<text x="{pad_l + h * cell + cell / 2}" y="12" font-size="9" '
             f'text-anchor="middle">{h}</text>' for h in range(0, 24, 3)]
    for d, name in enumerate(WEEKDAYS):
        y = pad_t + d * cell
        parts.append(f'<text x="0" y="{y + cell - 3}" font-size="11">{name}</text>')
        for h in range(24):
            avg, _n = grid.get((d, h), (None, 0))
            shade = 0.06 if avg is None else 0.15 + 0.85 * (avg / top if top else 0)
            parts.append(f'<rect x="{pad_l + h * cell}" y="{y}" width="{cell - 1}" '
                         f'height="{cell - 1}" fill="currentColor" fill-opacity="{shade:.2f}"/>')
    return Markup(  # noqa: S704 (numbers and fixed names only)
        f'<svg class="chart heatmap" viewBox="0 0 {width} {height}" aria-hidden="true">'
        + "".join(parts) + "</svg>")
