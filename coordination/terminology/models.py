"""Concepts (practice areas) with national and local labels, links between them, and unfound searches."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import TitledEnum
from ..extensions import db, value_enum
from ..timeutil import utcnow

GM_AREA = "GM"  # a local label for Greater Manchester as a whole has no borough code


class LabelKind(TitledEnum):
    ALT = "alt", "Other name"  # a synonym people use
    HIDDEN = "hidden", "Hidden (misspelling or abbreviation)"  # searched, never shown
    LOCAL = "local", "Local preferred name"  # the preferred word in one borough or across Greater Manchester


class LabelStatus(TitledEnum):
    PROPOSED = "proposed", "Proposed"
    AGREED = "agreed", "Agreed"


class RelationKind(str, enum.Enum):
    BROADER = "broader"  # source is narrower than target
    RELATED = "related"  # symmetric; stored once


class Concept(db.Model):
    """A practice area, e.g. supported self-management; pref_label is the national preferred term."""

    __tablename__ = "concept"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(255), unique=True)
    pref_label: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    labels: Mapped[list[ConceptLabel]] = relationship(
        back_populates="concept",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="(ConceptLabel.kind, ConceptLabel.borough_code, ConceptLabel.text)",
    )

    def labels_of(self, kind: LabelKind) -> list[ConceptLabel]:
        """This concept's labels of one kind."""
        return [label for label in self.labels if label.kind == kind]

    @property
    def alt_labels(self) -> list[ConceptLabel]:
        return self.labels_of(LabelKind.ALT)

    @property
    def hidden_labels(self) -> list[ConceptLabel]:
        return self.labels_of(LabelKind.HIDDEN)

    @property
    def local_labels(self) -> list[ConceptLabel]:
        return self.labels_of(LabelKind.LOCAL)

    def local_label(self, borough_code: str | None) -> ConceptLabel | None:
        """The agreed local preferred label for a borough (None = Greater Manchester as a whole)."""
        for label in self.local_labels:
            if label.status == LabelStatus.AGREED and label.borough_code == borough_code:
                return label
        return None

    @property
    def slug(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]


class ConceptLabel(db.Model):
    """One more word for a concept: alternative, hidden, or local preferred (with provenance)."""

    __tablename__ = "concept_label"
    __table_args__ = (
        UniqueConstraint("concept_id", "kind", "area", "normalised", name="uq_concept_label_once"),
        CheckConstraint("kind = 'local' OR borough_code IS NULL", name="only_local_labels_have_a_borough"),
        CheckConstraint("(borough_code IS NULL AND area = 'GM') OR area = borough_code", name="area_matches_borough"),
        Index("ix_concept_label_normalised", "normalised"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LabelKind] = mapped_column(value_enum(LabelKind, "label_kind"))
    text: Mapped[str] = mapped_column(String(200))
    normalised: Mapped[str] = mapped_column(String(200))
    borough_code: Mapped[str | None] = mapped_column(String(9))
    # The borough code, or "GM": lets the unique constraint treat Greater Manchester-wide as a value.
    area: Mapped[str] = mapped_column(String(9), default=GM_AREA)
    status: Mapped[LabelStatus] = mapped_column(value_enum(LabelStatus, "label_status"), default=LabelStatus.AGREED)
    proposed_by: Mapped[str | None] = mapped_column(String(200))
    evidence: Mapped[str | None] = mapped_column(Text)
    proposed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    concept: Mapped[Concept] = relationship(back_populates="labels")

    @property
    def is_agreed(self) -> bool:
        return self.status == LabelStatus.AGREED


class ConceptRelation(db.Model):
    """A link between two concepts: source is narrower than target (broader), or they are related."""

    __tablename__ = "concept_relation"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "kind", name="uq_concept_relation_once"),
        CheckConstraint("source_id <> target_id", name="not_to_itself"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RelationKind] = mapped_column(value_enum(RelationKind, "relation_kind"))

    source: Mapped[Concept] = relationship(foreign_keys=[source_id])
    target: Mapped[Concept] = relationship(foreign_keys=[target_id])


class UnfoundSearch(db.Model):
    """A search that found nothing: the words only (no person, no time of each search), counted."""

    __tablename__ = "unfound_search"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    normalised: Mapped[str] = mapped_column(String(200), unique=True)
    words: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
