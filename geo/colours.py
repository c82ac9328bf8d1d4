"""Colour classes for shaded maps (equal-width classes, legends, a value's colour): numpy only, no map library.

Kept apart from geo.maps (folium, pandas, geopandas), so a page that fills a stored map frame with
today's figures can shade it without loading the drawing libraries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# GOV.UK Frontend colours, so maps sit comfortably in the service's pages.
GOVUK_BLACK = "#0b0c0c"
GOVUK_BLUE = "#1d70b8"
GOVUK_DARK_BLUE = "#003078"
GOVUK_LIGHT_GREY = "#f3f2f1"
GOVUK_RED = "#d4351c"
NO_DATA_COLOUR = "#b1b4b6"
SEQUENTIAL = (GOVUK_LIGHT_GREY, GOVUK_BLUE, GOVUK_DARK_BLUE)
DIVERGING = (GOVUK_BLUE, GOVUK_LIGHT_GREY, GOVUK_RED)


def missing(value) -> bool:
    """Whether a value is no data: None, NaN (float or numpy), or pandas' NA/NaT (as pandas.isna says)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are the values unequal to themselves
    except TypeError:  # pandas.NA: its comparisons are NA, which has no truth value
        return True


def _hex_to_rgb(colour: str) -> np.ndarray:
    colour = colour.lstrip("#")
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def interpolate_colour(stops: Sequence[str], t: float) -> str:
    """Return the colour a fraction t (0..1) along a list of hex colour stops."""
    t = float(min(max(t, 0.0), 1.0))
    span = t * (len(stops) - 1)
    i = min(int(span), len(stops) - 2)
    frac = span - i
    rgb = _hex_to_rgb(stops[i]) * (1 - frac) + _hex_to_rgb(stops[i + 1]) * frac
    return "#" + "".join(f"{int(round(c)):02x}" for c in rgb)


def colour_classes(
    values: Sequence[float],
    bins: int = 5,
    scale: str = "sequential",
    centre: float | None = None,
    stops: Sequence[str] | None = None,
) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """Split values into equal-width classes; return class edges and (low, high, colour) per class.

    For a diverging scale the classes are symmetric about centre, so the centre
    is always a class edge and equal distances either side get equal weight.
    """
    data = np.asarray([v for v in values if not missing(v)], dtype=float)
    if scale not in ("sequential", "diverging"):
        raise ValueError("scale must be 'sequential' or 'diverging'")
    if data.size == 0:
        return np.array([]), []
    if scale == "diverging":
        middle = float(np.median(data)) if centre is None else float(centre)
        reach = float(np.max(np.abs(data - middle))) or 1.0
        bins = bins + (bins % 2)  # even, so the centre falls on an edge
        edges = np.linspace(middle - reach, middle + reach, bins + 1)
        palette = stops or DIVERGING
    else:
        low, high = float(data.min()), float(data.max())
        if high == low:
            high = low + 1.0
        edges = np.linspace(low, high, bins + 1)
        palette = stops or SEQUENTIAL
    classes = []
    for i in range(bins):
        t = (i + 0.5) / bins
        classes.append((float(edges[i]), float(edges[i + 1]), interpolate_colour(palette, t)))
    return edges, classes


def legend_entries(classes, values: Sequence[float], value_format: str = "{:,.1f}") -> list[tuple[str, str]]:
    """(colour, 'low to high') for the classes the data reaches, the outer ends clamped to the data's range.

    A diverging scale is symmetric about its centre, so some classes can lie wholly outside the data
    (a gap index below zero); the legend leaves those out rather than show impossible ranges.
    """
    data = [float(v) for v in values if not missing(v)]
    if not data or not classes:
        return []
    lowest, highest = min(data), max(data)
    kept = [c for c in classes if c[1] >= lowest and c[0] <= highest] or [classes[0]]
    entries = []
    for index, (low, high, colour) in enumerate(kept):
        low = max(low, lowest) if index == 0 else low
        high = min(high, highest) if index == len(kept) - 1 else high
        entries.append((colour, f"{value_format.format(low)} to {value_format.format(high)}"))
    return entries


def class_colour(value, edges: np.ndarray, classes) -> str:
    """The colour of the class a value falls in (grey for no data)."""
    if missing(value) or not classes:
        return NO_DATA_COLOUR
    i = int(np.searchsorted(edges, float(value), side="right")) - 1
    i = min(max(i, 0), len(classes) - 1)
    return classes[i][2]
