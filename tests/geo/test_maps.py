"""Folium builders: local assets only, CSP nonces, attribution, legends, clusters, inert labels."""

import re

import folium
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from folium.plugins import MarkerCluster

from geo import colours, maps
from geo.boroughs import load_facts
from tests.geo.conftest import XSS_CORPUS


@pytest.fixture(autouse=True)
def local_assets():
    maps.use_local_assets("/vendor")
    yield
    maps.use_local_assets("/vendor")


def _page(m, nonce=None):
    return BeautifulSoup(maps.render_page(m, nonce=nonce), "html.parser")


def test_use_local_assets_leaves_no_cdn_url_in_the_page(light_boundaries):
    m = maps.borough_map(light_boundaries, basemap=False)
    maps.add_point_cluster(m, pd.DataFrame({"latitude": [53.48], "longitude": [-2.24]}))
    html = maps.render_page(m)
    assert maps.external_asset_urls(html) == []
    assert not re.search(r"cdn\.|cdnjs|jsdelivr|bootstrapcdn|code\.jquery", html)


def test_the_page_loads_only_leaflet_and_markercluster(light_boundaries):
    m = maps.borough_map(light_boundaries, basemap=False)
    maps.add_point_cluster(m, pd.DataFrame({"latitude": [53.48], "longitude": [-2.24]}))
    page = _page(m)
    scripts = [tag["src"] for tag in page.find_all("script", src=True)]
    sheets = [tag["href"] for tag in page.find_all("link", rel="stylesheet")]
    assert scripts == ["/vendor/leaflet/dist/leaflet.js", "/vendor/leaflet.markercluster/dist/leaflet.markercluster.js"]
    assert sheets == [
        "/vendor/leaflet/dist/leaflet.css",
        "/vendor/leaflet.markercluster/dist/MarkerCluster.css",
        "/vendor/leaflet.markercluster/dist/MarkerCluster.Default.css",
    ]
    # Popups would need jQuery ($); our builders must never emit one.
    assert "$(" not in page.get_text() and "$(" not in str(page)


def test_cdn_assets_can_be_restored_for_notebooks(light_boundaries):
    maps.use_cdn_assets()
    html = maps.render_page(maps.borough_map(light_boundaries))
    assert maps.external_asset_urls(html)


def test_every_script_and_style_carries_the_nonce(light_boundaries):
    m = maps.borough_map(light_boundaries, value_column="imd_score")
    parts = maps.render_parts(m, nonce="n0nce")
    soup = BeautifulSoup(parts["header"] + parts["body"] + parts["script"], "html.parser")
    tags = soup.find_all(["script", "style"])
    assert tags and all(tag.get("nonce") == "n0nce" for tag in tags)


def test_parts_have_no_inline_event_handlers_styles_or_zoom_blocking_viewport(light_boundaries):
    parts = maps.render_parts(maps.borough_map(light_boundaries), nonce="x")
    soup = BeautifulSoup(parts["header"] + parts["body"], "html.parser")
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")], tag
        assert "style" not in tag.attrs, tag
    assert soup.find("meta") is None
    assert "html, body" not in parts["header"]


def test_the_map_body_is_one_div_that_the_script_draws_into(light_boundaries):
    m = maps.borough_map(light_boundaries)
    parts = maps.render_parts(m)
    div = BeautifulSoup(parts["body"], "html.parser").find("div")
    assert div["id"] == m.get_name()
    assert f'L.map(\n                "{m.get_name()}"' in parts["script"]


def test_every_map_carries_the_data_attribution(light_boundaries):
    script = maps.render_parts(maps.borough_map(light_boundaries, basemap=False))["script"]
    assert "addAttribution" in script
    assert (
        "Contains OS data \\u00a9 Crown copyright and database right; Contains Royal Mail data; "
        "Contains National Statistics data" in script
    )
    assert "tile.openstreetmap.org" not in script


def test_a_basemap_adds_openstreetmap_tiles_and_credit(light_boundaries):
    script = maps.render_parts(maps.borough_map(light_boundaries, basemap=True))["script"]
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in script
    assert "OpenStreetMap" in script


def test_a_custom_tile_server_can_be_configured():
    m = maps.new_map(tiles_url="/tiles/{z}/{x}/{y}.png", tiles_attribution="Our tiles")
    script = maps.render_parts(m)["script"]
    assert "/tiles/{z}/{x}/{y}.png" in script and "tile.openstreetmap.org" not in script


def test_borough_tooltips_show_name_population_and_deprivation_rank(light_boundaries):
    script = maps.render_parts(maps.borough_map(light_boundaries))["script"]
    assert '"population_display": "552,000"' in script
    assert '"imd_rank_display": "4 of 296"' in script
    assert '"Deprivation rank (1 = most deprived)"' in script


def test_a_single_borough_map_highlights_and_zooms_to_it(light_boundaries):
    script = maps.render_parts(maps.borough_map(light_boundaries, highlight_code="E08000005"))["script"]
    assert '"weight": 3' in script
    bounds = re.findall(r"fitBounds\(\s*\[\[([\d.]+), (-[\d.]+)\], \[([\d.]+), (-[\d.]+)\]\]", script)
    south, west, north, east = map(float, bounds[-1])
    assert 53.5 < south < north < 53.7 and -2.3 < west < east < -2.0


def test_choropleth_adds_a_legend_with_one_entry_per_class(light_boundaries):
    m = maps.borough_map(light_boundaries, value_column="imd_score", bins=5, legend_title="IMD 2025 average score")
    script = maps.render_parts(m)["script"]
    assert '"IMD 2025 average score"' in script
    assert script.count('"14.97 to') + script.count('"15.0 to') == 1
    legend = [child for child in m._children.values() if isinstance(child, maps.Legend)][0]
    assert len(legend.entries) == 5
    assert legend.entries[0][1] == "15.0 to 19.7"


def test_diverging_classes_are_symmetric_about_the_centre():
    edges, classes = colours.colour_classes([10, 25, 30, 38], bins=4, scale="diverging", centre=25)
    assert edges[2] == pytest.approx(25)
    assert edges[0] == pytest.approx(10) and edges[-1] == pytest.approx(40)
    # The two classes touching the centre share the palette's pale middle.
    assert classes[1][2] != classes[0][2] and classes[2][2] != classes[3][2]


def test_an_odd_bin_count_is_made_even_for_diverging_scales():
    edges, classes = colours.colour_classes([1, 2, 3], bins=5, scale="diverging", centre=2)
    assert len(classes) == 6 and edges[3] == pytest.approx(2)


def test_missing_values_are_shaded_as_no_data(light_boundaries):
    data = load_facts()
    data.loc[0, "imd_score"] = np.nan
    m = maps.new_map(basemap=False)
    maps.add_choropleth(m, light_boundaries, data, "imd_score")
    legend = [child for child in m._children.values() if isinstance(child, maps.Legend)][0]
    assert legend.entries[-1] == [colours.NO_DATA_COLOUR, "No data"]


def test_builders_compose_on_one_map(light_boundaries):
    m = maps.new_map()
    assert maps.borough_map(light_boundaries, m=m) is m
    maps.add_point_cluster(m, pd.DataFrame({"latitude": [53.5], "longitude": [-2.2]}))
    kinds = {type(child).__name__ for child in m._children.values()}
    assert {"GeoJson", "FastMarkerCluster"} <= kinds


def test_many_points_are_one_cluster_layer_not_one_marker_each():
    rng = np.random.default_rng(1)
    n = 17_500
    points = pd.DataFrame(
        {"latitude": rng.uniform(53.3, 53.7, n), "longitude": rng.uniform(-2.7, -1.9, n), "label": ["Group"] * n}
    )
    m = maps.new_map(basemap=False)
    cluster = maps.add_point_cluster(m, points, label="label")
    assert isinstance(cluster, MarkerCluster)
    assert not any(isinstance(c, folium.Marker) for c in cluster._children.values())
    script = maps.render_parts(m)["script"]
    assert len(script.encode()) < 900_000


def test_point_labels_are_made_safe(light_boundaries):
    m = maps.new_map(basemap=False)
    maps.add_point_cluster(
        m, pd.DataFrame({"latitude": [53.5] * 6, "longitude": [-2.2] * 6, "label": XSS_CORPUS}), label="label"
    )
    script = maps.render_parts(m)["script"]
    for text in XSS_CORPUS:
        assert text not in script


@pytest.mark.parametrize("text", XSS_CORPUS)
def test_hostile_borough_names_never_reach_the_page_raw(light_boundaries, text):
    facts = load_facts()
    facts["name"] = text
    m = maps.borough_map(light_boundaries, facts=facts)
    parts = maps.render_parts(m, nonce="n")
    page = "".join(parts.values())
    assert text not in page
    # Exactly our own script elements: the label could not open or close one.
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.find_all("script")) == 3  # Leaflet, the shared map behaviour (geo-maps.js) and the map


def test_a_diverging_legend_leaves_out_classes_the_data_cannot_reach():
    from geo.colours import colour_classes, legend_entries

    values = [0.0, 0.38, 0.89, 1.22, 2.69]
    _, classes = colour_classes(values, bins=6, scale="diverging", centre=1.0)
    texts = [text for _, text in legend_entries(classes, values, "{:.2f}")]
    assert texts[0].startswith("0.00 to ") and texts[-1].endswith(" to 2.69")
    assert not any("-" in text for text in texts)


def test_a_drawn_background_has_the_land_outline_borough_names_and_wards_when_given(light_boundaries):
    layers = maps.drawn_base_layers(light_boundaries, wards=light_boundaries)
    assert layers["land"]["type"] in ("Polygon", "MultiPolygon")
    assert sorted(label[2] for label in layers["labels"]) == sorted(light_boundaries["name"])
    for lat, lon, _ in layers["labels"]:
        assert 53.3 < lat < 53.7 and -2.75 < lon < -1.9
    assert len(layers["wards"]["features"]) == 10
    m = maps.new_map(basemap=False)
    maps.add_drawn_basemap(m, layers=layers)
    script = maps.render_parts(m)["script"]
    assert 'classList.add("geo-drawn")' in script and '"Wigan"' in script


def test_rendering_leaves_folium_class_wide_settings_alone(light_boundaries):
    before = (list(folium.Map.default_js), list(folium.Map.default_css), list(MarkerCluster.default_js))
    m = maps.borough_map(light_boundaries, basemap=False)
    maps.add_point_cluster(m, pd.DataFrame({"latitude": [53.48], "longitude": [-2.24]}))
    header = str(maps.render_parts(m, nonce="n", asset_base="/static/npm")["header"])
    assert '<script src="/static/npm/leaflet/dist/leaflet.js" nonce="n"></script>' in header
    assert (list(folium.Map.default_js), list(folium.Map.default_css), list(MarkerCluster.default_js)) == before


def test_layers_on_prepared_shapes_write_the_shapes_once_and_share_them(light_boundaries):
    shapes = maps.prepare_shapes(light_boundaries)
    m = maps.new_map(basemap=False)
    properties = light_boundaries[["code", "name"]].reset_index(drop=True)
    for name in ("First", "Second", "Third"):
        maps.add_boundaries(m, light_boundaries[["code"]], properties=properties, name=name, shapes=shapes)
    script = str(maps.render_parts(m)["script"])
    assert script.count(shapes.shapes_js) == 1
    assert "__geo_shape_" not in script
    references = re.findall(rf"{shapes.js_name}\[(\d+)\]", script)
    assert sorted(map(int, references)) == sorted(list(range(len(shapes.codes))) * 3)
    # The same shapes drawn the old way: every layer carries its own copy, so the page is larger.
    plain = maps.new_map(basemap=False)
    for name in ("First", "Second", "Third"):
        maps.add_boundaries(plain, light_boundaries[["code", "geometry"]], properties=properties, name=name)
    assert len(str(maps.render_parts(plain)["script"])) > len(script)


def test_prepared_shapes_are_rounded_wgs84_in_the_boundaries_order(light_boundaries):
    import json

    shapes = maps.prepare_shapes(light_boundaries.to_crs("EPSG:27700"))
    assert shapes.codes == list(light_boundaries["code"])
    decoded = json.loads(shapes.shapes_js)
    first = decoded[0]["coordinates"]
    while isinstance(first[0], list):
        first = first[0]
    lon, lat = first
    assert -3 < lon < -1.8 and 53.3 < lat < 53.8
    assert round(lon, 5) == lon and round(lat, 5) == lat
    (south, west), (north, east) = shapes.bounds
    assert south < lat < north and west < lon < east


def test_prepared_shapes_refuse_properties_for_other_areas(light_boundaries):
    shapes = maps.prepare_shapes(light_boundaries)
    m = maps.new_map(basemap=False)
    with pytest.raises(ValueError, match="prepared shapes"):
        maps.add_boundaries(m, light_boundaries.iloc[:2][["code"]], shapes=shapes)


def test_a_large_value_written_late_reaches_the_script_intact_and_safe():
    m = maps.new_map(basemap=False)
    rows = [[53.4 + i / 1e4, -2.2, i % 2, "</script><b>x</b>"] for i in range(3)]
    layer = folium.plugins.FastMarkerCluster([], name="Points")
    layer.data = maps.late_json(m, rows)
    layer.add_to(m)
    script = str(maps.render_parts(m)["script"])
    assert "__geo_late_" not in script
    assert "</script><b>" not in script and "<\\/script><b>x<\\/b>" in script
    assert "[53.4, -2.2, 0, " in script and "[53.4002, -2.2, 0, " in script
