"""Folium map builders for borough boundaries, choropleths and many points, embeddable in our pages."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.plugins import FastMarkerCluster, MarkerCluster
from folium.template import Template
from markupsafe import Markup

from geo.colours import (
    GOVUK_BLACK,
    GOVUK_BLUE,
    NO_DATA_COLOUR,
    class_colour,
    colour_classes,
    legend_entries,
)
from geo.frames import display_properties
from geo.safe_text import safe_text
from geo.tiles import OSM_ATTRIBUTION, OSM_TILES

ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right; Contains Royal Mail data; Contains National Statistics data"
)
GM_CENTRE = (53.51, -2.31)


# The behaviour every map shares (the key, keyboard access, details below the map, cluster icons);
# inlined once per page by render_parts, with the CSP nonce.
GEO_MAPS_JS = (Path(__file__).with_name("geo-maps.js")).read_text(encoding="utf-8")

# A drawn background used when no tile server is configured: land outside Greater Manchester is a
# quiet grey, Greater Manchester itself paper white with a firm outline, boroughs named on top.
DRAWN_OUTSIDE = "#e4e7ea"
DRAWN_LAND = "#ffffff"

# Styles for the pieces we add ourselves (key, legend, tooltips, details, clusters, labels).  Emitted
# once per page by render_parts, inside a <style> that carries the CSP nonce.
MAP_CSS = """
.geo-key{background:#fff;border:2px solid #0b0c0c;font-size:16px;line-height:1.3;max-width:17em;max-height:calc(100% - 20px);overflow:auto}
.geo-key__toggle{display:block;width:100%;margin:0;padding:6px 10px;border:0;background:#fff;color:#0b0c0c;font:inherit;font-weight:700;text-align:left;cursor:pointer}
.geo-key__toggle::after{content:"";display:inline-block;width:7px;height:7px;margin-left:8px;border:solid #0b0c0c;border-width:0 2px 2px 0;transform:translateY(-3px) rotate(45deg)}
.geo-key--open .geo-key__toggle::after{transform:translateY(1px) rotate(-135deg)}
.geo-key__toggle:focus{outline:3px solid #ffdd00;outline-offset:0;background:#ffdd00;box-shadow:inset 0 -4px #0b0c0c}
.geo-key__panel{padding:0 10px 8px}
.geo-key__choices{border:0;margin:0 0 6px;padding:0}
.geo-key__legend{font-weight:700;padding:0;margin:0 0 2px}
.geo-key__choice,.geo-key__overlay{display:flex;align-items:center;gap:6px;margin:4px 0}
.geo-key__choice input,.geo-key__overlay input{width:20px;height:20px;margin:0;flex:none;accent-color:#0b0c0c}
.geo-key__overlay{border-top:1px solid #b1b4b6;padding-top:6px;font-weight:700}
.geo-legend{padding:2px 0 0}
.geo-legend__title{margin:4px 0;font-weight:700}
.geo-legend__list{list-style:none;margin:0;padding:0}
.geo-legend__item{display:flex;align-items:center;margin:2px 0}
.geo-legend__swatch{display:inline-block;width:18px;height:14px;margin-right:6px;border:1px solid #505a5f;flex:none;box-sizing:border-box}
.geo-legend__swatch--chosen{border:3px solid #0b0c0c}
.geo-legend__swatch--dot{width:14px;height:14px;border-radius:50%;border:1px solid #0b0c0c}
.geo-legend__swatch--ring{width:14px;height:14px;border-radius:50%;border:3px solid #f47738;background:#fff}
.geo-legend__swatch--cluster{width:18px;height:18px;border-radius:50%;border:0;background:conic-gradient(#00703c 0 40%,transparent 40% 100%),radial-gradient(circle,#fff 54%,#f47738 55%,#f47738 68%,#fff 69%)}
.geo-legend__note{margin:4px 0 0;font-size:14px}
.geo-details{border-left:5px solid #1d70b8;padding:6px 0 6px 12px;margin:8px 0 0;min-height:2.5em}
.geo-details__hint{margin:0;color:#505a5f}
.geo-details__title{margin:0 0 4px;font-size:19px;font-weight:700}
.geo-details__list{margin:0;display:grid;grid-template-columns:auto auto;gap:2px 12px;justify-content:start}
.geo-details__row{display:contents}
.geo-details__key{margin:0}
.geo-details__value{margin:0;font-weight:700}
.geo-details p{margin:6px 0 0}
.geo-cluster-icon{background:none;border:0}
.geo-cluster{border-radius:50%;display:flex;align-items:center;justify-content:center;box-shadow:0 0 0 1px #0b0c0c}
.geo-cluster__count{display:flex;align-items:center;justify-content:center;width:52%;height:52%;border-radius:50%;background:#fff;color:#0b0c0c;font:700 13px arial,sans-serif}
.geo-visually-hidden{position:absolute!important;width:1px!important;height:1px!important;margin:0!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;white-space:nowrap!important;border:0!important}
.geo-place-label{background:none;border:0;white-space:nowrap;font:700 13px arial,sans-serif;color:#0b0c0c;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;pointer-events:none}
.geo-place-label span{display:block;transform:translate(-50%,-50%)}
.foliumtooltip table{margin:auto;border-collapse:collapse}
.foliumtooltip th{padding:2px 8px 2px 2px;text-align:left}
.foliumtooltip td{padding:2px;text-align:left}
.leaflet-container{background:#dee0e2}
.leaflet-container.geo-drawn{background:__OUTSIDE__}
.leaflet-container path.leaflet-interactive:focus{outline:none;stroke:#ffdd00;stroke-width:6px}
.leaflet-control-attribution a{text-decoration:underline}
@media (max-width:640px){.geo-key{font-size:14px;max-width:14em}.geo-place-label{font-size:12px}.leaflet-container .leaflet-control-attribution{font-size:12px;line-height:1.3}}
""".replace("__OUTSIDE__", DRAWN_OUTSIDE)

# Scripts and stylesheets a map needs, in the npm layout (node_modules/<package>/...) served under a base
# URL. Only Leaflet and MarkerCluster: jQuery, Bootstrap, Font Awesome and Awesome Markers are needed only
# by Folium's Popup (which uses $) and icon markers, which our builders never use. Folium's own (CDN)
# lists are read, never changed, for notebooks.
LOCAL_JS = {"leaflet": "leaflet/dist/leaflet.js", "cluster": "leaflet.markercluster/dist/leaflet.markercluster.js"}
LOCAL_CSS = {
    "leaflet": ("leaflet/dist/leaflet.css",),
    "cluster": ("leaflet.markercluster/dist/MarkerCluster.css", "leaflet.markercluster/dist/MarkerCluster.Default.css"),
}
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
            [url for _, url in MarkerCluster.default_js] if uses_cluster else []
        )
        sheets = [url for _, url in folium.Map.default_css] + (
            [url for _, url in MarkerCluster.default_css] if uses_cluster else []
        )
    return [f'<script src="{escape(url, quote=True)}"{nonce_attr}></script>' for url in scripts] + [
        f'<link rel="stylesheet" href="{escape(url, quote=True)}">' for url in sheets
    ]


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
    """A colour key (title plus swatches) for one layer; drawn inside the map's one "Map key" control."""

    _template = Template("")

    def __init__(self, title: str, entries: Sequence[tuple[str, str]], position: str = "topright", note: str = ""):
        super().__init__()
        self._name = "Legend"
        # Shown with textContent, so plain text is already inert here.
        self.title = str(title)
        self.entries = [[str(colour), str(label)] for colour, label in entries]
        self.position = position
        self.note = note

    def as_dict(self) -> dict:
        return {"title": self.title, "items": self.entries, "note": self.note}


def _registry(m: folium.Map) -> dict:
    """What the map's key and keyboard access are built from (filled in by the builders below)."""
    if not hasattr(m, "_geo_registry"):
        m._geo_registry = {
            "layers": [],
            "overlays": [],
            "links": {},
            "fields": None,
            "noun": "borough",
            "choice_title": "Shade by",
            "key_title": "Map key",
        }
    return m._geo_registry


def register_layer(m: folium.Map, layer, name: str, legend: dict | None = None, overlay: bool = False) -> None:
    """Put a layer in the map's key: an area layer to choose between (one shown at a time), or an overlay."""
    entry = {"name": str(name), "layer": layer, "legend": legend}
    _registry(m)["overlays" if overlay else "layers"].append(entry)


def configure_key(
    m: folium.Map,
    *,
    links: dict[str, str] | str | None = None,
    fields=None,
    noun: str | None = None,
    choice_title: str | None = None,
    key_title: str | None = None,
) -> None:
    """Set what Enter opens for each area code, the figures read out, and the words the key uses.

    links may be a slot (geo.frames.slot) for a frame whose links are filled in per request.
    """
    registry = _registry(m)
    if isinstance(links, str):
        registry["links"] = links
    elif links is not None:
        registry["links"] = {str(code): str(url) for code, url in links.items()}
    if fields is not None:
        registry["fields"] = [[str(field), str(label)] for field, label in fields]
    for name, value in (("noun", noun), ("choice_title", choice_title), ("key_title", key_title)):
        if value is not None:
            registry[name] = value


def _js(value) -> str:
    """JSON for a value placed inside a <script> (a "</" could otherwise end the script)."""
    return json.dumps(value).replace("</", "<\\/")


def _layer_entry(entry) -> str:
    legend = entry["legend"].as_dict() if isinstance(entry["legend"], Legend) else entry["legend"]
    return f'{{"name": {_js(entry["name"])}, "layer": {entry["layer"].get_name()}, "legend": {_js(legend)}}}'


class _Setup(MacroElement):
    """Calls GeoMaps.setup once the map's layers exist (added last by render_parts)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        GeoMaps.setup({{ this._parent.get_name() }}, {{ this.config_js }});
        {% endmacro %}
        """
    )

    def __init__(self, registry: dict):
        super().__init__()
        self._name = "GeoSetup"
        self.registry = registry

    def render(self, **kwargs):
        r = self.registry
        fields = r["fields"] or [["name", "Name"]]
        self.config_js = (
            "{" + f'"layers": [{", ".join(_layer_entry(e) for e in r["layers"])}], '
            f'"overlays": [{", ".join(_layer_entry(e) for e in r["overlays"])}], '
            f'"links": {_js(r["links"])}, "fields": {_js(fields)}, "noun": {_js(r["noun"])}, '
            f'"choiceTitle": {_js(r["choice_title"])}, "keyTitle": {_js(r["key_title"])}' + "}"
        )
        super().render(**kwargs)


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
        folium.TileLayer(tiles=tiles_url, attr=tiles_attribution, name="Basemap", max_zoom=19, control=False).add_to(m)
    _Attribution(ATTRIBUTION).add_to(m)
    return m


class _DrawnBase(MacroElement):
    """A background drawn from boundary data: land, optional wards, and place names (no tile server)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            map.getContainer().classList.add("geo-drawn");
            map.createPane("geoBase").style.zIndex = 250;
            map.getPane("geoBase").style.pointerEvents = "none";
            map.createPane("geoLabels").style.zIndex = 450;
            map.getPane("geoLabels").style.pointerEvents = "none";
            map.getPane("geoLabels").setAttribute("aria-hidden", "true");
            L.geoJSON({{ this.land_js }}, {pane: "geoBase", interactive: false,
                style: {color: "#0b0c0c", weight: 2.5, fillColor: {{ this.land_colour|tojson }}, fillOpacity: 1}}).addTo(map);
            {% if this.wards_js %}
            L.geoJSON({{ this.wards_js }}, {pane: "geoBase", interactive: false,
                style: {color: "#b1b4b6", weight: 0.7, fill: false}}).addTo(map);
            {% endif %}
            {{ this.labels_js }}.forEach(function (label) {
                L.marker([label[0], label[1]], {pane: "geoLabels", interactive: false, keyboard: false,
                    icon: L.divIcon({className: "geo-place-label", html: (function (text) { var span = document.createElement("span"); span.textContent = text; return span; })(label[2]), iconSize: null})
                }).addTo(map);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, land: dict, labels: list, wards: dict | None):
        super().__init__()
        self._name = "DrawnBase"
        self.land_js = _js(land)
        self.wards_js = _js(wards) if wards else ""
        self.labels_js = _js(labels)
        self.land_colour = DRAWN_LAND


def drawn_base_layers(boundaries: gpd.GeoDataFrame, wards: gpd.GeoDataFrame | None = None) -> dict:
    """The pieces of a drawn background (land outline, label points, ward lines) as plain GeoJSON data.

    Worth caching per boundary file: the union of the areas is the slow part.
    """
    projected = boundaries.to_crs("EPSG:27700")
    # Outer edges only: a sliver between two boroughs' shapes is still Greater Manchester.
    union = projected.geometry.union_all()
    outer = [shapely.Polygon(part.exterior) for part in shapely.get_parts(union) if part.area > 1_000_000]
    land = gpd.GeoSeries([shapely.MultiPolygon(outer) if len(outer) > 1 else outer[0]], crs="EPSG:27700").to_crs(
        "EPSG:4326"
    )
    points = gpd.GeoSeries(projected.geometry.representative_point(), crs="EPSG:27700").to_crs("EPSG:4326")
    labels = [
        [round(float(p.y), 4), round(float(p.x), 4), safe_text(name, 60)] for p, name in zip(points, boundaries["name"])
    ]
    data = {"land": _rounded_geojson(land.iloc[0]), "labels": labels, "wards": None}
    if wards is not None and len(wards):
        lines = wards.to_crs("EPSG:4326").geometry.boundary
        data["wards"] = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": _rounded_geojson(g)} for g in lines if g is not None
            ],
        }
    return data


def _rounded_geojson(geometry, decimals: int = 4) -> dict:
    def rounded(value):
        if isinstance(value, float):
            return round(value, decimals)
        if isinstance(value, (list, tuple)):
            return [rounded(v) for v in value]
        return value

    shape = geometry.__geo_interface__
    return {"type": shape["type"], "coordinates": rounded(shape["coordinates"])}


def add_drawn_basemap(
    m: folium.Map, boundaries: gpd.GeoDataFrame | None = None, wards=None, layers: dict | None = None
) -> folium.Map:
    """Draw a clean background from boundary data (for maps without a tile server); return the map.

    Pass layers (from drawn_base_layers) to reuse a cached background instead of boundaries.
    """
    data = layers or drawn_base_layers(boundaries, wards)
    _DrawnBase(data["land"], data["labels"], data["wards"]).add_to(m)
    return m


_display_properties = display_properties


def _features(gdf: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict:
    """Build a FeatureCollection whose properties are safe display strings."""
    wgs = gdf.to_crs("EPSG:4326") if gdf.crs is not None else gdf
    features = []
    for (_, row), geom in zip(properties.iterrows(), wgs.geometry):
        features.append(
            {"type": "Feature", "properties": _display_properties(row.items()), "geometry": geom.__geo_interface__}
        )
    return {"type": "FeatureCollection", "features": features}


class PreparedShapes:
    """Boundary shapes made ready once (per boundary file) for any number of area layers.

    Each area layer then carries only its figures: the shapes are written into the page once, as one
    JavaScript array the layers share, instead of being reprojected and encoded again for every layer.
    Build with prepare_shapes(); keep it beside the boundary file's other cached pieces.
    """

    def __init__(self, codes: list[str], shapes_js: str, bounds: list[list[float]]):
        self.codes = codes
        self.shapes_js = shapes_js
        self.bounds = bounds
        self.key = hashlib.blake2b(shapes_js.encode(), digest_size=6).hexdigest()

    @property
    def js_name(self) -> str:
        return f"geo_shapes_{self.key}"


def prepare_shapes(boundaries: gpd.GeoDataFrame, decimals: int = 5) -> PreparedShapes:
    """The areas' shapes in EPSG:4326, rounded (5 decimal places is about a metre), as one JSON array."""
    wgs = boundaries.to_crs("EPSG:4326") if boundaries.crs is not None else boundaries
    shapes = [_rounded_geojson(geometry, decimals) for geometry in wgs.geometry]
    west, south, east, north = (float(v) for v in wgs.total_bounds)
    return PreparedShapes([str(code) for code in wgs["code"]], _js(shapes), [[south, west], [north, east]])


_SHAPE_MARK = "__geo_shape_{}__"
_SHAPE_REF = re.compile(r'"geometry":\s*\{"type":\s*"__geo_shape_(\d+)__"\}')
_LATE_REF = re.compile(r'"__geo_late_(\d+)__"')


def _shared_shapes(m: folium.Map, shapes: PreparedShapes) -> None:
    """Remember that this map's layers refer to these shapes (render_parts writes them in once)."""
    m._geo_shapes = shapes


def late_json(m: folium.Map, value) -> str:
    """A mark to put where a large value goes (a layer's data); render_parts writes the value's JSON there.

    Folium passes every rendered script through the template engine once more; a large value written in
    late never goes through it (at 17,500 points that second pass was most of a gap map's render).
    """
    late = m.__dict__.setdefault("_geo_late", [])
    late.append(_js(value))
    return f"__geo_late_{len(late) - 1}__"


def _late_values(script: str, m) -> str:
    shapes = getattr(m, "_geo_shapes", None)
    late = getattr(m, "_geo_late", None)
    if shapes is not None:
        name = shapes.js_name
        script = _SHAPE_REF.sub(lambda match: f'"geometry": {name}[{int(match.group(1))}]', script)
        script = f"var {name} = {shapes.shapes_js};\n{script}"
    if late:
        script = _LATE_REF.sub(lambda match: late[int(match.group(1))], script)
    return script


def _features_on_shapes(properties: pd.DataFrame, count: int) -> dict:
    """A FeatureCollection whose geometries are marks for the prepared shapes (filled in by render_parts)."""
    if len(properties) != count:
        raise ValueError(f"{len(properties)} rows of properties for {count} prepared shapes")
    features = []
    for index, row in enumerate(properties.to_dict("records")):
        geometry = {"type": _SHAPE_MARK.format(index)}
        features.append({"type": "Feature", "properties": _display_properties(row.items()), "geometry": geometry})
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
    links: dict[str, str] | str | None = None,
    legend: Legend | dict | str | None = None,
    register: bool = True,
    shapes: PreparedShapes | None = None,
) -> folium.GeoJson:
    """Draw boundaries (code,name plus any display properties) with a tooltip; return the layer.

    The layer goes into the map's key (register=False leaves it out), each area reachable with Tab and
    announcing the tooltip's figures; links maps area codes to the page Enter (or a click) opens.
    A frame (geo.frames) passes slots for the figures, fill colours, links and legend instead.
    With `shapes` (prepare_shapes of the same boundaries, in the same order), the layer refers to the
    shared, prepared shapes instead of encoding its own.
    """
    props = properties if properties is not None else boundaries.drop(columns="geometry", errors="ignore")
    props = props.reset_index(drop=True)
    if shapes is not None:
        collection = _features_on_shapes(props, len(shapes.codes))
        _shared_shapes(m, shapes)
    else:
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
    if register:
        register_layer(m, layer, name, legend)
        configure_key(m, fields=tooltip_fields, links=links)
    if fit and shapes is not None:
        m.fit_bounds(shapes.bounds)
    elif fit:
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
    links: dict[str, str] | None = None,
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
    entries = legend_entries(classes, values.tolist(), value_format)
    if values.isna().any():
        entries.append((NO_DATA_COLOUR, "No data"))
    legend = Legend(title, entries)
    layer = add_boundaries(
        m,
        merged[["code", "geometry"]].set_geometry("geometry"),
        properties=shown,
        tooltip_fields=fields,
        name=name or title,
        fill_colours=colours,
        fit=fit,
        links=links,
        legend=legend,
    )
    legend.add_to(m)
    return layer


def borough_map(
    boundaries: gpd.GeoDataFrame,
    facts: pd.DataFrame | None = None,
    m: folium.Map | None = None,
    value_column: str | None = None,
    highlight_code: str | None = None,
    basemap: bool = True,
    height: int | str = 480,
    links: dict[str, str] | None = None,
    **choropleth_options,
) -> folium.Map:
    """Map the boroughs with name/population/deprivation tooltips; shaded by value_column if given.

    links (borough code → page) makes Enter on a borough, or a click, open its page.
    """
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
            links=links,
            **choropleth_options,
        )
        configure_key(m, noun="borough")
        return m
    chosen = boundaries[["code", "geometry"]].merge(facts, on="code", how="left")
    add_boundaries(
        m,
        chosen[["code", "geometry"]],
        properties=chosen.drop(columns="geometry"),
        tooltip_fields=tooltip,
        highlight_code=highlight_code,
        links=links,
        name="Boroughs",
        legend={
            "title": "Boroughs",
            "items": [["#a5c4e0", "The borough this page is about", "chosen"], ["#eef3f8", "The other boroughs"]],
        }
        if highlight_code is not None
        else None,
    )
    configure_key(m, noun="borough")
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
    if isinstance(m, folium.Map) and hasattr(m, "_geo_registry") and not getattr(m, "_geo_setup", None):
        m._geo_setup = _Setup(m._geo_registry)
        m._geo_setup.add_to(m)
    root = m.get_root()
    root.render()
    nonce_attr = f' nonce="{escape(nonce, quote=True)}"' if nonce else ""
    script = _late_values(root.script.render(), m)
    base = _asset_base[0] if asset_base is True else asset_base
    header = asset_tags("L.markerClusterGroup" in script, base, nonce_attr)
    # Keep only the map's own size rule; drop folium's <meta> viewport (it disables zoom, an
    # accessibility failure), global resets, the L_NO_TOUCH switches (Leaflet's defaults are the same)
    # and its asset links (ours are above).
    for css in _STYLE_BLOCK.findall(root.header.render()):
        if _keep_header_style(css):
            header.append(f"<style{nonce_attr}>{css.strip()}</style>")
    header.append(f"<style{nonce_attr}>{MAP_CSS.strip()}</style>")
    header.append(f"<script{nonce_attr}>{GEO_MAPS_JS.strip()}</script>")
    body = root.html.render().strip()
    return {
        "header": Markup("\n".join(header)),
        "body": Markup(body),
        "script": Markup(f"<script{nonce_attr}>{script}</script>"),
    }


def render_page(m: folium.Map, title: str = "Map", nonce: str | None = None) -> str:
    """Render a small standalone HTML page from render_parts (for tests, benchmarks and previews)."""
    parts = render_parts(m, nonce=nonce)
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{parts['header']}</head>"
        f"<body><main><h1>{escape(title)}</h1>{parts['body']}</main>{parts['script']}</body></html>"
    )
