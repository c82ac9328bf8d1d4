"""Changing the boundaries in use from the browser: check an uploaded file (with its accuracy), then import it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from .. import audit
from ..errors import OperationError
from ..extensions import db
from . import queries

EXTENSIONS = ("geojson", "json", "gpkg", "zip")


class BoundaryProblem(OperationError):
    """A boundary file that cannot be used (geo.boundaries.BoundaryError, in words for the page)."""


@dataclass
class BoroughCheck:
    code: str
    name: str
    area_km2: float
    area_in_use_km2: float
    overlap: float  # intersection over union with the boundaries in use (1 = the same shape)


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "boundary-imports"


def pending_path(token: str) -> Path | None:
    """The uploaded file waiting for confirmation, or None for a token that names none."""
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = _folder() / token
    found = sorted(p for p in folder.glob("*") if p.suffix.lstrip(".").lower() in EXTENSIONS) if folder.is_dir() else []
    return found[0] if found else None


def keep_upload(data: bytes, filename: str) -> str:
    """Keep an uploaded boundary file (under its own name) until it is confirmed or abandoned; return a token."""
    from werkzeug.utils import secure_filename

    token = secrets.token_urlsafe(16)
    folder = _folder() / token
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (secure_filename(filename) or "boundaries.geojson")).write_bytes(data)
    return token


def check_boundaries(path: Path, code_field: str) -> list[BoroughCheck]:
    """Run every check the import runs, and measure each borough against the boundaries in use.

    Raises BoundaryProblem (on the `file` field) with a specific message when the file cannot be used.
    """
    import geopandas as gpd

    from geo import boundaries  # geopandas: loaded by boundary pages only

    try:
        gdf = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        raise BoundaryProblem(
            "Could not read the file as GeoJSON, GeoPackage or a zipped Shapefile: "
            f"{str(error).splitlines()[0][:200] if str(error) else type(error).__name__}.",
            "file",
        ) from error
    try:
        return _checks(boundaries, gdf, code_field)
    except boundaries.BoundaryError as error:
        raise BoundaryProblem(f"{error}.", "file") from error


def _checks(boundaries, gdf, code_field: str) -> list[BoroughCheck]:
    checked = boundaries.validate_boundaries(gdf, code_field)
    in_use = boundaries.load_boundaries(queries.boundaries_dir())
    overlap = boundaries.iou_by_code(checked, in_use, "code")
    mine = checked.to_crs(boundaries.BRITISH_GRID).set_index("code")
    theirs = in_use.to_crs(boundaries.BRITISH_GRID).set_index("code")
    return [
        BoroughCheck(
            code,
            mine.loc[code, "name"],
            float(mine.loc[code].geometry.area / 1e6),
            float(theirs.loc[code].geometry.area / 1e6),
            overlap[code],
        )
        for code in mine.index
    ]


def import_boundaries(path: Path, code_field: str, actor) -> dict[str, Path]:
    """Make the checked file the boundaries in use (both files in BOUNDARIES_DIR), with an audit entry."""
    from geo import boundaries  # geopandas: loaded by boundary pages only

    try:
        before = boundaries.boundaries_source(queries.boundaries_dir())
        written = boundaries.import_boundaries(path, code_field, queries.boundaries_dir())
    except boundaries.BoundaryError as error:
        raise BoundaryProblem(f"The boundaries were not changed: {error}.") from error
    audit.record(
        "geography.boundaries_imported",
        entity_type="Boundaries",
        before={"source": before},
        after={"source": f"imported from {path.name}", "code_field": code_field},
        actor=actor,
    )
    db.session.commit()
    path.unlink(missing_ok=True)
    return written
