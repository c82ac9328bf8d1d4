"""Fixtures for the geography library: committed boundary files and the shared official ones."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_BOUNDARIES = REPO.parent / "shared" / "data" / "boundaries"
OFFICIAL_FULL = SHARED_BOUNDARIES / "gm_local_authority_2023_full_resolution.geojson"
OFFICIAL_GENERALISED = SHARED_BOUNDARIES / "gm_local_authority_2023_generalised.geojson"

XSS_CORPUS = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "back`tick`alert(1)",
    "</script><script>alert(1)</script>",
    "back\\slash \\u0061 \\",
    "\"double\" and 'single' quotes",
]


@pytest.fixture(scope="session")
def boundaries():
    """The committed project boundaries (EPSG:4326)."""
    from geo.boundaries import load_boundaries

    return load_boundaries()


@pytest.fixture(scope="session")
def light_boundaries():
    """The committed light boundaries used for maps."""
    from geo.boundaries import light_boundaries_path, load_boundaries

    return load_boundaries(light_boundaries_path())


@pytest.fixture(scope="session")
def official_boundaries():
    """The official ONS full-resolution boundaries from ../shared/data, or skip."""
    if not OFFICIAL_FULL.exists():
        pytest.skip(f"official boundaries not available at {OFFICIAL_FULL}")
    import geopandas as gpd

    return gpd.read_file(OFFICIAL_FULL)


@pytest.fixture(scope="session")
def official_generalised_path():
    """Path of the official generalised boundaries (small enough to import quickly), or skip."""
    if not OFFICIAL_GENERALISED.exists():
        pytest.skip(f"official boundaries not available at {OFFICIAL_GENERALISED}")
    return OFFICIAL_GENERALISED
