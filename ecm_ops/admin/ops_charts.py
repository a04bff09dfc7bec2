"""Server-side SVG charts for the operations dashboard.

Why SVG on the server and not a JavaScript charting library: the admin must work offline (no
CDN), the charts are a handful of bars and lines whose numbers are already in the table beside
each chart, and an SVG drawn here costs no extra request, no build step and no vendored
minified file to keep patched. Each chart carries a ``<title>``/``<desc>`` and ``role="img"``;
the table next to it is the accessible, exportable version of the same numbers.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe

W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 220, 48, 48, 16, 36
COLOURS = ("#007d7e", "#cd4444", "#6a4aa8", "#e07f00")


def _scale(values, height):
    top = max([v for v in values if v is not None] + [0]) or 1
    return top, (lambda v: TOP + height - (v / top) * height)


def chart(title, labels, bars=None, lines=(), band=None, bar_unit="", line_unit=""):
    """An SVG of ``bars`` (label, values; left axis) and ``lines`` [(label, values)] (right
    axis), with an optional shaded ``band`` (low, high) on the right axis (the pilot's 95%
    confidence interval). Values may be None (no data: a gap)."""
    n = max(1, len(labels))
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = plot_w / n
    parts = [
        f'<svg class="ecm-ops-chart" viewBox="0 0 {W} {H}" role="img" '
        f'aria-labelledby="c-{id(labels)}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="c-{id(labels)}">{escape(title)}</title>',
    ]
    line_values = [v for _l, vals in lines for v in vals if v is not None]
    if band:
        line_values += list(band)
    rtop, ry = _scale(line_values, plot_h)
    if band:
        y1, y2 = ry(band[1]), ry(band[0])
        parts.append(
            f'<rect x="{LEFT}" y="{y1:.1f}" width="{plot_w}" height="{max(1, y2 - y1):.1f}" '
            f'fill="#cd4444" opacity="0.12"><title>Pilot 95% CI {band[0]:.1f}–{band[1]:.1f}'
            f"{escape(line_unit)}</title></rect>"
        )
    if bars:
        label, values = bars
        btop, by = _scale(values, plot_h)
        for i, v in enumerate(values):
            if not v:
                continue
            x, y = LEFT + i * step + step * 0.15, by(v)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                f'height="{TOP + plot_h - y:.1f}" fill="#c8dedf"><title>{escape(labels[i])}: '
                f"{escape(label)} {v:,.0f}{escape(bar_unit)}</title></rect>"
            )
        parts.append(
            f'<text x="4" y="{TOP + 8}" font-size="11">{btop:,.0f}{escape(bar_unit)}</text>'
        )
    for colour, (label, values) in zip(COLOURS, lines, strict=False):
        points = []
        for i, v in enumerate(values):
            if v is None:
                if len(points) > 1:
                    parts.append(_polyline(points, colour))
                points = []
                continue
            points.append((LEFT + i * step + step / 2, ry(v)))
            parts.append(
                f'<circle cx="{points[-1][0]:.1f}" cy="{points[-1][1]:.1f}" r="3" '
                f'fill="{colour}"><title>{escape(labels[i])}: {escape(label)} {v:.1f}'
                f"{escape(line_unit)}</title></circle>"
            )
        if len(points) > 1:
            parts.append(_polyline(points, colour))
    if line_values:
        parts.append(
            f'<text x="{W - RIGHT + 4}" y="{TOP + 8}" font-size="11">{rtop:.1f}'
            f"{escape(line_unit)}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#888"/>'
    )
    every = max(1, n // 8)
    for i, text in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{LEFT + i * step + step / 2:.1f}" y="{H - 14}" font-size="10" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
    legend_x = LEFT
    entries = ([(bars[0], "#c8dedf")] if bars else []) + [
        (label, c) for c, (label, _v) in zip(COLOURS, lines, strict=False)
    ]
    for label, colour in entries:
        parts.append(
            f'<rect x="{legend_x}" y="{H - 10}" width="10" height="8" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{H - 2}" font-size="10">{escape(label)}</text>'
        )
        legend_x += 20 + 6 * len(label)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def _polyline(points, colour):
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
