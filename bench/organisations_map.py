"""Benchmark: the organisations map page with 17,500 organisations, against one Folium Marker per organisation.

Run: .venv/bin/python bench/organisations_map.py [COUNT]
"""

from __future__ import annotations

import sys
import time

from _organisations_setup import fresh_app


def main(count: int = 17500) -> None:
    app, db = fresh_app()
    import folium

    import geo.maps
    from coordination.accounts.operations import create_user
    from coordination.organisations.demo import seed_gm
    from coordination.organisations.queries import OrganisationFilters, map_points
    from geo.safe_text import safe_text

    seed_gm(count)
    create_user(email="bench@example.org", name="Bench", role="coordinator", password="benchmark password 1")
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/sign-in", data={"email": "bench@example.org", "password": "benchmark password 1"})
    client.get("/organisations/map")  # warm caches (boundaries, templates)

    started = time.perf_counter()
    page = client.get("/organisations/map?borough=all")
    page_seconds = time.perf_counter() - started
    started = time.perf_counter()
    points = client.get("/organisations/map.json?borough=all")
    points_seconds = time.perf_counter() - started
    assert page.status_code == points.status_code == 200
    page_bytes, points_bytes = len(page.data), len(points.data)

    # Naive: one folium Marker with a Popup per organisation, rendered into the page.
    rows = map_points(OrganisationFilters(status="any"))
    started = time.perf_counter()
    m = geo.maps.new_map(basemap=False)
    for lat, lon, oid, label in rows:
        folium.Marker([lat, lon], popup=folium.Popup(f'<a href="/organisations/{oid}">{safe_text(label)}</a>')).add_to(
            m
        )
    naive_html = geo.maps.render_page(m)
    naive_seconds = time.perf_counter() - started

    print(f"organisations: {len(rows):,}")
    print(f"map page: {page_bytes / 1024:.0f} KB built in {page_seconds:.3f} s (goal < 1 MB, < 0.5 s)")
    print(
        f"points JSON fetched by the page: {points_bytes / 1024:.0f} KB in {points_seconds:.3f} s "
        f"(page + points {(page_bytes + points_bytes) / 1024 / 1024:.2f} MB)"
    )
    print(
        f"naive folium Marker per organisation: {len(naive_html) / 1024 / 1024:.1f} MB built in {naive_seconds:.2f} s"
    )
    print(
        f"ratio naive / ours: size {len(naive_html) / page_bytes:.0f}x "
        f"(with points {len(naive_html) / (page_bytes + points_bytes):.1f}x), "
        f"time {naive_seconds / page_seconds:.0f}x (with points {naive_seconds / (page_seconds + points_seconds):.1f}x)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 17500)
