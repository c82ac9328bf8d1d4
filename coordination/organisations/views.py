"""Directory pages: list and search, record, create, edit, close, merge, import, map, exports, API."""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from functools import wraps

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

import geo.maps

from ..boroughs import borough_choices, borough_name
from ..errors import flash_errors
from ..extensions import csrf, db
from ..forms import errors_onto
from ..geography.interface import map_boundaries, new_page_map
from ..params import MAX_PAGE, whole_number
from ..permissions import Role, roles_required
from ..security import csp_nonce
from ..spreadsheet import csv_download
from ..terminology.interface import record_zero_result
from . import importer, operations, queries
from .forms import MergeForm, OrganisationForm, TokenForm, UploadForm, mapping_form_class
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
    return {"filters": filters, "borough_choices": borough_choices(), "type_choices": list(TYPE_TITLES.items()),
            "practice_area_choices": queries.practice_area_choices(filters.borough), "borough_name": borough_name,
            "filter_args": filters.to_args()}


@bp.get("/organisations")
@roles_required(*READERS)
def list_organisations():
    filters = _filters()
    result = queries.search_organisations(filters, _page_arg())
    if filters.q and result.total == 0 and queries.words_find_nothing(filters.q):
        record_zero_result(filters.q)
    return render_template("organisations/list.html", result=result, **_filter_context(filters))


@bp.get("/organisations/<int:org_id>")
@roles_required(*READERS)
def show_organisation(org_id: int):
    org = queries.get_organisation_or_404(org_id)
    merged_into = db.session.get(Organisation, org.merged_into_id) if org.merged_into_id else None
    return render_template("organisations/show.html", org=org, merged_into=merged_into, borough_name=borough_name,
                           reasons=org.attention_reasons(), LocationStatus=LocationStatus)


def _organisation_form(**kwargs) -> OrganisationForm:
    return OrganisationForm(borough_choices=borough_choices(),
                            practice_area_choices=queries.practice_area_choices(), **kwargs)


@bp.route("/organisations/new", methods=["GET", "POST"])
@roles_required(C)
def create_organisation():
    form = _organisation_form()
    if form.validate_on_submit():
        with errors_onto(form, "name"):
            org = operations.create_organisation(form.data_for_operation(), actor=current_user)
            flash(f"Added {org.name}.", "success")
            return redirect(url_for("organisations.show_organisation", org_id=org.id))
    return render_template("organisations/form.html", form=form, org=None)


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@roles_required(C)
def edit_organisation(org_id: int):
    org = queries.get_organisation_or_404(org_id)
    form = _organisation_form(obj=org)
    if request.method == "GET":
        form.org_type.data = org.org_type.value
        form.operates_in.data = org.operates_in_codes
        form.practice_areas.data = [c.id for c in org.practice_areas]
    if form.validate_on_submit():
        with errors_onto(form, "name"):
            operations.update_organisation(org, form.data_for_operation(), actor=current_user)
            flash(f"Saved {org.name}.", "success")
            return redirect(url_for("organisations.show_organisation", org_id=org.id))
    return render_template("organisations/form.html", form=form, org=org)


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
    return render_template("organisations/merge.html", org=org, form=form,
                           candidates=queries.possible_duplicates(org))


# --- Import -----------------------------------------------------------------------------------

_UPLOAD_NAME = re.compile(r"[0-9a-f]{32}")


def _upload_dir() -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], "organisation-imports")
    os.makedirs(path, exist_ok=True)
    return path


UPLOAD_KEEP_DAYS = 7


def _forget_old_uploads() -> None:
    """Uploads and reports hold contact details: remove any older than a week."""
    cutoff = time.time() - UPLOAD_KEEP_DAYS * 86400
    for entry in os.scandir(_upload_dir()):
        if entry.is_file() and entry.stat().st_mtime < cutoff:
            os.remove(entry.path)


def _upload_path(upload_id: str, suffix: str = ".csv") -> str:
    if not _UPLOAD_NAME.fullmatch(upload_id):
        from flask import abort

        abort(404)
    return os.path.join(_upload_dir(), upload_id + suffix)


@bp.route("/organisations/import", methods=["GET", "POST"])
@roles_required(C)
def import_upload():
    form = UploadForm()
    if form.validate_on_submit():
        _forget_old_uploads()
        raw = form.file.data.read()
        with errors_onto(form, "file"):
            importer.read_csv(raw)
            # Kept under a random name so reloading the mapping page never loses the upload.
            upload_id = secrets.token_hex(16)
            with open(_upload_path(upload_id), "wb") as handle:
                handle.write(raw)
            with open(_upload_path(upload_id, ".name"), "w", encoding="utf-8") as handle:
                handle.write(os.path.basename(form.file.data.filename or "upload.csv")[:200])
            return redirect(url_for("organisations.import_mapping", upload_id=upload_id))
    return render_template("organisations/import-upload.html", form=form)


@bp.route("/organisations/import/<upload_id>", methods=["GET", "POST"])
@roles_required(C)
def import_mapping(upload_id: str):
    path = _upload_path(upload_id)
    if not os.path.exists(path):
        flash("That upload has expired or was already imported. Upload the file again.", "error")
        return redirect(url_for("organisations.import_upload"))
    with open(path, "rb") as handle:
        upload = importer.read_csv(handle.read())
    form = mapping_form_class(upload.headers)(borough_choices=borough_choices())
    if request.method == "GET":
        for target, index in importer.guess_mapping(upload.headers).items():
            getattr(form, f"col_{target}").data = str(index)
    if form.validate_on_submit():
        mapping = {target: int(getattr(form, f"col_{target}").data) for target in importer.TARGETS
                   if getattr(form, f"col_{target}").data}
        with errors_onto(form, "col_name"):
            summary = importer.import_organisations(upload, mapping, form.operates_in.data, actor=current_user,
                                                    source=_source_name(upload_id))
            with open(_upload_path(upload_id, ".report.csv"), "w", encoding="utf-8-sig", newline="") as handle:
                handle.write(summary.report_csv())
            os.remove(path)  # imported: the file's contact details are now in the directory, not kept twice
            return render_template("organisations/import-summary.html", summary=summary, upload_id=upload_id)
    return render_template("organisations/import-mapping.html", form=form, upload=upload,
                           preview=upload.rows[:5], upload_id=upload_id)


def _source_name(upload_id: str) -> str:
    try:
        with open(_upload_path(upload_id, ".name"), encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


@bp.get("/organisations/import/<upload_id>/report.csv")
@roles_required(C)
def import_report(upload_id: str):
    path = _upload_path(upload_id, ".report.csv")
    if not os.path.exists(path):
        from flask import abort

        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="import-report.csv")


# --- Map and exports --------------------------------------------------------------------------

@bp.get("/organisations/map")
@roles_required(*READERS)
def map_organisations():
    filters = _filters()
    m = new_page_map()
    geo.maps.add_boundaries(m, map_boundaries(), name="Borough boundaries")
    parts = geo.maps.render_parts(m, nonce=csp_nonce())
    counts = queries.search_organisations(filters, 1, 1)
    points_url = url_for("organisations.map_points", **filters.to_args())
    return render_template("organisations/map.html", parts=parts, points_url=points_url, total=counts.total,
                           **_filter_context(filters))


@bp.get("/organisations/map.json")
@roles_required(*READERS)
def map_points():
    points = queries.map_points(_filters())
    return Response(json.dumps({"points": points}, separators=(",", ":")), mimetype="application/json")


@bp.get("/organisations/export.csv")
@roles_required(*READERS)
def export_csv():
    rows = queries.export_rows(_filters())
    columns = queries.EXPORT_COLUMNS
    joined = ({**row, "operates_in": "; ".join(borough_name(c) for c in row["operates_in"]),
               "practice_areas": "; ".join(row["practice_areas"])} for row in rows)
    # Names, descriptions and addresses arrive in imported files: none may run as a spreadsheet formula.
    return csv_download("organisations.csv", columns, ([row.get(c) for c in columns] for row in joined), bom=True)


# --- Open data API ----------------------------------------------------------------------------

API_ROLES = frozenset({C, F, P})


def api_access(view):
    """Signed-in staff or a coordinator-issued bearer token; anonymous callers get a 401 JSON."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
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
    return Response(json.dumps(queries.geojson(_api_filters()), separators=(",", ":")),
                    mimetype="application/geo+json")


@bp.get("/api/openreferral/organizations")
@csrf.exempt
@api_access
def api_openreferral():
    page = request.args.get("page", "1")
    per_page = request.args.get("per_page", "50")
    page = whole_number(page, 1, MAX_PAGE)
    per_page = whole_number(per_page, 50, queries.MAX_PER_PAGE)
    return jsonify(queries.openreferral_page(_api_filters(), page, per_page))


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
