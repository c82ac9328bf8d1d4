"""Map frames stored in the instance folder, so a fresh worker fills a drawn map without folium.

A frame (geo.frames) is what folium renders of a map that depends only on the boundary files, the tile
settings and the code: drawing it loads folium, pandas and geopandas and takes one to two seconds, which
every fresh worker would pay on its first map. It is drawn once and kept as a compressed file in the
instance folder (`map-frames/<name>-<digest>.json.z`), beside the boundary files it is made from
(BOUNDARIES_DIR is on the same host), and read back in a few milliseconds by any worker, before or after
a restart.

The digest covers everything a frame is drawn from: the boundary files' versions (an import writes new
files, so a new frame is drawn), the wards file, TILE_URL and TILE_ATTRIBUTION, the source of the code
that draws it (geo.maps, its script, the caller's own modules) and the installed folium and branca. So a
stored frame can never be out of date; old ones are removed as new ones are stored.

A process that finds no frame stored has it drawn in a child process (a fork, coordination.apart), which
sends it back, so the worker itself never loads folium, pandas, geopandas or shapely (some 100 MB it would
hold for the rest of its life), and stores it. Where there is no fork, or the child fails or takes too long
(coordination.apart), it is drawn in-process as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from flask import current_app

from ..apart import NotApart, run_apart
from ..caching import app_cache
from .queries import WARDS_FILE, boundaries_dir, boundaries_version

FORMAT = 1  # the stored file's layout
FOLDER = "map-frames"
CACHED = 16  # frames kept in memory per process: the gap map, the directory map, the boroughs' list and ten boroughs
KEEP = 4  # frames kept per name (the newest); older ones were drawn for boundaries or code no longer in use
_GEO = Path(__file__).resolve().parents[2] / "geo"
_DRAWING_CODE = (_GEO / "maps.py", _GEO / "geo-maps.js", _GEO / "frames.py")
log = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def _code_version(sources: tuple[Path, ...]) -> str:
    """A digest of the drawing code's source and the map libraries' versions (read once per process)."""
    digest = hashlib.blake2b(digest_size=16)
    for path in _DRAWING_CODE + tuple(sources):
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("folium", "branca"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=none".encode())
    return digest.hexdigest()


def frame_inputs() -> tuple:
    """What every drawn map here depends on besides its own code: boundaries, wards, tiles."""
    wards = boundaries_dir() / WARDS_FILE
    config = current_app.config
    return (
        boundaries_version(),
        (str(wards), wards.stat().st_mtime) if wards.exists() else None,
        config.get("TILE_URL", "") or "",
        config.get("TILE_ATTRIBUTION", "") or "",
    )


def frame_file(name: str, key: tuple, sources: tuple[Path, ...] = ()) -> Path:
    """Where the frame called name, for this key and the boundaries, tiles and code in use, is stored."""
    whole = (FORMAT, name, _code_version(tuple(sources)), frame_inputs(), key)
    digest = hashlib.blake2b(repr(whole).encode(), digest_size=16).hexdigest()
    return Path(current_app.instance_path) / FOLDER / f"{name}-{digest}.json.z"


def stored_frame(name: str, key: tuple, draw: Callable[[], dict], sources: tuple[Path, ...] = ()) -> dict:
    """The stored frame (a dict of text and lists), drawn with draw() and stored when there is none yet.

    key holds whatever else the frame is drawn from (labels, options); sources are the caller's modules
    that draw it. Read once per process and kept in memory; a frame that cannot be stored (a read-only
    instance folder) is still served, and drawn again by the next process.
    """
    path = frame_file(name, key, sources)

    def load() -> dict:
        try:
            return json.loads(zlib.decompress(path.read_bytes()))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, zlib.error) as error:  # unreadable or cut short: drawn again
            log.warning("map frame %s unreadable (%s): drawing it again", path.name, error)
        frame = _drawn_apart(draw)
        if frame is None:
            frame = draw()
        _store(path, frame, name)
        return frame

    return app_cache("map-frames", maxsize=CACHED).get_or_build(str(path), load)


def _drawn_apart(draw: Callable[[], dict]) -> dict | None:
    """The frame drawn in a forked child (coordination.apart), so this process never loads folium, pandas or
    geopandas; None when that cannot be done (the caller draws it in-process)."""
    try:
        return run_apart(draw)
    except NotApart:
        return None


def _store(path: Path, frame: dict, name: str) -> None:
    """Write the frame whole (a temporary file renamed into place), then keep only the newest few."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(zlib.compress(json.dumps(frame).encode(), 6))
        os.replace(temporary, path)
        stored = sorted(path.parent.glob(f"{name}-*.json.z"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in stored[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as error:
        log.warning("map frame %s not stored (%s): it is drawn again by the next process", path.name, error)
