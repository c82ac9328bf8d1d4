"""Load check: 50 simulated people for 3 minutes against gunicorn and PostgreSQL, on this machine only.

Contributors sign in and claim (new claim, an item, the claim page), the coordinator reviews and searches,
partners look at maps. Prints the 50th and 95th percentile time per page and the error count, and exits
non-zero on any error (a status of 400 or more, or a failed connection).

Run:   .venv/bin/python bench/load_check.py                 (3 minutes, its own throwaway PostgreSQL cluster)
       .venv/bin/python bench/load_check.py --seconds 20    (a short run)
       .venv/bin/python bench/load_check.py --database-url postgresql+psycopg://…   (an EMPTY database it may wipe)

Traffic goes to 127.0.0.1 only; each simulated person waits 0.5–2 s between pages, as people do. Each
person sends a different X-Forwarded-For address (from 127.1.0.0/16), as people behind the proxy would
arrive from different addresses, so the per-address limits are exercised rather than switched off.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _live import Client, Cluster, Server, environment, prepare  # noqa: E402


class Recorder:
    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def call(self, label: str, function, *args, expect=(200, 302)):
        started = time.perf_counter()
        try:
            status, text, headers = function(*args)
        except Exception as error:  # noqa: BLE001 - counted and reported
            with self.lock:
                self.errors.append(f"{label}: {type(error).__name__}: {error}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.times[label].append(elapsed)
            if status not in expect:
                self.errors.append(f"{label}: HTTP {status}")
        return status, text, headers


def _think(deadline: float) -> bool:
    pause = random.uniform(0.5, 2.0)
    if time.time() + pause >= deadline:
        return False
    time.sleep(pause)
    return True


def contributor(client: Client, email: str, record: Recorder, deadline: float) -> None:
    record.call("sign in", client.sign_in, email)
    day = date.today() - timedelta(days=random.randint(1, 20))
    when = [str(day.day), str(day.month), str(day.year)]
    while _think(deadline):
        record.call("my claims", client.get, "/claims")
        result = record.call("new claim form", client.get, "/claims/new")
        if not result or not _think(deadline):
            continue
        token = _token(result[1])
        made = record.call(
            "create claim",
            client.post,
            "/claims/new",
            {"csrf_token": token, "activity_description": "Carers' forum (load check)", "activity_date": when},
        )
        if not made or made[0] != 302 or "/edit" not in made[2].get("Location", ""):
            continue
        edit = made[2]["Location"].replace("http://127.0.0.1", "")
        page = record.call("edit claim", client.get, edit)
        if not page or not _think(deadline):
            continue
        record.call(
            "add item",
            client.post,
            edit,
            {
                "csrf_token": _token(page[1]),
                "activity_description": "Carers' forum (load check)",
                "activity_date": when,
                "kind": "car_miles",
                "miles": str(random.randint(1, 40)),
            },
        )
        record.call("claim page", client.get, edit.removesuffix("/edit"))


def coordinator(client: Client, email: str, record: Recorder, deadline: float) -> None:
    record.call("sign in", client.sign_in, email)
    searches = ["carers", "mental health", "food bank", "youth", "older people", "dementia"]
    while _think(deadline):
        record.call("review queue", client.get, "/claims/review")
        record.call("directory search", client.get, f"/organisations?q={random.choice(searches).replace(' ', '+')}")
        if not _think(deadline):
            break
        record.call("terms search", client.get, f"/terms?q={random.choice(searches).replace(' ', '+')}")
        record.call("claims dashboard", client.get, "/claims/dashboard")


def partner(client: Client, email: str, record: Recorder, deadline: float) -> None:
    record.call("sign in", client.sign_in, email)
    while _think(deadline):
        record.call("directory map", client.get, "/organisations/map")
        if not _think(deadline):
            break
        record.call("engagement", client.get, "/engagement/")
        record.call("boroughs", client.get, "/boroughs")


def _token(text: str) -> str:
    from _live import CSRF

    match = CSRF.search(text)
    return match.group(1) if match else ""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=180, help="how long the people keep working (default 180)")
    parser.add_argument("--users", type=int, default=50, help="simulated people (default 50)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database to use (it is wiped); default: a throwaway cluster"
    )
    args = parser.parse_args()
    if not 1 <= args.seconds <= 900 or not 1 <= args.users <= 200:
        parser.error("keep it bounded: 1–900 seconds and 1–200 users")
    contributors = max(1, round(args.users * 0.6))
    coordinators = max(1, round(args.users * 0.2))
    partners = max(1, args.users - contributors - coordinators)
    cluster = None if args.database_url else Cluster().init()
    server = None
    instance = Path(tempfile.mkdtemp(prefix="load-check-"))
    try:
        env = environment(args.database_url or cluster.url, instance)
        print(f"Preparing the database and {args.users} accounts…", flush=True)
        prepare(env, contributors, coordinators, partners)
        server = Server(env, workers=args.workers)
        record = Recorder()
        deadline = time.time() + args.seconds
        people = (
            [(contributor, f"contributor{n}@load.example.org") for n in range(contributors)]
            + [(coordinator, f"coordinator{n}@load.example.org") for n in range(coordinators)]
            + [(partner, f"partner{n}@load.example.org") for n in range(partners)]
        )
        threads = []
        for index, (behaviour, email) in enumerate(people):
            client = Client(server.port, address=f"127.1.{index // 250}.{index % 250 + 1}")
            thread = threading.Thread(target=behaviour, args=(client, email, record, deadline), daemon=True)
            threads.append(thread)
            thread.start()
            # People arrive over the first part of the run (at most 30 s), not all in the same second.
            time.sleep(min(30, args.seconds / 6) / len(people))
        print(
            f"{len(people)} people working for {args.seconds} s against gunicorn ({args.workers} workers) "
            f"and PostgreSQL…",
            flush=True,
        )
        for thread in threads:
            thread.join(timeout=max(1, deadline - time.time()) + 60)
        total = sum(len(v) for v in record.times.values())
        print(f"\n{'page':<20}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        for label, values in sorted(record.times.items()):
            print(
                f"{label:<20}{len(values):>10}{statistics.median(values) * 1000:>10.0f}"
                f"{percentile(values, 0.95) * 1000:>10.0f}{max(values) * 1000:>10.0f}"
            )
        print(f"\n{total} requests, {len(record.errors)} errors")
        for error in record.errors[:20]:
            print("  " + error)
        return 1 if record.errors or not total else 0
    finally:
        if server:
            server.stop()
        if cluster:
            cluster.remove()


if __name__ == "__main__":
    sys.exit(main())
