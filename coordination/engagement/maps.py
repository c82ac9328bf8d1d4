"""The gap map: one choropleth layer per figure, engaged and not-yet-engaged markers, clickable boroughs.

Built from the same presented rows as the tables (figures.present), and cached in-process by data
version, so a second request costs a dictionary look-up and a string replace for the nonce.
"""
from __future__ import annotations

import folium
import pandas as pd
from branca.element import MacroElement
from folium.plugins import FastMarkerCluster
from folium.template import Template

from geo import maps as geo_maps
from geo.safe_text import safe_text

from ..caching import app_cache
from ..geography.interface import map_boundaries
from .figures import BY_KEY

MAP_FIGURES = ("gap_index", "gap_index_need", "engagement_rate", "engaged_per_100k")
# Below 1 (under-represented) is red, 1 is pale grey, above 1 is blue.
GAP_STOPS = (geo_maps.GOVUK_RED, geo_maps.GOVUK_LIGHT_GREY, geo_maps.GOVUK_BLUE)
ENGAGED_COLOUR = "#00703c"      # GOV.UK green
NOT_ENGAGED_COLOUR = "#f47738"  # GOV.UK orange
LABELLED_POINTS = 2500          # above this, markers carry no names (keeps the page under 1 MB)
NONCE_PLACEHOLDER = "__CSP_NONCE__"
TOOLTIP = (("name", "Borough"), ("engaged_display", "Organisations engaged"),
           ("directory_display", "Organisations in the directory"), ("engagement_rate_display", "Engagement rate"),
           ("engaged_per_100k_display", "Engaged per 100,000 residents"), ("population_display", "Population"),
           ("gap_index_display", "Gap index"), ("gap_index_need_display", "Gap index weighted by need"))


class _LayerSwitcher(MacroElement):
    """Show one figure layer at a time with its own legend, and make boroughs open their page on click."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var layers = {{ this.layer_js }};
            var legends = {{ this.legends|tojson }};
            var links = {{ this.links|tojson }};
            var box = L.control({position: "bottomright"});
            box.options.position = "bottomleft";
            box.onAdd = function () { return L.DomUtil.create("div", "geo-legend app-gap-legend"); };
            box.addTo(map);
            function showLegend(name) {
                var entry = legends[name], div = box.getContainer();
                div.textContent = "";
                if (!entry) { return; }
                var title = L.DomUtil.create("p", "geo-legend__title", div);
                title.textContent = entry.title;
                var list = L.DomUtil.create("ul", "geo-legend__list", div);
                entry.items.forEach(function (item) {
                    var li = L.DomUtil.create("li", "geo-legend__item", list);
                    var swatch = L.DomUtil.create("span", "geo-legend__swatch", li);
                    swatch.style.backgroundColor = item[0];
                    L.DomUtil.create("span", "", li).textContent = item[1];
                });
                if (entry.note) { L.DomUtil.create("p", "app-gap-legend__note", div).textContent = entry.note; }
            }
            Object.keys(layers).forEach(function (name, index) {
                var layer = layers[name];
                if (index > 0) { map.removeLayer(layer); }
                layer.eachLayer(function (shape) {
                    var code = shape.feature && shape.feature.properties.code;
                    if (links[code]) {
                        shape.on("click", function () { window.location.assign(links[code]); });
                        if (shape.getElement && shape.getElement()) { shape.getElement().style.cursor = "pointer"; }
                    }
                });
            });
            map.on("baselayerchange", function (event) { showLegend(event.name); });
            showLegend(Object.keys(layers)[0]);
        })();
        {% endmacro %}
    """)

    def __init__(self, layers: dict[str, folium.GeoJson], legends: dict[str, dict], links: dict[str, str]):
        super().__init__()
        self._name = "LayerSwitcher"
        self.layers = layers
        self.legends = legends
        self.links = links

    def render(self, **kwargs):
        import json

        self.layer_js = "{" + ", ".join(f"{json.dumps(name)}: {layer.get_name()}"
                                        for name, layer in self.layers.items()) + "}"
        super().render(**kwargs)


def _marker_callback(colour: str) -> str:
    return """function (row) {
        var marker = L.circleMarker([row[0], row[1]], {
            radius: 6, color: "#0b0c0c", weight: 1, fillColor: "COLOUR", fillOpacity: 0.9
        });
        if (row.length > 2 && row[2]) { marker.bindTooltip(String(row[2])); }
        return marker;
    }""".replace("COLOUR", colour)


def _add_markers(m: folium.Map, organisations: list[dict], engaged: bool, label: bool) -> None:
    if label:
        rows = [[round(o["latitude"], 4), round(o["longitude"], 4), safe_text(o["name"], 120)]
                for o in organisations if o["engaged_in_period"] == engaged and o["latitude"] is not None
                and o["longitude"] is not None]
    else:
        rows = [[round(o["latitude"], 4), round(o["longitude"], 4)]
                for o in organisations if o["engaged_in_period"] == engaged and o["latitude"] is not None
                and o["longitude"] is not None]
    name = (f"Engaged in this period ({len(rows):,})" if engaged else f"Not engaged in this period ({len(rows):,})")
    FastMarkerCluster(rows, callback=_marker_callback(ENGAGED_COLOUR if engaged else NOT_ENGAGED_COLOUR), name=name,
                      show_coverage_on_hover=False).add_to(m)


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


def build_gap_map(rows: list[dict], organisations: list[dict], links: dict[str, str],
                  tiles_url: str | None = geo_maps.OSM_TILES) -> folium.Map:
    """Build the gap map from presented borough rows (one practice area) and organisation rows.

    tiles_url is the app's TILE_URL (the only other host the CSP allows); empty or None means no basemap.
    """
    gdf = map_boundaries()
    m = geo_maps.new_map(height="100%", basemap=bool(tiles_url), tiles_url=tiles_url or geo_maps.OSM_TILES)
    by_code = {row["borough_code"]: row for row in rows}
    properties = pd.DataFrame([{"code": code, **{k: by_code.get(code, {}).get(k, "") for k in
                                                  ("name",) + tuple(f for f, _ in TOOLTIP[1:])}}
                               for code in gdf["code"]])
    properties["name"] = [by_code.get(code, {}).get("name") or name for code, name in zip(gdf["code"], gdf["name"])]
    layers, legends = {}, {}
    for index, key in enumerate(MAP_FIGURES):
        values = [by_code.get(code, {}).get(f"{key}_shown") for code in gdf["code"]]
        (edges, classes), legend = _legend(key, values)
        fills = {code: geo_maps.class_colour(v, edges, classes) for code, v in zip(gdf["code"], values)}
        layer = geo_maps.add_boundaries(m, gdf[["code", "geometry"]], properties=properties, tooltip_fields=TOOLTIP,
                                        name=BY_KEY[key].label, fill_colours=fills, fit=index == 0)
        layer.overlay = False
        layers[BY_KEY[key].label] = layer
        legends[BY_KEY[key].label] = legend
    label = len(organisations) <= LABELLED_POINTS
    _add_markers(m, organisations, True, label)
    _add_markers(m, organisations, False, label)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    _LayerSwitcher(layers, legends, links).add_to(m)
    return m


def cache():
    """This app's cache of built gap maps and presented figures (keys carry the data and boundary versions)."""
    return app_cache("engagement", maxsize=32)


def rendered_parts(m: folium.Map) -> dict[str, str]:
    """Render once with a placeholder nonce; with_nonce() puts each request's real one in."""
    parts = geo_maps.render_parts(m, nonce=NONCE_PLACEHOLDER)
    return {name: str(value) for name, value in parts.items()}


def with_nonce(parts: dict[str, str], nonce: str) -> dict:
    """The cached parts with this response's CSP nonce."""
    from markupsafe import Markup

    return {name: Markup(value.replace(NONCE_PLACEHOLDER, nonce)) for name, value in parts.items()}
