"""Load benchmark: every key page beside a bare Flask page, served the same way, in the same run.

Starts gunicorn (2 sync workers, loopback only, a free port) for the service and for a bare Flask
app (bench/_bare_app.py), signs in once as the demo coordinator, then asks each page with 1, 10 and
50 simultaneous users for a fixed time and prints requests/s, p50 and p95, and the ratio to the bare
page (requests/s at 10 users and p50 at 1 user: the issue's yardstick). Finally it prints each
worker's resident memory. Every figure is the median of the rounds.

The databases must hold the Greater Manchester demo (17,500 organisations); --prepare makes it:

    .venv/bin/python bench/load.py --prepare --quick                  # SQLite only, about 3 minutes
    .venv/bin/python bench/load.py --postgresql 'postgresql+psycopg://postgres@/bench?host=/tmp/pg&port=5432'
    .venv/bin/python bench/load.py --database postgresql --postgresql URL --rounds 3 --seconds 10

Bounded: at most 50 users, a few seconds per measurement, loopback only; it stops its servers on exit.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PASSWORD = "benchmark password 1"
EMAIL = "coordinator@example.org"
PARTNER = "partner.rochdale@example.org"
MAX_USERS = 50

# (label, path); {org} and {borough} are filled in from the database. A path may be a list: each request
# asks the next one (every user asks something different, as real users do).
SEARCH_WORDS = [
    "food", "mental health", "carers", "youth", "refugee", "older people", "recovery", "disability",
    "family", "sports", "arts", "green spaces", "money advice", "dementia", "wellbeing", "food bank",
    "youth club", "walking", "pantry", "deaf", "diabetes", "advocacy", "exercise", "families",
]  # fmt: skip
SYNONYM_WORDS = [
    "self-care", "peer mentoring", "link workers", "co-production", "helplines", "community referral",
    "evaluation", "lived experience support", "personalised care planning", "information and advice",
]  # fmt: skip
BOROUGHS = ("E08000001", "E08000002", "E08000003", "E08000004", "E08000005",
            "E08000006", "E08000007", "E08000008", "E08000009", "E08000010")  # fmt: skip


def varied(words: list[str], pages: int = 3) -> list[str]:
    """Searches that differ from one request to the next: each word across Greater Manchester and in each
    borough, open or any status, pages 1 to `pages`, in a fixed shuffled order (a search is not asked twice
    until every other has been, so a measurement's searches find no cache warmed by an earlier request)."""
    import random

    paths = [
        "/organisations?" + urlencode({"q": word, "borough": b, "status": status, "page": p})
        for word in words
        for b in ("", *BOROUGHS)
        for status in ("active", "any")
        for p in range(1, pages + 1)
    ]
    random.Random(18).shuffle(paths)
    return paths


def listings(pages: int = 3) -> list[str]:
    """Directory listings without words that differ from one request to the next: by borough, type and
    status, pages 1 to `pages`, in a fixed shuffled order (as people browse; nobody reads page 300)."""
    import random

    paths = [
        "/organisations?" + urlencode({"borough": b, "type": kind, "status": status, "page": p})
        for b in ("", *BOROUGHS)
        for kind in ("", "registered_charity", "community_group", "social_enterprise", "cic")
        for status in ("active", "any")
        for p in range(1, pages + 1)
    ]
    random.Random(18).shuffle(paths)
    return paths


PAGES = [
    ("directory", "/organisations"),
    ("directory (each new)", listings()),
    ("search", "/organisations?q=food"),
    ("search (each new)", varied(SEARCH_WORDS)),
    ("search (synonyms)", "/organisations?q=self-care"),
    ("synonyms (each new)", varied(SYNONYM_WORDS)),
    ("organisation", "/organisations/{org}"),
    ("map page", "/organisations/map"),
    ("map view (clusters)", "/organisations/map/clusters.json?zoom=11&bbox=-2.75,53.32,-1.90,53.69"),
    ("engagement overview", "/engagement/"),
    ("engagement borough", "/engagement/boroughs/{borough}"),
    ("borough page", "/boroughs/{borough}"),
    ("boroughs", "/boroughs"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listening on {port} after {seconds} s")


class Server:
    """gunicorn with two sync workers on a loopback port; stopped (by its own pid) on exit."""

    def __init__(self, target: str, env: dict, workers: int = 2, config: str | None = None, root: str | None = None):
        self.port = free_port()
        root = str(root or ROOT)
        self.process = subprocess.Popen(
            [
                GUNICORN,
                *(["--config", config] if config else []),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--chdir",
                root,
                "--log-level",
                "warning",
                "--timeout",
                "120",
                target,
            ],
            env={**os.environ, **env},
            cwd=root,
            start_new_session=True,
        )
        wait_for(self.port)

    def worker_rss_mb(self, field: str = "VmRSS") -> list[float]:
        """Resident memory of each worker (children of the gunicorn master), in MB: now (VmRSS), or the most
        it has held since it started (VmHWM, its peak). Not the children a worker starts for a moment (a
        map frame drawn apart): they are the workers' grandchildren, and gone by the time this is read."""
        sizes = []
        for pid in _children(self.process.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(rf"{field}:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    def memory(self) -> str:
        """Each worker's resident memory now and its peak, as printed after a run."""
        now, peak = self.worker_rss_mb(), self.worker_rss_mb("VmHWM")
        return ", ".join(f"{mb:.0f} MB (peak {high:.0f})" for mb, high in zip(now, peak))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def request(
    port: int, path: str, cookie: str = "", method: str = "GET", body: str | None = None, headers: dict | None = None
):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    all_headers = {"Cookie": cookie, "Accept-Encoding": "gzip, br", **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def sign_in(port: int, email: str) -> str:
    """A session cookie for the account (CSRF token read from the sign-in form)."""
    response, data = request(port, "/sign-in", headers={"Accept-Encoding": "identity"})
    cookies = _cookies(response)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', data).group(1).decode()
    response, _ = request(
        port,
        "/sign-in",
        cookie=cookies,
        method="POST",
        body=urlencode({"csrf_token": token, "email": email, "password": PASSWORD}),
        headers={"Accept-Encoding": "identity"},
    )
    cookies = _merge(cookies, _cookies(response))
    if response.status not in (302, 303):
        raise RuntimeError(
            f"sign-in as {email} failed ({response.status}); was the demo seeded with "
            f"DEMO_PASSWORD='{PASSWORD}'? Use --prepare on an empty database."
        )
    return cookies


def _cookies(response) -> str:
    return "; ".join(value.split(";", 1)[0] for name, value in response.getheaders() if name.lower() == "set-cookie")


def _merge(old: str, new: str) -> str:
    jar = dict(part.split("=", 1) for part in filter(None, (old + "; " + new).split("; ")) if "=" in part)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def measure(port: int, path, cookie: str, users: int, seconds: float) -> dict:
    """`users` threads asking for the page back to back for `seconds`: requests/s, p50, p95, errors.

    `path` may be a list: the requests then ask its paths in turn, across all users, carrying on from
    where the last measurement of the same list stopped (so no path is asked twice until all have been)."""
    users = min(users, MAX_USERS)
    paths = path if isinstance(path, list) else [path]
    turn = _TURNS.setdefault((id(path), port), itertools.count())
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def user():
        mine = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                response, _ = request(port, paths[next(turn) % len(paths)], cookie)
                ok = response.status == 200
            except OSError:
                ok = False
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            timings.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    timings.sort()
    if not timings:
        return {"rps": 0.0, "p50": float("nan"), "p95": float("nan"), "errors": errors[0]}
    return {
        "rps": len(timings) / elapsed,
        "p50": timings[len(timings) // 2] * 1000,
        "p95": timings[min(len(timings) - 1, int(len(timings) * 0.95))] * 1000,
        "errors": errors[0],
    }


_TURNS: dict = {}


def median_of(rounds: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def prepare(url: str, env: dict) -> None:
    """Migrate the database and seed the Greater Manchester demo when it holds no accounts yet."""
    flask = [PYTHON, "-m", "flask", "--app", "app"]
    full_env = {**os.environ, **env, "FLASK_CONFIG": "development", "DEMO_PASSWORD": PASSWORD}
    subprocess.run(flask + ["db", "upgrade"], env=full_env, cwd=str(ROOT), check=True, capture_output=True)
    result = subprocess.run(
        flask + ["demo", "seed", "--scale", "gm", "--if-empty"],
        env=full_env,
        cwd=str(ROOT),
        check=True,
        capture_output=True,
        text=True,
    )
    print(result.stdout.strip().replace("\n", "; "))


def run_database(name: str, url: str, args, compare_url: str | None = None) -> list[tuple]:
    instance = tempfile.mkdtemp(prefix="bench-load-")
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-load-secret",
        "FLASK_CONFIG": "production",
        "TRUSTED_PROXIES": "0",
        "TILE_URL": "",
        "INSTANCE_PATH": instance,
    }
    if args.prepare:
        prepare(url, env)
    print(f"\n== {name}: {url.split('?')[0]}")
    service = Server("app:create_app()", env)
    # The bare page without the project's gunicorn.conf.py (its hooks import the service's logging setup).
    bare = Server("bench._bare_app:app", {"PYTHONPATH": str(ROOT)}, config="/dev/null")
    # --compare: the same service from another checkout (say, the code before a change), in the same run.
    before = (
        Server(
            "app:create_app()",
            {**env, "DATABASE_URL": compare_url or url, "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-load-")},
            root=args.compare,
        )
        if args.compare
        else None
    )
    results = []
    try:
        cookie = sign_in(service.port, EMAIL)
        org = _first_organisation(service.port, cookie)
        pages = [("bare Flask page", "/", bare.port)]
        for label, path in PAGES:
            path = [p.format(org=org, borough="E08000005") for p in path] if isinstance(path, list) else path
            path = path.format(org=org, borough="E08000005") if isinstance(path, str) else path
            pages.append((label, path, service.port))
            if before:
                pages.append((f"  before: {label}"[:22], path, before.port))
        # Sessions live in the database: the code before, on a database of its own, signs in there.
        cookies = {before.port: sign_in(before.port, EMAIL)} if before and compare_url else {}
        for _label, path, port in pages:  # warm every worker's caches once, as a running service would be
            for _ in range(4):
                # A list is warmed with its last path only: the measurement starts from its first.
                request(port, path[-1] if isinstance(path, list) else path, cookies.get(port, cookie))
        levels = (1, 10) if args.quick else (1, 10, 50)
        figures: dict = {}
        for label, path, port in pages:
            figures[label] = {}
            for users in levels:
                rounds = [
                    measure(port, path, cookies.get(port, cookie), users, args.seconds) for _ in range(args.rounds)
                ]
                figures[label][users] = median_of(rounds)
        bare_figures = figures["bare Flask page"]
        print(
            f"{'page':26} "
            + " ".join(f"{f'{u} user(s) req/s  p50  p95':>30}" for u in levels)
            + "   cost ×bare (req/s@10, p50@1)"
        )
        for label, _, _ in pages:
            row = figures[label]
            cells = " ".join(f"{row[u]['rps']:12.1f} {row[u]['p50']:7.1f} {row[u]['p95']:7.1f} ms" for u in levels)
            ratio_rps = bare_figures[10]["rps"] / row[10]["rps"] if row[10]["rps"] else float("inf")
            ratio_p50 = row[1]["p50"] / bare_figures[1]["p50"]
            errors = sum(row[u]["errors"] for u in levels)
            verdict = "ok" if max(ratio_rps, ratio_p50) <= 10 else "OVER 10×"
            print(
                f"{label:26} {cells}   {ratio_rps:5.1f}× {ratio_p50:5.1f}×  {verdict}"
                + (f"  ({errors} errors)" if errors else "")
            )
            if not label.startswith("  before"):
                results.append((name, label, ratio_rps, ratio_p50))
        print(f"service workers' memory after the run: {service.memory()} (bare Flask workers: {bare.memory()})")
        if before:
            print(f"  before: workers' memory after the run: {before.memory()}")
        if args.plain_worker:
            _plain_worker(env)
    finally:
        service.stop()
        bare.stop()
        if before:
            before.stop()
    return results


def _plain_worker(env: dict) -> None:
    """A worker that serves only ordinary pages (directory, search, records): its memory on its own."""
    plain = Server("app:create_app()", env, workers=1)
    try:
        cookie = sign_in(plain.port, EMAIL)
        org = _first_organisation(plain.port, cookie)
        for path in ("/organisations", "/organisations?q=food", f"/organisations/{org}", "/claims", "/"):
            for _ in range(20):
                request(plain.port, path, cookie)
        print(f"a worker after 100 ordinary pages (directory, search, record, claims): {plain.memory()}")
    finally:
        plain.stop()


def _first_organisation(port: int, cookie: str) -> int:
    _, data = request(port, "/organisations?q=food", cookie, headers={"Accept-Encoding": "identity"})
    match = re.search(rb'href="/organisations/(\d+)"', data)
    if not match:
        raise RuntimeError("the directory is empty: run with --prepare on an empty database")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        default=None,
        help="which to run (default: both when --postgresql is given, else sqlite)",
    )
    parser.add_argument("--sqlite", default=os.environ.get("BENCH_SQLITE_URL", "sqlite:////tmp/bench-load/gm.db"))
    parser.add_argument("--postgresql", default=os.environ.get("BENCH_POSTGRESQL_URL"))
    parser.add_argument("--prepare", action="store_true", help="migrate and seed the GM demo if the database is empty")
    parser.add_argument("--quick", action="store_true", help="1 and 10 users, one 3-second round each")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--compare",
        metavar="DIR",
        help="also serve the checkout in DIR (e.g. `git archive` of the code before a change) and print it beside",
    )
    parser.add_argument(
        "--compare-sqlite",
        metavar="URL",
        help="the database the code in --compare serves on SQLite (default: the same as --sqlite); a copy taken "
        "before a migration, so the code before runs on the schema it was written for",
    )
    parser.add_argument("--compare-postgresql", metavar="URL", help="the same for PostgreSQL")
    parser.add_argument("--plain-worker", action="store_true", help="also measure a worker serving only ordinary pages")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = min(args.seconds or (3.0 if args.quick else 8.0), 30.0)
    chosen = args.database or ("both" if args.postgresql else "sqlite")
    if args.sqlite.startswith("sqlite:////"):
        Path(args.sqlite[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    results = []
    if chosen in ("sqlite", "both"):
        results += run_database("SQLite", args.sqlite, args, args.compare_sqlite)
    if chosen in ("postgresql", "both"):
        if not args.postgresql:
            sys.exit("--postgresql URL is needed for PostgreSQL")
        results += run_database("PostgreSQL", args.postgresql, args, args.compare_postgresql)
    over = [r for r in results if max(r[2], r[3]) > 10]
    print(
        "\nEvery key page within 10× of the bare page."
        if not over
        else "\nOver 10×: " + ", ".join(f"{db} {label}" for db, label, *_ in over)
    )


if __name__ == "__main__":
    main()
