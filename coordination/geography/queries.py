"""Read side for the geography pages: borough facts and the boundaries in use."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from flask import current_app

from geo import boroughs as geo_boroughs
from geo import maps
from geo.boundaries import BOUNDARIES_FILE, LIGHT_FILE, is_official, load_boundaries

from ..caching import app_cache


def boundaries_dir() -> Path:
    """The directory holding the boundary files in use (config BOUNDARIES_DIR)."""
    return Path(current_app.config["BOUNDARIES_DIR"])


def _map_file() -> Path:
    path = boundaries_dir() / LIGHT_FILE
    # An imported set always writes both files; fall back to the full one if only it exists.
    return path if path.exists() else boundaries_dir() / BOUNDARIES_FILE


def map_boundaries() -> gpd.GeoDataFrame:
    """The light boundaries for drawing maps (EPSG:4326, code and name)."""
    path = _map_file()
    # Kept on the app, keyed on the file's version, so an import takes effect without a restart.
    return app_cache("boundaries", maxsize=4).get_or_build(boundaries_version(path), lambda: load_boundaries(path))


def boundaries_version(path: Path | None = None) -> tuple[str, float]:
    """Changes whenever other boundaries are put in use (for caches of drawn maps)."""
    path = path or _map_file()
    return str(path), path.stat().st_mtime


def official_boundaries() -> bool:
    """Say whether the boundaries in use were imported (official) rather than derived from postcodes."""
    path = boundaries_dir() / LIGHT_FILE
    return is_official(path if path.exists() else boundaries_dir() / BOUNDARIES_FILE)


def borough_facts() -> list[dict]:
    """The ten boroughs' facts as plain dicts, in code order."""
    return geo_boroughs.load_facts().to_dict(orient="records")


def borough(code: str) -> dict | None:
    """One borough's facts, or None for a code that is not one of the ten."""
    return next((row for row in borough_facts() if row["code"] == code), None)


def tile_url() -> str:
    """The basemap tile URL in use ('' for none: maps then show boundaries and data only)."""
    return current_app.config.get("TILE_URL", "") or ""


def new_page_map():
    """An empty Folium map sized to fill the page's map frame, with the configured basemap (if any)."""
    return maps.new_map(height="100%", basemap=bool(tile_url()), tiles_url=tile_url() or maps.OSM_TILES)
