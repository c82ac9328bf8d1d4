"""The map of ties between boroughs: a line between borough centres, as wide as the ties it carries."""

from __future__ import annotations

import folium

from geo import maps as geo_maps

from ..boroughs import borough_name
from ..geography.interface import map_boundaries, new_page_map

LINE_COLOUR = "#1d70b8"  # GOV.UK blue
INSIDE_COLOUR = "#912b88"  # GOV.UK purple: ties inside one borough
MIN_WIDTH, MAX_WIDTH = 2, 16


def borough_centres() -> dict[str, tuple[float, float]]:
    """(lat, lon) of a point inside each borough, from the boundaries in use."""
    frame = map_boundaries()
    points = frame.geometry.representative_point()
    return {code: (point.y, point.x) for code, point in zip(frame["code"], points)}


def _width(count: int, largest: int) -> float:
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * count / largest if largest else MIN_WIDTH


def build_ties_map(matrix: dict[tuple[str, str], int], caption: str) -> folium.Map:
    """Borough outlines, lines between borough centres for cross-borough ties and circles for ties inside one."""
    m = new_page_map()
    geo_maps.add_boundaries(m, map_boundaries(), name="Boroughs")
    centres = borough_centres()
    largest = max(matrix.values(), default=0)
    for (x, y), count in sorted(matrix.items(), key=lambda item: item[1]):
        if not count or x not in centres or y not in centres:
            continue
        if x == y:
            text = f"{borough_name(x)}: {count:,} new ties inside the borough ({caption})"
            folium.CircleMarker(
                centres[x],
                radius=_width(count, largest),
                color=INSIDE_COLOUR,
                fill=True,
                fill_opacity=0.35,
                weight=2,
                tooltip=text,
            ).add_to(m)
        else:
            text = f"{borough_name(x)} to {borough_name(y)}: {count:,} new ties ({caption})"
            folium.PolyLine(
                [centres[x], centres[y]], color=LINE_COLOUR, weight=_width(count, largest), opacity=0.75, tooltip=text
            ).add_to(m)
    geo_maps.Legend(
        "Ties between boroughs",
        [
            (LINE_COLOUR, "Between two boroughs (wider: more ties)"),
            (INSIDE_COLOUR, "Inside one borough (larger: more ties)"),
        ],
    ).add_to(m)
    return m
