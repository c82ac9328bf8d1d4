"""The gap map's frame, drawn with folium: one choropleth layer per figure, the markers' layer, clickable boroughs.

Everything that changes with the figures or the viewer is a slot (geo.frames.slot) that gap_map.py
fills per request without folium: each borough's tooltip figures and fill colour per layer, the legends,
the links, the markers and their count. The frame is drawn once per boundary file, tile settings and
code, and stored (geography.frames), so this module (and folium, pandas, geopandas) is loaded only by
the process that draws it.
"""

from __future__ import annotations

import re

import folium
import pandas as pd
from folium.plugins import FastMarkerCluster

from geo.frames import slot, slots

from ..geography.interface import map_boundaries, new_page_map, page_maps, prepared_shapes
from .figures import BY_KEY
from .gap_map import (
    ENGAGED_COLOUR,
    LINKS,
    MAP_FIGURES,
    MARKER_LEGEND,
    MARKERS,
    MARKERS_NAME,
    NONCE_PLACEHOLDER,
    NOT_ENGAGED_COLOUR,
    TOOLTIP,
    fill_slot,
    frame_slots,
    legend_slot,
    property_slot,
)

geo_maps = page_maps()  # geo.maps with Leaflet served from /vendor


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


class _Points(FastMarkerCluster):
    """FastMarkerCluster whose rows are a slot, filled per request with rows already rounded (gap_map.py).

    (Folium checks each location one by one, and passes its output through Jinja a second time; at
    17,500 organisations that was most of a build.)
    """

    def __init__(self, rows_slot: str, **kwargs):
        super().__init__([], **kwargs)
        self.data = rows_slot


def _add_markers(m: folium.Map) -> FastMarkerCluster:
    """One cluster layer for every organisation, so a group's icon can show how many of it are engaged."""
    name = slot(MARKERS_NAME)
    cluster = _Points(
        slot(MARKERS),
        callback=_marker_callback(),
        name="Organisations",
        show_coverage_on_hover=False,
        icon_create_function="GeoMaps.clusterIcon",
        control=False,
    )
    cluster.add_to(m)
    geo_maps.register_layer(m, cluster, name, MARKER_LEGEND, overlay=True)
    return cluster


def build_gap_frame() -> folium.Map:
    """The gap map with a slot for every figure, colour, legend, link and marker (gap_map.values fills them).

    The background is the app's TILE_URL (the only other host the CSP allows) or, without one, drawn
    from the boundaries (geography's cached drawn_base()).
    """
    gdf = map_boundaries()
    shapes = prepared_shapes()  # the boroughs' shapes, encoded once per boundary file and shared by the layers
    m = new_page_map()
    codes = [str(code) for code in gdf["code"]]
    properties = pd.DataFrame(
        [
            {"code": code, **{field: slot(property_slot(index, field)) for field, _ in TOOLTIP}}
            for index, code in enumerate(codes)
        ]
    )
    for layer, key in enumerate(MAP_FIGURES):
        drawn = geo_maps.add_boundaries(
            m,
            gdf[["code"]],
            properties=properties,
            tooltip_fields=TOOLTIP,
            name=BY_KEY[key].label,
            fill_colours={code: slot(fill_slot(layer, code)) for code in codes},
            fit=layer == 0,
            links=slot(LINKS),
            legend=slot(legend_slot(layer)),
            shapes=shapes,
        )
        drawn.overlay = False
    geo_maps.configure_key(m, noun="borough", choice_title="Shade boroughs by")
    _add_markers(m)
    m._gap_codes = codes
    m._gap_names = [str(name) for name in gdf["name"]]
    return m


# Folium names each element with a random 32-digit hex id (a layer's name, its style functions' names).
_FOLIUM_ID = re.compile(r"_([0-9a-f]{32})(?![0-9a-f])")


def rendered_frame(m: folium.Map) -> dict:
    """The frame rendered once, with a placeholder nonce and its slots; plain text and lists, ready to store.

    Folium's random element ids are numbered in order of appearance instead, so the same frame drawn by
    any process is the same text.
    """
    parts = geo_maps.render_parts(m, nonce=NONCE_PLACEHOLDER)
    ids: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return "_" + ids.setdefault(match.group(1), f"g{len(ids)}")

    rendered = {name: _FOLIUM_ID.sub(number, str(parts[name])) for name in ("header", "body", "script")}
    opening = f'<script nonce="{NONCE_PLACEHOLDER}">'
    script = rendered["script"]
    if not (script.startswith(opening) and script.endswith("</script>")):
        raise ValueError("the map's script is not one script element")
    rendered["script"] = script[len(opening) : -len("</script>")]
    left, expected = slots(rendered["script"]), frame_slots(m._gap_codes)
    if left != expected:
        raise ValueError(f"the frame's slots are not the ones gap_map fills: {sorted(left ^ expected)[:5]}")
    return {**rendered, "codes": m._gap_codes, "names": m._gap_names}
