"""Communities of practice, people, events, attendance and pledges (coordinator manages; partners read)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..boroughs import borough_choices
from ..errors import caught
from ..forms import errors_onto, form_page
from ..params import MAX_PAGE, whole_number
from ..permissions import Role, roles_required
from . import operations, queries
from .forms import (
    CommunityForm,
    EndMembershipForm,
    EventForm,
    MembershipForm,
    PersonForm,
    PledgeFollowUpForm,
    PledgeForm,
)
from .models import AttendanceStatus, Community, Event, Membership, Person, Pledge, PledgeStatus

bp = Blueprint("communities", __name__)
C, P = Role.COORDINATOR, Role.PARTNER


def _is_coordinator() -> bool:
    return current_user.role == Role.COORDINATOR


# --------------------------------------------------------------------------- communities


@bp.get("/communities")
@roles_required(C, P)
def list_communities():
    return render_template(
        "communities/list.html",
        rows=queries.list_communities(),
        events=queries.events_for(limit=10),
        can_edit=_is_coordinator(),
    )


def _form_page(form, save, record, title: str, back: str):
    """The create and edit pages of communities, people and events: `save(form, record)` when sent."""
    return form_page(form, lambda: save(form, record), "communities/form.html", title=title, back=back)


def _community_form(community: Community | None = None) -> CommunityForm:
    form = CommunityForm(obj=community, concept_choices=queries.concept_choices(), borough_choices=borough_choices())
    if community is not None and request.method == "GET":
        form.scope.data, form.status.data = community.scope.value, community.status.value
        form.boroughs.data = community.borough_codes
    return form


def _save_community(form: CommunityForm, community: Community | None):
    with errors_onto(form, "boroughs"):
        saved = operations.save_community(
            community,
            name=form.name.data,
            practice_area_id=form.practice_area_id.data,
            scope=form.scope.data,
            boroughs=form.boroughs.data,
            purpose=form.purpose.data,
            status=form.status.data,
            actor=current_user,
        )
        flash(f"Saved {saved.name}.", "success")
        return redirect(url_for("communities.community_detail", community_id=saved.id))
    return None


@bp.route("/communities/new", methods=["GET", "POST"])
@roles_required(C)
def create_community():
    form = _community_form()
    if not form.is_submitted():
        form.status.data = "forming"
    return _form_page(
        form, _save_community, None, "Add a community of practice", url_for("communities.list_communities")
    )


@bp.route("/communities/<int:community_id>/edit", methods=["GET", "POST"])
@roles_required(C)
def edit_community(community_id: int):
    community = queries.get_or_404(Community, community_id)
    back = url_for("communities.community_detail", community_id=community.id)
    return _form_page(_community_form(community), _save_community, community, f"Edit {community.name}", back)


@bp.get("/communities/<int:community_id>")
@roles_required(C, P)
def community_detail(community_id: int):
    community = queries.get_or_404(Community, community_id)
    form = MembershipForm(person_choices=queries.person_choices()) if _is_coordinator() else None
    return render_template(
        "communities/detail.html",
        community=community,
        form=form,
        members=queries.current_members(community),
        events=queries.events_for(community.id),
        can_edit=_is_coordinator(),
    )


@bp.post("/communities/<int:community_id>/members")
@roles_required(C)
def add_member(community_id: int):
    community = queries.get_or_404(Community, community_id)
    form = MembershipForm(person_choices=queries.person_choices())
    if form.validate_on_submit():
        with errors_onto(form, "person_id"):
            membership = operations.add_member(
                community,
                queries.get_or_404(Person, form.person_id.data),
                role=form.role.data,
                joined_on=form.joined_on.data,
                actor=current_user,
            )
            flash(f"Added {membership.person.name} to {community.name}.", "success")
            return redirect(url_for("communities.community_detail", community_id=community.id))
    return render_template(
        "communities/detail.html",
        community=community,
        form=form,
        members=queries.current_members(community),
        events=queries.events_for(community.id),
        can_edit=True,
    ), 400


@bp.route("/memberships/<int:membership_id>/end", methods=["GET", "POST"])
@roles_required(C)
def end_membership(membership_id: int):
    membership = queries.get_or_404(Membership, membership_id)
    form = EndMembershipForm()
    if form.validate_on_submit():
        with errors_onto(form, "left_on"):
            operations.end_membership(membership, left_on=form.left_on.data, actor=current_user)
            flash(f"Recorded that {membership.person.name} left {membership.community.name}.", "success")
            return redirect(url_for("communities.community_detail", community_id=membership.community_id))
    return render_template(
        "communities/form.html",
        form=form,
        title=f"{membership.person.name} leaves {membership.community.name}",
        back=url_for("communities.community_detail", community_id=membership.community_id),
    )


# --------------------------------------------------------------------------- people


@bp.get("/people")
@roles_required(C)
def list_people():
    per_page = queries.PEOPLE_PER_PAGE
    page = whole_number(request.args.get("page", ""), default=1, maximum=MAX_PAGE) or 1
    people, total = queries.list_people(page, per_page)
    pages = max(1, -(-total // per_page))
    if page > pages:
        people, page = queries.list_people(pages, per_page)[0], pages
    return render_template(
        "communities/people.html", people=people, total=total, page=page, pages=pages, per_page=per_page
    )


def _person_form(person: Person | None = None) -> PersonForm:
    form = PersonForm(
        obj=person,
        organisation_choices=queries.organisation_choices(),
        borough_choices=borough_choices(),
        account_choices=queries.contributor_account_choices(),
    )
    if person is not None and request.method == "GET":
        form.borough_code.data = person.borough_code or ""
    return form


def _save_person(form: PersonForm, person: Person | None):
    with errors_onto(form, "user_id"):
        saved = operations.save_person(
            person,
            actor=current_user,
            name=form.name.data,
            email=form.email.data,
            organisation_id=form.organisation_id.data,
            borough_code=form.borough_code.data,
            lived_experience=form.lived_experience.data,
            carer=form.carer.data,
            user_id=form.user_id.data,
        )
        flash(f"Saved {saved.name}.", "success")
        return redirect(url_for("communities.list_people"))
    return None


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required(C)
def create_person():
    return _form_page(_person_form(), _save_person, None, "Add a person", url_for("communities.list_people"))


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@roles_required(C)
def edit_person(person_id: int):
    person = queries.get_or_404(Person, person_id)
    return _form_page(
        _person_form(person), _save_person, person, f"Edit {person.name}", url_for("communities.list_people")
    )


# --------------------------------------------------------------------------- events


@bp.get("/events")
@roles_required(C, P)
def list_events():
    return render_template("communities/events.html", rows=queries.events_for(), can_edit=_is_coordinator())


def _event_form(event: Event | None = None) -> EventForm:
    form = EventForm(obj=event, community_choices=queries.community_choices(), borough_choices=borough_choices())
    if request.method == "GET":
        if event is not None:
            form.event_type.data = event.event_type.value
            form.date.data = event.starts_at.date()
            form.start_time.data = event.starts_at.strftime("%H:%M")
            form.venue_borough_code.data = event.venue_borough_code or ""
        elif whole_number(request.args.get("community_id")):
            form.community_id.data = whole_number(request.args.get("community_id"))
    return form


def _save_event(form: EventForm, event: Event | None):
    with errors_onto(form, "online"):
        saved = operations.save_event(
            event,
            actor=current_user,
            title=form.title.data,
            event_type=form.event_type.data,
            starts_at=datetime.combine(form.date.data, form.start_time_value),
            community_id=form.community_id.data,
            venue_borough_code=form.venue_borough_code.data,
            online=form.online.data,
            capacity=form.capacity.data,
            description=form.description.data,
        )
        flash(f"Saved {saved.title}.", "success")
        return redirect(url_for("communities.event_detail", event_id=saved.id))
    return None


@bp.route("/events/new", methods=["GET", "POST"])
@roles_required(C)
def create_event():
    return _form_page(_event_form(), _save_event, None, "Add an event", url_for("communities.list_events"))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@roles_required(C)
def edit_event(event_id: int):
    event = queries.get_or_404(Event, event_id)
    back = url_for("communities.event_detail", event_id=event.id)
    return _form_page(_event_form(event), _save_event, event, f"Edit {event.title}", back)


@bp.get("/events/<int:event_id>")
@roles_required(C, P)
def event_detail(event_id: int):
    event = queries.get_or_404(Event, event_id)
    people = queries.attendance_people(event)
    counts = {status: sum(1 for _, s in people if s == status.value) for status in AttendanceStatus}
    pledge_form = PledgeForm(person_choices=queries.person_choices()) if _is_coordinator() else None
    return render_template(
        "communities/event.html",
        event=event,
        people=people,
        counts=counts,
        pledges=queries.pledges_for(event),
        pledge_form=pledge_form,
        can_edit=_is_coordinator(),
    )


@bp.route("/events/<int:event_id>/attendance", methods=["GET", "POST"])
@roles_required(C)
def record_attendance(event_id: int):
    event = queries.get_or_404(Event, event_id)
    error = None
    if request.method == "POST":
        # CSRFProtect (app-wide) has already checked the token.
        statuses = {
            whole_number(key.split("-", 1)[1]): value
            for key, value in request.form.items()
            if key.startswith("person-") and whole_number(key.split("-", 1)[1])
        }
        if whole_number(request.form.get("add_person")):
            statuses.setdefault(whole_number(request.form["add_person"]), request.form.get("add_status") or "attended")
        valid = {s.value for s in AttendanceStatus} | {""}
        if any(value not in valid for value in statuses.values()):
            error = "Choose attended, sent apologies, did not attend or not recorded for each person"
        else:
            with caught() as attempt:
                changed = operations.record_attendance(event, statuses, actor=current_user)
                flash(f"Attendance saved ({changed} change{'s' if changed != 1 else ''}).", "success")
                return redirect(url_for("communities.event_detail", event_id=event.id))
            error = str(attempt.error)
    return render_template(
        "communities/attendance.html",
        event=event,
        people=queries.attendance_people(event),
        statuses=list(AttendanceStatus),
        person_choices=queries.person_choices(),
        error=error,
    ), (400 if error else 200)


@bp.post("/events/<int:event_id>/pledges")
@roles_required(C)
def add_pledge(event_id: int):
    event = queries.get_or_404(Event, event_id)
    form = PledgeForm(person_choices=queries.person_choices())
    if form.validate_on_submit():
        operations.add_pledge(event, text=form.text.data, person_id=form.person_id.data, actor=current_user)
        flash("Pledge recorded.", "success")
        return redirect(url_for("communities.event_detail", event_id=event.id) + "#pledges")
    people = queries.attendance_people(event)
    counts = {status: sum(1 for _, s in people if s == status.value) for status in AttendanceStatus}
    return render_template(
        "communities/event.html",
        event=event,
        people=people,
        counts=counts,
        form=form,
        pledges=queries.pledges_for(event),
        pledge_form=form,
        can_edit=True,
    ), 400


@bp.route("/pledges/<int:pledge_id>", methods=["GET", "POST"])
@roles_required(C)
def follow_up_pledge(pledge_id: int):
    pledge = queries.get_or_404(Pledge, pledge_id)
    form = PledgeFollowUpForm(obj=pledge)
    if request.method == "GET":
        form.status.data, form.note.data = pledge.status.value, pledge.follow_up_note
    if form.validate_on_submit():
        with errors_onto(form, "status"):
            operations.follow_up_pledge(
                pledge,
                status=form.status.data,
                note=form.note.data,
                expected=_expected_status(pledge),
                actor=current_user,
            )
            flash("Follow-up saved.", "success")
            return redirect(url_for("communities.event_detail", event_id=pledge.event_id) + "#pledges")
    return render_template(
        "communities/form.html",
        form=form,
        title="Follow up a pledge",
        quote=pledge.text,
        hidden={"expected": _expected_status(pledge).value},
        back=url_for("communities.event_detail", event_id=pledge.event_id),
    )


def _expected_status(pledge: Pledge) -> PledgeStatus:
    """The status the person saw when they opened the form (sent back hidden), else the current one."""
    try:
        return PledgeStatus(request.form.get("expected") or pledge.status.value)
    except ValueError:
        return pledge.status
