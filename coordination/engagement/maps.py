"""The gap map: one choropleth layer per figure, engaged and not-yet-engaged markers, clickable boroughs.

Built from the same presented rows as the tables (figures.present), and cached in-process by data
version, so a second request costs a dictionary look-up and a string replace for the nonce.
"""

from __future__ import annotations

import hashlib
import re

import folium
import numpy as np
import pandas as pd
from folium.plugins import FastMarkerCluster

from geo.safe_text import safe_text

from ..caching import app_cache
from ..geography.interface import map_boundaries, page_maps, prepared_shapes
from .figures import BY_KEY

geo_maps = page_maps()  # geo.maps with Leaflet served from /vendor
MAP_FIGURES = ("gap_index", "gap_index_need", "engagement_rate", "engaged_per_100k")
# Below 1 (under-represented) is red, 1 is pale grey, above 1 is blue.
GAP_STOPS = (geo_maps.GOVUK_RED, geo_maps.GOVUK_LIGHT_GREY, geo_maps.GOVUK_BLUE)
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


def _marker_callback() -> str:
    # Engaged organisations are filled green dots; not-engaged ones hollow orange rings (shape, not only colour).
    return """function (row) {
        var engaged = row[2] === 1;
        var marker = L.circleMarker([row[0], row[1]], engaged
            ? {radius: 6, color: "#0b0c0c", weight: 1, fillColor: ENGAGED, fillOpacity: 1, engaged: true}
            : {radius: 5, color: NOT_ENGAGED, weight: 3, fillColor: "#ffffff", fillOpacity: 1, engaged: false});
        if (row.length > 3 && row[3]) { marker.bindTooltip(String(row[3])); }
        return marker;
    }""".replace("NOT_ENGAGED", f'"{NOT_ENGAGED_COLOUR}"').replace("ENGAGED", f'"{ENGAGED_COLOUR}"')


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


def _add_markers(m: folium.Map, organisations: list[dict], label: bool) -> FastMarkerCluster:
    """One cluster layer for every organisation, so a group's icon can show how many of it are engaged."""
    located = [o for o in organisations if o["latitude"] is not None and o["longitude"] is not None]
    # Rounded as whole columns (4 decimal places is about 10 m): one numpy call, not two per organisation.
    places = np.round(np.array([(o["latitude"], o["longitude"]) for o in located], dtype=float).reshape(-1, 2), 4)
    rows = [[lat, lon, 1 if o["engaged_in_period"] else 0] for (lat, lon), o in zip(places.tolist(), located)]
    if label:
        for row, o in zip(rows, located):
            row.append(safe_text(o["name"], 120))
    engaged = sum(1 for row in rows if row[2])
    name = f"Organisations ({engaged:,} engaged, {len(rows) - engaged:,} not)"
    cluster = _Points(
        m,
        rows,
        callback=_marker_callback(),
        name=name,
        show_coverage_on_hover=False,
        icon_create_function="GeoMaps.clusterIcon",
        control=False,
    )
    cluster.add_to(m)
    geo_maps.register_layer(m, cluster, name, MARKER_LEGEND, overlay=True)
    return cluster


class _Points(FastMarkerCluster):
    """FastMarkerCluster for rows whose coordinates are already rounded floats from the database.

    (Folium checks each location one by one; at 17,500 organisations that was most of a cold build.) The
    rows are written into the page late (geo_maps.late_json), past folium's second template pass.
    """

    def __init__(self, m: folium.Map, rows: list[list], **kwargs):
        super().__init__([], **kwargs)
        self.data = geo_maps.late_json(m, rows)


def _legend(key: str, values: list) -> tuple[dict[str, str], dict]:
    figure = BY_KEY[key]
    if figure.kind == "index":
        edges, classes = geo_maps.colour_classes(values, bins=6, scale="diverging", centre=1.0, stops=GAP_STOPS)
    else:
        edges, classes = geo_maps.colour_classes(values, bins=5, scale="sequential")
    fmt = {"index": "{:.2f}", "percent": "{:.0%}", "rate": "{:,.1f}"}[figure.kind]
    items = [list(entry) for entry in geo_maps.legend_entries(classes, values, fmt)]
    items.append([geo_maps.NO_DATA_COLOUR, "No data, or not shown (small numbers)"])
    # The full definition (GAP_LEGEND) sits beside the map; the legend keeps the one line that matters.
    note = "Below 1: under-represented" if figure.kind == "index" else ""
    return (edges, classes), {"title": figure.label, "items": items, "note": note}


def build_gap_map(
    rows: list[dict],
    organisations: list[dict],
    links: dict[str, str],
    tiles_url: str | None = geo_maps.OSM_TILES,
    base=None,
) -> folium.Map:
    """Build the gap map from presented borough rows (one practice area) and organisation rows.

    tiles_url is the app's TILE_URL (the only other host the CSP allows); empty or None means a drawn
    background (base: the cached drawn_base() layers, else drawn from the boundaries here).
    """
    gdf = map_boundaries()
    shapes = prepared_shapes()  # the boroughs' shapes, encoded once per boundary file and shared by the layers
    m = geo_maps.new_map(height="100%", basemap=bool(tiles_url), tiles_url=tiles_url or geo_maps.OSM_TILES)
    if not tiles_url:
        geo_maps.add_drawn_basemap(m, gdf, layers=base)
    by_code = {row["borough_code"]: row for row in rows}
    properties = pd.DataFrame(
        [
            {
                "code": code,
                **{k: by_code.get(code, {}).get(k, "") for k in ("name",) + tuple(f for f, _ in TOOLTIP[1:])},
            }
            for code in gdf["code"]
        ]
    )
    properties["name"] = [by_code.get(code, {}).get("name") or name for code, name in zip(gdf["code"], gdf["name"])]
    for index, key in enumerate(MAP_FIGURES):
        values = [by_code.get(code, {}).get(f"{key}_shown") for code in gdf["code"]]
        (edges, classes), legend = _legend(key, values)
        fills = {code: geo_maps.class_colour(v, edges, classes) for code, v in zip(gdf["code"], values)}
        layer = geo_maps.add_boundaries(
            m,
            gdf[["code"]],
            properties=properties,
            tooltip_fields=TOOLTIP,
            name=BY_KEY[key].label,
            fill_colours=fills,
            fit=index == 0,
            links=links,
            legend=legend,
            shapes=shapes,
        )
        layer.overlay = False
    geo_maps.configure_key(m, noun="borough", choice_title="Shade boroughs by")
    _add_markers(m, organisations, len(organisations) <= LABELLED_POINTS)
    return m


def cache():
    """This app's cache of built gap maps and presented figures (keys carry the data and boundary versions)."""
    return app_cache("engagement", maxsize=32)


_FOLIUM_ID = re.compile(r"_([0-9a-f]{32})\b")


def rendered_parts(m: folium.Map) -> dict[str, str]:
    """Render once with a placeholder nonce; with_nonce() puts each request's real one in.

    The script (half a megabyte: the shapes and every marker) is kept apart as `script_js` with its
    `digest`: the page links to it (views.gap_map_script) instead of carrying it, so the page stays small
    and the browser keeps the script until the map changes. Folium names each element with a random id;
    numbered in order of appearance instead, the same map built in either worker is the same text, so a
    page from one worker and its script from another always fit together.
    """
    parts = geo_maps.render_parts(m, nonce=NONCE_PLACEHOLDER)
    ids: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return "_" + ids.setdefault(match.group(1), f"g{len(ids)}")

    rendered = {name: _FOLIUM_ID.sub(number, str(parts[name])) for name in ("header", "body", "script")}
    opening = f'<script nonce="{NONCE_PLACEHOLDER}">'
    script = rendered.pop("script")
    if not (script.startswith(opening) and script.endswith("</script>")):
        raise ValueError("the map's script is not one script element")
    rendered["script_js"] = script[len(opening) : -len("</script>")]
    rendered["digest"] = hashlib.blake2b(rendered["script_js"].encode(), digest_size=12).hexdigest()
    return rendered


def with_nonce(parts: dict[str, str], nonce: str) -> dict:
    """The cached parts with this response's CSP nonce (the script apart, as it is: it carries none)."""
    from markupsafe import Markup

    shown = {name: Markup(parts[name].replace(NONCE_PLACEHOLDER, nonce)) for name in ("header", "body")}
    return {**shown, "script_js": parts["script_js"], "digest": parts["digest"]}
