"""Serve the npm packages that `make` installs (Leaflet, GOV.UK Frontend) from the app itself."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)

# Only these packages, and only browser files, are reachable; nothing else in node_modules is served.
SERVED_PACKAGES = {"leaflet", "leaflet.markercluster", "govuk-frontend"}
SERVED_SUFFIXES = {".js", ".mjs", ".css", ".png", ".svg", ".ico", ".woff", ".woff2", ".map"}


@bp.get("/vendor/<path:filename>")
def vendor(filename: str):
    package = filename.split("/", 1)[0]
    if package not in SERVED_PACKAGES or Path(filename).suffix not in SERVED_SUFFIXES:
        abort(404)
    response = send_from_directory(current_app.config["NODE_MODULES"], filename, max_age=86400)
    return response
