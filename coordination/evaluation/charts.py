"""QR codes for collection links and the report's bar charts with their intervals, as server-side SVG."""

from __future__ import annotations

import io
from html import escape

import segno
from markupsafe import Markup

BAR = "#1d70b8"
COMPARATOR = "#0b0c0c"


def qr_svg(url: str, title: str) -> str:
    """An SVG QR code for a link (medium error correction survives a little smudging on paper)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        title=title,
        scale=8,
        border=4,
        nl=False,
        svgclass="app-qr",
        lineclass=None,
        omitsize=True,
    )
    return buffer.getvalue().decode()


def percent_bars(rows: list[dict], title: str, ident: str) -> Markup:
    """Horizontal bars for percentages (0–100%) with the 95% interval as a whisker and comparators as ticks.

    A row: {'label', 'percent' (0–1 or None when not shown), 'low', 'high', 'comparator' (0–1 or None)}.
    The chart is an image with a text description; the table beside it carries every figure.
    """
    label_width, plot, row_height, top = 300, 320, 34, 8
    width = label_width + plot + 70
    height = top + row_height * len(rows) + 26
    body = []
    described = []
    for i, row in enumerate(rows):
        y = top + i * row_height
        body.append(
            f'<text x="{label_width - 8}" y="{y + 20}" text-anchor="end" fill="#0b0c0c">'
            f"{escape(_short(row['label']))}</text>"
        )
        if row.get("percent") is None:
            body.append(f'<text x="{label_width + 4}" y="{y + 20}" fill="#505a5f">not shown</text>')
            described.append(f"{row['label']}: not shown")
            continue
        length = plot * row["percent"]
        body.append(f'<rect x="{label_width}" y="{y + 7}" width="{length:.1f}" height="18" fill="{BAR}"/>')
        if row.get("low") is not None:
            low, high = label_width + plot * row["low"], label_width + plot * row["high"]
            body.append(
                f'<line x1="{low:.1f}" x2="{high:.1f}" y1="{y + 16}" y2="{y + 16}" stroke="{COMPARATOR}" '
                f'stroke-width="2"/>'
            )
            for x in (low, high):
                body.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 10}" y2="{y + 22}" stroke="{COMPARATOR}" '
                    f'stroke-width="2"/>'
                )
        if row.get("comparator") is not None:
            x = label_width + plot * row["comparator"]
            body.append(f'<path d="M{x:.1f} {y + 2} l-5 -0 l5 8 l5 -8 z" fill="#d4351c"/>')
        body.append(
            f'<text x="{label_width + plot + 6}" y="{y + 20}" fill="#0b0c0c">{row["percent"] * 100:.0f}%</text>'
        )
        described.append(f"{row['label']}: {row['percent'] * 100:.0f}%")
    axis_y = top + row_height * len(rows) + 4
    for tick in (0, 50, 100):
        x = label_width + plot * tick / 100
        body.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="12" fill="#505a5f">{tick}%</text>'
        )
    description = "; ".join(described) + ". Black lines show 95% intervals; red marks show comparators."
    return Markup(
        f'<svg class="app-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="arial, sans-serif" font-size="14">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
