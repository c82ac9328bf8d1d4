"""Folium map builders for borough boundaries, choropleths and many points, embeddable in our pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.plugins import FastMarkerCluster, MarkerCluster
from folium.template import Template
from markupsafe import Markup

from geo.safe_text import safe_text

ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; "
    "Contains Royal Mail data; Contains National Statistics data"
)
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
GM_CENTRE = (53.51, -2.31)

# GOV.UK Frontend colours, so maps sit comfortably in the service's pages.
GOVUK_BLACK = "#0b0c0c"
GOVUK_BLUE = "#1d70b8"
GOVUK_DARK_BLUE = "#003078"
GOVUK_LIGHT_GREY = "#f3f2f1"
GOVUK_RED = "#d4351c"
NO_DATA_COLOUR = "#b1b4b6"
SEQUENTIAL = (GOVUK_LIGHT_GREY, GOVUK_BLUE, GOVUK_DARK_BLUE)
DIVERGING = (GOVUK_BLUE, GOVUK_LIGHT_GREY, GOVUK_RED)

# Styles for the pieces we add ourselves (legend, tooltips).  Emitted once per
# page by render_parts, inside a <style> that carries the CSP nonce.
MAP_CSS = """
.geo-legend{background:#fff;padding:6px 10px;border:1px solid #b1b4b6;font-size:16px;line-height:1.3;max-width:16em}
.geo-legend__title{margin:0 0 4px;font-weight:700}
.geo-legend__list{list-style:none;margin:0;padding:0}
.geo-legend__item{display:flex;align-items:center;margin:2px 0}
.geo-legend__swatch{display:inline-block;width:18px;height:14px;margin-right:6px;border:1px solid #505a5f;flex:none}
.foliumtooltip table{margin:auto;border-collapse:collapse}
.foliumtooltip th{padding:2px 8px 2px 2px;text-align:left}
.foliumtooltip td{padding:2px;text-align:left}
.leaflet-container{background:#dee0e2}
.leaflet-control-attribution a{text-decoration:underline}
@media (max-width:640px){.geo-legend{font-size:14px;padding:4px 6px}.geo-legend__swatch{width:14px;height:12px}}
"""

# Scripts and stylesheets a map needs, in the npm layout (node_modules/<package>/...) served under a base
# URL. Only Leaflet and MarkerCluster: jQuery, Bootstrap, Font Awesome and Awesome Markers are needed only
# by Folium's Popup (which uses $) and icon markers, which our builders never use. Folium's own (CDN)
# lists are read, never changed, for notebooks.
LOCAL_JS = {"leaflet": "leaflet/dist/leaflet.js", "cluster": "leaflet.markercluster/dist/leaflet.markercluster.js"}
LOCAL_CSS = {"leaflet": ("leaflet/dist/leaflet.css",),
             "cluster": ("leaflet.markercluster/dist/MarkerCluster.css",
                         "leaflet.markercluster/dist/MarkerCluster.Default.css")}
_asset_base: list[str | None] = ["/vendor"]


def use_local_assets(base_url: str = "/vendor") -> None:
    """Default for render_parts: Leaflet and MarkerCluster from base_url (npm layout)."""
    _asset_base[0] = base_url


def use_cdn_assets() -> None:
    """Default for render_parts: Folium's own CDN asset lists (for notebooks; never for the service)."""
    _asset_base[0] = None


def asset_tags(uses_cluster: bool, base_url: str | None, nonce_attr: str = "") -> list[str]:
    """The <script> and <link> tags for Leaflet (and MarkerCluster), local when base_url is given."""
    wanted = ["leaflet", "cluster"] if uses_cluster else ["leaflet"]
    if base_url is not None:
        base = base_url.rstrip("/")
        scripts = [f"{base}/{LOCAL_JS[name]}" for name in wanted]
        sheets = [f"{base}/{path}" for name in wanted for path in LOCAL_CSS[name]]
    else:
        scripts = [url for _, url in folium.Map.default_js] + (
            [url for _, url in MarkerCluster.default_js] if uses_cluster else [])
        sheets = [url for _, url in folium.Map.default_css] + (
            [url for _, url in MarkerCluster.default_css] if uses_cluster else [])
    return ([f'<script src="{escape(url, quote=True)}"{nonce_attr}></script>' for url in scripts]
            + [f'<link rel="stylesheet" href="{escape(url, quote=True)}">' for url in sheets])


_URL_ATTR = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


def external_asset_urls(html: str) -> list[str]:
    """List script/stylesheet URLs in html that point at another host (http:, https: or //)."""
    return [url for url in _URL_ATTR.findall(html) if re.match(r"^(?:[a-z]+:)?//", url, re.I)]


class _Attribution(MacroElement):
    """Add a fixed attribution statement to the map's attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "Attribution"
        self.text = text


class Legend(MacroElement):
    """A map legend (title plus colour swatches) drawn with DOM calls, so no inline HTML or styles."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var box = L.DomUtil.create("div", "geo-legend");
                var title = L.DomUtil.create("p", "geo-legend__title", box);
                title.textContent = {{ this.title|tojson }};
                var list = L.DomUtil.create("ul", "geo-legend__list", box);
                {{ this.entries|tojson }}.forEach(function (entry) {
                    var item = L.DomUtil.create("li", "geo-legend__item", list);
                    var swatch = L.DomUtil.create("span", "geo-legend__swatch", item);
                    swatch.style.backgroundColor = entry[0];
                    var label = L.DomUtil.create("span", "", item);
                    label.textContent = entry[1];
                });
                return box;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries: Sequence[tuple[str, str]], position: str = "topright"):
        super().__init__()
        self._name = "Legend"
        # Shown with textContent, so plain text is already inert here.
        self.title = str(title)
        self.entries = [[str(colour), str(label)] for colour, label in entries]
        self.position = position


def new_map(
    height: int | str = 480,
    basemap: bool = True,
    tiles_url: str = OSM_TILES,
    tiles_attribution: str = OSM_ATTRIBUTION,
    location: Sequence[float] = GM_CENTRE,
    zoom_start: int = 10,
) -> folium.Map:
    """Return an empty map with our attribution and, optionally, a tile basemap."""
    m = folium.Map(
        location=list(location),
        zoom_start=zoom_start,
        tiles=None,
        height=height,
        # No scale bar: at phone widths it collides with the (long, required) attribution.
        control_scale=False,
    )
    # Without a tile layer Leaflet has no maximum zoom, and MarkerCluster refuses
    # to start; set it on the map so maps work with or without a basemap.
    m.options["max_zoom"] = 19
    if basemap:
        folium.TileLayer(
            tiles=tiles_url, attr=tiles_attribution, name="Basemap", max_zoom=19, control=False
        ).add_to(m)
    _Attribution(ATTRIBUTION).add_to(m)
    return m


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
    data = np.asarray([v for v in values if v is not None and not pd.isna(v)], dtype=float)
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
    data = [float(v) for v in values if v is not None and not pd.isna(v)]
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
    if value is None or pd.isna(value) or not classes:
        return NO_DATA_COLOUR
    i = int(np.searchsorted(edges, float(value), side="right")) - 1
    i = min(max(i, 0), len(classes) - 1)
    return classes[i][2]


def _features(gdf: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict:
    """Build a FeatureCollection whose properties are safe display strings."""
    wgs = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
    features = []
    for (_, row), geom in zip(properties.iterrows(), wgs.geometry):
        props = {}
        for key, value in row.items():
            if isinstance(value, str):
                props[key] = safe_text(value)
            elif value is None or (isinstance(value, float) and np.isnan(value)):
                props[key] = None
            elif isinstance(value, (np.integer,)):
                props[key] = int(value)
            elif isinstance(value, (np.floating,)):
                props[key] = float(value)
            else:
                props[key] = value
        features.append({"type": "Feature", "properties": props, "geometry": geom.__geo_interface__})
    return {"type": "FeatureCollection", "features": features}


def _tooltip(tooltip_fields):
    if not tooltip_fields:
        return None
    fields = [field for field, _ in tooltip_fields]
    aliases = [safe_text(label) for _, label in tooltip_fields]
    return folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True, labels=True)


def add_boundaries(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    properties: pd.DataFrame | None = None,
    tooltip_fields: Sequence[tuple[str, str]] = (("name", "Borough"),),
    name: str = "Borough boundaries",
    highlight_code: str | None = None,
    fill_colours: dict[str, str] | None = None,
    fit: bool = True,
) -> folium.GeoJson:
    """Draw boundaries (code,name plus any display properties) with a tooltip; return the layer."""
    props = (properties if properties is not None else boundaries.drop(columns="geometry")).reset_index(drop=True)
    collection = _features(boundaries.reset_index(drop=True), props)
    fills = fill_colours or {}

    def style(feature):
        code = feature["properties"].get("code")
        chosen = highlight_code is not None and code == highlight_code
        return {
            "color": GOVUK_BLACK,
            "weight": 3 if chosen else 1.5,
            "fillColor": fills.get(code, GOVUK_BLUE),
            "fillOpacity": 0.75 if fills else (0.35 if chosen else 0.08),
        }

    layer = folium.GeoJson(
        collection,
        name=name,
        style_function=style,
        highlight_function=lambda feature: {"weight": 4},
        tooltip=_tooltip(tooltip_fields),
        smooth_factor=0.5,
    )
    layer.add_to(m)
    if fit:
        west, south, east, north = boundaries.to_crs("EPSG:4326").total_bounds
        m.fit_bounds([[float(south), float(west)], [float(north), float(east)]])
    return layer


def add_choropleth(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    data: pd.DataFrame,
    value_column: str,
    key: str = "code",
    scale: str = "sequential",
    centre: float | None = None,
    bins: int = 5,
    legend_title: str | None = None,
    value_format: str = "{:,.1f}",
    tooltip_fields: Sequence[tuple[str, str]] | None = None,
    stops: Sequence[str] | None = None,
    name: str | None = None,
    fit: bool = True,
) -> folium.GeoJson:
    """Shade areas by a value column (sequential, or diverging about centre) with a legend."""
    merged = boundaries.drop(columns=[c for c in data.columns if c in boundaries.columns and c != key])
    merged = merged.merge(data, left_on="code", right_on=key, how="left")
    values = merged[value_column]
    edges, classes = colour_classes(values.tolist(), bins=bins, scale=scale, centre=centre, stops=stops)
    colours = {code: class_colour(v, edges, classes) for code, v in zip(merged["code"], values)}
    shown = merged.drop(columns="geometry").copy()
    display_column = f"{value_column}_display"
    shown[display_column] = [value_format.format(v) if not pd.isna(v) else "No data" for v in values]
    title = legend_title or value_column
    fields = tooltip_fields or (("name", "Area"), (display_column, title))
    layer = add_boundaries(
        m,
        merged[["code", "geometry"]].set_geometry("geometry"),
        properties=shown,
        tooltip_fields=fields,
        name=name or title,
        fill_colours=colours,
        fit=fit,
    )
    entries = legend_entries(classes, values.tolist(), value_format)
    if values.isna().any():
        entries.append((NO_DATA_COLOUR, "No data"))
    Legend(title, entries).add_to(m)
    return layer


def borough_map(
    boundaries: gpd.GeoDataFrame,
    facts: pd.DataFrame | None = None,
    m: folium.Map | None = None,
    value_column: str | None = None,
    highlight_code: str | None = None,
    basemap: bool = True,
    height: int | str = 480,
    **choropleth_options,
) -> folium.Map:
    """Map the boroughs with name/population/deprivation tooltips; shaded by value_column if given."""
    m = m or new_map(height=height, basemap=basemap)
    if facts is None:
        from geo.boroughs import load_facts

        facts = load_facts()
    facts = facts.copy()
    extra = {
        "population_display": [f"{int(v):,}" for v in facts["population"]],
        "imd_rank_display": [f"{int(v)} of 296" for v in facts["imd_rank"]],
    }
    for column, values in extra.items():
        facts[column] = values
    tooltip = (
        ("name", "Borough"),
        ("population_display", "Population (2021)"),
        ("imd_rank_display", "Deprivation rank (1 = most deprived)"),
    )
    if value_column:
        add_choropleth(
            m,
            boundaries[["code", "geometry"]],
            facts,
            value_column,
            tooltip_fields=tooltip,
            **choropleth_options,
        )
        return m
    chosen = boundaries[["code", "geometry"]].merge(facts, on="code", how="left")
    add_boundaries(
        m,
        chosen[["code", "geometry"]],
        properties=chosen.drop(columns="geometry"),
        tooltip_fields=tooltip,
        highlight_code=highlight_code,
    )
    if highlight_code is not None:
        mine = boundaries[boundaries["code"] == highlight_code]
        if len(mine):
            west, south, east, north = mine.to_crs("EPSG:4326").total_bounds
            m.fit_bounds([[float(south), float(west)], [float(north), float(east)]])
    return m


_MARKER_CALLBACK = """function (row) {
    var marker = L.circleMarker([row[0], row[1]], {
        radius: 6, color: "#0b0c0c", weight: 1, fillColor: "#1d70b8", fillOpacity: 0.9
    });
    // Labels arrive through safe_text, so they are inert HTML; a string (not a
    // DOM node) keeps the per-point cost low for thousands of points.
    if (row.length > 2 && row[2]) { marker.bindTooltip(String(row[2])); }
    return marker;
}"""


def add_point_cluster(
    m: folium.Map,
    points: pd.DataFrame,
    lat: str = "latitude",
    lon: str = "longitude",
    label: str | None = None,
    name: str = "Points",
    decimals: int = 5,
) -> FastMarkerCluster:
    """Add many points as one clustered layer built in the browser (no folium Marker per point)."""
    frame = points.dropna(subset=[lat, lon])
    lats = np.round(frame[lat].astype(float).to_numpy(), decimals).tolist()
    lons = np.round(frame[lon].astype(float).to_numpy(), decimals).tolist()
    if label:
        labels = [safe_text(v) for v in frame[label].tolist()]
        rows = [[a, b, c] for a, b, c in zip(lats, lons, labels)]
    else:
        rows = [[a, b] for a, b in zip(lats, lons)]
    cluster = FastMarkerCluster(rows, callback=_MARKER_CALLBACK, name=name, show_coverage_on_hover=False)
    cluster.add_to(m)
    return cluster


_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S | re.I)


def _keep_header_style(css: str) -> bool:
    # Folium's page-level rules (html/body reset, "#map" absolute positioning) would
    # restyle our whole page; tooltip CSS is replaced by MAP_CSS.
    stripped = css.strip()
    return stripped.startswith("#map_")


def render_parts(m: folium.Map, nonce: str | None = None, asset_base: str | None | bool = True) -> dict[str, Markup]:
    """Render a map into header, body and script parts for embedding in our own page.

    The header is ours: the asset tags (asset_base: a URL for local files, None for Folium's CDN lists,
    True for the default set by use_local_assets, "/vendor" unless changed), the map's own size rule from
    Folium's rendered header, and MAP_CSS. Every script and style carries the nonce.
    """
    root = m.get_root()
    root.render()
    nonce_attr = f' nonce="{escape(nonce, quote=True)}"' if nonce else ""
    script = root.script.render()
    base = _asset_base[0] if asset_base is True else asset_base
    header = asset_tags("L.markerClusterGroup" in script, base, nonce_attr)
    # Keep only the map's own size rule; drop folium's <meta> viewport (it disables zoom, an
    # accessibility failure), global resets, the L_NO_TOUCH switches (Leaflet's defaults are the same)
    # and its asset links (ours are above).
    for css in _STYLE_BLOCK.findall(root.header.render()):
        if _keep_header_style(css):
            header.append(f"<style{nonce_attr}>{css.strip()}</style>")
    header.append(f"<style{nonce_attr}>{MAP_CSS.strip()}</style>")
    body = root.html.render().strip()
    return {"header": Markup("\n".join(header)), "body": Markup(body),
            "script": Markup(f"<script{nonce_attr}>{script}</script>")}


def render_page(m: folium.Map, title: str = "Map", nonce: str | None = None) -> str:
    """Render a small standalone HTML page from render_parts (for tests, benchmarks and previews)."""
    parts = render_parts(m, nonce=nonce)
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{parts['header']}</head>"
        f"<body><main><h1>{escape(title)}</h1>{parts['body']}</main>{parts['script']}</body></html>"
    )
