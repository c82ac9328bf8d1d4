"""Communities of practice, people, memberships, events, attendance and pledges."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import TitledEnum
from ..extensions import db, value_enum
from ..organisations.models import Organisation
from ..terminology.models import Concept
from ..timeutil import utcnow


class CommunityScope(TitledEnum):
    GREATER_MANCHESTER = "greater_manchester", "Greater Manchester"
    BOROUGHS = "boroughs", "One or more boroughs"
    NATIONAL = "national", "National"


class CommunityStatus(TitledEnum):
    FORMING = "forming", "Forming"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class EventType(TitledEnum):
    REGULAR_MEETING = "regular_meeting", "Regular meeting"
    MASTERCLASS = "masterclass", "Masterclass"
    WORKSHOP = "workshop", "Workshop"
    ROUNDTABLE = "roundtable", "Roundtable"
    ONE_OFF = "one_off", "One-off event"


class AttendanceStatus(TitledEnum):
    ATTENDED = "attended", "Attended"
    APOLOGIES = "apologies", "Sent apologies"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"


class PledgeStatus(TitledEnum):
    MADE = "made", "Made, not yet followed up"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"


community_borough = Table(
    "community_borough",
    db.metadata,
    Column("community_id", ForeignKey("community.id", ondelete="CASCADE"), primary_key=True),
    Column("borough_code", String(9), primary_key=True),
)


class Community(db.Model):
    """A community of practice: national, Greater Manchester-wide or place-based."""

    __tablename__ = "community"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    practice_area_id: Mapped[int | None] = mapped_column(ForeignKey("concept.id", ondelete="SET NULL"), index=True)
    scope: Mapped[CommunityScope] = mapped_column(
        value_enum(CommunityScope, "community_scope"), default=CommunityScope.GREATER_MANCHESTER
    )
    purpose: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CommunityStatus] = mapped_column(
        value_enum(CommunityStatus, "community_status"), default=CommunityStatus.FORMING
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    practice_area: Mapped[Concept | None] = relationship()
    borough_rows = relationship("CommunityBoroughRow", cascade="all, delete-orphan", lazy="selectin")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="community", cascade="all, delete-orphan", order_by="Membership.joined_on"
    )

    @property
    def borough_codes(self) -> list[str]:
        return sorted(row.borough_code for row in self.borough_rows)


class CommunityBoroughRow(db.Model):
    """A borough a place-based community covers."""

    __table__ = community_borough


class Person(db.Model):
    """Someone who takes part: a worker, volunteer, or someone with lived experience or caring experience."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    borough_code: Mapped[str | None] = mapped_column(String(9), index=True)
    lived_experience: Mapped[bool] = mapped_column(Boolean, default=False)
    carer: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    user = relationship("User")

    @property
    def takes_part_as(self) -> str:
        kinds = [label for flag, label in ((self.lived_experience, "lived experience"), (self.carer, "carer")) if flag]
        return " and ".join(kinds) if kinds else "worker or volunteer"


class Membership(db.Model):
    """A person's membership of a community, with the organisation they came with and their role."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
        Index("ix_membership_organisation_dates", "organisation_id", "joined_on", "left_on"),
        # At most one current membership per person and community, even when two requests add at once.
        Index(
            "uq_membership_current",
            "community_id",
            "person_id",
            unique=True,
            sqlite_where=text("left_on IS NULL"),
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(80), default="Member")
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    community: Mapped[Community] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


class Event(db.Model):
    """A meeting, masterclass, workshop, roundtable or one-off event (claims may refer to one)."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("online OR venue_borough_code IS NOT NULL", name="has_a_place"),
        Index("ix_event_starts_at_type", "starts_at", "event_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[EventType] = mapped_column(value_enum(EventType, "event_type"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"), index=True)
    venue_borough_code: Mapped[str | None] = mapped_column(String(9))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    community: Mapped[Community | None] = relationship()
    attendance: Mapped[list[Attendance]] = relationship(back_populates="event", cascade="all, delete-orphan")
    pledges: Mapped[list[Pledge]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Pledge.id"
    )

    @property
    def where(self) -> str:
        from ..boroughs import borough_name

        places = [borough_name(self.venue_borough_code)] if self.venue_borough_code else []
        if self.online:
            places.append("online")
        return " and ".join(places).capitalize() if places else ""


class Attendance(db.Model):
    """Whether a person (and the organisation they came for) attended, sent apologies or did not attend."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id", name="uq_attendance_event_person"),
        CheckConstraint("person_id IS NOT NULL OR organisation_id IS NOT NULL", name="someone"),
        Index("ix_attendance_organisation_status", "organisation_id", "status", "event_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    status: Mapped[AttendanceStatus] = mapped_column(value_enum(AttendanceStatus, "attendance_status"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="attendance")
    person: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


class Pledge(db.Model):
    """'One thing I will change': a short commitment made at an event, followed up later."""

    __tablename__ = "pledge"
    __table_args__ = (CheckConstraint("status = 'made' OR followed_up_on IS NOT NULL", name="followed_up_has_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(280))
    status: Mapped[PledgeStatus] = mapped_column(value_enum(PledgeStatus, "pledge_status"), default=PledgeStatus.MADE)
    followed_up_on: Mapped[date | None] = mapped_column(Date)
    follow_up_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="pledges")
    person: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
