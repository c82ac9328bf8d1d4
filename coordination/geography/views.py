"""Borough pages: all ten on a map with a table, and one borough on its own."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..permissions import roles_required
from ..security import csp_nonce
from . import queries

bp = Blueprint("geography", __name__)


def _page_context(key: tuple, build) -> dict:
    return {
        "map_parts": queries.cached_page_map(("geography",) + key, build, csp_nonce()),
        "basemap": bool(queries.tile_url()),
        "official_boundaries": queries.official_boundaries(),
    }


@bp.get("/boroughs")
@roles_required()
def list_boroughs():
    facts = queries.borough_facts()

    def build():
        import pandas as pd

        return queries.page_maps().borough_map(
            queries.map_boundaries(),
            pd.DataFrame(facts),
            m=queries.new_page_map(),
            value_column="imd_score",
            legend_title="Deprivation (IMD 2025 average score)",
            value_format="{:.1f}",
            bins=5,
        )

    return render_template("geography/list.html", boroughs=facts, **_page_context(("all",), build))


@bp.get("/boroughs/<code>")
@roles_required()
def show_borough(code: str):
    facts = queries.borough(code.strip().upper())
    if facts is None:
        return render_template("geography/unknown.html", code=code, boroughs=queries.borough_facts()), 404

    def build():
        import pandas as pd

        return queries.page_maps().borough_map(
            queries.map_boundaries(),
            pd.DataFrame(queries.borough_facts()),
            m=queries.new_page_map(),
            highlight_code=facts["code"],
        )

    return render_template("geography/show.html", borough=facts, **_page_context((facts["code"],), build))
