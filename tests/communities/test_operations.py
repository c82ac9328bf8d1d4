"""Changes to communities, memberships, events, attendance and pledges: validation, audit, conditional updates."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from coordination.audit import AuditEntry
from coordination.communities import operations
from coordination.communities.models import Attendance, AttendanceStatus, PledgeStatus
from coordination.extensions import db
from tests.communities import factories as f


def test_a_place_based_community_needs_a_borough_and_saving_is_audited(app):
    with pytest.raises(operations.CommunityError, match="at least one borough"):
        operations.save_community(
            None, name="Local", practice_area_id=None, scope="boroughs", boroughs=[], purpose="", status="forming"
        )
    saved = operations.save_community(
        None,
        name="Local",
        practice_area_id=None,
        scope="boroughs",
        boroughs=["E08000005", "E08000004"],
        purpose="",
        status="forming",
    )
    assert saved.borough_codes == ["E08000004", "E08000005"]
    assert (
        db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "Community")) == "community.created"
    )


def test_boroughs_are_dropped_when_the_scope_is_greater_manchester(app):
    saved = operations.save_community(
        None,
        name="GM",
        practice_area_id=None,
        scope="greater_manchester",
        boroughs=["E08000005"],
        purpose="",
        status="active",
    )
    assert saved.borough_codes == []


def test_a_membership_ends_once_and_not_before_it_began(app):
    community = f.community()
    person = f.person(organisation=f.organisation())
    membership = operations.add_member(community, person, role="Chair", joined_on=date(2026, 1, 10))
    assert membership.organisation_id == person.organisation_id
    with pytest.raises(operations.CommunityError, match="already a member"):
        operations.add_member(community, person, role="Member", joined_on=date(2026, 2, 1))
    with pytest.raises(operations.CommunityError, match="on or after the date they joined"):
        operations.end_membership(membership, left_on=date(2025, 1, 1))
    operations.end_membership(membership, left_on=date(2026, 3, 1))
    assert membership.left_on == date(2026, 3, 1)
    with pytest.raises(operations.CommunityError, match="already ended"):
        operations.end_membership(membership, left_on=date(2026, 4, 1))


def test_an_event_needs_a_venue_or_to_be_online(app):
    with pytest.raises(operations.CommunityError, match="venue borough or tick online"):
        operations.save_event(
            None,
            title="Nowhere",
            event_type="workshop",
            starts_at=datetime(2026, 1, 1, 10),
            venue_borough_code="",
            online=False,
        )
    event = operations.save_event(
        None, title="Online", event_type="workshop", starts_at=datetime(2026, 1, 1, 10), online=True
    )
    assert event.where == "Online"


def test_recording_attendance_adds_changes_and_removes_records_with_the_persons_organisation(app):
    event = f.event()
    org = f.organisation()
    a, b = f.person(organisation=org), f.person()
    db.session.commit()
    assert operations.record_attendance(event, {a.id: "attended", b.id: "apologies"}) == 2
    row = db.session.scalar(select(Attendance).where(Attendance.person_id == a.id))
    assert row.organisation_id == org.id and row.status == AttendanceStatus.ATTENDED
    assert operations.record_attendance(event, {a.id: "attended", b.id: ""}) == 1
    assert db.session.scalar(select(Attendance).where(Attendance.person_id == b.id)) is None
    with pytest.raises(operations.CommunityError):
        operations.record_attendance(event, {999999: "attended"})


def test_a_pledge_follow_up_fails_cleanly_if_someone_else_changed_it_first(app):
    pledge = operations.add_pledge(f.event(), text="  Pay people for their time  ")
    assert pledge.text == "Pay people for their time"
    operations.follow_up_pledge(pledge, status="done", note="Policy agreed", expected=PledgeStatus.MADE)
    assert pledge.status == PledgeStatus.DONE and pledge.followed_up_on is not None
    with pytest.raises(operations.CommunityError, match="Someone else updated"):
        operations.follow_up_pledge(pledge, status="not_done", note="", expected=PledgeStatus.MADE)


def test_a_contributor_account_links_to_one_person_only(app, create_user):
    user = create_user("contributor")
    operations.save_person(None, name="Jo", user_id=user.id, lived_experience=True)
    with pytest.raises(operations.CommunityError, match="already linked"):
        operations.save_person(None, name="Someone else", user_id=user.id)
