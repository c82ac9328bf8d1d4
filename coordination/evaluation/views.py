"""Evaluation: coordinators build questionnaires and open links; anyone with a link answers; the impact report."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask import Response as HttpResponse
from flask_login import current_user

from ..boroughs import borough_choices, borough_name
from ..communities.models import Community, Event
from ..errors import being_prepared, caught, flash_errors
from ..forms import errors_onto, form_page
from ..params import whole_number
from ..permissions import Role, roles_required
from ..spreadsheet import csv_download
from . import charts, equality, operations, periods, queries, report
from .forms import ComparatorForm, InvitationsForm, QuestionForm, QuestionnaireForm, RoundForm, ThemeForm
from .models import (
    Answer,
    Channel,
    Comparator,
    PublishedReport,
    Questionnaire,
    QuestionnaireKind,
    SurveyRound,
    Theme,
)
from .questions import display_answer, options_for, parse_answer
from .themes import suggest_themes

bp = Blueprint("evaluation", __name__)


@bp.errorhandler(report.NotReady)
def _being_prepared(_error):
    return being_prepared("Impact report figures", "evaluation", "partners-small-numbers-protected")


C, P = Role.COORDINATOR, Role.PARTNER
COOKIE_DAYS = operations.DRAFT_DAYS


# =========================================================================== coordinators


@bp.get("/evaluation")
@roles_required(C)
def overview():
    return render_template(
        "evaluation/overview.html", questionnaires=queries.list_questionnaires(), rounds=queries.list_rounds()
    )


@bp.post("/evaluation/ready-made")
@roles_required(C)
def add_ready_made():
    created = operations.ensure_ready_made(actor=current_user)
    flash(
        f"Added {len(created)} ready-made questionnaire{'s' if len(created) != 1 else ''}."
        if created
        else "The ready-made questionnaires are already here.",
        "success",
    )
    return redirect(url_for("evaluation.overview"))


@bp.route("/evaluation/questionnaires/new", methods=["GET", "POST"])
@roles_required(C)
def create_questionnaire():
    return _questionnaire_page(None)


@bp.route("/evaluation/questionnaires/<int:questionnaire_id>/edit", methods=["GET", "POST"])
@roles_required(C)
def edit_questionnaire(questionnaire_id: int):
    return _questionnaire_page(queries.get_or_404(Questionnaire, questionnaire_id))


def _questionnaire_page(questionnaire: Questionnaire | None):
    """Create a questionnaire (None) or change its details: the same form, page and checks."""
    form = QuestionnaireForm(obj=questionnaire)
    if questionnaire is not None:
        form.submit.label.text = "Save details"
        if request.method == "GET":
            form.kind.data, form.intro.data = questionnaire.kind.value, questionnaire.current.intro

    def save():
        with errors_onto(form, "name"):
            values = {
                "name": form.name.data,
                "kind": form.kind.data,
                "description": form.description.data,
                "intro": form.intro.data,
                "actor": current_user,
            }
            if questionnaire is None:
                saved = operations.create_questionnaire(**values)
                flash(f"Created {saved.name}. Add its questions.", "success")
            else:
                saved = operations.update_questionnaire(questionnaire, **values) or questionnaire
                flash("Details saved.", "success")
            return redirect(url_for("evaluation.questionnaire_detail", questionnaire_id=saved.id))

    if questionnaire is None:
        return form_page(
            form, save, "evaluation/form.html", title="Create a questionnaire", back=url_for("evaluation.overview")
        )
    return form_page(
        form,
        save,
        "evaluation/form.html",
        title=f"Change {questionnaire.name}",
        back=url_for("evaluation.questionnaire_detail", questionnaire_id=questionnaire.id),
        notice="People have already answered this version, so a new introduction makes a new version."
        if operations.version_has_answers(questionnaire.current)
        else None,
    )


@bp.get("/evaluation/questionnaires/<int:questionnaire_id>")
@roles_required(C)
def questionnaire_detail(questionnaire_id: int):
    questionnaire = queries.get_or_404(Questionnaire, questionnaire_id)
    number = whole_number(request.args.get("version"))
    version = next((v for v in questionnaire.versions if v.number == number), questionnaire.current)
    return render_template(
        "evaluation/questionnaire.html",
        questionnaire=questionnaire,
        version=version,
        answered=operations.version_has_answers(questionnaire.current),
        rounds=queries.list_rounds(questionnaire.id),
        options_for=options_for,
    )


def _question_form(questionnaire: Questionnaire, key: str | None):
    question = questionnaire.current.question(key) if key else None
    if key and question is None:
        abort(404)
    form = QuestionForm()
    if question and request.method == "GET":
        form.text.data, form.hint.data, form.kind.data = question["text"], question.get("hint"), question["type"]
        form.required.data, form.role.data = question.get("required"), question.get("role") or ""
        if question["type"] in ("choose_one", "choose_many"):
            form.options.data = "\n".join(label for _, label in question.get("options", []))
    return form


@bp.route(
    "/evaluation/questionnaires/<int:questionnaire_id>/questions/new", methods=["GET", "POST"], defaults={"key": None}
)
@bp.route("/evaluation/questionnaires/<int:questionnaire_id>/questions/<key>", methods=["GET", "POST"])
@roles_required(C)
def edit_question(questionnaire_id: int, key: str | None):
    questionnaire = queries.get_or_404(Questionnaire, questionnaire_id)
    form = _question_form(questionnaire, key)
    if form.validate_on_submit():
        with errors_onto(form, "options"):
            version = operations.save_question(
                questionnaire,
                key,
                text=form.text.data,
                kind=form.kind.data,
                hint=form.hint.data,
                required=form.required.data,
                options_text=form.options.data,
                role=form.role.data,
                actor=current_user,
            )
            flash(f"Question saved in version {version.number}.", "success")
            return redirect(url_for("evaluation.questionnaire_detail", questionnaire_id=questionnaire.id))
    answered = operations.version_has_answers(questionnaire.current)
    return render_template(
        "evaluation/form.html",
        form=form,
        back=url_for("evaluation.questionnaire_detail", questionnaire_id=questionnaire.id),
        title="Change a question" if key else "Add a question",
        notice="People have already answered this version, so saving makes a new version. Their answers stay "
        "with the questions they were asked."
        if answered
        else None,
    )


@bp.post("/evaluation/questionnaires/<int:questionnaire_id>/questions/<key>/<action>")
@roles_required(C)
def change_question(questionnaire_id: int, key: str, action: str):
    questionnaire = queries.get_or_404(Questionnaire, questionnaire_id)
    if action not in ("remove", "up", "down"):
        abort(404)
    with flash_errors():
        if action == "remove":
            operations.remove_question(questionnaire, key, actor=current_user)
            flash("Question removed.", "success")
        else:
            operations.move_question(questionnaire, key, -1 if action == "up" else 1, actor=current_user)
    return redirect(url_for("evaluation.questionnaire_detail", questionnaire_id=questionnaire.id))


# --------------------------------------------------------------------------- rounds


def _round_form() -> RoundForm:
    form = RoundForm(
        questionnaires=queries.questionnaire_choices(),
        events=queries.event_choices(),
        communities=queries.community_choices(),
        boroughs=borough_choices(),
    )
    if request.method == "GET":
        form.questionnaire_id.data = whole_number(request.args.get("questionnaire_id"))
        event = queries.find(Event, whole_number(request.args.get("event_id")))
        if event is not None:  # "Collect feedback" on an event page: event feedback about that event
            form.event_id.data, form.title.data = event.id, f"Feedback: {event.title}"
            form.community_id.data = event.community_id
            form.questionnaire_id.data = form.questionnaire_id.data or queries.questionnaire_id_for(
                QuestionnaireKind.EVENT_FEEDBACK
            )
    return form


@bp.route("/evaluation/rounds/new", methods=["GET", "POST"])
@roles_required(C)
def create_round():
    form = _round_form()
    if form.validate_on_submit():
        questionnaire = queries.get_or_404(Questionnaire, form.questionnaire_id.data)
        with errors_onto(form, "questionnaire_id"):
            survey_round = operations.open_round(
                questionnaire,
                title=form.title.data,
                programme=form.programme.data,
                event_id=form.event_id.data,
                community_id=form.community_id.data,
                borough_code=form.borough_code.data,
                expected_count=form.expected_count.data,
                personal_only=form.personal_only.data,
                ask_equality=form.ask_equality.data,
                actor=current_user,
            )
            flash("The link is open. Share it, print its QR code or create personal links.", "success")
            return redirect(url_for("evaluation.round_detail", round_id=survey_round.id))
    return render_template(
        "evaluation/form.html", form=form, title="Collect answers", back=url_for("evaluation.overview")
    )


def _public_link(survey_round: SurveyRound) -> str:
    return url_for("evaluation.survey_start", token=survey_round.token, _external=True)


@bp.get("/evaluation/rounds/<int:round_id>")
@roles_required(C)
def round_detail(round_id: int):
    survey_round = queries.get_or_404(SurveyRound, round_id)
    return render_template(
        "evaluation/round.html",
        survey_round=survey_round,
        link=_public_link(survey_round),
        summary=queries.round_summary(survey_round),
        channels=Channel,
    )


@bp.get("/evaluation/rounds/<int:round_id>/qr-code.svg")
@roles_required(C)
def round_qr(round_id: int):
    survey_round = queries.get_or_404(SurveyRound, round_id)
    svg = charts.qr_svg(_public_link(survey_round), title=f"QR code for {survey_round.title}")
    disposition = "attachment" if request.args.get("download") else "inline"
    return HttpResponse(
        svg,
        mimetype="image/svg+xml",
        headers={"Content-Disposition": f'{disposition}; filename="survey-{survey_round.id}.svg"'},
    )


@bp.post("/evaluation/rounds/<int:round_id>/<action>")
@roles_required(C)
def change_round(round_id: int, action: str):
    survey_round = queries.get_or_404(SurveyRound, round_id)
    if action not in ("close", "reopen", "replace-link"):
        abort(404)
    with flash_errors():
        if action == "replace-link":
            operations.replace_round_link(survey_round, actor=current_user)
            flash("The old link and QR code no longer work. Share the new ones.", "success")
        else:
            operations.set_round_status(survey_round, "closed" if action == "close" else "open", actor=current_user)
            flash(
                "The link is closed: people who open it are told politely."
                if action == "close"
                else "The link is open again.",
                "success",
            )
    return redirect(url_for("evaluation.round_detail", round_id=survey_round.id))


@bp.route("/evaluation/rounds/<int:round_id>/personal-links", methods=["GET", "POST"])
@roles_required(C)
def create_invitations(round_id: int):
    survey_round = queries.get_or_404(SurveyRound, round_id)
    form = InvitationsForm()
    if form.validate_on_submit():
        with errors_onto(form, "labels"):
            issued = operations.create_invitations(survey_round, form.labels.data.splitlines(), actor=current_user)
            links = [
                (invitation.label, url_for("evaluation.invitation_start", token=token, _external=True))
                for invitation, token in issued
            ]
            if request.form.get("format") == "csv":
                return csv_download(f"personal-links-{survey_round.id}.csv", ["For", "Personal link"], links)
            return render_template("evaluation/invitations-issued.html", survey_round=survey_round, links=links)
    return render_template(
        "evaluation/form.html",
        form=form,
        title="Create personal links",
        caption=survey_round.title,
        csv_choice=True,
        notice="Each link works for one response. You will see the links once: copy them or download them now.",
        back=url_for("evaluation.round_detail", round_id=survey_round.id),
    )


@bp.route("/evaluation/rounds/<int:round_id>/type-in", methods=["GET", "POST"])
@roles_required(C)
def enter_response(round_id: int):
    """Type in a paper form or phone answers; everything typed comes back when something needs fixing."""
    survey_round = queries.get_or_404(SurveyRound, round_id)
    version = survey_round.version
    values, errors = {}, {}
    if request.method == "POST":
        for question in version.questions:
            value, error = parse_answer(question, request.form.getlist(question["key"]))
            values[question["key"]] = value if error is None else request.form.getlist(question["key"])
            if error:
                errors[question["key"]] = error
        channel = request.form.get("channel", "")
        if channel not in ("paper", "phone"):
            errors["channel"] = "Choose whether the answers came on paper or by phone"
        name = (request.form.get("name") or "").strip()
        if len(name) > 120:
            errors["name"] = "Name must be 120 characters or fewer"
        equality_values = {
            c.key: request.form.get(f"eq-{c.key}")
            for c in equality.CATEGORIES
            if request.form.get(f"eq-{c.key}") in dict(c.all_options)
        }
        if equality_values and request.form.get("eq-consent") != "yes":
            errors["eq-consent"] = "Tick to confirm the person agreed to their equality answers being kept"
        if not errors:
            with caught() as attempt:
                _, code = operations.enter_response(
                    survey_round,
                    answers=values,
                    channel=channel,
                    name=name,
                    quote_consent=request.form.get("quote") == "yes",
                    equality_values=equality_values or None,
                    actor=current_user,
                )
                flash(
                    "Response saved."
                    + (f" Give the person this code to delete their equality answers later: {code}" if code else ""),
                    "success",
                )
                return redirect(url_for("evaluation.enter_response", round_id=survey_round.id))
            errors["channel"] = str(attempt.error)
    return render_template(
        "evaluation/type-in.html",
        survey_round=survey_round,
        version=version,
        values=values,
        errors=errors,
        form_values=request.form,
        categories=equality.CATEGORIES,
        options_for=options_for,
    ), (400 if errors else 200)


# --------------------------------------------------------------------------- the impact report


def _scope() -> tuple[queries.Scope, periods.Choice]:
    """The report's scope from the query string, with the period chosen (and any errors in typed dates)."""
    borough = request.args.get("borough") or None
    if borough and borough not in dict(borough_choices()):
        borough = None
    partner = current_user.role == Role.PARTNER
    args = request.args
    if partner:
        # Partners choose financial years only: overlapping periods (two typed spans a day apart, a year and its
        # quarters) could be subtracted one from the other to reveal a count the protection hid.
        allowed = {p.key: p for p in periods.partner_periods()}
        chosen = allowed.get(args.get("period") or "") or periods.partner_periods()[0]
        choice = periods.Choice(chosen)
    else:
        choice = periods.chosen(args)
    scope = queries.Scope(
        programme=None if partner else (request.args.get("programme") or None),
        community_id=None if partner else whole_number(request.args.get("community_id")),
        borough_code=borough,
        start=choice.period.start,
        end=choice.period.end,
        period_key=choice.period.key,
        period_label=choice.period.label,
    )
    if partner:
        own = tuple(current_user.borough_codes)
        scope.boroughs = own
        if scope.borough_code not in own:
            scope.borough_code = own[0] if own else "none"
    return scope, choice


def _view() -> str:
    return "partner" if current_user.role == Role.PARTNER else "coordinator"


@bp.get("/evaluation/report")
@roles_required(C, P)
def impact_report():
    scope, choice = _scope()
    partner = current_user.role == Role.PARTNER
    boroughs = [(c, n) for c, n in borough_choices() if not partner or c in current_user.borough_codes]
    shown = None if choice.errors else report.figures(scope, _view())
    return render_template(
        "evaluation/report.html",
        report=shown,
        display=report.display,
        charts=charts,
        programmes=queries.programme_choices(),
        communities=queries.community_choices(),
        boroughs=boroughs,
        scope=scope,
        choice=choice,
        named_periods=periods.partner_periods() if partner else periods.named_periods(),
        borough_name=borough_name,
        is_partner=partner,
        public=False,
    ), (400 if choice.errors else 200)


@bp.get("/evaluation/report.csv")
@roles_required(C, P)
def impact_report_csv():
    scope, choice = _scope()
    if choice.errors:
        abort(400, "; ".join(choice.errors.values()))
    rows = report.csv_rows(report.figures(scope, _view()))
    return csv_download("impact-report.csv", rows[0], rows[1:], bom=True)


# --------------------------------------------------------------------------- public versions


def _default_title(scope: queries.Scope) -> str:
    parts = ["Impact report"]
    if scope.programme:
        parts.append(scope.programme)
    parts.append(borough_name(scope.borough_code) if scope.borough_code else "Greater Manchester")
    if scope.period_key != periods.ALL:
        parts.append(scope.period_label)
    return ", ".join(parts)


@bp.route("/evaluation/report/publish", methods=["GET", "POST"])
@roles_required(C)
def publish_report():
    scope, choice = _scope()
    if choice.errors:
        return redirect(url_for("evaluation.impact_report", **request.args))
    # A title comes back on the "check the preview again" link too, so nothing typed is lost by waiting.
    sent = request.form if request.method == "POST" else request.args
    title = sent.get("title", _default_title(scope))
    error = None
    if request.method == "POST":
        with caught() as attempt:
            published = operations.publish_report(scope, title=title, actor=current_user)
            flash(f"Published '{published.title}'. Anyone with the link can read it.", "success")
            return redirect(url_for("evaluation.list_published"))
        error = str(attempt.error)
    try:
        preview, preview_ready = report.figures(scope, "public"), True
    except report.NotReady:  # being worked out in the background: the page says so and stays usable
        preview, preview_ready = report.figures(scope, "coordinator"), False
    return render_template(
        "evaluation/publish.html",
        scope=scope,
        title=title,
        error=error,
        preview=preview,
        preview_ready=preview_ready,
        borough_name=borough_name,
        community=queries.find(Community, scope.community_id),
    ), (400 if error else 200)


@bp.get("/evaluation/published")
@roles_required(C)
def list_published():
    published = queries.published_reports()
    withheld = {p.id: report.withheld_by(p) for p in published if p.live}
    return render_template(
        "evaluation/published.html", published=published, withheld=withheld, borough_name=borough_name
    )


@bp.post("/evaluation/published/<int:published_id>/revoke")
@roles_required(C)
def revoke_published(published_id: int):
    published = queries.get_or_404(PublishedReport, published_id)
    with flash_errors():
        operations.revoke_report(published, actor=current_user)
        flash(f"'{published.title}' is no longer public. Its link now says so.", "success")
    return redirect(url_for("evaluation.list_published"))


def _public_report(token: str):
    """The live published report and its figures; None when there is none, or when it now overlaps an older one."""
    published = queries.live_published(token)
    if published is None or report.withheld_by(published):
        return None, None
    return published, report.published_figures(published)


@bp.get("/impact/<token>")
def public_report(token: str):
    published, shown = _public_report(token)
    if published is None:
        return render_template("evaluation/not-published.html"), 404
    return render_template(
        "evaluation/report.html",
        report=shown,
        display=report.display,
        charts=charts,
        scope=queries.scope_of(published),
        published=published,
        borough_name=borough_name,
        is_partner=False,
        public=True,
    )


@bp.get("/impact/<token>.csv")
def public_report_csv(token: str):
    published, shown = _public_report(token)
    if published is None:
        abort(404)
    rows = report.csv_rows(shown)
    return csv_download("impact-report.csv", rows[0], rows[1:], bom=True)


# --------------------------------------------------------------------------- comparators and themes


@bp.route("/evaluation/comparators", methods=["GET", "POST"])
@roles_required(C)
def list_comparators():
    form = ComparatorForm()
    if form.validate_on_submit():
        with errors_onto(form, "percent"):
            operations.add_comparator(
                measure=form.measure.data,
                name=form.name.data,
                percent=form.percent.data,
                source=form.source.data,
                source_url=form.source_url.data,
                actor=current_user,
            )
            flash("Comparator added.", "success")
            return redirect(url_for("evaluation.list_comparators"))
    from sqlalchemy import select

    from ..extensions import db

    configured = list(db.session.scalars(select(Comparator).order_by(Comparator.measure, Comparator.name)))
    census = [(m, equality.census_comparator(m)) for m in equality.MEASURES]
    return render_template(
        "evaluation/comparators.html",
        form=form,
        configured=configured,
        census=census,
        census_rows=equality.census_rows(),
        measures={m.key: m.label for m in equality.MEASURES},
    )


@bp.post("/evaluation/comparators/<int:comparator_id>/remove")
@roles_required(C)
def remove_comparator(comparator_id: int):
    operations.remove_comparator(queries.get_or_404(Comparator, comparator_id), actor=current_user)
    flash("Comparator removed.", "success")
    return redirect(url_for("evaluation.list_comparators"))


@bp.route("/evaluation/themes", methods=["GET", "POST"], defaults={"theme_id": None})
@bp.route("/evaluation/themes/<int:theme_id>", methods=["GET", "POST"])
@roles_required(C)
def list_themes(theme_id: int | None):
    theme = queries.get_or_404(Theme, theme_id) if theme_id else None
    form = ThemeForm(obj=theme)
    if theme and request.method == "GET":
        form.kind.data = theme.kind.value
    if form.validate_on_submit():
        with errors_onto(form, "name"):
            operations.save_theme(
                theme, name=form.name.data, kind=form.kind.data, words=form.words.data, actor=current_user
            )
            flash("Theme saved.", "success")
            return redirect(url_for("evaluation.list_themes"))
    return render_template("evaluation/themes.html", form=form, theme=theme, themes=queries.list_themes())


@bp.post("/evaluation/themes/<int:theme_id>/remove")
@roles_required(C)
def remove_theme(theme_id: int):
    operations.remove_theme(queries.get_or_404(Theme, theme_id), actor=current_user)
    flash("Theme removed; answers tagged with it keep their other themes.", "success")
    return redirect(url_for("evaluation.list_themes"))


@bp.get("/evaluation/tagging")
@roles_required(C)
def tag_answers():
    themes = queries.list_themes()
    role = request.args.get("role") if request.args.get("role") in ("barriers", "enablers", "story") else None
    theme_id = whole_number(request.args.get("theme"))
    answers = queries.answers_for_tagging(role=role, theme_id=theme_id, untagged=request.args.get("untagged") == "1")
    suggestions = suggest_themes([a.text for a in answers], themes)
    return render_template(
        "evaluation/tagging.html",
        answers=answers,
        themes=themes,
        suggestions=suggestions,
        role=role,
        theme_id=theme_id,
        untagged=request.args.get("untagged") == "1",
    )


@bp.post("/evaluation/answers/<int:answer_id>/themes")
@roles_required(C)
def tag_answer(answer_id: int):
    answer = queries.get_or_404(Answer, answer_id)
    ids = [whole_number(v) for v in request.form.getlist("theme") if whole_number(v)]
    with flash_errors():
        operations.tag_answer(answer, ids, actor=current_user)
        flash("Themes saved.", "success")
    back = request.form.get("back", "")
    return redirect(
        back if back.startswith("/evaluation/tagging") else url_for("evaluation.tag_answers") + f"#answer-{answer.id}"
    )


# =========================================================================== people answering (no account)

PUBLIC_ENDPOINTS = {
    "evaluation.survey_start",
    "evaluation.invitation_start",
    "evaluation.survey_question",
    "evaluation.survey_about",
    "evaluation.survey_equality",
    "evaluation.survey_equality_question",
    "evaluation.survey_check",
    "evaluation.survey_done",
    "evaluation.delete_equality",
}
MAX_PUBLIC_POST = 64 * 1024  # one answer page is at most a few kilobytes


@bp.before_request
def _bound_anonymous_posts():
    """Anyone can post to a survey link: refuse big bodies before they are read (413), not after."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        request.max_content_length = MAX_PUBLIC_POST
        request.max_form_parts = 200


def _cookie_name(survey_round: SurveyRound) -> str:
    return f"survey_{survey_round.id}"


def _closed(survey_round: SurveyRound | None):
    """The polite page for a link that is closed or does not exist (410 Gone / 404)."""
    if survey_round is None:
        return render_template("evaluation/answer/unknown.html"), 404
    return render_template("evaluation/answer/closed.html", survey_round=survey_round), 410


def _open_round(token: str):
    survey_round = queries.round_by_token(token)
    if survey_round is None or not survey_round.is_open:
        return survey_round, _closed(survey_round)
    return survey_round, None


def _draft(survey_round: SurveyRound):
    return queries.draft_for(request.cookies.get(_cookie_name(survey_round)), survey_round)


def _steps(survey_round: SurveyRound, draft) -> list[tuple[str, str]]:
    """The pages in order: one per question, 'about you', the equality questions if chosen, then the check."""
    steps = [("question", q["key"]) for q in survey_round.version.questions]
    steps.append(("about", ""))
    if survey_round.ask_equality:
        steps.append(("equality", ""))
        if (draft.equality or {}).get("consent") == "yes":
            steps += [("equality_question", c.key) for c in equality.CATEGORIES]
    steps.append(("check", ""))
    return steps


def _url(survey_round: SurveyRound, step: tuple[str, str]) -> str:
    kind, key = step
    token = survey_round.token
    return {
        "question": lambda: url_for("evaluation.survey_question", token=token, key=key),
        "about": lambda: url_for("evaluation.survey_about", token=token),
        "equality": lambda: url_for("evaluation.survey_equality", token=token),
        "equality_question": lambda: url_for("evaluation.survey_equality_question", token=token, key=key),
        "check": lambda: url_for("evaluation.survey_check", token=token),
    }[kind]()


def _next(survey_round, draft, step) -> str:
    if request.values.get("change") == "1" and step[0] != "equality":
        return _url(survey_round, ("check", ""))
    steps = _steps(survey_round, draft)
    return _url(survey_round, steps[min(steps.index(step) + 1, len(steps) - 1)])


def _back(survey_round, draft, step) -> str:
    steps = _steps(survey_round, draft)
    index = steps.index(step) if step in steps else 0
    return (
        _url(survey_round, steps[index - 1])
        if index > 0
        else url_for("evaluation.survey_start", token=survey_round.token)
    )


def _with_cookie(response, survey_round: SurveyRound, key: str):
    response.set_cookie(
        _cookie_name(survey_round),
        key,
        max_age=COOKIE_DAYS * 86400,
        path="/survey/",
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def _begin(survey_round: SurveyRound, invitation=None):
    with caught() as attempt:
        draft, key = operations.start_draft(survey_round, invitation)
        return _with_cookie(redirect(_url(survey_round, _steps(survey_round, draft)[0])), survey_round, key)
    return render_template(
        "evaluation/answer/start.html",
        survey_round=survey_round,
        error=str(attempt.error),
        draft=None,
        invitation=invitation,
    ), 503


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey_start(token: str):
    survey_round, closed = _open_round(token)
    if closed:
        return closed
    draft = _draft(survey_round)
    if request.method == "POST":
        if draft is not None:
            return redirect(_url(survey_round, _steps(survey_round, draft)[0]))
        if survey_round.personal_only:
            abort(403)
        return _begin(survey_round)
    return render_template("evaluation/answer/start.html", survey_round=survey_round, draft=draft, invitation=None)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation_start(token: str):
    invitation = queries.invitation_by_token(token)
    if invitation is None:
        return render_template("evaluation/answer/unknown.html"), 404
    survey_round = invitation.survey_round
    if not survey_round.is_open:
        return _closed(survey_round)
    if invitation.used:
        return render_template("evaluation/answer/already.html", survey_round=survey_round), 410
    if request.method == "POST":
        return _begin(survey_round, invitation)
    return render_template(
        "evaluation/answer/start.html", survey_round=survey_round, draft=_draft(survey_round), invitation=invitation
    )


def _round_and_draft(token: str):
    """The open round and this browser's saved answers, or the page to show instead (closed link, lost draft)."""
    survey_round, closed = _open_round(token)
    if closed:
        return survey_round, None, closed
    draft = _draft(survey_round)
    if draft is None:
        return survey_round, None, _lost(survey_round)
    return survey_round, draft, None


def _lost(survey_round: SurveyRound):
    flash("We could not find your answers on this device (they are kept for 14 days). Start again below.", "info")
    return redirect(url_for("evaluation.survey_start", token=survey_round.token))


@bp.route("/survey/<token>/questions/<key>", methods=["GET", "POST"])
def survey_question(token: str, key: str):
    survey_round, draft, stop = _round_and_draft(token)
    if stop is not None:
        return stop
    question = survey_round.version.question(key)
    if question is None:
        abort(404)
    step = ("question", key)
    value, error = (draft.answers or {}).get(key), None
    if request.method == "POST":
        raw = request.form.getlist("answer")
        value, error = parse_answer(question, raw)
        if error is None:
            with caught() as attempt:
                operations.save_draft_part(draft, "answers", key, value)
                return redirect(_next(survey_round, draft, step))
            error = str(attempt.error)
        value = raw if question["type"] == "choose_many" else (raw[0] if raw else "")
    steps = _steps(survey_round, draft)
    return render_template(
        "evaluation/answer/question.html",
        survey_round=survey_round,
        question=question,
        value=value,
        error=error,
        options=options_for(question),
        back=_back(survey_round, draft, step),
        number=steps.index(step) + 1,
        total=len(survey_round.version.questions),
        change=request.values.get("change") == "1",
    ), (400 if error else 200)


@bp.route("/survey/<token>/about-you", methods=["GET", "POST"])
def survey_about(token: str):
    survey_round, draft, stop = _round_and_draft(token)
    if stop is not None:
        return stop
    step = ("about", "")
    about, errors = dict(draft.about or {}), {}
    if request.method == "POST":
        about = {
            "give_name": request.form.get("give_name", ""),
            "name": (request.form.get("name") or "").strip(),
            "quote": request.form.get("quote", ""),
        }
        if about["give_name"] not in ("yes", "no"):
            errors["give_name"] = "Choose whether you want to give your name"
        elif about["give_name"] == "yes" and not about["name"]:
            errors["name"] = "Enter your name, or choose 'No, stay anonymous'"
        if len(about["name"]) > 120:
            errors["name"] = "Your name must be 120 characters or fewer"
        if about["quote"] not in ("yes", "no"):
            errors["quote"] = "Choose whether we may quote what you wrote"
        if not errors:
            with caught() as attempt:
                for part in ("give_name", "name", "quote"):
                    operations.save_draft_part(
                        draft, "about", part, about[part] if part != "name" or about["give_name"] == "yes" else None
                    )
                return redirect(_next(survey_round, draft, step))
            errors["name"] = str(attempt.error)
    return render_template(
        "evaluation/answer/about.html",
        survey_round=survey_round,
        about=about,
        errors=errors,
        back=_back(survey_round, draft, step),
        change=request.values.get("change") == "1",
    ), (400 if errors else 200)


@bp.route("/survey/<token>/equality", methods=["GET", "POST"])
def survey_equality(token: str):
    survey_round, draft, stop = _round_and_draft(token)
    if stop is not None:
        return stop
    if not survey_round.ask_equality:
        abort(404)
    step = ("equality", "")
    choice, error = (draft.equality or {}).get("consent"), None
    if request.method == "POST":
        choice = request.form.get("consent", "")
        if choice not in ("yes", "no"):
            error = "Choose whether you want to answer the equality questions"
        else:
            if choice == "no":
                draft.equality = {}
            operations.save_draft_part(draft, "equality", "consent", choice)
            return redirect(
                _next(survey_round, draft, step)
                if choice == "yes" or request.values.get("change") != "1"
                else _url(survey_round, ("check", ""))
            )
    return render_template(
        "evaluation/answer/equality.html",
        survey_round=survey_round,
        choice=choice,
        error=error,
        back=_back(survey_round, draft, step),
    ), (400 if error else 200)


@bp.route("/survey/<token>/equality/<key>", methods=["GET", "POST"])
def survey_equality_question(token: str, key: str):
    survey_round, draft, stop = _round_and_draft(token)
    if stop is not None:
        return stop
    category = equality.BY_KEY.get(key)
    if category is None or (draft.equality or {}).get("consent") != "yes":
        return redirect(url_for("evaluation.survey_equality", token=token))
    step = ("equality_question", key)
    value, error = (draft.equality or {}).get(key), None
    if request.method == "POST":
        value = request.form.get("answer", "")
        if value and value not in dict(category.all_options):
            error = "Choose one of the options shown, or 'Prefer not to say'"
        else:
            operations.save_draft_part(draft, "equality", key, value or None)
            return redirect(_next(survey_round, draft, step))
    keys = [c.key for c in equality.CATEGORIES]
    return render_template(
        "evaluation/answer/equality-question.html",
        survey_round=survey_round,
        category=category,
        value=value,
        error=error,
        back=_back(survey_round, draft, step),
        number=keys.index(key) + 1,
        total=len(keys),
        change=request.values.get("change") == "1",
    ), (400 if error else 200)


@bp.route("/survey/<token>/check", methods=["GET", "POST"])
def survey_check(token: str):
    survey_round, draft, stop = _round_and_draft(token)
    if stop is not None:
        return stop
    error = None
    if request.method == "POST":
        with caught() as attempt:
            _, code = operations.submit_draft(draft)
            session["survey_done"] = {"round": survey_round.id, "code": code}
            response = redirect(url_for("evaluation.survey_done", token=token))
            response.delete_cookie(_cookie_name(survey_round), path="/survey/")
            return response
        error = str(attempt.error)
    version = survey_round.version
    missing = {q["key"] for q in operations.missing_required(version, draft.answers or {})}
    rows = [(q, display_answer(q, (draft.answers or {}).get(q["key"])), q["key"] in missing) for q in version.questions]
    equality_rows = (
        [(c, c.label((draft.equality or {}).get(c.key))) for c in equality.CATEGORIES]
        if (draft.equality or {}).get("consent") == "yes"
        else []
    )
    return render_template(
        "evaluation/answer/check.html",
        survey_round=survey_round,
        rows=rows,
        about=draft.about or {},
        equality_rows=equality_rows,
        equality_consent=(draft.equality or {}).get("consent"),
        error=error,
        missing=missing,
        back=_back(survey_round, draft, ("check", "")),
    ), (400 if error else 200)


@bp.get("/survey/<token>/done")
def survey_done(token: str):
    survey_round = queries.round_by_token(token)
    if survey_round is None:
        return _closed(None)
    done = session.pop("survey_done", None) or {}
    code = done.get("code") if done.get("round") == survey_round.id else None
    return render_template("evaluation/answer/done.html", survey_round=survey_round, code=code)


@bp.route("/equality-data/delete", methods=["GET", "POST"])
def delete_equality():
    error, deleted = None, False
    code = (request.form.get("code") or "").strip()[:40]
    if request.method == "POST":
        if not code:
            error = "Enter the code you were given, like 1A2B-3C4D-5E6F-7A8B"
        elif not operations.delete_equality_record(code):
            error = "We could not find equality answers with that code. Check it and try again."
        else:
            deleted = True
    return render_template("evaluation/answer/delete.html", error=error, deleted=deleted, code=code), (
        400 if error else 200
    )
