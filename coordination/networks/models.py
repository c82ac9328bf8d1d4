"""Recorded ties between people (introductions, first meetings) and who is left out of network views."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import TitledEnum
from ..extensions import db, value_enum
from ..timeutil import utcnow


class TieSource(TitledEnum):
    """How we know two people are connected."""

    INTRODUCTION = "introduction", "Introduced"
    MET_AT_EVENT = "met_at_event", "Met for the first time"
    COMMUNITY = "community", "Same community"  # derived: members of the same community at the same time
    SMALL_EVENT = "small_event", "Same small event"  # derived: attended the same small event


RECORDED_SOURCES = (TieSource.INTRODUCTION, TieSource.MET_AT_EVENT)


class RecordedTie(db.Model):
    """An introduction, or two people saying they met for the first time (usually at an event)."""

    __tablename__ = "recorded_tie"
    __table_args__ = (
        # One row per pair, stored with the lower person id first, so (a, b) and (b, a) are the same tie.
        CheckConstraint("person_a_id < person_b_id", name="ordered_pair"),
        CheckConstraint(
            "introduced_by_id IS NULL OR (introduced_by_id <> person_a_id AND introduced_by_id <> person_b_id)",
            name="introducer_is_third_person",
        ),
        CheckConstraint("source IN ('introduction', 'met_at_event')", name="recorded_source"),
        Index("ix_recorded_tie_pair", "person_a_id", "person_b_id"),
        Index("ix_recorded_tie_made_on", "made_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_a_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    person_b_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    source: Mapped[TieSource] = mapped_column(value_enum(TieSource, "tie_source"))
    made_on: Mapped[date] = mapped_column(Date)
    introduced_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person_a = relationship("Person", foreign_keys=[person_a_id])
    person_b = relationship("Person", foreign_keys=[person_b_id])
    introduced_by = relationship("Person", foreign_keys=[introduced_by_id])
    event = relationship("Event")


class NetworkExclusion(db.Model):
    """A person who asked to be left out of every network view and figure."""

    __tablename__ = "network_exclusion"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    requested_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(280))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
