"""Questionnaires (kept as versions), survey rounds and their links, responses, equality monitoring, themes.

Questions are data: each version holds its questions as a JSON list, so answers always stay tied to the
exact wording asked. Equality monitoring answers live in their own table with a random key, no person,
no response and no time finer than the month, so they can only ever be counted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import TitledEnum
from ..extensions import db, value_enum
from ..timeutil import utcnow


class QuestionType(TitledEnum):
    RATING = "rating", "Rating scale (1 to 5)"
    YES_PARTLY_NO = "yes_partly_no", "Yes, partly or no"
    CHOOSE_ONE = "choose_one", "Choose one"
    CHOOSE_MANY = "choose_many", "Choose any that apply"
    FREE_TEXT = "free_text", "Free text"
    NUMBER = "number", "A number"


class QuestionnaireKind(TitledEnum):
    EVENT_FEEDBACK = "event_feedback", "Event feedback"
    INVOLVEMENT_OUTCOMES = "involvement_outcomes", "Involvement outcomes"
    ORGANISATION_CHANGE = "organisation_change", "Change in my organisation"
    OTHER = "other", "Other"


class RoundStatus(TitledEnum):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Channel(TitledEnum):
    ONLINE = "online", "Online"
    PAPER = "paper", "Paper form (typed in)"
    PHONE = "phone", "Phone (typed in)"


class ThemeKind(TitledEnum):
    BARRIER = "barrier", "Barrier"
    ENABLER = "enabler", "Enabler"
    EITHER = "either", "Barrier or enabler"


class Questionnaire(db.Model):
    """A questionnaire; its questions live in versions, the newest being the one asked from now on."""

    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[QuestionnaireKind] = mapped_column(
        value_enum(QuestionnaireKind, "questionnaire_kind"), default=QuestionnaireKind.OTHER
    )
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", cascade="all, delete-orphan", order_by="QuestionnaireVersion.number"
    )

    @property
    def current(self) -> QuestionnaireVersion:
        return self.versions[-1]


class QuestionnaireVersion(db.Model):
    """The questions exactly as asked; a version that has answers is never changed again."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number", name="uq_questionnaire_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    intro: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    def question(self, key: str) -> dict | None:
        return next((q for q in self.questions if q["key"] == key), None)


class SurveyRound(db.Model):
    """One collection of answers: a questionnaire version asked through one link (per event, community or round)."""

    __tablename__ = "survey_round"
    __table_args__ = (
        CheckConstraint("status = 'open' OR closed_at IS NOT NULL", name="closed_has_time"),
        CheckConstraint("expected_count IS NULL OR expected_count > 0", name="expected_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str | None] = mapped_column(String(120), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="SET NULL"), index=True)
    borough_code: Mapped[str | None] = mapped_column(String(9))
    # A public collection link: printed on posters and QR codes, so kept as it is; unguessable (256 bits).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    personal_only: Mapped[bool] = mapped_column(Boolean, default=False)
    ask_equality: Mapped[bool] = mapped_column(Boolean, default=True)
    expected_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[RoundStatus] = mapped_column(value_enum(RoundStatus, "round_status"), default=RoundStatus.OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    questionnaire: Mapped[Questionnaire] = relationship()
    version: Mapped[QuestionnaireVersion] = relationship()
    event = relationship("Event")
    community = relationship("Community")

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class Invitation(db.Model):
    """A personal link: one response each. The response is not linked back to it, so answers stay anonymous."""

    __tablename__ = "survey_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Only whether it was used, never when: a time could be matched with the response's own time.
    used: Mapped[bool] = mapped_column(Boolean, default=False)

    survey_round: Mapped[SurveyRound] = relationship()


class Response(db.Model):
    """One person's answers to one version; online, or typed in from paper or a phone call."""

    __tablename__ = "survey_response"
    __table_args__ = (
        CheckConstraint("channel = 'online' OR entered_by_id IS NOT NULL", name="typed_in_has_who"),
        Index("ix_survey_response_round_submitted", "round_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, "response_channel"), default=Channel.ONLINE)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    borough_code: Mapped[str | None] = mapped_column(String(9), index=True)
    respondent_name: Mapped[str | None] = mapped_column(String(120))
    quote_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    survey_round: Mapped[SurveyRound] = relationship()
    version: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Answer(db.Model):
    """One answer: a choice (one row per choice for 'choose many'), a number, or free text."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        CheckConstraint("choice IS NOT NULL OR number IS NOT NULL OR text IS NOT NULL", name="has_a_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(60))
    choice: Mapped[str | None] = mapped_column(String(80))
    number: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
    themes: Mapped[list[Theme]] = relationship(secondary="survey_answer_theme", order_by="Theme.name")


class ResponseDraft(db.Model):
    """Answers saved as someone goes, keyed by a digest of their browser cookie; removed when they submit."""

    __tablename__ = "survey_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("survey_invitation.id", ondelete="CASCADE"))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    about: Mapped[dict] = mapped_column(JSON, default=dict)
    equality: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, index=True)


def _random_key() -> str:
    return uuid.uuid4().hex


class EqualityRecord(db.Model):
    """Voluntary equality monitoring answers: no person, no response, a random key, the month only.

    Reachable only as counts (queries.equality_counts); deleted on request with the code the person was given.
    """

    __tablename__ = "equality_record"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("survey_round.id", ondelete="SET NULL"), index=True)
    month: Mapped[date] = mapped_column(Date)
    consent_wording: Mapped[str] = mapped_column(String(20))
    deletion_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    age_band: Mapped[str | None] = mapped_column(String(40))
    sex: Mapped[str | None] = mapped_column(String(40))
    gender_identity: Mapped[str | None] = mapped_column(String(40))
    sexual_orientation: Mapped[str | None] = mapped_column(String(40))
    ethnic_group: Mapped[str | None] = mapped_column(String(40))
    religion: Mapped[str | None] = mapped_column(String(40))
    disability: Mapped[str | None] = mapped_column(String(40))
    long_term_condition: Mapped[str | None] = mapped_column(String(40))
    carer: Mapped[str | None] = mapped_column(String(40))
    borough: Mapped[str | None] = mapped_column(String(40))


class Comparator(db.Model):
    """A figure to compare with, entered by a coordinator with its source (for example the sector's workforce)."""

    __tablename__ = "evaluation_comparator"
    __table_args__ = (CheckConstraint("percent >= 0 AND percent <= 100", name="percent_in_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    percent: Mapped[float] = mapped_column(Numeric(5, 2))
    source: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Theme(db.Model):
    """A barrier or enabler theme that free-text answers are tagged with."""

    __tablename__ = "evaluation_theme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[ThemeKind] = mapped_column(value_enum(ThemeKind, "theme_kind"), default=ThemeKind.EITHER)
    words: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AnswerTheme(db.Model):
    """A free-text answer tagged with a theme."""

    __tablename__ = "survey_answer_theme"

    answer_id: Mapped[int] = mapped_column(ForeignKey("survey_answer.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_theme.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tagged_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    tagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class PublishedReport(db.Model):
    """A public (signed-out) version of the impact report for one scope, published by a coordinator.

    Nothing is public until a coordinator publishes a scope; the page then shows that scope's figures with every
    small number protected (coordination/disclosure.py, no cell known to the reader). Revoking keeps the row (and
    its audit trail) but the link answers "no longer published".
    """

    __tablename__ = "evaluation_published_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str | None] = mapped_column(String(200))
    # CASCADE, not SET NULL: a published report whose community went must go too, never widen to all communities.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    borough_code: Mapped[str | None] = mapped_column(String(9))
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    period_label: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    community = relationship("Community")

    @property
    def live(self) -> bool:
        return self.revoked_at is None
