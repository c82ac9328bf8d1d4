"""Scale benchmark: search, one map view and the full-layer APIs at 1,750, 17,500 and 117,500 organisations.

For each size (and each database) it builds a directory with the demo generator once (kept between runs:
SQLite files under /tmp/bench-scale, PostgreSQL databases named <base>_<size>), then measures in-process
through the Flask test client, signed in as a coordinator:

* the yardstick: a bare Flask page (bench/_bare_app.py) through its own test client, in the same run;
* search: p50 and p95 of the search function over typical queries (words, phrases, synonyms, with and
  without a borough filter), its CPU time per search (this process plus, on a local PostgreSQL, the
  server's processes: steadier than wall time on a shared machine), the worst case (a word in every
  generated record, "volunteers"); then the search page itself for a word and for a synonym, p50, p95 and
  CPU, each also as a multiple of the bare page;
* one map view: the clusters for all of Greater Manchester at zoom 11 and for a city-centre street at
  zoom 16: size and time, warm, and cold as a person meets it after the directory changes (the writing
  worker built the stored map layer in the background; the view is the first in a worker that has not
  read it), with that build's own cost beside it, and cold in the worst case (a view before any build);
* the full layer: map.json size; /api/organisations.geojson and one Open Referral page: time to the first
  byte and to the last.

It prints each figure and how it grows from the smallest size.

    .venv/bin/python bench/scale.py --quick                      # SQLite, 1.75k and 17.5k, a few minutes
    .venv/bin/python bench/scale.py                              # SQLite, all three sizes
    .venv/bin/python bench/scale.py --postgresql 'postgresql+psycopg://postgres@/h18?host=/tmp/pg-dev&port=54330'
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (1750, 17500, 117500)
QUERIES = ["food", "mental health", "carers", "youth club", "self-care", "befriending", "food bank", ""]
WORST = "volunteers"
PASSWORD = "benchmark password 1"
GM_VIEW = "zoom=11&bbox=-2.75,53.32,-1.90,53.69"
STREET_VIEW = "zoom=16&bbox=-2.2460,53.4770,-2.2340,53.4830"


def _database_url(kind: str, size: int, base: str | None) -> str:
    if kind == "sqlite":
        folder = Path(os.environ.get("BENCH_SCALE_DIR", "/tmp/bench-scale"))
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder}/directory-{size}.db"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"{url.database}_{size}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _app(url: str):
    os.environ["INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-scale-")
    os.environ["DATABASE_URL"] = url
    from coordination import create_app

    # Each size on its own database (the config class read DATABASE_URL once, at import).
    # The map layer's build after a write is measured on its own (measure), not left to a background thread.
    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=url,
        TILE_URL="",
        WTF_CSRF_ENABLED=False,
        MAP_LAYER_BUILD_AFTER_WRITES=False,
    )
    return app


def prepare(app, size: int) -> None:
    """Schema from the models, the demo practice areas, `size` generated organisations and one coordinator."""
    from sqlalchemy import func, select

    from coordination.accounts.models import User
    from coordination.accounts.operations import create_user
    from coordination.extensions import db, refresh_statistics
    from coordination.organisations.demo import seed_gm
    from coordination.organisations.map_layer import BASE_TABLES
    from coordination.organisations.models import Organisation
    from coordination.terminology.demo import seed as seed_terminology

    with app.app_context():
        db.create_all()
        present = db.session.scalar(select(func.count()).select_from(Organisation))
        if present == size:
            # create_all adds no index to a table that exists: a database kept from an earlier run gets
            # the indexes added since (the search names one of them).
            for index in Organisation.__table__.indexes:
                index.create(db.engine, checkfirst=True)
            refresh_statistics(*BASE_TABLES)  # SQLite: statistics for the planner, as after an import
            return
        if present:
            db.drop_all()
            db.create_all()
        started = time.perf_counter()
        seed_terminology(None)
        seed_gm(size)
        if db.session.scalar(select(User.id).where(User.email == "bench@example.org")) is None:
            create_user(email="bench@example.org", name="Bench", role="coordinator", password=PASSWORD)
        db.session.commit()
        refresh_statistics(*BASE_TABLES)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        print(f"  built {size:,} organisations in {time.perf_counter() - started:.0f} s")


class CpuClock:
    """CPU seconds spent by this process and, on a local PostgreSQL, by the database's server processes.

    Steadier than wall time on a shared machine: other work delays a request but does not add to its CPU.
    The server processes are read from /proc (the database must run on this machine; otherwise only this
    process is counted, and `server` says so).
    """

    def __init__(self, engine):
        self.engine = engine
        self.server = False
        if engine.dialect.name == "postgresql" and Path("/proc/self/stat").exists():
            with engine.connect() as connection:
                self.server = Path(f"/proc/{connection.exec_driver_sql('SELECT pg_backend_pid()').scalar()}").exists()

    def _server_seconds(self) -> float:
        if not self.server:
            return 0.0
        with self.engine.connect() as connection:
            pids = connection.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            ).scalars()
            total = 0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
        return total / os.sysconf("SC_CLK_TCK")

    def read(self) -> float:
        return time.process_time() + self._server_seconds()


def _timed(fn, repeat: int, clock: CpuClock | None = None) -> tuple[list[float], float]:
    """(wall ms of each run, CPU ms per run) for `repeat` runs after one warm-up."""
    fn()
    out = []
    cpu_before = clock.read() if clock else time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    cpu = ((clock.read() if clock else time.process_time()) - cpu_before) * 1000 / repeat
    return out, cpu


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def _stream(client, url: str) -> tuple[float, float, int]:
    """(ms to the first chunk, ms to the end, bytes) of a streamed response read through the test client."""
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    first_ms = (time.perf_counter() - started) * 1000
    size = len(first) + sum(len(chunk) for chunk in chunks)
    response.close()
    return first_ms, (time.perf_counter() - started) * 1000, size


def _bare(repeat: int) -> tuple[float, float]:
    """(p50 wall ms, CPU ms) of the bare Flask page (bench/_bare_app.py) through its test client, in this run."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _bare_app import app as bare

    client = bare.test_client()
    wall, cpu = _timed(lambda: client.get("/"), max(repeat * 10, 100))
    return statistics.median(wall), cpu


def measure(app, repeat: int) -> dict:
    from coordination.extensions import db
    from coordination.organisations.queries import OrganisationFilters, search_organisations

    figures = {}
    bare_p50, bare_cpu = _bare(repeat)
    figures["bare page p50 ms"], figures["bare page CPU ms"] = bare_p50, bare_cpu
    with app.app_context():
        clock = CpuClock(db.engine)
        timings, cpu = [], []
        for q in QUERIES:
            for borough in (None, "E08000003"):

                def run(q=q, borough=borough):
                    search_organisations(OrganisationFilters(q=q, borough=borough))
                    db.session.rollback()

                wall, used = _timed(run, repeat, clock)
                timings += wall
                cpu.append(used)
        figures["search p50 ms"] = statistics.median(timings)
        figures["search p95 ms"] = _p(timings, 0.95)
        figures["search CPU ms"] = statistics.mean(cpu)
        figures["search CPU ms (slowest query)"] = max(cpu)
        worst, _ = _timed(
            lambda: (search_organisations(OrganisationFilters(q=WORST)), db.session.rollback()), repeat, clock
        )
        figures[f"search '{WORST}' p95 ms"] = _p(worst, 0.95)
    client = app.test_client()
    client.post("/sign-in", data={"email": "bench@example.org", "password": PASSWORD})
    with app.app_context():
        clock = CpuClock(db.engine)
    for label, path in (
        ("search page", "/organisations?q=food"),
        ("synonym search page", "/organisations?q=self-care"),
    ):
        wall, used = _timed(lambda path=path: client.get(path), repeat, clock)
        figures[f"{label} p50 ms"], figures[f"{label} p95 ms"] = statistics.median(wall), _p(wall, 0.95)
        figures[f"{label} ×bare (p50)"] = figures[f"{label} p50 ms"] / bare_p50
        figures[f"{label} CPU ms"], figures[f"{label} ×bare (CPU)"] = used, used / bare_cpu
    for label, view in (("GM view", GM_VIEW), ("street view", STREET_VIEW)):
        url = f"/organisations/map/clusters.json?{view}"
        # As a person meets it: someone changed the directory, the worker that wrote built the stored layer
        # in the background, and this view is the first in a worker that has not read it yet.
        built_cpu, built_ms = _directory_changed(app, clock, build=True)
        figures["map layer build after a write CPU ms"] = built_cpu
        figures["map layer build after a write ms"] = built_ms
        _forget_map_layers(app)
        before_cpu, started = clock.read(), time.perf_counter()
        response = client.get(url)
        figures[f"map {label} cold ms (layer stored)"] = (time.perf_counter() - started) * 1000
        figures[f"map {label} cold CPU ms (layer stored)"] = (clock.read() - before_cpu) * 1000
        assert response.status_code == 200, response.status_code
        figures[f"map {label} KB"] = len(response.data) / 1024
        warm, _ = _timed(lambda url=url: client.get(url), repeat)
        figures[f"map {label} warm p95 ms"] = _p(warm, 0.95)
        # The worst case: a view that arrives before any build (the layer is read from the database in it).
        _directory_changed(app, clock, build=False)
        _forget_map_layers(app)
        before_cpu, started = clock.read(), time.perf_counter()
        assert client.get(url).status_code == 200
        figures[f"map {label} cold ms (nothing stored)"] = (time.perf_counter() - started) * 1000
        figures[f"map {label} cold CPU ms (nothing stored)"] = (clock.read() - before_cpu) * 1000
    response = client.get("/organisations/map.json")
    figures["full layer map.json KB"] = len(response.data) / 1024
    before = clock.read()
    first, total, size = _stream(client, "/api/organisations.geojson")
    figures["GeoJSON first byte ms"], figures["GeoJSON all ms"], figures["GeoJSON KB"] = first, total, size / 1024
    figures["GeoJSON all CPU ms"] = (clock.read() - before) * 1000
    first, total, _ = _stream(client, "/api/openreferral/organizations?per_page=200&page=3")
    figures["Open Referral page first byte ms"], figures["Open Referral page all ms"] = first, total
    return figures


def _directory_changed(app, clock: CpuClock, build: bool) -> tuple[float, float]:
    """Change the directory (a new data version), then with build the stored map layer is built as the
    writing worker's background thread does: (CPU ms, wall ms) of that build."""
    from sqlalchemy import text

    from coordination.extensions import db
    from coordination.organisations import map_layer

    with app.app_context():
        db.session.execute(
            text(
                "UPDATE organisation SET last_checked_on = last_checked_on "
                "WHERE id = (SELECT min(id) FROM organisation)"
            )
        )
        db.session.commit()
        if not build:
            return 0.0, 0.0
        cpu, started = clock.read(), time.perf_counter()
        map_layer.build_now()
        return (clock.read() - cpu) * 1000, (time.perf_counter() - started) * 1000


def _forget_map_layers(app) -> None:
    """This process's layers in memory are dropped: the next view is one in a worker that has not read them."""
    for name in ("map base layers", "map layers"):
        cache = app.extensions.get("coordination.caches", {}).get(name)
        if cache is not None:
            cache.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default=None)
    parser.add_argument(
        "--postgresql",
        default=os.environ.get("BENCH_POSTGRESQL_URL"),
        help="a PostgreSQL URL; databases <name>_<size> are created beside it",
    )
    parser.add_argument("--quick", action="store_true", help="1.75k and 17.5k only, fewer repeats")
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (default 15, quick 5)")
    parser.add_argument("--sizes", default=None, help="comma-separated sizes (default 1750,17500,117500)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (list(SIZES[:2]) if args.quick else list(SIZES))
    repeat = args.repeat or (5 if args.quick else 15)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs; {repeat} runs per figure",
        flush=True,
    )
    chosen = args.database or ("both" if args.postgresql else "sqlite")
    kinds = ["sqlite", "postgresql"] if chosen == "both" else [chosen]
    for kind in kinds:
        if kind == "postgresql" and not args.postgresql:
            sys.exit("--postgresql URL is needed")
        rows = {}
        for size in sizes:
            url = _database_url(kind, size, args.postgresql)
            print(f"{kind} {size:,}: {url.split('?')[0]}", flush=True)
            # Each size in its own process state: a fresh app on its own database.
            app = _app(url)
            prepare(app, size)
            rows[size] = measure(app, repeat)
            print("  " + "; ".join(f"{key} {value:.1f}" for key, value in rows[size].items()), flush=True)
            print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)
            from coordination.extensions import db

            with app.app_context():
                db.engine.dispose()
        print(f"\n== {kind}")
        print(f"{'':44}" + "".join(f"{size:>12,}" for size in sizes) + "   growth")
        for key in rows[sizes[0]]:
            values = [rows[size][key] for size in sizes]
            growth = values[-1] / values[0] if values[0] else float("inf")
            print(f"{key:44}" + "".join(f"{v:12.1f}" for v in values) + f"   ×{growth:.1f}")
        print(f"(sizes grow ×{sizes[-1] / sizes[0]:.0f})\n")


if __name__ == "__main__":
    main()
