"""Benchmark: connectedness figures at Greater Manchester scale, against a naive per-quarter rebuild.

Seeds `demo seed --scale gm` (17,500 organisations, five years of events, ~60,000 attendance records,
3,000 introductions) into a throwaway SQLite database, then prints:

* the cold build of every quarter's figures (gather evidence + aggregate + incremental quarterly
  measures), the cached look-up, and the bridges (betweenness) for one year;
* the naive way: for every quarter, rebuild the graph from scratch with a pairwise loop over each
  event's attendees and each community's members and count components with networkx; and the ratio.

No assertions: the figures are for people to read.

    .venv/bin/python bench/networks.py [--naive-quarters 4]
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
WORK = Path(tempfile.mkdtemp(prefix="bench-networks-"))
os.environ.setdefault("INSTANCE_PATH", str(WORK))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.db'}"
os.environ["TILE_URL"] = ""


def naive_quarter(events, memberships, recorded, people, end):
    """Everything from scratch for one quarter: pairwise loops, a new graph, networkx components."""
    import networkx as nx

    weights = {}
    for on, attendees in events:
        if on > end or not 2 <= len(attendees) <= 30:
            continue
        for i in range(len(attendees)):
            for j in range(len(attendees)):
                if i < j:
                    key = tuple(sorted((attendees[i], attendees[j])))
                    weights[key] = weights.get(key, 0) + min(1.0, 4 / (len(attendees) - 1))
    for community in {m[0] for m in memberships}:
        members = [m for m in memberships if m[0] == community and m[2] <= end]
        for p in members:
            for q in members:
                if p[1] < q[1] and (p[3] is None or p[3] >= q[2]) and (q[3] is None or q[3] >= p[2]):
                    key = (p[1], q[1])
                    weights[key] = weights.get(key, 0) + min(1.0, 4 / max(len(members) - 1, 1))
    for a, b, on in recorded:
        if on <= end:
            weights[(a, b)] = weights.get((a, b), 0) + 1.0
    g = nx.Graph()
    g.add_edges_from(key for key, weight in weights.items() if weight >= 1.0)
    across = sum(1 for a, b in g.edges if people[a].borough != people[b].borough)
    return g.number_of_edges(), across, nx.number_connected_components(g)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--naive-quarters",
        type=int,
        default=4,
        help="how many quarters to rebuild the naive way (it is slow); the total is extrapolated",
    )
    args = parser.parse_args()

    from coordination import create_app
    from coordination.extensions import db

    app = create_app("development")
    with app.app_context(), app.test_request_context():
        from coordination import demo
        from coordination.networks import analysis, queries

        db.create_all()
        started = time.perf_counter()
        demo.seed_accounts("bench-password-1")
        from coordination import _import_optional

        for area in demo.SEED_ORDER:
            module = _import_optional(f"coordination.{area}.demo")
            if module is not None:
                summary = module.seed("gm")
                if summary:
                    print(f"  seed {area}: {summary}")
        print(f"seeded in {time.perf_counter() - started:.0f} s")

        started, cpu = time.perf_counter(), time.process_time()
        net = queries.build_network()
        cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
        queries.network()  # fills the cache
        started = time.perf_counter()
        queries.network()
        cached = time.perf_counter() - started
        year = queries.years(net)[0]
        started, cpu = time.perf_counter(), time.process_time()
        queries.bridges(net, year)
        bridges, bridges_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"people {len(net.people):,}, ties {len(net.ties):,}, quarters {len(net.quarters)}")
        # CPU time beside wall time: on a shared machine the wall clock also counts waiting for a core.
        print(
            f"every quarter's figures, cold: {cold * 1000:,.0f} ms ({cold_cpu * 1000:,.0f} ms CPU); cached look-up "
            f"(data version query): {cached * 1000:,.1f} ms; bridges for {year}: {bridges * 1000:,.0f} ms "
            f"({bridges_cpu * 1000:,.0f} ms CPU)"
        )

        events = queries.attended_events()
        memberships = queries.memberships()
        recorded = [(e.a, e.b, e.on) for e in queries.recorded_evidence()]
        chosen = net.quarters[-args.naive_quarters :]
        started, cpu = time.perf_counter(), time.process_time()
        for quarter in chosen:
            naive_quarter(events, memberships, recorded, net.people, analysis.quarter_bounds(quarter)[1])
        scale = len(net.quarters) / max(len(chosen), 1)
        naive, naive_cpu = (time.perf_counter() - started) * scale, (time.process_time() - cpu) * scale
        print(
            f"naive per-quarter rebuild (evidence already loaded): {naive * 1000:,.0f} ms "
            f"({naive_cpu * 1000:,.0f} ms CPU) for {len(net.quarters)} quarters "
            f"(measured {len(chosen)}, extrapolated)"
        )
        print(f"ratio naive / ours (cold, CPU): {naive_cpu / cold_cpu:,.1f}x")
        g = analysis.graph(net.ties)
        import networkx as nx

        started = time.process_time()
        nx.betweenness_centrality(g, k=min(300, g.number_of_nodes()), seed=1)
        print(
            f"bridges with networkx instead of rustworkx (300 sampled sources, not exact): "
            f"{(time.process_time() - started) * 1000:,.0f} ms CPU"
        )


if __name__ == "__main__":
    main()
