"""Small builders for evaluation tests: ready-made questionnaires, rounds and responses inserted directly."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import select

from coordination.evaluation import operations
from coordination.evaluation.models import Channel, Questionnaire, QuestionnaireKind, Response
from coordination.extensions import db

_n = itertools.count(1)


def questionnaire(kind: QuestionnaireKind) -> Questionnaire:
    operations.ensure_ready_made()
    return db.session.scalar(select(Questionnaire).where(Questionnaire.kind == kind))


def survey_round(kind=QuestionnaireKind.INVOLVEMENT_OUTCOMES, **values):
    values.setdefault("title", f"Round {next(_n)}")
    return operations.open_round(questionnaire(kind), **values)


def respond(round_, answers: dict, *, when: datetime | None = None, quote: bool = False, channel=Channel.ONLINE):
    """A submitted response with these answers (keys are question keys)."""
    response = Response(
        survey_round=round_,
        version=round_.version,
        channel=channel,
        quote_consent=quote,
        borough_code=operations.response_borough(round_, answers),
    )
    if channel != Channel.ONLINE:
        from coordination.accounts.models import User

        response.entered_by_id = db.session.scalar(select(User.id).limit(1))
    response.answers = operations._answer_rows(round_.version, answers)
    if when:
        response.submitted_at = when
    db.session.add(response)
    db.session.commit()
    return response


def equality_record(round_, **values):
    record, code = operations._equality_record(round_, values)
    db.session.add(record)
    db.session.commit()
    return record, code
