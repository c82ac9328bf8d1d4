"""Server-rendered inline SVG charts (no JavaScript), each described for screen readers beside a data table."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

# Colours distinguishable for common colour-vision differences (GOV.UK palette), one per event type.
SERIES_COLOURS = ("#1d70b8", "#f47738", "#00703c", "#912b88", "#505a5f")


def _svg(width: int, height: int, title: str, description: str, body: list[str], ident: str) -> Markup:
    return Markup(
        f'<svg class="app-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="arial, sans-serif" font-size="14">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    items: list[tuple[str, float | None, str]],
    title: str,
    description: str,
    ident: str,
    reference: float | None = None,
    reference_label: str = "",
    label_width: int = 130,
) -> Markup:
    """Horizontal bars as an HTML list, so they fit their box at any width (on a phone the label sits above
    its bar): (label, value or None when not shown, value text); an optional dashed reference line.

    label_width is kept for callers; the layout sizes labels itself.
    """
    largest = max([v for _, v, _ in items if v is not None] + [reference or 0, 1e-9])
    rows = []
    for label, value, text in items:
        share = 0 if value is None else 100 * value / largest
        line = ""
        if reference is not None:
            line = f'<span class="app-bars__reference" style="left:{100 * reference / largest:.1f}%"></span>'
        rows.append(
            f'<li class="app-bars__item"><span class="app-bars__label">{escape(label)}</span>'
            f'<span class="app-bars__track" aria-hidden="true"><span class="app-bars__bar" style="width:{share:.1f}%">'
            f'</span>{line}</span><span class="app-bars__value">{escape(text)}</span></li>'
        )
    key = ""
    if reference is not None:
        key = (
            f'<p class="govuk-body-s app-bars__key"><span class="app-bars__key-line" aria-hidden="true"></span>'
            f"Dashed line: {escape(reference_label)}</p>"
        )
    return Markup(
        f'<figure class="app-bars" id="{ident}" aria-labelledby="{ident}-title">'
        f'<figcaption class="app-bars__caption"><span class="govuk-body-s govuk-!-font-weight-bold" id="{ident}-title">'
        f'{escape(title)}</span> <span class="govuk-body-s" id="{ident}-desc">{escape(description)}</span></figcaption>'
        f'<ol class="app-bars__list" aria-describedby="{ident}-desc">' + "".join(rows) + "</ol>" + key + "</figure>"
    )


def stacked_columns(
    periods: list[str], series: list[tuple[str, list[int | None]]], title: str, description: str, ident: str
) -> Markup:
    """Columns per period stacked by series (for example attendance per quarter by event type), with a key."""
    width, left, bottom, top = 720, 50, 60, 40
    height = 320
    plot_h = height - top - bottom
    n = max(len(periods), 1)
    step = (width - left - 10) / n
    totals = [sum(values[i] or 0 for _, values in series) for i in range(len(periods))]
    largest = max(totals + [1])
    body = [
        f'<line x1="{left}" x2="{width - 10}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#0b0c0c"/>',
        f'<text x="{left - 6}" y="{top + 5}" text-anchor="end" fill="#0b0c0c">{largest:,}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" fill="#0b0c0c">0</text>',
    ]
    for i, period in enumerate(periods):
        x = left + i * step + step * 0.15
        y = top + plot_h
        for s, (_, values) in enumerate(series):
            h = plot_h * (values[i] or 0) / largest  # None: not shown (small numbers), not drawn
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{SERIES_COLOURS[s % len(SERIES_COLOURS)]}"/>'
            )
        if n <= 12 or i % max(1, n // 10) == 0:
            body.append(
                f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                f'font-size="12" fill="#0b0c0c">{escape(period)}</text>'
            )
    key_x = left
    for s, (name, _) in enumerate(series):
        body.append(
            f'<rect x="{key_x}" y="8" width="14" height="14" fill="{SERIES_COLOURS[s % len(SERIES_COLOURS)]}"/>'
        )
        body.append(f'<text x="{key_x + 18}" y="20" fill="#0b0c0c" font-size="13">{escape(name)}</text>')
        key_x += 18 + 8 * len(name) + 18
    return _svg(width, height, title, description, body, ident)
