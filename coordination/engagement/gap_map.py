"""The gap map's data, filled into its stored frame: no folium, pandas or geopandas on the request path.

The map is drawn in two parts. Its frame (the basemap or drawn background, the boroughs' shapes, the
four shaded layers with their tooltips, the markers' cluster layer, the key) depends only on the
boundary files, the tile settings and the code, so it is drawn with folium once (maps.py) and stored in
the instance folder (geography.frames), where every worker, and every worker after a restart, reads it.
What changes with the figures and the viewer – each borough's tooltip figures and fill colour per layer,
the legends, the links, the markers and their count – is worked out here with plain Python and numpy and
written into the frame's slots (geo.frames.fill).

The filled map is cached in-process by data version and choices (views.gap_map_parts), so a second
request costs a dictionary look-up and a string replace for the nonce.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from geo import colours
from geo.frames import Raw, display_properties, fill, script_json
from geo.safe_text import safe_text

from ..caching import app_cache
from ..geography.interface import frame_file, stored_frame
from .figures import BY_KEY

if TYPE_CHECKING:
    from .queries import MapPoints

MAP_FIGURES = ("gap_index", "gap_index_need", "engagement_rate", "engaged_per_100k")
# Below 1 (under-represented) is red, 1 is pale grey, above 1 is blue.
GAP_STOPS = (colours.GOVUK_RED, colours.GOVUK_LIGHT_GREY, colours.GOVUK_BLUE)
ENGAGED_COLOUR = "#00703c"  # GOV.UK green
NOT_ENGAGED_COLOUR = "#f47738"  # GOV.UK orange
LABELLED_POINTS = 2500  # above this, markers carry no names (keeps the page under 1 MB)
NONCE_PLACEHOLDER = "__CSP_NONCE__"
TOOLTIP = (
    ("name", "Borough"),
    ("engaged_display", "Organisations engaged"),
    ("directory_display", "Organisations in the directory"),
    ("engagement_rate_display", "Engagement rate"),
    ("engaged_per_100k_display", "Engaged per 100,000 residents"),
    ("population_display", "Population"),
    ("gap_index_display", "Gap index"),
    ("gap_index_need_display", "Gap index weighted by need"),
)
MARKER_LEGEND = {
    "title": "Organisations",
    "items": [
        [ENGAGED_COLOUR, "Engaged in this period (filled dot)", "dot"],
        ["", "Not engaged in this period (hollow ring)", "ring"],
        [
            "",
            "A group: the number inside; the thick green arc is the share engaged, the thin orange ring the rest",
            "cluster",
        ],
    ],
}
FRAME = "gap-map"
# The code the frame is drawn by: a change to any of these draws a new frame (geography.frames adds geo's).
FRAME_SOURCES = (Path(__file__), Path(__file__).with_name("maps.py"))


def cache():
    """This app's cache of filled gap maps and presented figures (keys carry the data and boundary versions)."""
    return app_cache("engagement", maxsize=32)


# The frame's slots, by name.
LINKS, MARKERS, MARKERS_NAME = "links", "markers", "markers-name"


def property_slot(index: int, field: str) -> str:
    """The slot of one tooltip figure of the index-th borough (the same in all four shaded layers)."""
    return f"p{index}.{field}"


def fill_slot(layer: int, code: str) -> str:
    """The slot of a borough's fill colour in one shaded layer."""
    return f"fill{layer}.{code}"


def legend_slot(layer: int) -> str:
    return f"legend{layer}"


def frame_key() -> tuple:
    """What the frame holds besides the boundaries, tiles and code: the layers' names and the tooltip's words."""
    return (tuple(BY_KEY[key].label for key in MAP_FIGURES), TOOLTIP, ENGAGED_COLOUR, NOT_ENGAGED_COLOUR)


def frame() -> dict:
    """The stored frame for the boundaries and tiles in use, drawn with folium (maps.py) when there is none."""

    def draw() -> dict:
        from . import maps  # folium, pandas and geopandas: only when no frame is stored

        return maps.rendered_frame(maps.build_gap_frame())

    return stored_frame(FRAME, frame_key(), draw, FRAME_SOURCES)


def frame_path() -> Path:
    """Where the frame for the boundaries, tiles and code in use is stored (its name is its digest)."""
    return frame_file(FRAME, frame_key(), FRAME_SOURCES)


def frame_is_stored() -> bool:
    """Whether this frame is already drawn and stored (flask engagement publish draws it when not)."""
    return frame_path().exists()


def legend(key: str, values: list) -> tuple[tuple, dict]:
    """A shaded layer's colour classes and its legend (title, items, note)."""
    figure = BY_KEY[key]
    if figure.kind == "index":
        edges, classes = colours.colour_classes(values, bins=6, scale="diverging", centre=1.0, stops=GAP_STOPS)
    else:
        edges, classes = colours.colour_classes(values, bins=5, scale="sequential")
    fmt = {"index": "{:.2f}", "percent": "{:.0%}", "rate": "{:,.1f}"}[figure.kind]
    items = [list(entry) for entry in colours.legend_entries(classes, values, fmt)]
    items.append([colours.NO_DATA_COLOUR, "No data, or not shown (small numbers)"])
    # The full definition (GAP_LEGEND) sits beside the map; the legend keeps the one line that matters.
    note = "Below 1: under-represented" if figure.kind == "index" else ""
    return (edges, classes), {"title": figure.label, "items": items, "note": note}


def marker_rows(points: MapPoints, label: bool) -> tuple[Raw, int, int]:
    """The markers' rows as JSON, [latitude, longitude, 1 if engaged else 0 (, name)] per organisation
    (queries.map_points: located ones only), rounded to about 10 m; with how many are engaged and how many not.

    Written as text straight away: 17,500 little lists would only be made to be encoded, and making them
    sets off the garbage collector's passes over the objects the process holds.
    """
    if not len(points):
        return Raw("[]"), 0, 0
    # Rounded as whole columns (4 decimal places is about 10 m): one numpy call each, not two per organisation.
    lats = np.round(points.lat, 4).tolist()
    lons = np.round(points.lon, 4).tolist()
    flags = points.engaged.astype(np.int8).tolist()
    if label:
        names = [script_json(safe_text(name, 120)) for name in points.names]
        rows = ", ".join(f"[{a!r}, {b!r}, {e}, {n}]" for a, b, e, n in zip(lats, lons, flags, names))
    else:
        rows = ", ".join(f"[{a!r}, {b!r}, {e}]" for a, b, e in zip(lats, lons, flags))
    engaged = sum(flags)
    return Raw(f"[{rows}]"), engaged, len(flags) - engaged


def values(rows: list[dict], points: MapPoints, links: dict[str, str], codes, names) -> dict:
    """Every slot's value: the presented borough rows (one practice area), the markers' points, the links.

    codes and names are the boundaries' own, in the frame's order (a borough without a row keeps its
    boundary name and shows empty figures).
    """
    by_code = {row["borough_code"]: row for row in rows}
    filled: dict[str, object] = {LINKS: {str(code): str(url) for code, url in links.items()}}
    for index, (code, name) in enumerate(zip(codes, names)):
        row = by_code.get(code, {})
        shown = {"name": row.get("name") or name, **{field: row.get(field, "") for field, _ in TOOLTIP[1:]}}
        for field, value in display_properties(shown.items()).items():
            filled[property_slot(index, field)] = value
    for layer, key in enumerate(MAP_FIGURES):
        figures = [by_code.get(code, {}).get(f"{key}_shown") for code in codes]
        (edges, classes), shown_legend = legend(key, figures)
        filled[legend_slot(layer)] = shown_legend
        for code, value in zip(codes, figures):
            filled[fill_slot(layer, code)] = colours.class_colour(value, edges, classes)
    filled[MARKERS], engaged, not_engaged = marker_rows(points, len(points) <= LABELLED_POINTS)
    filled[MARKERS_NAME] = f"Organisations ({engaged:,} engaged, {not_engaged:,} not)"
    return filled


def parts(frame: dict, rows: list[dict], points: MapPoints, links: dict[str, str]) -> dict[str, str]:
    """The map's header, body and script for these figures, markers (queries.map_points) and links, with a
    placeholder nonce.

    The script (half a megabyte: the shapes and every marker) is kept apart as `script_js` with its
    `digest`: the page links to it (views.gap_map_script) instead of carrying it, so the page stays small
    and the browser keeps the script until the map changes. Every worker fills the same stored frame, so
    the same map is the same text in any of them, and a page from one fits the script from another.
    """
    script = fill(frame["script"], values(rows, points, links, frame["codes"], frame["names"]))
    return {
        "header": frame["header"],
        "body": frame["body"],
        "script_js": script,
        "digest": hashlib.blake2b(script.encode(), digest_size=12).hexdigest(),
    }


def with_nonce(parts: dict[str, str], nonce: str) -> dict:
    """The cached parts with this response's CSP nonce (the script apart, as it is: it carries none)."""
    from markupsafe import Markup

    shown = {name: Markup(parts[name].replace(NONCE_PLACEHOLDER, nonce)) for name in ("header", "body")}
    return {**shown, "script_js": parts["script_js"], "digest": parts["digest"]}


def frame_slots(codes) -> set[str]:
    """Every slot the frame has (for checking a drawn frame leaves none unnamed)."""
    names = {LINKS, MARKERS, MARKERS_NAME}
    for index, _ in enumerate(codes):
        names |= {property_slot(index, field) for field, _ in TOOLTIP}
    for layer, _ in enumerate(MAP_FIGURES):
        names.add(legend_slot(layer))
        names |= {fill_slot(layer, code) for code in codes}
    return names
