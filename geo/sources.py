"""Where a boundary file came from, read from the file's first characters without the geography libraries
(geo.boundaries, which writes the files, needs geopandas; a page that only says which boundaries are in
use does not)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from geo.boroughs import DATA_DIR

BOUNDARIES_FILE = "boundaries.geojson"


def boundaries_source(path: Path | str | None = None) -> str:
    """Say where a boundary file came from ("derived from …" or "imported from <file>")."""
    source = Path(path) if path is not None else DATA_DIR / BOUNDARIES_FILE
    if source.is_dir():
        source = source / BOUNDARIES_FILE
    with source.open(encoding="utf-8") as handle:
        # The member is written first, so reading the whole file is not needed.
        head = handle.read(2000)
    found = re.search(r'"source":("(?:[^"\\]|\\.)*")', head)
    return json.loads(found.group(1)) if found else "unknown"


def is_official(path: Path | str | None = None) -> bool:
    """Say whether a boundary file was imported (official) rather than derived from postcodes."""
    return boundaries_source(path).startswith("imported")
