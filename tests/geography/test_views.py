"""The borough pages: map and table for every role, one borough, friendly 404."""

import re

import pytest

from tests.conftest import page
from tests.routes import ALL


@pytest.mark.parametrize("role", sorted(ALL))
def test_every_role_sees_the_boroughs_map_and_table(signed_in, role):
    client, _ = signed_in(role)
    soup = page(client.get("/boroughs"))
    assert soup.h1.get_text(strip=True) == "Boroughs"
    assert soup.select_one("figure.app-map .folium-map") is not None
    rows = soup.select("table.govuk-table tbody tr")
    assert len(rows) == 10


def test_the_table_shows_population_and_deprivation_for_each_borough(signed_in):
    client, _ = signed_in("partner")
    soup = page(client.get("/boroughs"))
    rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in soup.select("table.govuk-table tbody tr")
    }
    assert rows["Manchester"] == ["552,000", "4", "38.7", "40.7%"]
    assert rows["Trafford"] == ["235,100", "201", "15.0", "4.3%"]
    link = soup.select_one("table a[href='/boroughs/E08000005']")
    assert link.get_text(strip=True) == "Rochdale"


def test_the_map_is_shaded_by_deprivation_with_a_legend(signed_in):
    client, _ = signed_in()
    html = client.get("/boroughs").get_data(as_text=True)
    assert "Deprivation (IMD 2025 average score)" in html
    assert "geo-legend" in html


def test_map_scripts_and_styles_carry_this_responses_csp_nonce(signed_in):
    client, _ = signed_in()
    response = client.get("/boroughs")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    soup = page(response)
    inline = [tag for tag in soup.find_all(["script", "style"]) if not tag.get("src") and tag.get("type") != "module"]
    assert inline and all(tag.get("nonce") == nonce for tag in inline)
    vendor = [tag["src"] for tag in soup.find_all("script", src=True)]
    assert "/vendor/leaflet/dist/leaflet.js" in vendor
    assert not [url for url in vendor if url.startswith(("http:", "https:", "//"))]
    sheets = [tag["href"] for tag in soup.find_all("link", rel="stylesheet")]
    assert "/vendor/leaflet/dist/leaflet.css" in sheets
    assert not [url for url in sheets if url.startswith(("http:", "https:", "//"))]


def test_pages_give_sources_licences_and_attribution(signed_in):
    client, _ = signed_in()
    text = page(client.get("/boroughs")).get_text(" ", strip=True)
    assert "Open Government Licence v3.0" in text
    assert (
        "Contains OS data © Crown copyright and database right; Contains Royal Mail data; "
        "Contains National Statistics data" in text
    )
    assert "drawn by this service from postcode locations" in text


def test_without_a_tile_url_there_is_no_basemap(signed_in):
    client, _ = signed_in()
    html = client.get("/boroughs").get_data(as_text=True)
    assert "tile.openstreetmap.org" not in html
    assert "OpenStreetMap" not in html


def test_with_a_tile_url_the_map_has_tiles_and_credits_openstreetmap(signed_in, app, monkeypatch):
    monkeypatch.setitem(app.config, "TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    client, _ = signed_in()
    response = client.get("/boroughs")
    assert "https://tile.openstreetmap.org" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert "Map background: © OpenStreetMap contributors" in page(response).get_text(" ")
    assert 'classList.add("geo-drawn")' not in html  # tiles, so no drawn background


def test_without_a_tile_server_the_map_draws_its_own_background_with_borough_names(signed_in):
    client, _ = signed_in()
    response = client.get("/boroughs")
    html = response.get_data(as_text=True)
    assert 'classList.add("geo-drawn")' in html
    for name in ("Bolton", "Wigan", "Manchester"):
        assert f'"{name}"]' in html  # a label point [lat, lon, name]
    assert "drawn by this service from the borough boundaries" in page(response).get_text(" ")
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]


def test_one_borough_shows_its_facts_and_map(signed_in):
    client, _ = signed_in("contributor")
    soup = page(client.get("/boroughs/E08000005"))
    assert soup.h1.get_text(strip=True) == "Rochdale"
    facts = {
        row.select_one(".govuk-summary-list__key").get_text(strip=True): row.select_one(
            ".govuk-summary-list__value"
        ).get_text(strip=True)
        for row in soup.select(".govuk-summary-list__row")
    }
    assert facts["Population (2021)"] == "223,800"
    assert facts["Deprivation rank"] == "17 of 296 (1 = most deprived)"
    assert soup.select_one(".folium-map") is not None
    assert soup.select_one(".govuk-breadcrumbs a[href='/boroughs']") is not None


def test_a_lower_case_code_finds_the_borough(signed_in):
    client, _ = signed_in()
    assert page(client.get("/boroughs/e08000003")).h1.get_text(strip=True) == "Manchester"


@pytest.mark.parametrize("code", ["E06000049", "nonsense", "<img src=x onerror=alert(1)>"])
def test_an_unknown_code_gets_a_friendly_404_listing_the_boroughs(signed_in, code):
    client, _ = signed_in()
    response = client.get(f"/boroughs/{code}")
    assert response.status_code == 404
    soup = page(response)
    assert soup.h1.get_text(strip=True) == "Borough not found"
    assert len(soup.select("main ul.govuk-list a")) == 10
    assert soup.find("img", src="x") is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/boroughs")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_an_imported_boundary_set_is_described_as_official(signed_in, app, monkeypatch, tmp_path):
    from geo.boundaries import load_boundaries, write_boundaries

    write_boundaries(load_boundaries(), tmp_path, source="imported from official.gpkg")
    monkeypatch.setitem(app.config, "BOUNDARIES_DIR", str(tmp_path))
    client, _ = signed_in()
    assert "official ONS boundaries" in page(client.get("/boroughs")).get_text(" ")
