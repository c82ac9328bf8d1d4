"""Shared parts of the live checks (load_check.py, fault_check.py): a throwaway PostgreSQL cluster, the app
under gunicorn on a loopback port, seeded accounts, and a small HTTP client with cookies and CSRF.

Everything runs on this machine and talks to 127.0.0.1 only. Every loop is bounded in time and count.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load check password 1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster under a temporary folder (pg_ctl), listening on a Unix socket only."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        pg_ctl = shutil.which("pg_ctl")
        self.bin = Path(found[-1]) if found else (Path(pg_ctl).parent if pg_ctl else None)
        if self.bin is None or not (self.bin / "initdb").exists():
            raise SystemExit(
                "PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"
            )
        self.folder = Path(tempfile.mkdtemp(prefix="live-check-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in command)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> Cluster:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._run("createdb", "-h", str(self.folder), "-p", str(self.port), "-U", "postgres", "coordination")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses= -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/coordination?host={self.folder}&port={self.port}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def environment(database_url: str, instance: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "FLASK_CONFIG": "production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "live-check-only-secret",
            "INSTANCE_PATH": str(instance),
            "UPLOAD_FOLDER": str(instance / "uploads"),
            "TILE_URL": "",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def prepare(env: dict, contributors: int, coordinators: int, partners: int) -> None:
    """Build the schema, seed the demo data and the check's own accounts (in a child process)."""
    script = f"""
import sys
from coordination import create_app
from coordination.extensions import db
from coordination.accounts.operations import create_user
from coordination import demo
app = create_app()
with app.app_context():
    db.drop_all(); db.create_all()
    from coordination import _import_optional
    for area in demo.SEED_ORDER:
        module = _import_optional(f"coordination.{{area}}.demo")
        if module is not None:
            module.seed(None)
    for role, count in (("contributor", {contributors}), ("coordinator", {coordinators}), ("partner", {partners})):
        for n in range(count):
            extra = {{"boroughs": ["E08000005"]}} if role == "partner" else {{}}
            create_user(email=f"{{role}}{{n}}@load.example.org", name=f"Load {{role}} {{n}}", role=role,
                        password={PASSWORD!r}, **extra)
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)


class Server:
    """gunicorn serving create_app() on a loopback port, with the repository's gunicorn.conf.py."""

    def __init__(self, env: dict, workers: int = 3, threads: int = 4):
        self.port = free_port()
        self.log = open(Path(env["INSTANCE_PATH"]) / "gunicorn.log", "w")  # noqa: SIM115 - open while it runs
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [
                gunicorn,
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
                "app:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if Client(self.port).get("/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not start; see " + self.log.name)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # this server's own process group only
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


class Client:
    """One simulated browser: keep-alive connection to 127.0.0.1, its own cookies, a forwarded address."""

    def __init__(self, port: int, address: str | None = None, timeout: float = 120):
        self.port, self.address, self.timeout = port, address, timeout
        self.cookies: dict[str, str] = {}
        self.connection = None

    def _connect(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def request(
        self,
        method: str,
        path: str,
        fields: dict | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, str, dict]:
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.address:
            headers["X-Forwarded-For"] = self.address
        if fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        if body is not None:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.connection is None:
                self._connect()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
            except Exception:
                # A timeout or anything else leaves the connection mid-request: start the next one afresh.
                self.connection.close()
                self.connection = None
                raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "Max-Age=0" in value or "expires=Thu, 01 Jan 1970" in value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        return response.status, text, dict(response.getheaders())

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict):
        return self.request("POST", path, fields=fields)

    def csrf(self, path: str) -> str:
        status, text, _ = self.get(path)
        match = CSRF.search(text)
        if not match:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return match.group(1)

    def sign_in(self, email: str) -> tuple[int, str, dict]:
        token = self.csrf("/sign-in")
        return self.post("/sign-in", {"csrf_token": token, "email": email, "password": PASSWORD})
