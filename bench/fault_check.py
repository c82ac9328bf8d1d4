"""Fault check: what people see when the database stops mid-run, and when the disk fills during an upload.

1. Database stopped: a signed-in contributor keeps using the service (a page every 0.5 s) while this script
   stops its own throwaway PostgreSQL cluster (pg_ctl) and starts it again. Pages must answer 503 (never
   500, never a dropped connection) while it is down, /readyz must name the database, and both must
   recover by themselves, with the same sign-in, once it is back, without restarting gunicorn.
2. Full disk: the upload folder is a 1 MB tmpfs (needs root for `mount`; skipped otherwise, and covered by
   tests/claims/test_full_disk.py), filled nearly to the brim; uploading a receipt must give the clear
   "run out of storage space" message and leave no file or half-file and no receipt row behind.

Run:   .venv/bin/python bench/fault_check.py
Traffic goes to 127.0.0.1 only; every wait is bounded. Exits non-zero when a check fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _live import CSRF, Client, Cluster, Server, environment, prepare  # noqa: E402

failures: list[str] = []


def check(condition: bool, message: str) -> None:
    print(("  ok    " if condition else "  FAIL  ") + message, flush=True)
    if not condition:
        failures.append(message)


def poll(client: Client, seconds: float) -> list[tuple[float, int, int]]:
    """(time, /claims status, /readyz status) every half second for `seconds`; 0 for a failed connection."""
    seen, end = [], time.time() + seconds
    while time.time() < end:
        statuses = []
        for path in ("/claims", "/readyz"):
            try:
                statuses.append(client.get(path)[0])
            except OSError:
                statuses.append(0)
        seen.append((time.time(), *statuses))
        time.sleep(0.5)
    return seen


def database_outage(cluster: Cluster, client: Client) -> None:
    print("Database stopped mid-run:")
    before = poll(client, 2)
    check(all(row[1:] == (200, 200) for row in before), "pages and /readyz answer 200 before")
    cluster.stop()
    down = poll(client, 5)
    statuses = {row[1] for row in down} | {row[2] for row in down}
    check(statuses == {503}, f"while the database is stopped every answer is 503 (saw {sorted(statuses)})")
    status, text, _ = client.get("/readyz")
    check('"database"' in text and "cannot write to the database" in text, "/readyz names the database")
    status, text, _ = client.get("/claims")
    check(
        "Signed in as" not in text and "unavailable" in text,
        "the 503 page says the service is unavailable and does not claim anyone is signed in",
    )
    cluster.start()
    recovered_at = None
    end = time.time() + 60
    while time.time() < end and recovered_at is None:
        row = poll(client, 0.6)[0]
        if row[1:] == (200, 200):
            recovered_at = time.time()
    check(
        recovered_at is not None,
        "pages and /readyz recover by themselves once the database is back (same sign-in, gunicorn not restarted)",
    )


def full_disk(client: Client, uploads: Path, database_url: str) -> None:
    print("Full disk on upload:")
    receipts = uploads / "receipts"
    receipts.mkdir(exist_ok=True)
    stat = os.statvfs(uploads)
    free = stat.f_bavail * stat.f_frsize
    filler = uploads / "filler.bin"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(free - 16 * 1024, 0))
    before = set(receipts.iterdir())
    status, text, _ = client.get("/claims/new")
    token = CSRF.search(text).group(1)
    day = date.today() - timedelta(days=3)
    when = [str(day.day), str(day.month), str(day.year)]
    status, text, headers = client.post(
        "/claims/new", {"csrf_token": token, "activity_description": "Full disk", "activity_date": when}
    )
    edit = headers["Location"].replace("http://127.0.0.1", "")
    token = CSRF.search(client.get(edit)[1]).group(1)
    pdf = b"%PDF-1.4\n" + b"%" + b"x" * 200_000 + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("csrf_token", token), ("activity_description", "Full disk")):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for value in when:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="activity_date"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="receipt"; filename="ticket.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + pdf
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    status, text, _ = client.request(
        "POST", edit, body=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}"
    )
    check(
        status == 200 and "run out of storage space" in text,
        f"the page says the service has run out of storage space (HTTP {status})",
    )
    after = set(receipts.iterdir())
    check(after == before, f"no receipt file or half-file was left behind ({len(after - before)} new)")
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sql("SELECT count(*) FROM claim_receipt")).scalar()
    engine.dispose()
    check(rows == 0, f"no receipt row was stored ({rows})")
    filler.unlink()


def main() -> int:
    cluster = Cluster().init()
    instance = Path(tempfile.mkdtemp(prefix="fault-check-"))
    uploads = instance / "uploads"
    uploads.mkdir()
    mounted = False
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(uploads)]).returncode == 0
    server = None
    try:
        env = environment(cluster.url, instance)
        prepare(env, contributors=1, coordinators=0, partners=0)
        server = Server(env, workers=2, threads=2)
        client = Client(server.port, address="127.1.0.1", timeout=20)
        check(client.sign_in("contributor0@load.example.org")[0] == 302, "a contributor signs in")
        database_outage(cluster, client)
        if mounted:
            full_disk(client, uploads, cluster.url)
        else:
            print("Full disk: skipped (mounting a 1 MB tmpfs needs root); tests/claims/test_full_disk.py covers it")
    finally:
        if server:
            server.stop()
        if mounted:
            subprocess.run(["umount", str(uploads)])
        cluster.remove()
    print(f"\n{'All checks passed' if not failures else f'{len(failures)} check(s) failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
