"""Map page size and build time: the borough map, the choropleth, and a 17,500-point cluster layer.

Run: .venv/bin/python bench/geo_map_size.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import maps  # noqa: E402
from geo.boundaries import light_boundaries_path, load_boundaries  # noqa: E402


def measure(label: str, build) -> None:
    start = time.perf_counter()
    m = build()
    page = maps.render_page(m, title=label, nonce="bench")
    elapsed = time.perf_counter() - start
    print(
        f"{label:<45} {len(page.encode()) / 1024:8.1f} KB  built and rendered in {elapsed * 1000:7.1f} ms"
        f"  external URLs: {len(maps.external_asset_urls(page))}"
    )


def main() -> None:
    maps.use_local_assets("/vendor")
    light = load_boundaries(light_boundaries_path())
    full = load_boundaries()
    rng = np.random.default_rng(7)
    points = pd.DataFrame(
        {
            "latitude": rng.uniform(53.35, 53.65, 17_500),
            "longitude": rng.uniform(-2.7, -1.95, 17_500),
            "label": [f"Organisation {i}" for i in range(17_500)],
        }
    )
    measure("borough map (light boundaries, goal < 300 KB)", lambda: maps.borough_map(light))
    measure("borough map (full boundaries)", lambda: maps.borough_map(full))
    measure("choropleth of IMD score (light)", lambda: maps.borough_map(light, value_column="imd_score"))
    measure("one borough highlighted (light)", lambda: maps.borough_map(light, highlight_code="E08000005"))

    def with_points(label_column):
        m = maps.borough_map(light)
        maps.add_point_cluster(m, points, label=label_column)
        return m

    measure("boroughs + 17,500 clustered points", lambda: with_points(None))
    measure("boroughs + 17,500 labelled clustered points", lambda: with_points("label"))


if __name__ == "__main__":
    main()
