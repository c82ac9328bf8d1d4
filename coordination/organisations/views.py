"""Directory pages: list and search, record, create, edit, close, merge, import, map, exports, API."""

from __future__ import annotations

import json
import zlib
from dataclasses import astuple, replace
from datetime import date
from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from ..boroughs import borough_choices, borough_name
from ..caching import app_cache
from ..errors import flash_errors
from ..extensions import csrf, db
from ..forms import errors_onto, form_page
from ..geography.interface import cached_page_map, map_boundaries, new_page_map, page_maps
from ..params import MAX_PAGE, whole_number
from ..permissions import Role, roles_required
from ..security import csp_nonce
from ..spreadsheet import csv_download
from ..terminology.interface import record_zero_result
from ..throttle import allow, api_client
from ..versions import DIRECTORY_TABLES, VersionedCache, conditional_response, data_version
from . import clusters, map_layer, operations, queries
from .forms import MergeForm, OrganisationForm, TokenForm
from .models import TYPE_TITLES, ApiToken, LocationStatus, Organisation

bp = Blueprint("organisations", __name__)
C, F, P = Role.COORDINATOR, Role.FINANCE, Role.PARTNER
READERS = (C, P)


def _filters() -> queries.OrganisationFilters:
    default = None
    if current_user.is_authenticated and current_user.role == Role.PARTNER and current_user.borough_codes:
        default = current_user.borough_codes[0]
    return queries.OrganisationFilters.from_args(request.args, default_borough=default)


def _page_arg() -> int:
    value = request.args.get("page", "1")
    return whole_number(value, 1, MAX_PAGE)


def _filter_context(filters) -> dict:
    return {
        "filters": filters,
        "borough_choices": borough_choices(),
        "type_choices": list(TYPE_TITLES.items()),
        "practice_area_choices": queries.practice_area_choices(filters.borough),
        "borough_name": borough_name,
        "filter_args": filters.to_args(),
    }


@bp.get("/organisations")
@roles_required(*READERS)
def list_organisations():
    filters = _filters()
    result, table = _results_page(filters, _page_arg())
    if filters.q and result.total == 0 and queries.words_find_nothing(filters.q):
        record_zero_result(filters.q)
    return render_template("organisations/list.html", result=result, results_table=table, **_filter_context(filters))


def _results_page(filters, page: int) -> tuple[queries.SearchResult, Markup]:
    """A page of results and its table, found and rendered once per directory data version, filters, page
    and day (the "needs attention" tags depend on the date): paging back, the same search again, or anyone
    asking the same question costs one cache read until the directory changes."""
    key = (data_version(DIRECTORY_TABLES), astuple(filters), page, date.today(), request.script_root)

    def build():
        result = queries.search_organisations(filters, page)
        table = render_template(
            "organisations/_results.html", result=result, filter_args=filters.to_args(), borough_name=borough_name
        )
        # The page needs the total and the words, not the rows once the table is rendered: keeping them
        # would hold some 30 KB of objects per remembered page in every worker (4 MB over 128 pages). The
        # table itself is kept compressed (30 KB of HTML in 2 KB; compressing and unpacking take some 60 µs each).
        return replace(result, items=[]), zlib.compress(table.encode(), 1)

    # On the app (each app, and each test's app, has its own), not the module.
    result, table = app_cache("organisation results", maxsize=128).get_or_build(key, build)
    return result, Markup(zlib.decompress(table).decode())


@bp.get("/organisations/<int:org_id>")
@roles_required(*READERS)
def show_organisation(org_id: int):
    # With the boroughs it works in (one read, not two): the "needs attention" reasons look at them.
    org = queries.get_organisation_or_404(org_id, joinedload(Organisation.operates_in))
    merged_into = db.session.get(Organisation, org.merged_into_id) if org.merged_into_id else None
    return render_template(
        "organisations/show.html",
        org=org,
        practice_areas=queries.record_practice_areas(org),
        merged_into=merged_into,
        borough_name=borough_name,
        reasons=org.attention_reasons(),
        LocationStatus=LocationStatus,
    )


def _organisation_form(**kwargs) -> OrganisationForm:
    return OrganisationForm(
        borough_choices=borough_choices(), practice_area_choices=queries.practice_area_choices(), **kwargs
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@roles_required(C)
def create_organisation():
    return _organisation_page(None)


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@roles_required(C)
def edit_organisation(org_id: int):
    return _organisation_page(queries.get_organisation_or_404(org_id))


def _organisation_page(org):
    """Add an organisation (org None) or change one: the same form, page and checks."""
    form = _organisation_form(obj=org)
    if org is not None and request.method == "GET":
        form.org_type.data = org.org_type.value
        form.operates_in.data = org.operates_in_codes
        form.practice_areas.data = [c.id for c in org.practice_areas]

    def save():
        with errors_onto(form, "name"):
            if org is None:
                saved = operations.create_organisation(form.data_for_operation(), actor=current_user)
                flash(f"Added {saved.name}.", "success")
            else:
                saved = operations.update_organisation(org, form.data_for_operation(), actor=current_user) or org
                flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("organisations.show_organisation", org_id=saved.id))

    return form_page(form, save, "organisations/form.html", org=org)


@bp.post("/organisations/<int:org_id>/close")
@roles_required(C)
def close_organisation(org_id: int):
    return _change_status(org_id, operations.close_organisation, "{} is marked closed.")


@bp.post("/organisations/<int:org_id>/reopen")
@roles_required(C)
def reopen_organisation(org_id: int):
    return _change_status(org_id, operations.reopen_organisation, "{} is active again.")


def _change_status(org_id, operation, message):
    org = queries.get_organisation_or_404(org_id)
    with flash_errors():
        operation(org, actor=current_user)
        flash(message.format(org.name), "success")
    return redirect(url_for("organisations.show_organisation", org_id=org.id))


@bp.route("/organisations/<int:org_id>/merge", methods=["GET", "POST"])
@roles_required(C)
def merge_organisation(org_id: int):
    org = queries.get_organisation_or_404(org_id)
    form = MergeForm()
    if request.method == "GET" and whole_number(request.args.get("duplicate")):
        form.duplicate_id.data = whole_number(request.args.get("duplicate"))
    if form.validate_on_submit():
        duplicate = db.session.get(Organisation, form.duplicate_id.data)
        if duplicate is None:
            form.duplicate_id.errors = [f"There is no record number {form.duplicate_id.data}"]
        else:
            with errors_onto(form, "duplicate_id"):
                operations.merge_organisations(org, duplicate, actor=current_user)
                flash(f"Merged {duplicate.name} (record {duplicate.id}) into {org.name}.", "success")
                return redirect(url_for("organisations.show_organisation", org_id=org.id))
    return render_template("organisations/merge.html", org=org, form=form, candidates=queries.possible_duplicates(org))


# --- Map and exports --------------------------------------------------------------------------


def _map_parts() -> dict:
    """The map frame with the borough boundaries, drawn once per boundary file and tiles and stored for every
    worker (geography.frames: no folium in a worker that serves the page); only the nonce changes."""

    def build():
        m = new_page_map()
        page_maps().add_boundaries(m, map_boundaries(), name="Borough boundaries")
        return m

    return cached_page_map(("organisations",), build, csp_nonce(), sources=(Path(__file__),))


@bp.get("/organisations/map")
@roles_required(*READERS)
def map_organisations():
    filters = _filters()
    args = filters.to_args()
    return render_template(
        "organisations/map.html",
        parts=_map_parts(),
        total=_total(filters),
        clusters_url=url_for("organisations.map_clusters", **args),
        geojson_url=url_for("organisations.api_geojson", **args),
        **_filter_context(filters),
    )


def _total(filters) -> int:
    """How many records the filters find (the map page's heading), remembered per directory data version."""
    key = (data_version(DIRECTORY_TABLES), astuple(filters))
    return app_cache("organisation totals", maxsize=256).get_or_build(
        key, lambda: queries.search_organisations(filters, 1, 1).total
    )


def _filters_key(filters) -> tuple:
    return tuple(sorted(filters.to_args().items()))


@bp.get("/organisations/map/clusters.json")
@roles_required(*READERS)
def map_clusters():
    """What one view of the map needs: clusters for its zoom and bounding box (individual organisations close in)."""
    filters = _filters()
    zoom, bbox = clusters.parse_view(request.args.get("zoom"), request.args.get("bbox"))
    version = data_version(DIRECTORY_TABLES)
    key = (version, _filters_key(filters))

    def build():
        layer = map_layer.layer(filters, version)
        return json.dumps(layer.view(zoom, bbox, labels=queries.map_labels), separators=(",", ":"))

    return conditional_response(("clusters", key, zoom, bbox), build)


_POINTS = VersionedCache(size=4)


@bp.get("/organisations/map.json")
@roles_required(*READERS)
def map_points():
    """The full layer (every matching located organisation), for download; the map itself asks for clusters."""
    filters = _filters()
    key = (data_version(DIRECTORY_TABLES), _filters_key(filters))
    return conditional_response(
        ("points", key),
        lambda: _POINTS.get_or_build(
            key, lambda: json.dumps({"points": queries.map_points(filters)}, separators=(",", ":")).encode()
        ),
    )


@bp.get("/organisations/export.csv")
@roles_required(*READERS)
def export_csv():
    rows = queries.export_rows(_filters())
    columns = queries.EXPORT_COLUMNS
    joined = (
        {
            **row,
            "operates_in": "; ".join(borough_name(c) for c in row["operates_in"]),
            "practice_areas": "; ".join(row["practice_areas"]),
        }
        for row in rows
    )
    # Names, descriptions and addresses arrive in imported files: none may run as a spreadsheet formula.
    return csv_download("organisations.csv", columns, ([row.get(c) for c in columns] for row in joined), bom=True)


# --- Open data API ----------------------------------------------------------------------------

API_ROLES = frozenset({C, F, P})


def api_access(view):
    """Signed-in staff or a coordinator-issued bearer token; anonymous callers get a 401 JSON."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        # Bearer-token and anonymous callers count per token or address (a guessed token costs a try too);
        # signed-in staff use the API through the pages and are not counted.
        if (header.startswith("Bearer ") or not current_user.is_authenticated) and not allow(
            "api", "API_RATE_LIMIT", api_client()
        ):
            return _api_error(429, "Too many requests: wait a minute, then try again")
        if header.startswith("Bearer "):
            token = operations.check_api_token(header[7:].strip())
            if token is None:
                return _api_error(401, "The API token is not valid or has been revoked")
            g.api_token = token
            return view(*args, **kwargs)
        if not current_user.is_authenticated:
            return _api_error(401, "Sign in, or send an API token as 'Authorization: Bearer <token>'")
        if current_user.role not in API_ROLES:
            return _api_error(403, "Your account cannot use the open data API")
        return view(*args, **kwargs)

    wrapped.allowed_roles = API_ROLES
    return wrapped


def _api_error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="organisations"'
    return response


def _api_filters():
    return queries.OrganisationFilters.from_args(request.args)


@bp.get("/api/organisations.geojson")
@csrf.exempt
@api_access
def api_geojson():
    """Every located match as GeoJSON (streamed), or one page of it with ?page=&per_page= (up to 5,000)."""
    filters = _api_filters()
    page = whole_number(request.args.get("page"), 1, MAX_PAGE) if "page" in request.args else None
    per_page = whole_number(request.args.get("per_page", "1000"), 1000, queries.GEOJSON_MAX_PER_PAGE)
    key = (data_version(DIRECTORY_TABLES), _filters_key(filters), page, per_page)
    return conditional_response(
        ("geojson", key),
        lambda: queries.geojson_chunks(filters, page=page, per_page=per_page),
        mimetype="application/geo+json",
    )


@bp.get("/api/openreferral/organizations")
@csrf.exempt
@api_access
def api_openreferral():
    """One Open Referral (HSDS 3) page, streamed: ?page= and ?per_page= (up to 200), with the totals."""
    page = whole_number(request.args.get("page", "1"), 1, MAX_PAGE)
    per_page = whole_number(request.args.get("per_page", "50"), 50, queries.MAX_PER_PAGE)
    filters = _api_filters()
    key = (data_version(DIRECTORY_TABLES), _filters_key(filters), page, per_page)
    return conditional_response(("openreferral", key), lambda: queries.openreferral_chunks(filters, page, per_page))


@bp.route("/organisations/api-tokens", methods=["GET", "POST"])
@roles_required(C)
def list_tokens():
    form = TokenForm()
    if form.validate_on_submit():
        with errors_onto(form, "name"):
            token, secret = operations.issue_api_token(form.name.data, actor=current_user)
            return render_template("organisations/token-issued.html", token=token, secret=secret)
    return render_template("organisations/tokens.html", form=form, tokens=queries.list_api_tokens())


@bp.post("/organisations/api-tokens/<int:token_id>/revoke")
@roles_required(C)
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        from flask import abort

        abort(404)
    with flash_errors():
        operations.revoke_api_token(token, actor=current_user)
        flash(f"The token for {token.name} no longer works.", "success")
    return redirect(url_for("organisations.list_tokens"))


# The import pages live in their own module (upload, columns, progress, report, undo) on this blueprint.
from . import import_views  # noqa: E402,F401
