"""Read side for evaluation: lists, look-ups, form choices, tagging lists and the raw answers a report counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..communities.models import Attendance, AttendanceStatus, Community, Event
from ..extensions import db
from . import equality
from .models import (
    Answer,
    AnswerTheme,
    EqualityRecord,
    Invitation,
    PublishedReport,
    Questionnaire,
    Response,
    ResponseDraft,
    SurveyRound,
    Theme,
)


def get_or_404(model, item_id):
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    return item


def find(model, item_id: int | None):
    """The row with this id, or None (for optional ids in query strings)."""
    return db.session.get(model, item_id) if item_id else None


def round_by_token(token: str) -> SurveyRound | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(SurveyRound).where(SurveyRound.token == token))


def invitation_by_token(token: str) -> Invitation | None:
    from .operations import digest

    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))


def draft_for(key: str | None, survey_round: SurveyRound) -> ResponseDraft | None:
    from .operations import digest

    if not key or len(key) > 64:
        return None
    return db.session.scalar(
        select(ResponseDraft).where(ResponseDraft.key_hash == digest(key), ResponseDraft.round_id == survey_round.id)
    )


def list_questionnaires() -> list[dict]:
    """Questionnaires with their current version number, rounds and responses."""
    responses = (
        select(SurveyRound.questionnaire_id, func.count(Response.id).label("n"))
        .join(Response, Response.round_id == SurveyRound.id)
        .group_by(SurveyRound.questionnaire_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Questionnaire, func.coalesce(responses.c.n, 0))
        .outerjoin(responses, responses.c.questionnaire_id == Questionnaire.id)
        .options(selectinload(Questionnaire.versions))
        .order_by(Questionnaire.name)
    )
    return [{"questionnaire": q, "responses": n} for q, n in rows]


def list_rounds(questionnaire_id: int | None = None) -> list[dict]:
    """Rounds, newest first, with their response counts by channel."""
    query = (
        select(SurveyRound, func.count(Response.id))
        .outerjoin(Response, Response.round_id == SurveyRound.id)
        .group_by(SurveyRound.id)
        .options(
            selectinload(SurveyRound.questionnaire),
            selectinload(SurveyRound.version),
            selectinload(SurveyRound.event),
            selectinload(SurveyRound.community),
        )
        .order_by(SurveyRound.created_at.desc(), SurveyRound.id.desc())
    )
    if questionnaire_id is not None:
        query = query.where(SurveyRound.questionnaire_id == questionnaire_id)
    return [{"round": r, "responses": n, "expected": expected_count(r)} for r, n in db.session.execute(query)]


def round_summary(survey_round: SurveyRound) -> dict:
    """Responses by channel, personal links issued and used, unfinished responses."""
    channels = dict(
        db.session.execute(
            select(Response.channel, func.count())
            .where(Response.round_id == survey_round.id)
            .group_by(Response.channel)
        ).all()
    )
    used = func.count(Invitation.id).filter(Invitation.used.is_(True))
    invitations = db.session.execute(
        select(func.count(Invitation.id), used).where(Invitation.round_id == survey_round.id)
    ).one()
    drafts = db.session.scalar(
        select(func.count()).select_from(ResponseDraft).where(ResponseDraft.round_id == survey_round.id)
    )
    return {
        "channels": {c.value: n for c, n in channels.items()},
        "total": sum(channels.values()),
        "invitations": invitations[0],
        "invitations_used": invitations[1],
        "drafts": drafts,
        "expected": expected_count(survey_round),
    }


def expected_count(survey_round: SurveyRound) -> int | None:
    """How many people were asked: the number the coordinator gave, else those who attended the event."""
    if survey_round.expected_count:
        return survey_round.expected_count
    if survey_round.personal_only:
        invited = db.session.scalar(select(func.count(Invitation.id)).where(Invitation.round_id == survey_round.id))
        if invited:
            return invited
    if survey_round.event_id:
        attended = db.session.scalar(
            select(func.count(Attendance.id)).where(
                Attendance.event_id == survey_round.event_id, Attendance.status == AttendanceStatus.ATTENDED
            )
        )
        return attended or None
    return None


def event_choices() -> list[tuple[int, str]]:
    events = db.session.scalars(select(Event).order_by(Event.starts_at.desc()).limit(300))
    return [(e.id, f"{e.title}, {e.starts_at.day} {e.starts_at:%B %Y}") for e in events]


def community_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.scalars(select(Community).order_by(Community.name))]


def programme_choices() -> list[str]:
    return list(
        db.session.scalars(
            select(SurveyRound.programme)
            .where(SurveyRound.programme.is_not(None))
            .distinct()
            .order_by(SurveyRound.programme)
        )
    )


def questionnaire_choices() -> list[tuple[int, str]]:
    return [(q.id, q.name) for q in db.session.scalars(select(Questionnaire).order_by(Questionnaire.name))]


def questionnaire_id_for(kind) -> int | None:
    """The (first) questionnaire of a kind, such as the ready-made event feedback."""
    return db.session.scalar(select(Questionnaire.id).where(Questionnaire.kind == kind).order_by(Questionnaire.id))


def list_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.name)))


# --------------------------------------------------------------------------- the report's raw material


@dataclass
class Scope:
    """What a report covers. `boroughs` limits a partner to their own boroughs."""

    programme: str | None = None
    community_id: int | None = None
    borough_code: str | None = None
    start: date | None = None
    end: date | None = None
    questionnaire_id: int | None = None
    boroughs: tuple[str, ...] = field(default_factory=tuple)
    period_key: str = "all"
    period_label: str = "All time"

    def as_args(self) -> dict:
        """The query string that chooses this scope again (the CSV link, the publish page)."""
        from .periods import args_for, find

        found = {
            k: v
            for k, v in {
                "programme": self.programme,
                "community_id": self.community_id,
                "borough": self.borough_code,
            }.items()
            if v
        }
        named = find(self.period_key)
        if named is not None and (named.start, named.end) == (self.start, self.end):
            found.update(args_for(named))
        elif self.start or self.end:
            found["period"] = "custom"
            found.update({k: v.isoformat() for k, v in (("start", self.start), ("end", self.end)) if v})
        return found

    def key(self) -> tuple:
        """What the figures depend on (for the report cache)."""
        return (
            self.programme,
            self.community_id,
            self.borough_code,
            self.start,
            self.end,
            self.questionnaire_id,
            tuple(sorted(self.boroughs)),
        )


def rounds_in_scope(scope: Scope) -> list[SurveyRound]:
    query = select(SurveyRound).options(
        selectinload(SurveyRound.version), selectinload(SurveyRound.event), selectinload(SurveyRound.questionnaire)
    )
    if scope.programme:
        query = query.where(SurveyRound.programme == scope.programme)
    if scope.community_id:
        query = query.outerjoin(Event, Event.id == SurveyRound.event_id).where(
            or_(SurveyRound.community_id == scope.community_id, Event.community_id == scope.community_id)
        )
    if scope.questionnaire_id:
        query = query.where(SurveyRound.questionnaire_id == scope.questionnaire_id)
    return list(db.session.scalars(query.order_by(SurveyRound.id)))


def _period(column, scope: Scope):
    conditions = []
    if scope.start:
        conditions.append(column >= datetime.combine(scope.start, time.min))
    if scope.end:
        conditions.append(column <= datetime.combine(scope.end, time.max))
    return conditions


@dataclass
class AnswerRow:
    """One stored answer as the report reads it (plain values, no database object)."""

    question_key: str
    choice: str | None
    number: int | None
    text: str | None
    themes: list[str] = field(default_factory=list)


@dataclass
class ResponseRow:
    """One response as the report reads it: its version's questions, channel, borough, consent and answers."""

    id: int
    questions: list[dict]
    channel: str
    borough_code: str | None
    quote_consent: bool
    answers: list[AnswerRow] = field(default_factory=list)


def _responses_query(scope: Scope, rounds: list[SurveyRound], *columns):
    query = select(*columns).where(
        Response.round_id.in_([r.id for r in rounds]), *_period(Response.submitted_at, scope)
    )
    if scope.borough_code:
        query = query.where(Response.borough_code == scope.borough_code)
    if scope.boroughs:
        query = query.where(Response.borough_code.in_(scope.boroughs))
    return query


def response_rows(scope: Scope, rounds: list[SurveyRound]) -> list[ResponseRow]:
    """The scope's responses with their answers and themes, read as plain rows in four queries.

    At Greater Manchester scale (thousands of responses, tens of thousands of answers) building ORM objects for
    every answer was most of the report's time; the report only needs the values.
    """
    if not rounds:
        return []
    from .models import QuestionnaireVersion

    rows = db.session.execute(
        _responses_query(
            scope,
            rounds,
            Response.id,
            Response.version_id,
            Response.channel,
            Response.borough_code,
            Response.quote_consent,
        ).order_by(Response.id)
    ).all()
    if not rows:
        return []
    versions = dict(
        db.session.execute(
            select(QuestionnaireVersion.id, QuestionnaireVersion.questions).where(
                QuestionnaireVersion.id.in_({r.version_id for r in rows})
            )
        ).all()
    )
    found = {
        r.id: ResponseRow(r.id, versions[r.version_id], r.channel.value, r.borough_code, bool(r.quote_consent))
        for r in rows
    }
    ids = _responses_query(scope, rounds, Response.id).scalar_subquery()
    answers = {}
    for a in db.session.execute(
        select(Answer.id, Answer.response_id, Answer.question_key, Answer.choice, Answer.number, Answer.text)
        .where(Answer.response_id.in_(ids))
        .order_by(Answer.id)
    ):
        answer = AnswerRow(a.question_key, a.choice, a.number, a.text)
        answers[a.id] = answer
        found[a.response_id].answers.append(answer)
    for answer_id, name in db.session.execute(
        select(AnswerTheme.answer_id, Theme.name)
        .join(Theme, Theme.id == AnswerTheme.theme_id)
        .join(Answer, Answer.id == AnswerTheme.answer_id)
        .where(Answer.response_id.in_(ids))
        .order_by(Theme.name)
    ):
        answers[answer_id].themes.append(name)
    return list(found.values())


def _equality_filter(scope: Scope, rounds: list[SurveyRound]) -> list:
    conditions = []
    if scope.programme or scope.community_id or scope.questionnaire_id:
        conditions.append(EqualityRecord.round_id.in_([r.id for r in rounds] or [-1]))
    if scope.start:
        conditions.append(EqualityRecord.month >= scope.start.replace(day=1))
    if scope.end:
        conditions.append(EqualityRecord.month <= scope.end)
    if scope.borough_code:
        conditions.append(EqualityRecord.borough == scope.borough_code)
    if scope.boroughs:
        conditions.append(EqualityRecord.borough.in_(scope.boroughs))
    return conditions


def equality_counts(scope: Scope, rounds: list[SurveyRound]) -> tuple[int, dict[str, dict[str, int]]]:
    """(records, {category: {answer: count}}): the only way equality answers leave the database."""
    conditions = _equality_filter(scope, rounds)
    total = db.session.scalar(select(func.count()).select_from(EqualityRecord).where(*conditions))
    counts = {}
    for category in equality.CATEGORIES:
        column = getattr(EqualityRecord, category.key)
        counts[category.key] = {
            value: n
            for value, n in db.session.execute(
                select(column, func.count()).where(*conditions, column.is_not(None)).group_by(column)
            )
        }
    return total, counts


def answers_for_tagging(
    role: str | None = None, theme_id: int | None = None, untagged: bool = False, limit: int = 200
) -> list[Answer]:
    """Written answers to barrier, enabler and story questions, newest first, for tagging with themes."""
    keys_by_version = {}
    from .models import QuestionnaireVersion

    for version in db.session.scalars(select(QuestionnaireVersion)):
        keys_by_version[version.id] = {
            q["key"]
            for q in version.questions
            if q.get("role") in ((role,) if role else ("barriers", "enablers", "story"))
        }
    query = (
        select(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.text.is_not(None))
        .options(selectinload(Answer.themes), selectinload(Answer.response).selectinload(Response.version))
        .order_by(Response.submitted_at.desc(), Answer.id.desc())
    )
    if theme_id:
        query = query.where(Answer.id.in_(select(AnswerTheme.answer_id).where(AnswerTheme.theme_id == theme_id)))
    if untagged:
        query = query.where(~Answer.id.in_(select(AnswerTheme.answer_id)))
    found = []
    for answer in db.session.scalars(query):
        if answer.question_key in keys_by_version.get(answer.response.version_id, ()):
            found.append(answer)
            if len(found) >= limit:
                break
    return found


# --------------------------------------------------------------------------- published (public) reports


def published_reports() -> list[PublishedReport]:
    return list(
        db.session.scalars(
            select(PublishedReport)
            .options(selectinload(PublishedReport.community))
            .order_by(PublishedReport.revoked_at.is_not(None), PublishedReport.published_at.desc())
        )
    )


def live_published(token: str) -> PublishedReport | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(PublishedReport).where(PublishedReport.token == token, PublishedReport.revoked_at.is_(None))
    )


def scope_of(published: PublishedReport) -> Scope:
    """The scope a published report covers (fixed when it was published)."""
    return Scope(
        programme=published.programme,
        community_id=published.community_id,
        borough_code=published.borough_code,
        start=published.start,
        end=published.end,
        period_key="published",
        period_label=published.period_label,
    )


def respondents(scope: Scope) -> tuple[frozenset[int], frozenset[int]]:
    """(response ids, equality record ids) a scope's figures are built from: only ids, to compare scopes."""
    rounds = rounds_in_scope(scope)
    responses: frozenset[int] = frozenset()
    if rounds:
        responses = frozenset(db.session.scalars(_responses_query(scope, rounds, Response.id)))
    records = frozenset(db.session.scalars(select(EqualityRecord.id).where(*_equality_filter(scope, rounds))))
    return responses, records


def overlapping(scope: Scope, others: list[PublishedReport]) -> list[PublishedReport]:
    """The live published reports that share some, but not all, of this scope's answers or equality records.

    Two public tables over overlapping but different sets of people can be subtracted one from the other, and
    the difference may be a count of 1 to 4 that neither table shows; disjoint or identical sets cannot.
    """
    mine = respondents(scope)
    found = []
    for other in others:
        theirs = respondents(scope_of(other))
        for a, b in zip(mine, theirs):
            if a & b and a != b:
                found.append(other)
                break
    return found
