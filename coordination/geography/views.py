"""Borough pages: all ten on a map with a table, and one borough on its own."""
from __future__ import annotations

import pandas as pd
from flask import Blueprint, render_template, url_for

from geo import maps

from ..permissions import roles_required
from ..security import csp_nonce
from . import queries

bp = Blueprint("geography", __name__)


def _page_context(m) -> dict:
    return {
        "map_parts": maps.render_parts(m, nonce=csp_nonce()),
        "basemap": bool(queries.tile_url()),
        "tile_attribution": queries.tile_attribution(),
        "official_boundaries": queries.official_boundaries(),
    }


def _links() -> dict[str, str]:
    """Each borough's page, opened by Enter (or a click) on its shape."""
    return {row["code"]: url_for("geography.show_borough", code=row["code"]) for row in queries.borough_facts()}


@bp.get("/boroughs")
@roles_required()
def list_boroughs():
    facts = queries.borough_facts()
    m = maps.borough_map(
        queries.map_boundaries(),
        pd.DataFrame(facts),
        m=queries.new_page_map(),
        value_column="imd_score",
        legend_title="Deprivation (IMD 2025 average score)",
        value_format="{:.1f}",
        bins=5,
        links=_links(),
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
        m=queries.new_page_map(),
        highlight_code=facts["code"],
        links={code: url for code, url in _links().items() if code != facts["code"]},
    )
    return render_template("geography/show.html", borough=facts, **_page_context(m))
