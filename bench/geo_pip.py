"""Point-in-polygon: 100,000 points assigned to boroughs, vectorised vs one shapely call per point.

Run: .venv/bin/python bench/geo_pip.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.boundaries import load_boundaries  # noqa: E402
from geo.spatial import assign_boroughs  # noqa: E402

N = 100_000


def naive(lat, lon, boundaries):
    """The obvious loop: a Point per location and polygon.contains for each borough."""
    out = []
    pairs = list(zip(boundaries["code"], boundaries.geometry))
    for y, x in zip(lat, lon):
        point = shapely.Point(x, y)
        out.append(next((code for code, polygon in pairs if polygon.contains(point)), None))
    return out


def main() -> None:
    boundaries = load_boundaries()
    rng = np.random.default_rng(42)
    # A box around GM: roughly two thirds of the points fall inside a borough.
    lat = rng.uniform(53.30, 53.70, N)
    lon = rng.uniform(-2.75, -1.90, N)

    start = time.perf_counter()
    fast = assign_boroughs(lat, lon, boundaries)
    vectorised = time.perf_counter() - start

    start = time.perf_counter()
    slow = naive(lat, lon, boundaries)
    looped = time.perf_counter() - start

    inside = sum(code is not None for code in fast)
    print(
        f"points: {N:,} ({inside:,} inside a borough); boundaries: "
        f"{int(shapely.get_num_coordinates(boundaries.geometry.to_numpy()).sum()):,} vertices"
    )
    print(f"vectorised (prepared geometries + contains_xy): {vectorised:7.3f} s")
    print(f"naive loop (Point + polygon.contains):          {looped:7.3f} s")
    print(f"speed-up: {looped / vectorised:,.0f}x; results identical: {fast == slow}")


if __name__ == "__main__":
    main()
