"""The map library in real Chromium: hostile labels stay text, nothing loads from other hosts.

This runs without the Flask app (so it checks geo/ on its own): the page from geo.maps.render_page is served,
with Leaflet from node_modules, by Playwright request routing on a made-up host.
"""

import mimetypes
from urllib.parse import urlsplit

import pytest

from geo import maps
from geo.boroughs import load_facts
from tests.geo.conftest import REPO, XSS_CORPUS

NODE_MODULES = REPO / "node_modules"
HOST = "geo.test"


@pytest.fixture
def chromium(browser):
    """The shared headless Chromium, provided the vendor packages are installed."""
    if not (NODE_MODULES / "leaflet" / "dist" / "leaflet.js").exists():
        pytest.skip("node_modules/leaflet is not installed (npm ci)")
    return browser


@pytest.fixture(scope="module")
def light_boundaries():
    from geo.boundaries import light_boundaries_path, load_boundaries

    return load_boundaries(light_boundaries_path())


def _serve(page, html: str):
    """Route the made-up host to our page and node_modules; record every other request."""
    requests, dialogs = [], []
    page.on("request", lambda request: requests.append(request.url))

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def handle(route):
        path = urlsplit(route.request.url).path
        if path == "/":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            return
        if path.startswith("/vendor/"):
            file = (NODE_MODULES / path.removeprefix("/vendor/")).resolve()
            if file.is_file() and NODE_MODULES.resolve() in file.parents:
                route.fulfill(
                    status=200, content_type=mimetypes.guess_type(file.name)[0] or "text/plain", body=file.read_bytes()
                )
                return
        route.fulfill(status=404, body="not found")

    page.route(f"http://{HOST}/**", handle)
    # Tiles fail here on purpose: the boundaries must still be drawn.
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    return requests, dialogs


def _hostile_map(light_boundaries, basemap: bool):
    maps.use_local_assets("/vendor")
    facts = load_facts()
    names = (XSS_CORPUS * 2)[:10]
    facts["name"] = names
    m = maps.borough_map(light_boundaries, facts=facts, basemap=basemap)
    layer = [c for c in m._children.values() if type(c).__name__ == "GeoJson"][0]
    return m, layer.get_name(), names


@pytest.mark.parametrize("basemap", [False, True])
def test_hostile_borough_names_show_literally_and_run_nothing(chromium, light_boundaries, basemap):
    m, layer_name, names = _hostile_map(light_boundaries, basemap)
    html = maps.render_page(m, title="Boroughs", nonce="test-nonce")
    page = chromium.new_page()
    requests, dialogs = _serve(page, html)
    page.goto(f"http://{HOST}/")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    assert page.locator("path.leaflet-interactive").count() == 10

    # Open each borough's tooltip in turn and read what a person would see.
    shown = page.evaluate(
        """(name) => {
            const group = window[name];
            const texts = [];
            group.eachLayer((layer) => {
                // What a pointer does: mouseover on one borough, bubbling to the group.
                layer.fire("mouseover", {latlng: layer.getCenter()}, true);
                texts.push(group.getTooltip().getElement().innerText);
            });
            return texts;
        }""",
        layer_name,
    )
    for text in names:
        assert any(text in tooltip for tooltip in shown), text
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.locator("img[src='x']").count() == 0
    hosts = {urlsplit(url).netloc for url in requests}
    assert hosts <= {HOST, "tile.openstreetmap.org"}
    assert ("tile.openstreetmap.org" in hosts) == basemap
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert "Contains OS data © Crown copyright and database right" in attribution
    page.close()


def test_a_point_cluster_with_hostile_labels_runs_nothing(chromium):
    import pandas as pd

    maps.use_local_assets("/vendor")
    m = maps.new_map(basemap=False, zoom_start=13, location=(53.48, -2.24))
    # A 3 x 2 grid about 2 km apart: far enough apart at this zoom not to cluster.
    points = pd.DataFrame(
        {
            "latitude": [53.47 + (i // 3) * 0.02 for i in range(len(XSS_CORPUS))],
            "longitude": [-2.27 + (i % 3) * 0.03 for i in range(len(XSS_CORPUS))],
            "label": XSS_CORPUS,
        }
    )
    cluster = maps.add_point_cluster(m, points, label="label")
    page = chromium.new_page()
    requests, dialogs = _serve(page, maps.render_page(m, title="Points"))
    page.goto(f"http://{HOST}/")
    page.wait_for_selector("path.leaflet-interactive", state="attached")
    shown = page.evaluate(
        """(name) => {
            const texts = [];
            window[name].eachLayer((marker) => {
                marker.openTooltip();
                texts.push(marker.getTooltip().getElement().innerText);
            });
            return texts;
        }""",
        cluster.get_name(),
    )
    assert sorted(shown) == sorted(XSS_CORPUS)
    assert dialogs == []
    assert {urlsplit(url).netloc for url in requests} == {HOST}
    page.close()
