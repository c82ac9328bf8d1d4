"""Read side for the geography pages: borough facts and the boundaries in use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from geo import boroughs as geo_boroughs

from ..caching import app_cache

if TYPE_CHECKING:
    import geopandas as gpd

# geo.maps (folium), geo.boundaries (geopandas) and pandas are imported inside the functions that draw or
# read boundaries, so a worker that only serves lists and records never loads the geography stack.
BOUNDARIES_FILE = "boundaries.geojson"
LIGHT_FILE = "boundaries-light.geojson"
NONCE_PLACEHOLDER = "__CSP_NONCE__"


def page_maps():
    """geo.maps, set up to load Leaflet from the app's /vendor route (never a CDN), imported on first use."""
    from geo import maps

    if not getattr(maps, "_app_assets", False):
        maps.use_local_assets("/vendor")
        maps._app_assets = True
        _freeze_loaded_objects()
    return maps


def _freeze_loaded_objects() -> None:
    """Once the map libraries are in (folium, geopandas, pandas: some 100,000 objects that live as long as
    the process), keep the cyclic garbage collector from walking them in every full collection; as gunicorn's
    post_worker_init does for the objects of the app's start (gunicorn.conf.py)."""
    import gc

    gc.freeze()


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
    from geo.boundaries import load_boundaries  # geopandas: only when boundaries are drawn

    return app_cache("boundaries", maxsize=4).get_or_build(boundaries_version(path), lambda: load_boundaries(path))


def prepared_shapes():
    """The map boundaries' shapes made ready once per boundary file for layers that share them (geo.maps)."""
    path = _map_file()
    return app_cache("prepared-shapes", maxsize=4).get_or_build(
        boundaries_version(path), lambda: page_maps().prepare_shapes(map_boundaries())
    )


def boundaries_version(path: Path | None = None) -> tuple[str, float]:
    """Changes whenever other boundaries are put in use (for caches of drawn maps)."""
    path = path or _map_file()
    return str(path), path.stat().st_mtime


def official_boundaries() -> bool:
    """Say whether the boundaries in use were imported (official) rather than derived from postcodes."""
    from geo.sources import is_official  # not geo.boundaries: no geopandas to say which boundaries are in use

    path = boundaries_dir() / LIGHT_FILE
    return is_official(path if path.exists() else boundaries_dir() / BOUNDARIES_FILE)


def borough_facts() -> list[dict]:
    """The ten boroughs' facts as plain dicts, in code order."""
    return [geo_boroughs.facts_by_code()[code] for code in geo_boroughs.BOROUGH_CODES]


def borough(code: str) -> dict | None:
    """One borough's facts, or None for a code that is not one of the ten."""
    return next((row for row in borough_facts() if row["code"] == code), None)


def tile_url() -> str:
    """The basemap tile URL in use ('' for none: maps then draw their own background from the boundaries)."""
    return current_app.config.get("TILE_URL", "") or ""


def tile_attribution() -> str:
    """The attribution the tile server's licence asks for (TILE_ATTRIBUTION; OpenStreetMap's by default)."""
    from geo.tiles import OSM_ATTRIBUTION  # not geo.maps: no folium to name the tiles

    return current_app.config.get("TILE_ATTRIBUTION") or OSM_ATTRIBUTION


WARDS_FILE = "wards.geojson"


def _drawn_base(path: Path, wards_path: Path | None) -> dict:
    import geopandas as gpd

    from geo.boundaries import load_boundaries

    boundaries = load_boundaries(path)
    wards = None
    if wards_path is not None:
        wards = gpd.read_file(wards_path)
        wards = wards.set_crs("EPSG:4326") if wards.crs is None else wards
    return page_maps().drawn_base_layers(boundaries, wards)


def drawn_base() -> dict:
    """The drawn background (land, borough names, wards when BOUNDARIES_DIR has wards.geojson), cached per file."""
    path = _map_file()
    wards = boundaries_dir() / WARDS_FILE
    wards_path = wards if wards.exists() else None
    key = (boundaries_version(path), (str(wards), wards.stat().st_mtime) if wards_path else None)
    return app_cache("drawn-base", maxsize=4).get_or_build(key, lambda: _drawn_base(path, wards_path))


def new_page_map():
    """An empty Folium map sized to fill the page's map frame, with the configured tiles or a drawn background."""
    maps = page_maps()
    m = maps.new_map(
        height="100%",
        basemap=bool(tile_url()),
        tiles_url=tile_url() or maps.OSM_TILES,
        tiles_attribution=tile_attribution(),
    )
    if not tile_url():
        maps.add_drawn_basemap(m, layers=drawn_base())
    return m


def cached_page_map(key: tuple, build, nonce: str, extra: tuple = (), sources: tuple[Path, ...] = ()) -> dict:
    """A drawn map's parts (header, body, script) with this response's CSP nonce.

    `build()` returns a folium.Map. It is drawn once and stored as a frame in the instance folder
    (geography.frames, named `page-map-<key>`), for the boundaries, tiles and code in use, whatever else it
    is drawn from (extra: links, labels) and the caller's modules that draw it (sources); a worker reads
    the stored frame without loading folium, pandas or geopandas, and each request costs a replace.
    """
    from markupsafe import Markup

    from .frames import stored_frame

    def draw() -> dict:
        parts = page_maps().render_parts(build(), nonce=NONCE_PLACEHOLDER)
        return {name: str(value) for name, value in parts.items()}

    name = "page-map-" + "-".join(str(part) for part in key)
    parts = stored_frame(name, tuple(extra), draw, (Path(__file__),) + tuple(sources))
    return {name: Markup(value.replace(NONCE_PLACEHOLDER, nonce)) for name, value in parts.items()}
