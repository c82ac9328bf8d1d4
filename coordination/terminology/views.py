"""Practice areas and their words: everyone signed in reads, the coordinator edits."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..boroughs import borough_choices, borough_name
from ..errors import flash_errors
from ..forms import errors_onto, form_page
from ..params import whole_number
from ..permissions import ALL_ROLES, Role, roles_required
from . import operations, queries
from .forms import ConceptForm, LabelForm, RelationForm, SkosUploadForm
from .models import LabelKind
from .search import display_label

bp = Blueprint("terminology", __name__, url_prefix="/terms")
C = Role.COORDINATOR


@bp.app_template_global("display_label")
def _display_label_global(concept, borough_code=None):
    """Templates anywhere: {{ display_label(concept, borough_code) }}."""
    return display_label(concept, borough_code)


@bp.app_template_filter("concept_label")
def _concept_label_filter(concept, borough_code=None):
    """Templates anywhere: {{ concept | concept_label(borough_code) }}."""
    return display_label(concept, borough_code)


def _context_borough() -> str | None:
    """The borough whose words to use: ?borough=, else a partner's first borough."""
    codes = {code for code, _ in borough_choices()}
    chosen = request.args.get("borough")
    if chosen in codes:
        return chosen
    if chosen is None and current_user.role == Role.PARTNER and current_user.borough_codes:
        return current_user.borough_codes[0]
    return None


@bp.get("")
@roles_required(*ALL_ROLES)
def list_concepts():
    borough = _context_borough()
    return render_template(
        "terminology/list.html",
        concepts=queries.list_concepts(),
        borough=borough,
        boroughs=borough_choices(),
        counts=queries.tagged_counts(),
        borough_name=borough_name,
    )


@bp.get("/<int:concept_id>")
@roles_required(*ALL_ROLES)
def view_concept(concept_id: int):
    concept = queries.get_concept_or_404(concept_id)
    return render_template(
        "terminology/concept.html",
        concept=concept,
        links=queries.links_of(concept),
        borough=_context_borough(),
        borough_name=borough_name,
        tagged=queries.tagged_counts().get(concept.id, 0),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(C)
def create_concept():
    return _concept_page(None)


@bp.route("/<int:concept_id>/edit", methods=["GET", "POST"])
@roles_required(C)
def edit_concept(concept_id: int):
    return _concept_page(queries.get_concept_or_404(concept_id))


def _concept_page(concept):
    """Add a practice area (concept None) or change one: the same form, page and checks."""
    form = ConceptForm(obj=concept)

    def save():
        with errors_onto(form, "pref_label"):
            values = {"pref_label": form.pref_label.data, "definition": form.definition.data, "actor": current_user}
            if concept is None:
                saved = operations.create_concept(**values)
                flash(f"Added ‘{saved.pref_label}’.", "success")
            else:
                saved = operations.update_concept(concept, **values) or concept
                flash("Saved.", "success")
            return redirect(url_for("terminology.view_concept", concept_id=saved.id))

    return form_page(form, save, "terminology/concept-form.html", concept=concept)


@bp.post("/<int:concept_id>/remove")
@roles_required(C)
def delete_concept(concept_id: int):
    concept = queries.get_concept_or_404(concept_id)
    name = concept.pref_label
    with flash_errors():
        operations.delete_concept(concept, actor=current_user)
        flash(f"Removed ‘{name}’.", "success")
        return redirect(url_for("terminology.list_concepts"))
    return redirect(url_for("terminology.view_concept", concept_id=concept_id))


@bp.route("/<int:concept_id>/names/new", methods=["GET", "POST"])
@roles_required(C)
def add_label(concept_id: int):
    concept = queries.get_concept_or_404(concept_id)
    # The evidence report links here with the suggestion filled in.
    form = LabelForm(
        area_choices=borough_choices(),
        data=None
        if request.method == "POST"
        else {key: request.args[key] for key in ("kind", "text", "area", "evidence") if key in request.args} or None,
    )
    if form.validate_on_submit():
        with errors_onto(form, "text"):
            operations.add_label(
                concept,
                kind=form.kind.data,
                text=form.text.data,
                borough_code=None if form.area.data == "GM" else form.area.data,
                status=form.status.data,
                proposed_by=form.proposed_by.data,
                evidence=form.evidence.data,
                proposed_on=form.proposed_on.data,
                actor=current_user,
            )
            flash(f"Added ‘{form.text.data}’.", "success")
            return redirect(url_for("terminology.view_concept", concept_id=concept.id))
    return render_template("terminology/label-form.html", form=form, concept=concept)


@bp.post("/names/<int:label_id>/agree")
@roles_required(C)
def agree_label(label_id: int):
    label = queries.get_label_or_404(label_id)
    concept_id = label.concept_id
    with flash_errors():
        operations.agree_label(label, actor=current_user)
        flash(f"‘{label.text}’ is now the agreed local name.", "success")
    return redirect(url_for("terminology.view_concept", concept_id=concept_id))


@bp.post("/names/<int:label_id>/remove")
@roles_required(C)
def delete_label(label_id: int):
    label = queries.get_label_or_404(label_id)
    concept_id, text = label.concept_id, label.text
    operations.delete_label(label, actor=current_user)
    flash(f"Removed ‘{text}’.", "success")
    return redirect(url_for("terminology.view_concept", concept_id=concept_id))


@bp.route("/<int:concept_id>/links/new", methods=["GET", "POST"])
@roles_required(C)
def add_relation(concept_id: int):
    concept = queries.get_concept_or_404(concept_id)
    others = [(str(c.id), c.pref_label) for c in queries.list_concepts() if c.id != concept.id]
    form = RelationForm(concept_choices=others)
    if form.validate_on_submit():
        other = queries.get_concept_or_404(int(form.other.data))
        with errors_onto(form, "other"):
            operations.add_relation(concept, other, form.kind.data, actor=current_user)
            flash(f"Linked to ‘{other.pref_label}’.", "success")
            return redirect(url_for("terminology.view_concept", concept_id=concept.id))
    return render_template("terminology/relation-form.html", form=form, concept=concept)


@bp.post("/links/<int:relation_id>/remove")
@roles_required(C)
def delete_relation(relation_id: int):
    relation = queries.get_relation_or_404(relation_id)
    back = int(request.form.get("concept_id") or relation.source_id)
    operations.delete_relation(relation, actor=current_user)
    flash("Link removed.", "success")
    return redirect(url_for("terminology.view_concept", concept_id=back))


@bp.get("/unfound")
@roles_required(C)
def unfound_searches():
    return render_template(
        "terminology/unfound.html", searches=queries.unfound_searches(), concepts=queries.list_concepts()
    )


@bp.post("/unfound/<int:unfound_id>/add")
@roles_required(C)
def add_unfound_as_label(unfound_id: int):
    unfound = queries.get_unfound_or_404(unfound_id)
    concept_id = request.form.get("concept_id", "")
    if not whole_number(concept_id):
        flash(f"Choose the practice area that ‘{unfound.words}’ names.", "error")
        return redirect(url_for("terminology.unfound_searches"))
    concept = queries.get_concept_or_404(whole_number(concept_id))
    kind = request.form.get("kind", "alt")
    if kind not in (LabelKind.ALT.value, LabelKind.HIDDEN.value):
        abort(400)
    words = unfound.words
    with flash_errors():
        operations.add_unfound_as_label(unfound, concept, kind, actor=current_user)
        flash(f"‘{words}’ is now a name of ‘{concept.pref_label}’: searching it finds that practice area.", "success")
    return redirect(url_for("terminology.unfound_searches"))


@bp.post("/unfound/<int:unfound_id>/dismiss")
@roles_required(C)
def dismiss_unfound(unfound_id: int):
    unfound = queries.get_unfound_or_404(unfound_id)
    words = unfound.words
    operations.dismiss_unfound(unfound, actor=current_user)
    flash(f"Removed ‘{words}’ from the list.", "success")
    return redirect(url_for("terminology.unfound_searches"))


@bp.get("/evidence")
@roles_required(C, Role.PARTNER)
def evidence_report():
    codes = current_user.borough_codes if current_user.role == Role.PARTNER else [c for c, _ in borough_choices()]
    report = queries.evidence_report(codes)
    return render_template(
        "terminology/evidence.html",
        report=report,
        borough_name=borough_name,
        kind_title=queries.label_kind_title,
        can_edit=current_user.role == C,
    )


@bp.get("/export.ttl", defaults={"extension": "ttl"})
@bp.get("/export.jsonld", defaults={"extension": "jsonld"})
@roles_required(*ALL_ROLES)
def export_vocabulary(extension: str):
    from .skos import export

    fmt = "turtle" if extension == "ttl" else "json-ld"
    mimetype = "text/turtle" if extension == "ttl" else "application/ld+json"
    # content_type, not mimetype: Flask adds "; charset=utf-8" to a text/ mimetype itself (it would be said twice).
    return Response(
        export(fmt),
        content_type=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gm-practice-areas.{extension}"'},
    )


FORMATS_BY_EXTENSION = {"ttl": "turtle", "jsonld": "json-ld", "json": "json-ld", "rdf": "xml", "xml": "xml", "nt": "nt"}


def _pending_path(token: str) -> Path:
    """Where an uploaded SKOS file waits between its preview and the coordinator's confirmation."""
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        abort(404)
    return Path(current_app.config["UPLOAD_FOLDER"]) / "skos-imports" / f"{token}.rdf"


def _read_pending(token: str) -> tuple[str, str | None]:
    path = _pending_path(token)
    if not path.exists():
        abort(404)
    fmt, _, text = path.read_text(encoding="utf-8").partition("\n")
    return text, fmt or None


def _preview(text: str, fmt: str | None):
    """What importing would change, or a message saying why the file cannot be imported."""
    from rdflib.exceptions import ParserError

    from .skos import import_text

    try:
        return import_text(text, fmt, actor=current_user, dry_run=True), None
    except operations.TerminologyError as error:
        return None, f"The file cannot be imported: {error}"
    except (ParserError, SyntaxError, ValueError, TypeError) as error:
        first = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        return None, f"The file could not be read as SKOS ({fmt or 'format guessed'}): {first}"


@bp.route("/import", methods=["GET", "POST"])
@roles_required(C)
def import_vocabulary():
    form = SkosUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        extension = Path(upload.filename or "").suffix.lower().lstrip(".")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("The file must be saved as UTF-8 text")
        else:
            fmt = FORMATS_BY_EXTENSION.get(extension)
            summary, problem = _preview(text, fmt)
            if problem:
                form.file.errors.append(problem)
            else:
                token = secrets.token_urlsafe(16)
                path = _pending_path(token)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{fmt or ''}\n{text}", encoding="utf-8")
                return render_template(
                    "terminology/import-preview.html", summary=summary, token=token, filename=upload.filename
                )
    return render_template("terminology/import.html", form=form)


@bp.post("/import/confirm")
@roles_required(C)
def confirm_import():
    from .skos import import_text

    token = request.form.get("token", "")
    text, fmt = _read_pending(token)
    summary, problem = _preview(text, fmt)
    if problem:
        flash(problem, "error")
        return redirect(url_for("terminology.import_vocabulary"))
    summary = import_text(text, fmt, actor=current_user)
    _pending_path(token).unlink(missing_ok=True)
    flash(f"Imported: {summary}.", "success")
    return redirect(url_for("terminology.list_concepts"))
