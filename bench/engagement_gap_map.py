"""Benchmark: the gap map at Greater Manchester scale (17,500 organisations, ~60,000 attendance records).

Prints the time to build the map cold (SQL figures + Folium render) and cached, the page weight, and the
same figures computed the naive way (a Python loop issuing queries per borough and practice area),
with the ratio. No assertions: the figures are for people to read.

    .venv/bin/python bench/engagement_gap_map.py [--organisations 17500]

With --database URL (a database holding the Greater Manchester demo, as bench/load.py --prepare makes it),
it instead measures the coordinator's gap-map page through the test client, each measurement in a fresh
process (as a new gunicorn worker is), in CPU and wall time of that process:

* a gap map not built yet in the process, the page's figures already cached (the figures the page's
  table uses anyway: asked first through /engagement/figures.csv);
* the first page in a fresh process (figures and map), the same page again (cached), practice areas not
  drawn yet, and a rebuild after attendance is recorded (new data version: figures and map again);
* once, before the rounds: a fresh process with nothing stored yet (the map's frame drawn with folium).

With --compare DIR (the code before a change, unpacked with `git archive <commit> | tar -x -C DIR`), the
same measurements of that code are made in the same run, interleaved, and printed beside these with the
ratio (before / after); figures are medians of --rounds rounds.

    .venv/bin/python bench/engagement_gap_map.py --database sqlite:////tmp/bench-load/gm.db
    .venv/bin/python bench/engagement_gap_map.py --database URL --compare /tmp/before --rounds 3
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A measuring child process (--child) imports the service from the checkout it measures (--code).
CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve() if "--code" in sys.argv else ROOT
sys.path.insert(0, str(CODE))
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-engagement-"))

AREAS = (
    "peer support",
    "supported self-management",
    "social prescribing",
    "community development",
    "mental health",
    "carers support",
)
# Rough share of GM's organisations by borough (Manchester largest).
WEIGHTS = (11, 7, 20, 8, 8, 10, 10, 8, 8, 10)
CENTRES = {
    "E08000001": (53.58, -2.43),
    "E08000002": (53.59, -2.30),
    "E08000003": (53.47, -2.24),
    "E08000004": (53.54, -2.11),
    "E08000005": (53.61, -2.16),
    "E08000006": (53.48, -2.33),
    "E08000007": (53.41, -2.15),
    "E08000008": (53.48, -2.08),
    "E08000009": (53.42, -2.35),
    "E08000010": (53.54, -2.63),
}


def make_directory(n: int) -> None:
    """Concepts and n tagged organisations, inserted in bulk (stands in for the organisations seed)."""
    from sqlalchemy import insert, select

    from coordination.extensions import db
    from coordination.organisations.models import Organisation, organisation_practice_area
    from coordination.terminology.models import Concept
    from coordination.timeutil import utcnow

    rng = random.Random(1)
    existing = {c.pref_label for c in db.session.scalars(select(Concept))}
    db.session.execute(
        insert(Concept),
        [
            {
                "uri": f"https://example.org/bench/{i}",
                "pref_label": label,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for i, label in enumerate(AREAS)
            if label not in existing
        ],
    )
    concept_ids = list(db.session.scalars(select(Concept.id)))
    codes = list(CENTRES)
    now = utcnow()
    rows = []
    for i in range(n):
        code = rng.choices(codes, WEIGHTS)[0]
        lat, lon = CENTRES[code]
        rows.append(
            {
                "name": f"Bench organisation {i}",
                "normalised_name": f"bench organisation {i}",
                "borough_code": code,
                "latitude": lat + rng.gauss(0, 0.02),
                "longitude": lon + rng.gauss(0, 0.03),
                "status": "active",
                "org_type": "other",
                "location_status": "located",
                "created_at": now,
                "updated_at": now,
                "description": "Community support for local people",
            }
        )
    ids = db.session.scalars(insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), rows).all()
    tags = [{"organisation_id": i, "concept_id": c} for i in ids for c in rng.sample(concept_ids, rng.randint(1, 2))]
    db.session.execute(insert(organisation_practice_area), tags)
    db.session.commit()


def naive_figures(period) -> dict:
    """The obvious approach: load rows, loop boroughs × practice areas in Python, query per cell."""
    from sqlalchemy import select

    from coordination.communities.models import Attendance, Event, Membership
    from coordination.extensions import db
    from coordination.organisations.models import Organisation, organisation_practice_area
    from geo.boroughs import BOROUGH_CODES, load_facts

    facts = load_facts().set_index("code")
    concept_ids = [0] + sorted(set(db.session.scalars(select(organisation_practice_area.c.concept_id))))
    result = {}
    engaged_orgs = set()
    for attendance in db.session.scalars(
        select(Attendance)
        .join(Event)
        .where(Attendance.status == "attended", Event.starts_at >= period.start_at, Event.starts_at < period.end_at)
    ):
        engaged_orgs.add(attendance.organisation_id)
    for membership in db.session.scalars(select(Membership)):
        if membership.joined_on < period.end and (membership.left_on is None or membership.left_on >= period.start):
            engaged_orgs.add(membership.organisation_id)
    for code in BOROUGH_CODES:
        for concept_id in concept_ids:
            query = select(Organisation).where(Organisation.borough_code == code, Organisation.status == "active")
            if concept_id:
                query = query.join(organisation_practice_area).where(
                    organisation_practice_area.c.concept_id == concept_id
                )
            orgs = list(db.session.scalars(query))
            engaged = sum(1 for o in orgs if o.id in engaged_orgs)
            result[(code, concept_id)] = (len(orgs), engaged)
    totals = {}
    for (_code, concept_id), (_, engaged) in result.items():
        totals[concept_id] = totals.get(concept_id, 0) + engaged
    population = facts["population"].sum()
    return {
        key: (d, e, (e / totals[key[1]]) / (facts.loc[key[0], "population"] / population) if totals[key[1]] else None)
        for key, (d, e) in result.items()
    }


def _timed_page(client, path: str) -> tuple[float, float, int]:
    """(wall ms, CPU ms of this process, bytes) for one page."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, len(response.data)


HEAVY = ("folium", "pandas", "geopandas")


def child(url: str, password: str, mode: str) -> None:
    """One fresh process's measurements (mode "map" or "pages"), printed as one JSON line."""
    from coordination import create_app

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, TILE_URL="", WTF_CSRF_ENABLED=False)
    gc.collect()
    gc.freeze()  # as each gunicorn worker does once the app is loaded (gunicorn.conf.py, post_worker_init)
    client = app.test_client()
    client.post("/sign-in", data={"email": "coordinator@example.org", "password": password})
    client.get("/organisations")  # an ordinary page first: the app itself is warm, the map libraries are not
    results = {}

    def timed(label, path):
        results[label] = _timed_page(client, path)

    if mode == "map":
        # The figures the page's table uses, asked first (same cache key), then the page: the map's own cost.
        assert client.get("/engagement/figures.csv").status_code == 200
        timed("gap map not built yet, the figures cached", "/engagement/")
    else:
        timed("first page in a fresh process (figures and map)", "/engagement/")
        timed("same page again (cached)", "/engagement/")
        with app.app_context():
            from coordination.engagement import queries

            areas = queries.concept_ids_in_use()
        for n, concept_id in enumerate(areas[:3], 1):
            timed(f"practice area {n}, not drawn yet (figures cached)", f"/engagement/?area={concept_id}")
        with app.app_context():
            from sqlalchemy import select

            from coordination.communities.models import Event, Person
            from coordination.communities.operations import record_attendance
            from coordination.extensions import db

            event = db.session.scalar(select(Event).order_by(Event.starts_at.desc()).limit(1))
            person = db.session.scalar(select(Person).where(Person.organisation_id.is_not(None)).limit(1))
            # Toggled, so every process changes the data (the same status again would change nothing).
            now = next((a.status for a in event.attendance if a.person_id == person.id), None)
            record_attendance(event, {person.id: None if now == "did_not_attend" else "did_not_attend"})
        timed("after attendance is recorded (figures and map again)", "/engagement/")
    results["loaded"] = ",".join(m for m in HEAVY if m in sys.modules) or "none"
    results["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(results))


def _run_child(code: Path, url: str, password: str, mode: str, instance: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--code", str(code), "--database", url]
    env = {**os.environ, "INSTANCE_PATH": instance, "PYTHONPATH": str(code)}
    result = subprocess.run(
        command + ["--password", password], cwd=str(code), env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode:
        raise RuntimeError(f"measuring {code} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_page(url: str, password: str, compare: str | None, rounds: int) -> None:
    """The gap-map page on an existing demo database, each measurement in a fresh process (module docstring)."""
    codes = [("before", Path(compare).resolve()), ("after", ROOT)] if compare else [("this code", ROOT)]
    instances = {name: tempfile.mkdtemp(prefix=f"bench-gap-map-{name}-") for name, _ in codes}
    first = {name: _run_child(code, url, password, "map", instances[name]) for name, code in codes}
    measured: dict[str, list[dict]] = {name: [] for name, _ in codes}
    for _ in range(rounds):
        for name, code in codes:  # interleaved, so the machine's load falls on both alike
            both = _run_child(code, url, password, "map", instances[name])
            both.update(_run_child(code, url, password, "pages", instances[name]))
            measured[name].append(both)
    labels = ["nothing stored yet (first process ever: the frame drawn)"] + [
        key for key in measured[codes[0][0]][0] if key not in ("loaded", "rss")
    ]
    for name, _ in codes:
        first[name] = {labels[0]: first[name]["gap map not built yet, the figures cached"]}
    print(f"\nCPU ms of the app's process (wall ms), median of {rounds}; each group of lines a fresh process")
    header = f"{'':56}" + "".join(f"{name:>18}" for name, _ in codes) + ("   ratio" if compare else "")
    print(header)
    for label in labels:
        cells, cpus = [], []
        for name, _ in codes:
            runs = [first[name]] if label == labels[0] else measured[name]
            cpu = statistics.median(r[label][1] for r in runs)
            wall = statistics.median(r[label][0] for r in runs)
            cells.append(f"{cpu:8.0f} ({wall:5.0f})")
            cpus.append(cpu)
        ratio = f"{cpus[0] / cpus[1]:7.1f}x" if compare and cpus[1] else ""
        print(f"{label:56}" + "".join(f"{c:>18}" for c in cells) + ("  " + ratio if compare else ""))
    kb = {name: measured[name][0]["first page in a fresh process (figures and map)"][2] / 1024 for name, _ in codes}
    print(f"{'page weight (KB)':56}" + "".join(f"{kb[name]:18.0f}" for name, _ in codes))
    for name, _ in codes:
        loaded = sorted({r["loaded"] for r in measured[name]})
        rss = statistics.median(r["rss"] for r in measured[name])
        print(f"{name}: map libraries loaded by a process serving the page: {'; '.join(loaded)}; peak RSS {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organisations", type=int, default=17_500)
    parser.add_argument("--database", help="measure the page on this demo database instead (see above)")
    parser.add_argument("--password", default="benchmark password 1", help="the demo accounts' password")
    parser.add_argument("--compare", help="with --database: also measure the code in this directory (the code before)")
    parser.add_argument("--rounds", type=int, default=3, help="with --database: rounds of fresh processes")
    parser.add_argument("--child", choices=("map", "pages"), help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database, args.password, args.child)
        return
    if args.database:
        measure_page(args.database, args.password, args.compare, args.rounds)
        return

    from sqlalchemy import func, select

    from coordination import create_app
    from coordination.communities import demo
    from coordination.communities.models import Attendance
    from coordination.engagement import figures, gap_map, queries
    from coordination.extensions import db

    app = create_app("development")
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        make_directory(args.organisations)
        summary = demo.seed("gm")
        print(f"data: {summary} ({time.perf_counter() - started:.1f} s to generate)")
        print(f"attendance records: {db.session.scalar(select(func.count()).select_from(Attendance)):,}")
        period = queries.find_period("12m")
        links = {code: f"/engagement/boroughs/{code}" for code in queries.BOROUGH_CODES}

        def build():
            rows = figures.present_all(queries.engagement_figures(period), suppress=False)
            organisations = queries.map_points(period)
            return gap_map.parts(gap_map.frame(), figures.for_area(rows, 0, include_gm=False), organisations, links)

        key = ("bench", queries.data_version(), period.key)
        started = time.perf_counter()
        parts = gap_map.cache().get_or_build(key, build)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        key = ("bench", queries.data_version(), period.key)
        gap_map.with_nonce(gap_map.cache().get_or_build(key, build), "nonce")
        cached = time.perf_counter() - started
        size = sum(len(v.encode()) for v in parts.values())
        # A warm server after someone records attendance: the data version changes, so the map is rebuilt.
        from coordination.communities.models import Event, Person
        from coordination.communities.operations import record_attendance

        event = db.session.scalar(select(Event).order_by(Event.starts_at.desc()).limit(1))
        person = db.session.scalar(select(Person).where(Person.organisation_id.is_not(None)).limit(1))
        record_attendance(event, {person.id: "did_not_attend"})
        started = time.perf_counter()
        key = ("bench", queries.data_version(), period.key)
        gap_map.cache().get_or_build(key, build)
        rebuilt = time.perf_counter() - started
        started = time.perf_counter()
        sql_rows = queries.engagement_figures(period)
        sql_time = time.perf_counter() - started
        started = time.perf_counter()
        naive = naive_figures(period)
        naive_time = time.perf_counter() - started
        mismatches = sum(
            1
            for r in sql_rows
            if r["borough_code"] != "GM"
            and (r["borough_code"], r["concept_id"]) in naive
            and naive[(r["borough_code"], r["concept_id"])][:2] != (r["directory"], r["engaged"])
        )
        print(f"gap map, cold in a fresh process (SQL figures, organisations, frame drawn): {cold * 1000:.0f} ms")
        print(f"gap map, rebuilt in a warm process after attendance was recorded: {rebuilt * 1000:.0f} ms")
        print(f"gap map, cached (data-version check + nonce): {cached * 1000:.1f} ms")
        print(f"gap map size: {size / 1024:.0f} KiB ({size:,} bytes)")
        print(
            f"figures in one SQL query: {sql_time * 1000:.0f} ms; naive per-borough Python loop: "
            f"{naive_time * 1000:.0f} ms; ratio {naive_time / sql_time:.1f}x; cells that disagree: {mismatches}"
        )


if __name__ == "__main__":
    main()
