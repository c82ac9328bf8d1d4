"""Connectedness pages: the year's new ties and who made them possible, ego views, recording ties, opt-outs."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from geo.boroughs import BOROUGH_CODES

from ..boroughs import borough_name
from ..communities.interface import person_choices, recent_event_choices
from ..communities.models import Event, Person
from ..extensions import db
from ..forms import errors_onto
from ..organisations.models import Organisation
from ..params import whole_number
from ..permissions import Role, roles_required
from ..security import csp_nonce
from ..timeutil import utcnow
from . import analysis, operations, queries
from .forms import IncludeAgainForm, LeaveOutForm, TieForm
from .models import RecordedTie

bp = Blueprint("networks", __name__, url_prefix="/networks")
get_or_404 = db.get_or_404
C, P = Role.COORDINATOR, Role.PARTNER


def _year(net) -> int:
    available = queries.years(net)
    chosen = whole_number(request.args.get("year", ""))
    return chosen if chosen in available else available[0]


def _map_parts(matrix, caption):
    """The ties map, drawn once per matrix and caption and stored for every worker (geography.frames: drawn
    in a child process, so no worker loads folium or geopandas for it); each response adds its nonce."""
    from ..geography.interface import cached_page_map

    def build():
        from . import maps  # folium and geopandas: only where the map is drawn

        return maps.build_ties_map(matrix, caption)

    key = (tuple(sorted(matrix.items())), caption)
    return cached_page_map(
        ("networks", "ties"), build, csp_nonce(), extra=key, sources=(Path(__file__).with_name("maps.py"),)
    )


@bp.get("/")
@roles_required(C)
def overview():
    net = queries.network()
    year = _year(net)
    summary = queries.year_summary(net, year)
    people_bridges, organisation_bridges = queries.bridges(net, year)
    introducers = queries.introducers_in(net, year)
    matrix = queries.matrix(net, year)
    names = queries.people_by_id([b.ident for b in people_bridges] + list(introducers)[:10])
    organisations = queries.organisations_by_id([b.ident for b in organisation_bridges])
    return render_template(
        "networks/overview.html",
        net=net,
        year=year,
        years=queries.years(net),
        summary=summary,
        people_bridges=people_bridges,
        organisation_bridges=organisation_bridges,
        introducers=list(introducers.items())[:10],
        names=names,
        organisations=organisations,
        matrix=matrix,
        boroughs=BOROUGH_CODES,
        parts=_map_parts(matrix, f"made in {year}"),
        excluded=len(net.excluded),
    )


@bp.get("/people/<int:person_id>")
@roles_required(C)
def person_ties(person_id: int):
    person = get_or_404(Person, person_id)
    if (exclusion := queries.exclusion(person.id)) is not None:
        return render_template(
            "networks/person.html",
            person=person,
            exclusion=exclusion,
            ties=[],
            growth=[],
            names={},
            form=IncludeAgainForm(),
        )
    net = queries.network()
    ties = analysis.ego(person.id, net.ties)
    growth = _growth([tie.since for _, tie in ties])
    names = queries.people_by_id([other for other, _ in ties] + [i for _, t in ties for i in t.introduced_by])
    return render_template(
        "networks/person.html",
        person=person,
        exclusion=None,
        ties=ties,
        growth=growth,
        names=names,
        people=net.people,
        form=LeaveOutForm(),
    )


@bp.get("/organisations/<int:organisation_id>")
@roles_required(C)
def organisation_ties(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    net = queries.network()
    ties = queries.organisation_ties(net, organisation.id)
    growth = _growth([tie.since for _, tie in ties])
    names = queries.people_by_id({other for other, _ in ties} | {t.a for _, t in ties} | {t.b for _, t in ties})
    return render_template(
        "networks/organisation.html",
        organisation=organisation,
        ties=ties,
        growth=growth,
        names=names,
        people=net.people,
    )


def _growth(dates):
    """New and cumulative ties per quarter, from the first tie to today."""
    return analysis.growth(dates, analysis.quarters_between(min(dates), utcnow().date())) if dates else []


@bp.route("/ties/new", methods=["GET", "POST"])
@roles_required(C)
def record_tie():
    form = TieForm(person_choices=person_choices(), event_choices=recent_event_choices(days_back=730))
    if form.validate_on_submit():
        people = queries.people_by_id(
            [form.person_a_id.data, form.person_b_id.data, form.introduced_by_id.data]
            if form.introduced_by_id.data
            else [form.person_a_id.data, form.person_b_id.data]
        )
        with errors_onto(form, "person_a_id"):
            tie = operations.record_tie(
                get_or_404(Person, form.person_a_id.data),
                get_or_404(Person, form.person_b_id.data),
                source=form.source.data,
                made_on=form.made_on.data,
                introduced_by=people.get(form.introduced_by_id.data) if form.introduced_by_id.data else None,
                event=get_or_404(Event, form.event_id.data) if form.event_id.data else None,
                note=form.note.data,
                actor=current_user,
            )
            flash(f"Recorded the connection between {tie.person_a.name} and {tie.person_b.name}.", "success")
            return redirect(url_for("networks.list_ties"))
    return render_template("networks/tie-form.html", form=form), 400 if form.errors else 200


@bp.get("/ties")
@roles_required(C)
def list_ties():
    page = whole_number(request.args.get("page", "1")) or 1
    ties = queries.recorded_ties(page)
    return render_template("networks/ties.html", ties=ties, page=page)


@bp.post("/ties/<int:tie_id>/delete")
@roles_required(C)
def delete_tie(tie_id: int):
    tie = get_or_404(RecordedTie, tie_id)
    names = f"{tie.person_a.name} and {tie.person_b.name}"
    operations.delete_tie(tie, actor=current_user)
    flash(f"Removed the connection between {names}.", "success")
    return redirect(url_for("networks.list_ties"))


@bp.post("/people/<int:person_id>/leave-out")
@roles_required(C)
def leave_out(person_id: int):
    person = get_or_404(Person, person_id)
    form = LeaveOutForm()
    if not form.validate_on_submit():
        abort(400)
    operations.leave_out(person, note=form.note.data, actor=current_user)
    flash(f"{person.name} is now left out of every network view and figure.", "success")
    return redirect(url_for("networks.person_ties", person_id=person.id))


@bp.post("/people/<int:person_id>/include")
@roles_required(C)
def include_again(person_id: int):
    person = get_or_404(Person, person_id)
    if not IncludeAgainForm().validate_on_submit():
        abort(400)
    operations.include_again(person, actor=current_user)
    flash(f"{person.name} is shown in network views again.", "success")
    return redirect(url_for("networks.person_ties", person_id=person.id))


@bp.get("/boroughs")
@roles_required(C, P)
def borough_ties():
    """Borough-level counts only, protected against small numbers for partners."""
    net = queries.network()
    year = _year(net)
    protected = queries.protected_matrix(net, year, viewer=current_user)
    return render_template(
        "networks/boroughs.html",
        year=year,
        years=queries.years(net),
        table=protected,
        boroughs=BOROUGH_CODES,
        borough_name=borough_name,
        parts=_map_parts(protected.visible_matrix(), f"made in {year}"),
    )


@bp.app_template_filter("tie_source_title")
def tie_source_title(source: str) -> str:
    from .models import TieSource

    return TieSource(source).title
