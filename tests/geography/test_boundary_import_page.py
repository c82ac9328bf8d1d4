"""Official boundaries from the Boroughs page: checked, compared with the shapes in use, used only when confirmed."""

import io
import json
import shutil

import pytest

from geo.boundaries import boundaries_source
from tests.conftest import ROOT, page


@pytest.fixture
def boundaries_dir(app, monkeypatch, tmp_path):
    folder = tmp_path / "boroughs"
    shutil.copytree(ROOT / "data" / "boroughs", folder)
    monkeypatch.setitem(app.config, "BOUNDARIES_DIR", str(folder))
    return folder


def _file(field="LAD24CD", drop=None) -> bytes:
    data = json.loads((ROOT / "data" / "boroughs" / "boundaries.geojson").read_text())
    data["features"] = [f for f in data["features"] if f["properties"]["code"] != drop]
    for feature in data["features"]:
        feature["properties"] = {field: feature["properties"]["code"], "LAD24NM": feature["properties"]["name"]}
    return json.dumps(data).encode()


def _upload(client, data, code_field="LAD24CD", name="LAD_DEC_2024_GM.geojson"):
    return client.post(
        "/boroughs/boundaries",
        data={"file": (io.BytesIO(data), name), "code_field": code_field},
        content_type="multipart/form-data",
    )


def test_the_check_shows_each_borough_against_the_shapes_in_use_and_changes_nothing_until_confirmed(
    signed_in, boundaries_dir
):
    client, _ = signed_in("coordinator")
    before = (boundaries_dir / "boundaries.geojson").read_bytes()
    soup = page(_upload(client, _file()))
    rows = soup.select("#boundary-check tbody tr")
    assert len(rows) == 10
    assert rows[0].th.get_text(strip=True) == "Bolton"
    overlap = rows[0].select("td")[2].get_text(strip=True)
    assert overlap.endswith("1.000") or float(overlap) > 0.99  # the same shapes as those in use
    assert (boundaries_dir / "boundaries.geojson").read_bytes() == before
    form = soup.select_one("form[action='/boroughs/boundaries/confirm']")
    data = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    response = client.post("/boroughs/boundaries/confirm", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/boroughs")
    assert boundaries_source(boundaries_dir) == "imported from LAD_DEC_2024_GM.geojson"
    assert "official ONS boundaries" in page(client.get("/boroughs")).get_text(" ")


def test_a_missing_borough_or_a_wrong_code_field_gets_a_specific_message(signed_in, boundaries_dir):
    client, _ = signed_in("coordinator")
    soup = page(_upload(client, _file(drop="E08000005")))
    assert "missing 1 of the ten boroughs: E08000005 (Rochdale)" in soup.select_one(".govuk-error-message").get_text()
    soup = page(_upload(client, _file(), code_field="LAD23CD"))
    message = soup.select_one(".govuk-error-message").get_text()
    assert "no field called 'LAD23CD'" in message and "LAD24CD" in message
    assert soup.select_one("#code_field")["value"] == "LAD23CD"  # what was typed is kept
    assert not boundaries_source(boundaries_dir).startswith("imported")


def test_an_unknown_token_changes_nothing(signed_in, boundaries_dir):
    client, _ = signed_in("coordinator")
    assert client.post("/boroughs/boundaries/confirm", data={"token": "../x", "code_field": "A"}).status_code == 404
