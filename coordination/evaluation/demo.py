"""Demo evaluation: the ready-made questionnaires, three rounds of the learning programme with answers
(online and typed in from paper), equality monitoring, barrier and enabler themes with tags, and one
configured comparator, so the impact report has something to show. Runs after the communities seed.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from ..accounts.models import User
from ..communities.models import Attendance, AttendanceStatus, Event, EventType
from ..extensions import db
from ..timeutil import utcnow
from . import equality, operations
from .models import Answer, AnswerTheme, Channel, Questionnaire, QuestionnaireKind, Response
from .themes import suggest_themes

PROGRAMME = "Learning programme 2026"
BOROUGH_WEIGHTS = {
    "E08000003": 5,
    "E08000005": 4,
    "E08000004": 3,
    "E08000006": 3,
    "E08000001": 2,
    "E08000002": 2,
    "E08000007": 2,
    "E08000008": 2,
    "E08000009": 2,
    "E08000010": 2,
}
BARRIERS = (
    "No time: my manager could not release me to plan it properly",
    "Funding for the project ended before we could keep it going",
    "Senior leaders were not interested in changing how we work",
    "Staff turnover meant the people I trained left",
    "We had no budget to pay people with lived experience for their time",
)
ENABLERS = (
    "A peer support network across boroughs kept me going",
    "My chief executive backed it and gave me time",
    "People with lived experience co-designed it with us",
    "The masterclass resources were easy to share with colleagues",
    "Small funding from the programme paid for the first sessions",
)
STORIES = (
    "We now run a monthly peer support group that members lead themselves",
    "Care and support planning is now in our strategy for next year",
    "I changed how we write referral letters, quietly, and the team followed",
    "Our board now has two members with lived experience",
)
THEMES = (
    ("Time and capacity", "barrier", "time, capacity, release, workload"),
    ("Leadership support", "either", "manager, chief executive, senior leaders, board"),
    ("Funding", "either", "funding, budget, money, grant"),
    ("Peer support", "enabler", "peer support, network"),
    ("Lived experience voice", "enabler", "lived experience, co-design, co-designed"),
    ("Staff turnover", "barrier", "turnover, left"),
)


def _pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def seed(scale: str | None) -> str | None:
    """Create the demo evaluation once."""
    if db.session.scalar(select(func.count()).select_from(Response)):
        return "evaluation answers already present; nothing added"
    rng = random.Random(1212)
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.org"))
    operations.ensure_ready_made(actor=coordinator)
    by_kind = {q.kind: q for q in db.session.scalars(select(Questionnaire))}
    event = _recent_masterclass()
    now = utcnow()
    rounds = {
        "feedback": operations.open_round(
            by_kind[QuestionnaireKind.EVENT_FEEDBACK],
            title=f"Feedback: {event.title}" if event else "Masterclass feedback",
            programme=PROGRAMME,
            event_id=event.id if event else None,
            expected_count=None if event and _attended(event) else 48,
            actor=coordinator,
        ),
        "outcomes": operations.open_round(
            by_kind[QuestionnaireKind.INVOLVEMENT_OUTCOMES],
            title="Involvement outcomes, spring round",
            programme=PROGRAMME,
            expected_count=90,
            actor=coordinator,
        ),
        "change": operations.open_round(
            by_kind[QuestionnaireKind.ORGANISATION_CHANGE],
            title="Change in my organisation, six months on",
            programme=PROGRAMME,
            expected_count=70,
            actor=coordinator,
        ),
    }
    made = 0
    # About four in five of those who came answer (the rest are the response rate's gap).
    feedback_n = min(int(_attended(event) * 0.8), 40) if event and _attended(event) >= 10 else 36
    for i in range(feedback_n):
        made += _respond(
            rounds["feedback"],
            {
                "overall": rng.choices([5, 4, 3], weights=[60, 38, 2])[0],
                "understanding": rng.choices([5, 4, 3], weights=[50, 46, 4])[0],
                "best": rng.choice(["Hearing from people with lived experience", "The practical examples", None, None]),
                "borough": _pick(rng, BOROUGH_WEIGHTS),
            },
            rng,
            now,
            paper=i < 2,
            actor=coordinator,
        )
    for i in range(64):
        made += _respond(
            rounds["outcomes"],
            {
                **{
                    f"outcome_{w}": rng.choices(["yes", "partly", "no"], weights=[62, 25, 13])[0]
                    for w in ("knowledge", "skills", "confidence", "motivation")
                },
                **_ratings(rng),
                "borough": _pick(rng, BOROUGH_WEIGHTS),
            },
            rng,
            now,
            paper=i < 2,
            actor=coordinator,
        )
    for _ in range(44):
        made += _respond(
            rounds["change"],
            {
                "practice_developed": rng.choices(["yes", "partly", "no"], weights=[45, 30, 25])[0],
                "change_created": rng.choices(["yes", "partly", "no"], weights=[38, 26, 36])[0],
                "embedding": rng.choices(
                    ["strategy", "under_the_radar", "not_yet", "not_sure"], weights=[35, 30, 25, 10]
                )[0],
                "barriers": rng.choice(BARRIERS) if rng.random() < 0.8 else None,
                "enablers": rng.choice(ENABLERS) if rng.random() < 0.8 else None,
                "story": rng.choice(STORIES) if rng.random() < 0.4 else None,
                "borough": _pick(rng, BOROUGH_WEIGHTS),
            },
            rng,
            now,
            paper=False,
            actor=coordinator,
            quote=rng.random() < 0.7,
        )
    equality_made = _equality(rng, list(rounds.values()), made)
    tagged = _themes(coordinator)
    operations.add_comparator(
        measure="ethnic_minority",
        name="Sector workforce (demo: the figure the programme's earlier impact page used)",
        percent="9",
        source="Demo data: quoted on the learning programme's earlier impact page, not checked",
        source_url=None,
        actor=coordinator,
    )
    db.session.commit()
    return (
        f"3 rounds in '{PROGRAMME}', {made} responses (4 typed in from paper), {equality_made} equality "
        f"records, {len(THEMES)} themes, {tagged} tagged answers"
    )


def _recent_masterclass() -> Event | None:
    return db.session.scalar(
        select(Event)
        .where(Event.event_type == EventType.MASTERCLASS, Event.starts_at <= utcnow())
        .order_by(Event.starts_at.desc())
    )


def _attended(event: Event | None) -> int:
    if event is None:
        return 0
    return (
        db.session.scalar(
            select(func.count(Attendance.id)).where(
                Attendance.event_id == event.id, Attendance.status == AttendanceStatus.ATTENDED
            )
        )
        or 0
    )


def _ratings(rng) -> dict:
    if rng.random() < 0.3:
        return {}
    before = rng.choice([1, 2, 2, 3, 3, 3, 4])
    return {"before_confidence": before, "after_confidence": min(5, before + rng.choice([0, 1, 1, 1, 2]))}


def _respond(survey_round, answers: dict, rng, now, *, paper: bool, actor, quote: bool = False) -> int:
    answers = {k: v for k, v in answers.items() if v is not None}
    if paper:
        response, _ = operations.enter_response(
            survey_round, answers=answers, channel="paper", name=None, quote_consent=quote, actor=actor
        )
    else:
        response = Response(
            survey_round=survey_round,
            version=survey_round.version,
            channel=Channel.ONLINE,
            borough_code=operations.response_borough(survey_round, answers),
            quote_consent=quote,
            respondent_name=None,
        )
        response.answers = operations._answer_rows(survey_round.version, answers)
        db.session.add(response)
    response.submitted_at = now - timedelta(days=rng.randint(1, 150), minutes=rng.randint(0, 600))
    db.session.flush()
    return 1


_DIST = {
    "age_band": {"25_34": 18, "35_44": 26, "45_54": 28, "55_64": 18, "65_74": 6, "prefer_not_to_say": 4},
    "sex": {"female": 66, "male": 30, "prefer_not_to_say": 4},
    "gender_identity": {"yes": 93, "no": 3, "prefer_not_to_say": 4},
    "sexual_orientation": {"straight": 76, "gay_lesbian": 9, "bisexual": 7, "other": 3, "prefer_not_to_say": 5},
    "ethnic_group": {
        "white_british": 74,
        "white_irish": 3,
        "white_other": 4,
        "mixed_white_black_caribbean": 2,
        "asian_pakistani": 6,
        "asian_indian": 3,
        "asian_bangladeshi": 1,
        "black_african": 3,
        "black_caribbean": 2,
        "other_arab": 1,
        "prefer_not_to_say": 1,
    },
    "religion": {
        "no_religion": 40,
        "christian": 38,
        "muslim": 10,
        "jewish": 3,
        "hindu": 2,
        "buddhist": 2,
        "sikh": 1,
        "other": 1,
        "prefer_not_to_say": 3,
    },
    "long_term_condition": {"yes": 45, "no": 52, "prefer_not_to_say": 3},
    "disability": {"yes_a_lot": 8, "yes_a_little": 14, "no": 75, "prefer_not_to_say": 3},
    "carer": {"no": 63, "up_to_9": 14, "10_19": 8, "20_34": 5, "35_49": 3, "50_plus": 4, "prefer_not_to_say": 3},
}


def _equality(rng, rounds, responses: int) -> int:
    """About three in four respondents chose to answer the equality questions."""
    made = 0
    for _ in range(int(responses * 0.75)):
        survey_round = rng.choice(rounds)
        values = {key: _pick(rng, weights) for key, weights in _DIST.items() if rng.random() > 0.03}
        values["borough"] = _pick(rng, BOROUGH_WEIGHTS)
        record, _ = operations._equality_record(survey_round, values)
        record.month = (utcnow().date() - timedelta(days=rng.randint(1, 150))).replace(day=1)
        db.session.add(record)
        made += 1
    db.session.flush()
    assert all(c.key in _DIST or c.key == "borough" for c in equality.CATEGORIES)
    return made


def _themes(actor) -> int:
    themes = [
        operations.save_theme(None, name=name, kind=kind, words=words, actor=actor) for name, kind, words in THEMES
    ]
    answers = list(
        db.session.scalars(
            select(Answer).where(Answer.text.is_not(None), Answer.question_key.in_(("barriers", "enablers", "story")))
        )
    )
    tagged = 0
    for answer, suggested in zip(answers, suggest_themes([a.text for a in answers], themes)):
        for theme in suggested:
            db.session.add(AnswerTheme(answer_id=answer.id, theme_id=theme.id, tagged_by_id=getattr(actor, "id", None)))
        tagged += bool(suggested)
    db.session.flush()
    return tagged
