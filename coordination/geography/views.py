"""Borough pages: all ten on a map with a table, and one borough on its own."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import StringField, SubmitField

from ..errors import flash_errors
from ..forms import Length, Required, StrippedForm, errors_onto
from ..permissions import Role, roles_required
from ..security import csp_nonce
from . import operations, queries

bp = Blueprint("geography", __name__)


class BoundaryUploadForm(StrippedForm):
    file = FileField(
        "Boundary file",
        widget=GovFileInput(),
        description="GeoJSON, GeoPackage, or a Shapefile in a .zip, in any coordinate system. A national "
        "file is fine: districts other than the ten are ignored.",
        validators=[
            FileRequired("Choose a boundary file to upload"),
            FileAllowed(
                list(operations.EXTENSIONS),
                "The file must be GeoJSON (.geojson or .json), a GeoPackage (.gpkg) or a zipped Shapefile (.zip)",
            ),
        ],
    )
    code_field = StringField(
        "Field holding the district codes",
        widget=GovTextInput(),
        description="For ONS files it is LAD23CD, LAD24CD and so on.",
        validators=[
            Required("Enter the name of the field holding the district codes"),
            Length("The field name", max=100),
        ],
    )
    submit = SubmitField("Upload and check", widget=GovSubmitInput())


def _page_context(key: tuple, build, links: dict[str, str], facts: list[dict]) -> dict:
    # The frame is stored for every worker (geography.frames); it is drawn from the links and facts too.
    drawn_from = (tuple(sorted(links.items())), tuple(tuple(sorted(row.items())) for row in facts))
    parts = queries.cached_page_map(
        ("geography",) + key, build, csp_nonce(), extra=drawn_from, sources=(Path(__file__),)
    )
    return {
        "map_parts": parts,
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
    links = _links()

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
            links=links,
        )

    return render_template("geography/list.html", boroughs=facts, **_page_context(("all",), build, links, facts))


@bp.get("/boroughs/<code>")
@roles_required()
def show_borough(code: str):
    facts = queries.borough(code.strip().upper())
    if facts is None:
        return render_template("geography/unknown.html", code=code, boroughs=queries.borough_facts()), 404
    links = {other: url for other, url in _links().items() if other != facts["code"]}

    def build():
        import pandas as pd

        return queries.page_maps().borough_map(
            queries.map_boundaries(),
            pd.DataFrame(queries.borough_facts()),
            m=queries.new_page_map(),
            highlight_code=facts["code"],
            links=links,
        )

    return render_template(
        "geography/show.html", borough=facts, **_page_context((facts["code"],), build, links, queries.borough_facts())
    )


@bp.route("/boroughs/boundaries", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def import_boundaries():
    form = BoundaryUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        token = operations.keep_upload(upload.read(), upload.filename or "boundaries.geojson")
        path = operations.pending_path(token)
        with errors_onto(form, "file"):
            checks = operations.check_boundaries(path, form.code_field.data)
            return render_template(
                "geography/boundaries-check.html",
                checks=checks,
                token=token,
                code_field=form.code_field.data,
                filename=path.name,
                official=queries.official_boundaries(),
            )
    return render_template("geography/boundaries-import.html", form=form, official=queries.official_boundaries())


@bp.post("/boroughs/boundaries/confirm")
@roles_required(Role.COORDINATOR)
def confirm_boundaries():
    path = operations.pending_path(request.form.get("token", ""))
    code_field = request.form.get("code_field", "")
    if path is None:
        abort(404)
    with flash_errors():
        operations.import_boundaries(path, code_field, current_user)
        flash(f"The maps now use the boundaries from {path.name}.", "success")
        return redirect(url_for("geography.list_boroughs"))
    return redirect(url_for("geography.import_boundaries"))
