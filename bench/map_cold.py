"""The directory map's first view after a data change, each measurement in a fresh process, before and after.

On a database bench/scale.py built (its bench@example.org coordinator), for each view (all of Greater
Manchester at zoom 10, a city street at zoom 16, the synonym search "self-care" and Manchester at zoom 10)
a fresh process, frozen like a gunicorn worker (`gc.freeze()` once the app is loaded) and having served
one search page, measures the CPU (this process plus, on a local PostgreSQL, the server's processes) of:

* "fresh worker": its first map view, the layer stored by another process beforehand;
* "after a change": one organisation is updated (a new data version); the stored layer is built as the
  writing worker's background thread does ("build", paid once per change, not by a view) and dropped from
  this process's memory, so the view is served as by a worker that has not read it yet.

With --compare DIR (the code before, unpacked: `git archive <commit> | tar -x -C DIR`), the same
measurements run on that code, alternately, in the same minutes (code without a stored layer builds its
layer in the view, so it has no "build" figure).

    .venv/bin/python bench/map_cold.py --database sqlite:////tmp/bench-scale/directory-117500.db \\
        --compare /tmp/before --rounds 3

With --check-views it compares instead: clusters.json for 16 filter sets at 7 views (zoom 5 to 17) and
map.json, from both codes, byte for byte. (A cluster's centre is a sum of floating-point coordinates:
code that reads its rows in a different order can differ in the fifth decimal place of a centre.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEWS = {
    "GM zoom 10": "zoom=10&bbox=-2.75,53.32,-1.90,53.69",
    "street zoom 16": "zoom=16&bbox=-2.2460,53.4770,-2.2340,53.4830",
    '"self-care" zoom 10': "zoom=10&bbox=-2.75,53.32,-1.90,53.69&q=self-care",
    "Manchester zoom 10": "zoom=10&bbox=-2.75,53.32,-1.90,53.69&borough=E08000003",
}

MEASURE = r"""
import gc, importlib.util, json, os, sys, tempfile, time
tree, url, view, instance = sys.argv[1:5]
sys.path.insert(0, tree)
os.environ["INSTANCE_PATH"] = instance
os.environ["DATABASE_URL"] = url
from coordination import create_app
from coordination.extensions import db
from sqlalchemy import text
app = create_app("development", SQLALCHEMY_DATABASE_URI=url, TILE_URL="", WTF_CSRF_ENABLED=False,
                 MAP_LAYER_BUILD_AFTER_WRITES=False)
gc.freeze()
spec = importlib.util.spec_from_file_location("scale", os.path.join(sys.argv[5], "bench", "scale.py"))
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)
with app.app_context():
    clock = scale.CpuClock(db.engine)
client = app.test_client()
client.post("/sign-in", data={"email": "bench@example.org", "password": scale.PASSWORD})
assert client.get("/organisations?q=food").status_code == 200
stored = os.path.exists(os.path.join(tree, "coordination", "organisations", "map_layer.py"))
out = {}

def timed(label):
    cpu = clock.read()
    response = client.get("/organisations/map/clusters.json?" + view)
    assert response.status_code == 200, response.status_code
    out[label] = (clock.read() - cpu) * 1000

timed("fresh worker")
with app.app_context():
    db.session.execute(text("UPDATE organisation SET last_checked_on = last_checked_on "
                            "WHERE id = (SELECT min(id) FROM organisation)"))
    db.session.commit()
    if stored:
        from coordination.organisations import map_layer
        cpu = clock.read()
        map_layer.build_now()
        out["build"] = (clock.read() - cpu) * 1000
        for cache in app.extensions.get("coordination.caches", {}).values():
            cache.clear()
timed("after a change")
print(json.dumps(out))
"""

VIEWS_DUMP = r"""
import json, os, sys, tempfile
tree, url = sys.argv[1:3]
sys.path.insert(0, tree)
os.environ["INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-map-cold-")
os.environ["DATABASE_URL"] = url
from coordination import create_app
app = create_app("development", SQLALCHEMY_DATABASE_URI=url, TILE_URL="", WTF_CSRF_ENABLED=False,
                 MAP_LAYER_BUILD_AFTER_WRITES=False)
client = app.test_client()
client.post("/sign-in", data={"email": "bench@example.org", "password": "benchmark password 1"})
bodies = {}
for path in json.loads(sys.argv[3]):
    response = client.get(path)
    assert response.status_code == 200, path
    bodies[path] = response.get_data(as_text=True)
print(json.dumps(bodies))
"""

# Filter sets and views for --check-views: words, synonyms, every filter, combinations; zoom 5 to 17.
CHECK_FILTERS = [
    "", "q=self-care", "q=food", "borough=E08000003", "q=food&borough=E08000003", "status=any", "status=closed",
    "type=cic", "operates_in=E08000001", "practice_area=1", "practice_area=5&status=any", "attention=1",
    "attention=1&borough=E08000009", "q=mental+health&type=registered_charity", "q=zzzznothing",
    "q=youth+club&status=any",
]  # fmt: skip
CHECK_VIEWS = [
    "zoom=5&bbox=-2.75,53.32,-1.90,53.69", "zoom=10&bbox=-2.75,53.32,-1.90,53.69",
    "zoom=11&bbox=-2.5,53.4,-2.1,53.55", "zoom=13&bbox=-2.30,53.45,-2.20,53.50",
    "zoom=16&bbox=-2.2460,53.4770,-2.2340,53.4830", "zoom=17&bbox=-2.2440,53.4790,-2.2390,53.4810", "zoom=8",
]  # fmt: skip


def check_views(before: Path, url: str) -> None:
    """clusters.json (and map.json) for every filter set and view, from both codes: identical or not."""
    paths = [f"/organisations/map/clusters.json?{v}&{f}" for f in CHECK_FILTERS for v in CHECK_VIEWS]
    paths += [f"/organisations/map.json?{f}" for f in CHECK_FILTERS[:4]]
    bodies = []
    for tree in (before, ROOT):
        result = subprocess.run(
            [sys.executable, "-c", VIEWS_DUMP, str(tree), url, json.dumps(paths)],
            check=True,
            capture_output=True,
            text=True,
            cwd=str(tree),
        )
        bodies.append(json.loads(result.stdout.strip().splitlines()[-1]))
    different = [path for path in paths if bodies[0][path] != bodies[1][path]]
    print(f"{len(paths) - len(different)} of {len(paths)} responses byte-identical")
    for path in different:
        print(f"  differs: {path}")


BUILD = r"""
import os, sys
tree, url, instance = sys.argv[1:4]
sys.path.insert(0, tree)
os.environ["INSTANCE_PATH"] = instance
from coordination import create_app
from coordination.extensions import db
app = create_app("development", SQLALCHEMY_DATABASE_URI=url, MAP_LAYER_BUILD_AFTER_WRITES=False)
with app.app_context():
    from coordination.organisations import map_layer
    map_layer.build_now()
"""


def run(tree: Path, url: str, view: str) -> dict:
    import tempfile

    instance = tempfile.mkdtemp(prefix="bench-map-cold-")
    if (tree / "coordination" / "organisations" / "map_layer.py").exists():
        # Another process (the worker that wrote) has stored the layer for the data as it is.
        subprocess.run([sys.executable, "-c", BUILD, str(tree), url, instance], check=True, cwd=str(tree))
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tree), url, view, instance, str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        cwd=str(tree),
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    folder = Path(os.environ.get("BENCH_SCALE_DIR", "/tmp/bench-scale"))
    parser.add_argument(
        "--database",
        default=f"sqlite:///{folder}/directory-17500.db",
        help="a database bench/scale.py built (default: its SQLite file of 17,500)",
    )
    parser.add_argument("--compare", type=Path, default=None, help="the code before, unpacked in a folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--check-views",
        action="store_true",
        help="with --compare: are clusters.json and map.json the same bytes as before, over 116 responses?",
    )
    args = parser.parse_args()
    if args.database.startswith("sqlite:///") and not Path(args.database.removeprefix("sqlite:///")).exists():
        print(f"{args.database} does not exist: build it with bench/scale.py (--quick for 17,500) first")
        return
    if args.check_views and args.compare:
        check_views(args.compare.resolve(), args.database)
        return
    trees = [("after", ROOT)] + ([("before", args.compare.resolve())] if args.compare else [])
    print(f"load average {os.getloadavg()[0]:.1f}; CPU ms per view, {args.rounds} rounds, fresh process each")
    for label, view in VIEWS.items():
        figures: dict[str, dict[str, list[float]]] = {name: {} for name, _ in trees}
        for _ in range(args.rounds):
            for name, tree in reversed(trees):  # before, then after, alternately
                for key, value in run(tree, args.database, view).items():
                    figures[name].setdefault(key, []).append(value)
        for name, _ in trees:
            cells = "; ".join(f"{key} {min(v):.0f}–{max(v):.0f}" for key, v in figures[name].items())
            print(f"{label:22} {name:7} {cells}")


if __name__ == "__main__":
    main()
