"""Borough pages: all ten on a map with a table, and one borough on its own."""
from __future__ import annotations

import pandas as pd
from flask import Blueprint, current_app, render_template

from geo import maps

from ..permissions import roles_required
from ..security import csp_nonce
from . import queries

bp = Blueprint("geography", __name__)


def _map_options() -> dict:
    tile_url = current_app.config.get("TILE_URL", "")
    return {"basemap": bool(tile_url), "tiles_url": tile_url or maps.OSM_TILES}


def _new_map():
    return maps.new_map(height="100%", **_map_options())


def _page_context(m) -> dict:
    return {
        "map_parts": maps.render_parts(m, nonce=csp_nonce()),
        "basemap": _map_options()["basemap"],
        "official_boundaries": queries.official_boundaries(),
    }


@bp.get("/boroughs")
@roles_required()
def list_boroughs():
    facts = queries.borough_facts()
    m = maps.borough_map(
        queries.map_boundaries(),
        pd.DataFrame(facts),
        m=_new_map(),
        value_column="imd_score",
        legend_title="Deprivation (IMD 2025 average score)",
        value_format="{:.1f}",
        bins=5,
    )
    return render_template("geography/list.html", boroughs=facts, **_page_context(m))


@bp.get("/boroughs/<code>")
@roles_required()
def show_borough(code: str):
    facts = queries.borough(code.strip().upper())
    if facts is None:
        return render_template("geography/unknown.html", code=code, boroughs=queries.borough_facts()), 404
    m = maps.borough_map(
        queries.map_boundaries(),
        pd.DataFrame(queries.borough_facts()),
        m=_new_map(),
        highlight_code=facts["code"],
    )
    return render_template("geography/show.html", borough=facts, **_page_context(m))
