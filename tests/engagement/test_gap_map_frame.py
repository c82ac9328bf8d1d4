"""The gap map's stored frame: drawn once, filled per request without folium, drawn again when what it shows changes."""

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from coordination.engagement import gap_map
from coordination.extensions import db
from geo.colours import NO_DATA_COLOUR
from tests.communities import factories as f
from tests.conftest import sign_in
from tests.engagement.pages import overview_with_map

ROOT = Path(__file__).resolve().parents[2]
ROCHDALE, MANCHESTER = "E08000005", "E08000003"


@pytest.fixture
def boundaries(app, monkeypatch, tmp_path):
    """The boundaries in use copied to a folder of this test's own, to change them as an import would."""
    source = Path(app.config["BOUNDARIES_DIR"])
    folder = tmp_path / "boundaries"
    folder.mkdir()
    shutil.copy(source / "boundaries-light.geojson", folder)
    monkeypatch.setitem(app.config, "BOUNDARIES_DIR", str(folder))
    return folder / "boundaries-light.geojson"


def stored_frames(app) -> set[str]:
    folder = Path(app.instance_path) / "map-frames"
    return {p.name for p in folder.glob("gap-map-*.json.z")} if folder.exists() else set()


def styles(script: str, layer: int = 0) -> dict[str, dict]:
    """Each borough's style in one shaded layer (the layer's style function, as the browser runs it)."""
    functions = re.findall(r"function \w+_styler\(feature\) \{(.*?)\n        \}\n", script, re.S)
    cases = re.findall(r'case "(E\d{8})":\s*return (\{[^}]*\});', functions[layer])
    return {code: json.loads(style) for code, style in cases}


def test_the_frame_is_drawn_once_and_stored_and_then_filled_for_each_map(app, signed_in, boundaries):
    peer = f.concept("peer support")
    f.organisation("Rochdale Circle", ROCHDALE, [peer])
    db.session.commit()
    client, _ = signed_in("coordinator")
    first = overview_with_map(client, "/engagement/")
    assert len(stored_frames(app)) >= 1
    before = stored_frames(app)
    other = overview_with_map(client, f"/engagement/?area={peer.id}")  # another map, the same frame
    assert stored_frames(app) == before
    assert "Organisations (0 engaged, 1 not)" in first and "Organisations (0 engaged, 1 not)" in other
    assert "__geo_slot_" not in first + other


def test_a_new_frame_is_drawn_when_other_boundaries_are_put_in_use(app, signed_in, boundaries):
    client, _ = signed_in("coordinator")
    first = overview_with_map(client, "/engagement/")
    before = stored_frames(app)
    # An import writes new boundary files: here one corner of the first borough moves by a metre or two.
    data = json.loads(boundaries.read_text())
    geometry = data["features"][0]["geometry"]
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
    moved = [round(ring[0][0] + 0.0000237, 7), ring[0][1]]
    ring[0] = ring[-1] = moved
    boundaries.write_text(json.dumps(data))
    later = os.stat(boundaries).st_mtime + 10
    os.utime(boundaries, (later, later))
    script = overview_with_map(client, "/engagement/")
    assert stored_frames(app) - before, "a frame for the new boundaries is stored"
    corner = f"[{round(moved[0], 5)}, {round(moved[1], 5)}]"
    assert corner in script and corner not in first


def test_a_new_frame_is_drawn_for_another_tile_server(app, signed_in, boundaries, monkeypatch):
    client, _ = signed_in("coordinator")
    assert "tiles.example.org" not in overview_with_map(client, "/engagement/")
    monkeypatch.setitem(app.config, "TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in overview_with_map(client, "/engagement/")


def test_flask_engagement_publish_draws_the_frame_ahead_of_the_first_map(app, boundaries):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["engagement", "publish"])
    assert result.exit_code == 0, result.output
    assert "gap map: drawn" in result.output
    assert gap_map.frame_is_stored()
    again = runner.invoke(args=["engagement", "publish"])
    assert "gap map: already drawn" in again.output


def test_a_partner_sees_hidden_figures_unshaded_and_markers_only_in_their_borough(app, create_user, boundaries):
    peer = f.concept("peer support")
    event = f.event(f.community(area=peer), datetime.now().replace(microsecond=0))
    rochdale = [f.organisation(f"Rochdale {n}", ROCHDALE, [peer]) for n in range(6)]
    manchester = [f.organisation(f"Manchester {n}", MANCHESTER, [peer]) for n in range(2)]
    for org in rochdale[:5] + manchester[:1]:
        f.attend(event, f.person(organisation=org))
    db.session.commit()
    coordinator, partner = app.test_client(), app.test_client()
    sign_in(coordinator, create_user("coordinator"))
    sign_in(partner, create_user("partner"))
    everything = overview_with_map(coordinator, f"/engagement/?area={peer.id}")
    assert styles(everything)[MANCHESTER]["fillColor"] != NO_DATA_COLOUR
    script = overview_with_map(partner, f"/engagement/?area={peer.id}")
    shown = {p["code"]: p["gap_index_display"] for p in re_properties(script)}
    assert shown[MANCHESTER] == "not shown"
    for code, style in styles(script).items():  # grey exactly where the figure is not shown
        assert (style["fillColor"] == NO_DATA_COLOUR) == (shown[code] in ("not shown", "")), code
    assert "Organisations (5 engaged, 1 not)" in script and "Manchester 0" not in script


def re_properties(script: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r'"properties": (\{[^{}]*\})', script)]


FRESH_PROCESS = r"""
import json, sys
from coordination import create_app
from coordination.extensions import db
url, instance, first, apart = sys.argv[1], sys.argv[2], sys.argv[3] == "first", sys.argv[4] == "apart"
app = create_app("test", SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance, RUN_APART=apart)
if first:
    with app.app_context():
        db.create_all()
        from coordination.accounts.operations import create_user
        from coordination.organisations.models import Organisation
        create_user(email="fresh@example.org", name="Fresh", role="coordinator", password="fresh password 123")
        for n, name in enumerate(["Circle", "<script>alert(1)</script>`${x}`"]):
            db.session.add(Organisation(name=name, normalised_name=name.lower(), borough_code="E08000005",
                                        latitude=53.6 + n / 100, longitude=-2.15))
        db.session.commit()
client = app.test_client()
client.post("/sign-in", data={"email": "fresh@example.org", "password": "fresh password 123"})
page = client.get("/engagement/")
assert page.status_code == 200, page.status_code
html = page.get_data(as_text=True)
from tests.engagement.pages import gap_map_script_url
script = client.get(gap_map_script_url(html))
assert script.status_code == 200
text = script.get_data(as_text=True)
heavy = sorted(m for m in ("folium", "pandas", "geopandas", "branca", "shapely", "pyproj") if m in sys.modules)
print(json.dumps({"heavy": heavy, "script": text, "hostile": "<script>alert(1)" in html + text}))
"""


def _fresh(tmp_path, first: bool, apart: bool = True) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, f"sqlite:///{tmp_path}/fresh.db", str(tmp_path / "instance")]
        + ["first" if first else "again", "apart" if apart else "in-process"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_fresh_worker_fills_a_stored_frame_without_loading_folium_pandas_or_geopandas(tmp_path):
    # Nothing stored yet: the frame is drawn (with folium) in a child process, stored, and read back.
    drawn = _fresh(tmp_path, first=True)
    assert drawn["heavy"] == []
    assert list((tmp_path / "instance" / "map-frames").glob("gap-map-*.json.z"))
    filled = _fresh(tmp_path, first=False)  # a new worker: the frame is read, not drawn
    assert filled["heavy"] == []
    assert filled["script"] == drawn["script"]  # the same map, whichever process made it
    assert "Organisations (0 engaged, 2 not)" in filled["script"]
    assert not drawn["hostile"] and not filled["hostile"]
    # Where drawing apart is off (or not safe: other threads), the worker draws it itself: the same map.
    (tmp_path / "inline").mkdir()
    inline = _fresh(tmp_path / "inline", first=True, apart=False)
    assert "folium" in inline["heavy"]
    assert inline["script"] == drawn["script"]
