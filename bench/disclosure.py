"""Benchmark: small-number protection at Greater Manchester scale (17,500 organisations, GM demo events).

Prints how many cells primary suppression hides, how many more secondary suppression hides (and how
many small totals it shows as "not shown"), and, in the same run, the time for one page's figures
protected (a partner) against unprotected (the coordinator):

* unprotected: one period's figures SQL + presenting the rows (the coordinator's first page after a change);
* the publication build, done once per data change and partner in a background thread (never while a
  partner waits): every period's figures SQL + the attendance timeline + the protection + storing it;
* what a partner's page waits for: reading the stored publication in a worker that has not seen it yet
  (one row, decompressed and parsed) + presenting, and the same once that worker has it;
* the naive way (protecting inside the request, as before publications): the whole build per page.

No assertions: the figures are for people to read.

    .venv/bin/python bench/disclosure.py [--organisations 17500]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-disclosure-"))


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--organisations", type=int, default=17_500)
    parser.add_argument("--own", default="E08000005", help="the partner's borough (known exactly)")
    args = parser.parse_args()

    from engagement_gap_map import make_directory

    from coordination import create_app
    from coordination.communities import demo
    from coordination.engagement import figures, protection, queries
    from coordination.extensions import db

    app = create_app("development")
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        from coordination.organisations.models import Organisation

        if not db.session.scalar(db.select(db.func.count()).select_from(Organisation)):
            make_directory(args.organisations)
            summary = demo.seed("gm")
        else:
            summary = "data already in INSTANCE_PATH's database, reused"
        print(f"data: {args.organisations:,} organisations; {summary} ({time.perf_counter() - started:.1f} s)")
        periods = queries.periods()
        period = queries.find_period("12m")

        queries.engagement_figures(period)  # warm the database's caches, as a running server would be
        unprotected = min(
            timed(lambda: figures.present_all(queries.engagement_figures(period), period.key))[1] for _ in range(3)
        )
        moment, gathered = timed(lambda: protection.gather(periods))
        if os.environ.get("DUMP_PROBLEM"):
            import pickle

            values, relations, cost = protection.problem(moment)
            exact = {k for k in values if k[0] == "fig" and k[3] == args.own}
            Path(os.environ["DUMP_PROBLEM"]).write_bytes(pickle.dumps((values, relations, cost, exact)))
        guard, protecting = timed(lambda: protection.protect(moment, (args.own,)))
        _, presenting = timed(lambda: figures.present_all(moment.rows[period.key], period.key, guard))
        protected = gathered + protecting + presenting
        values, relations, _ = protection.problem(moment)
        print(
            f"published counts at this moment (every period, borough, practice area, measure, quarter): "
            f"{len(values):,}; relations between them: {len(relations):,}"
        )
        small = sum(1 for k, v in values.items() if 1 <= v <= 4 and not (k[0] == "fig" and k[3] == args.own))
        relabelled = sum(1 for k in guard.secondary if 1 <= values[k] <= 4)
        print(f"primary suppression (counts of 1 to 4 outside the partner's borough): {small:,} cells")
        print(
            f"secondary suppression hides {len(guard.secondary) - relabelled:,} more cells "
            f"(+{relabelled:,} small totals shown as 'not shown' rather than 'fewer than 5'); "
            f"unprotectable: {len(guard.unprotectable)}; rounds: {guard.rounds}"
        )
        print(f"one page's figures unprotected (coordinator, one period): {unprotected * 1000:.0f} ms")
        print(
            f"one page's figures protected, cold (every period's SQL {gathered * 1000:.0f} ms + protection "
            f"{protecting * 1000:.0f} ms + presenting {presenting * 1000:.0f} ms): {protected * 1000:.0f} ms; "
            f"ratio {protected / unprotected:.1f}x"
        )
        print(
            f"the protection step alone: {protecting * 1000:.0f} ms "
            f"({protecting / unprotected:.2f}x the unprotected page)"
        )
        _, again = timed(lambda: figures.present_all(moment.rows["2025"], "2025", guard))
        print(f"another period's page once the moment is protected (cached): {again * 1000:.0f} ms")

        from coordination.caching import app_cache
        from coordination.engagement import publication

        own = (args.own,)
        made, built = timed(lambda: publication.build(own))
        stored = len(db.session.get(publication.EngagementPublication, made).payload)
        print(
            f"publication build (background thread, once per data change and partner): {built * 1000:,.0f} ms "
            f"(stored: {stored:,} bytes)"
        )

        def partner_page():
            published = publication.current(own)
            return figures.present_all(published.moment.rows[period.key], period.key, published.protection)

        cold = []
        for _ in range(3):
            app_cache("engagement-publications").clear()  # a worker that has not read it yet
            cold.append(timed(partner_page)[1])
        warm = min(timed(partner_page)[1] for _ in range(5))
        cold_page = min(cold)
        print(
            f"a partner's page figures from the publication: {cold_page * 1000:.0f} ms in a worker reading it "
            f"for the first time ({cold_page / unprotected:.2f}x the unprotected page), {warm * 1000:.1f} ms "
            f"afterwards ({warm / unprotected:.3f}x)"
        )
        print(
            f"naive (protect inside the request): {protected * 1000:,.0f} ms per first page, "
            f"{protected / cold_page:.0f}x what a partner now waits for"
        )


if __name__ == "__main__":
    main()
