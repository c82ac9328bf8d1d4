"""Benchmark and check: the attacker against `flask demo seed --scale gm` (17,500 organisations).

Seeds the Greater Manchester demo into a scratch SQLite database under INSTANCE_PATH (once; later runs
reuse it), signs in as the Rochdale partner and runs the attacker of
tests/engagement/test_disclosure_attack.py: every table, CSV, attendance page and map payload of every
period, every linear relation between them, and a linear programme for each hidden figure. Prints
what was published, what was hidden and every leak found (none expected), and exits 1 on a leak.

    INSTANCE_PATH=/tmp/gm-attack .venv/bin/python bench/disclosure_attack.py

It takes minutes (the seed alone is most of the first run), so the test suite runs the same attacker
on the ordinary demo and on generated data, and this script is for GM scale.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-disclosure-attack-"))
PASSWORD = "demo-password-123"


def main() -> int:
    from flask import g

    from coordination import create_app
    from coordination.accounts.models import User
    from coordination.extensions import db
    from tests import attacker
    from tests.engagement import test_disclosure_attack as attack

    app = create_app("development")
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        if db.session.scalar(db.select(User.id).limit(1)) is None:
            result = app.test_cli_runner().invoke(
                args=["demo", "seed", "--scale", "gm"], env={"DEMO_PASSWORD": PASSWORD}
            )
            if result.exit_code:
                print(result.output)
                return 2
            print(f"seeded `demo seed --scale gm` in {time.perf_counter() - started:.0f} s")
        else:
            print(f"reusing the seeded database in {os.environ['INSTANCE_PATH']}")
        # As a server's `flask engagement publish` does: partners' checked figures made ahead of time.
        from coordination.engagement import publication

        started = time.perf_counter()
        made = publication.publish_all()
        print(f"published partners' figures ({len(made)} sets of boroughs) in {time.perf_counter() - started:.0f} s")
        coordinator = app.test_client()
        response = coordinator.post("/sign-in", data={"email": "coordinator@example.org", "password": PASSWORD})
        assert response.status_code == 302, "the coordinator could not sign in"
        truth, _ = attack.download(coordinator)  # only a starting point for the attacker's programmes
        g.pop("_login_user", None)  # one app context for every request here: forget the coordinator
        client = app.test_client()
        response = client.post("/sign-in", data={"email": "partner.rochdale@example.org", "password": PASSWORD})
        assert response.status_code == 302, "the Rochdale partner could not sign in"
        started = time.perf_counter()
        published, rows = attack.download(client)
        downloaded = time.perf_counter() - started
        relations = attack.relations_between(published)
        hidden = [k for k, v in published.items() if v in (attacker.SMALL, attacker.NOT_SHOWN)]
        small = sum(1 for k in hidden if published[k] == attacker.SMALL)
        print(
            f"the partner downloaded {len(published):,} counts ({downloaded:.1f} s, protection included): "
            f"{small:,} 'fewer than 5', {len(hidden) - small:,} 'not shown'; {len(relations):,} relations"
        )
        started = time.perf_counter()
        problems = attacker.leaks(published, relations, point=truth)
        problems += attack.derived_figures_hide_with_their_counts(rows)
        problems += attack.every_view_agrees_and_markers_stay_home(client, rows)
        if not hidden:
            problems.append("nothing was hidden: the download was not the partner's")
        print(f"attacker: {len(problems)} problems ({time.perf_counter() - started:.1f} s)")
        for problem in problems[:30]:
            print("  " + problem)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
