"""Every change to questionnaires, rounds, responses, equality records, comparators and themes."""

from __future__ import annotations

import copy
import json
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import OperationError
from ..extensions import db
from ..timeutil import utcnow
from ..tokens import hash_token
from . import equality
from .models import (
    Answer,
    AnswerTheme,
    Channel,
    Comparator,
    EqualityRecord,
    Invitation,
    PublishedReport,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireVersion,
    QuestionType,
    Response,
    ResponseDraft,
    RoundStatus,
    SurveyRound,
    Theme,
    ThemeKind,
)
from .questions import MAX_TEXT, READY_MADE, ROLES, new_key, resolve_options

MAX_QUESTIONS = 40
MAX_OPTIONS = 30
MAX_DRAFT_CHARS = 40_000  # all answers of one unfinished response, as stored
MAX_OPEN_DRAFTS = 5_000  # unfinished responses per round at once (a bound on anonymous writes)
DRAFT_DAYS = 14  # unfinished responses older than this are removed
MAX_INVITATIONS = 500


class EvaluationError(OperationError):
    """A change that cannot be made, with a message for the person making it."""


def digest(token: str) -> str:
    """Only digests of personal links, draft cookies and deletion codes are kept."""
    return hash_token(token)


# --------------------------------------------------------------------------- questionnaires


def ensure_ready_made(actor=None) -> list[Questionnaire]:
    """Create the ready-made questionnaires that do not exist yet (by name); returns those created."""
    created = []
    for spec in READY_MADE:
        if db.session.scalar(select(Questionnaire.id).where(Questionnaire.name == spec["name"])):
            continue
        questionnaire = Questionnaire(
            name=spec["name"], kind=QuestionnaireKind(spec["kind"]), description=spec["description"]
        )
        questionnaire.versions.append(
            QuestionnaireVersion(
                number=1,
                intro=spec["intro"],
                questions=[resolve_options(q) for q in spec["questions"]],
                created_by_id=getattr(actor, "id", None),
            )
        )
        db.session.add(questionnaire)
        db.session.flush()
        audit.record(
            "questionnaire.created", questionnaire, after={"name": questionnaire.name, "ready_made": True}, actor=actor
        )
        created.append(questionnaire)
    db.session.commit()
    return created


def create_questionnaire(
    *, name: str, kind: str, description: str | None, intro: str | None, actor=None
) -> Questionnaire:
    """A new questionnaire with an empty first version."""
    name = (name or "").strip()
    if db.session.scalar(select(Questionnaire.id).where(func.lower(Questionnaire.name) == name.lower())):
        raise EvaluationError(f"There is already a questionnaire called {name}")
    questionnaire = Questionnaire(name=name, kind=QuestionnaireKind(kind), description=description or None)
    questionnaire.versions.append(
        QuestionnaireVersion(number=1, intro=intro or None, questions=[], created_by_id=getattr(actor, "id", None))
    )
    db.session.add(questionnaire)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EvaluationError(f"There is already a questionnaire called {name}") from None
    audit.record("questionnaire.created", questionnaire, after={"name": name, "kind": kind}, actor=actor)
    db.session.commit()
    return questionnaire


def update_questionnaire(
    questionnaire: Questionnaire, *, name: str, kind: str, description: str | None, intro: str | None, actor=None
) -> Questionnaire:
    """Rename or describe a questionnaire; a changed introduction is part of the questions, so it is versioned."""
    name = (name or "").strip()
    clash = db.session.scalar(select(Questionnaire.id).where(func.lower(Questionnaire.name) == name.lower()))
    if clash and clash != questionnaire.id:
        raise EvaluationError(f"There is already a questionnaire called {name}")
    before = {
        "name": questionnaire.name,
        "kind": questionnaire.kind,
        "description": questionnaire.description,
        "intro": questionnaire.current.intro,
    }
    questionnaire.name, questionnaire.kind = name, QuestionnaireKind(kind)
    questionnaire.description = description or None
    if (intro or None) != questionnaire.current.intro:
        _editable_version(questionnaire, actor).intro = intro or None
    audit.record(
        "questionnaire.updated",
        questionnaire,
        before=before,
        after={"name": name, "kind": kind, "description": description, "intro": intro},
        actor=actor,
    )
    db.session.commit()
    return questionnaire


def version_has_answers(version: QuestionnaireVersion) -> bool:
    return db.session.scalar(select(Response.id).where(Response.version_id == version.id).limit(1)) is not None


def _editable_version(questionnaire: Questionnaire, actor=None) -> QuestionnaireVersion:
    """The current version if nobody has answered it yet, else a new copy (answers stay with the old one)."""
    current = questionnaire.current
    if not version_has_answers(current):
        return current
    version = QuestionnaireVersion(
        number=current.number + 1,
        intro=current.intro,
        questions=copy.deepcopy(current.questions),
        created_by_id=getattr(actor, "id", None),
    )
    questionnaire.versions.append(version)
    db.session.flush()
    audit.record(
        "questionnaire.versioned",
        questionnaire,
        before={"version": current.number},
        after={"version": version.number},
        actor=actor,
    )
    return version


def _clean_options(kind: str, options_text: str | None) -> list[list[str]] | None:
    if kind not in (QuestionType.CHOOSE_ONE.value, QuestionType.CHOOSE_MANY.value):
        return None
    labels = list(dict.fromkeys(line.strip() for line in (options_text or "").splitlines() if line.strip()))
    if len(labels) < 2:
        raise EvaluationError("Enter at least two options, one on each line")
    if len(labels) > MAX_OPTIONS:
        raise EvaluationError(f"A question can have at most {MAX_OPTIONS} options")
    if any(len(label) > 200 for label in labels):
        raise EvaluationError("Each option must be 200 characters or fewer")
    taken: set[str] = set()
    options = []
    for label in labels:
        value = new_key(label, taken)[:40]
        taken.add(value)
        options.append([value, label])
    return options


def save_question(
    questionnaire: Questionnaire,
    key: str | None,
    *,
    text: str,
    kind: str,
    hint: str | None,
    required: bool,
    options_text: str | None,
    role: str,
    actor=None,
) -> QuestionnaireVersion:
    """Add (key=None) or change a question; a version that has answers is copied first."""
    kind = QuestionType(kind).value
    if role not in ROLES:
        raise EvaluationError("Choose what the question counts towards in the report")
    options = _clean_options(kind, options_text)
    if key is not None and questionnaire.current.question(key) is None:
        raise EvaluationError("That question is no longer in the questionnaire; reload the page")
    if key is None and len(questionnaire.current.questions) >= MAX_QUESTIONS:
        raise EvaluationError(f"A questionnaire can have at most {MAX_QUESTIONS} questions")
    version = _editable_version(questionnaire, actor)
    questions = copy.deepcopy(version.questions)
    question = {
        "key": key or new_key(text, {q["key"] for q in questions}),
        "type": kind,
        "text": text,
        "hint": hint or "",
        "required": bool(required),
        "role": role,
    }
    if options is not None:
        question["options"] = options
    before = None
    if key is None:
        questions.append(question)
    else:
        index = next(i for i, q in enumerate(questions) if q["key"] == key)
        before = questions[index]
        # Keep a rating question's own labels (for example the 1 to 5 self-ratings) when its text changes.
        if kind == before["type"] and options is None and before.get("options"):
            question["options"] = before["options"]
        questions[index] = question
    version.questions = questions
    audit.record(
        "questionnaire.question_saved",
        questionnaire,
        before=before,
        after={"version": version.number, **question},
        actor=actor,
    )
    db.session.commit()
    return version


def remove_question(questionnaire: Questionnaire, key: str, actor=None) -> QuestionnaireVersion:
    """Take a question out of the questionnaire (earlier versions and their answers keep it)."""
    if questionnaire.current.question(key) is None:
        raise EvaluationError("That question is no longer in the questionnaire")
    version = _editable_version(questionnaire, actor)
    removed = version.question(key)
    version.questions = [q for q in version.questions if q["key"] != key]
    audit.record(
        "questionnaire.question_removed", questionnaire, before=removed, after={"version": version.number}, actor=actor
    )
    db.session.commit()
    return version


def move_question(questionnaire: Questionnaire, key: str, direction: int, actor=None) -> QuestionnaireVersion:
    """Move a question one place up (-1) or down (+1)."""
    keys = [q["key"] for q in questionnaire.current.questions]
    if key not in keys:
        raise EvaluationError("That question is no longer in the questionnaire")
    index = keys.index(key)
    target = index + (1 if direction > 0 else -1)
    if not 0 <= target < len(keys):
        return questionnaire.current
    version = _editable_version(questionnaire, actor)
    questions = list(version.questions)
    questions[index], questions[target] = questions[target], questions[index]
    version.questions = questions
    audit.record("questionnaire.question_moved", questionnaire, after={"key": key, "to": target + 1}, actor=actor)
    db.session.commit()
    return version


# --------------------------------------------------------------------------- rounds and links


def open_round(
    questionnaire: Questionnaire,
    *,
    title: str,
    programme: str | None = None,
    event_id: int | None = None,
    community_id: int | None = None,
    borough_code: str | None = None,
    expected_count: int | None = None,
    personal_only: bool = False,
    ask_equality: bool = True,
    actor=None,
) -> SurveyRound:
    """Start collecting answers to the questionnaire's current version through a new link."""
    version = questionnaire.current
    if not version.questions:
        raise EvaluationError("Add at least one question before collecting answers")
    survey_round = SurveyRound(
        title=title,
        programme=(programme or "").strip() or None,
        questionnaire=questionnaire,
        version=version,
        event_id=event_id,
        community_id=community_id,
        borough_code=borough_code or None,
        expected_count=expected_count or None,
        personal_only=bool(personal_only),
        ask_equality=bool(ask_equality),
        token=secrets.token_urlsafe(32),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(survey_round)
    db.session.flush()
    audit.record(
        "survey_round.opened",
        survey_round,
        after={
            "title": title,
            "questionnaire_id": questionnaire.id,
            "version": version.number,
            "event_id": event_id,
            "community_id": community_id,
            "borough_code": borough_code,
            "personal_only": personal_only,
        },
        actor=actor,
    )
    db.session.commit()
    return survey_round


def set_round_status(survey_round: SurveyRound, status: str, actor=None) -> None:
    """Close or reopen a link; a conditional update, so two clicks cannot both change it."""
    status = RoundStatus(status)
    expected = RoundStatus.OPEN if status == RoundStatus.CLOSED else RoundStatus.CLOSED
    changed = db.session.execute(
        update(SurveyRound)
        .where(SurveyRound.id == survey_round.id, SurveyRound.status == expected)
        .values(status=status, closed_at=utcnow() if status == RoundStatus.CLOSED else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise EvaluationError(f"This link is already {status.title.lower()}")
    audit.record(
        f"survey_round.{'closed' if status == RoundStatus.CLOSED else 'reopened'}",
        entity_type="SurveyRound",
        entity_id=survey_round.id,
        before={"status": expected.value},
        after={"status": status.value},
        actor=actor,
    )
    db.session.commit()
    db.session.refresh(survey_round)


def replace_round_link(survey_round: SurveyRound, actor=None) -> None:
    """Revoke the link (and its QR code) by giving the round a new one; answers already given stay."""
    survey_round.token = secrets.token_urlsafe(32)
    audit.record("survey_round.link_replaced", survey_round, actor=actor)
    db.session.commit()


def create_invitations(survey_round: SurveyRound, labels: list[str], actor=None) -> list[tuple[Invitation, str]]:
    """Personal links, one response each; the tokens are returned once and only their digests are kept."""
    labels = [label.strip()[:120] for label in labels if label.strip()]
    if not labels:
        raise EvaluationError("Enter at least one name or label, one on each line")
    if len(labels) > MAX_INVITATIONS:
        raise EvaluationError(f"Create at most {MAX_INVITATIONS} personal links at once")
    issued = []
    for label in labels:
        token = secrets.token_urlsafe(32)
        invitation = Invitation(survey_round=survey_round, token_hash=digest(token), label=label)
        db.session.add(invitation)
        issued.append((invitation, token))
    db.session.flush()
    audit.record("survey_round.invitations_created", survey_round, after={"count": len(issued)}, actor=actor)
    db.session.commit()
    return issued


# --------------------------------------------------------------------------- answering


def start_draft(survey_round: SurveyRound, invitation: Invitation | None = None) -> tuple[ResponseDraft, str]:
    """A new unfinished response; returns it and the key for the person's cookie."""
    if not survey_round.is_open:
        raise EvaluationError("This survey has closed")
    db.session.execute(delete(ResponseDraft).where(ResponseDraft.updated_at < utcnow() - timedelta(days=DRAFT_DAYS)))
    open_drafts = db.session.scalar(
        select(func.count()).select_from(ResponseDraft).where(ResponseDraft.round_id == survey_round.id)
    )
    if open_drafts >= MAX_OPEN_DRAFTS:
        db.session.rollback()
        raise EvaluationError("Too many people are part-way through this survey right now. Try again later.")
    key = secrets.token_urlsafe(32)
    draft = ResponseDraft(
        key_hash=digest(key),
        round_id=survey_round.id,
        invitation_id=invitation.id if invitation else None,
        answers={},
        about={},
        equality={},
    )
    db.session.add(draft)
    db.session.commit()
    return draft, key


def _draft_size(draft: ResponseDraft) -> int:
    return len(json.dumps([draft.answers, draft.about, draft.equality]))


def save_draft_part(draft: ResponseDraft, part: str, key: str, value) -> None:
    """Keep one answer in an unfinished response ('answers', 'about' or 'equality')."""
    stored = dict(getattr(draft, part) or {})
    if value is None or value == [] or value == "":
        stored.pop(key, None)
    else:
        stored[key] = value
    setattr(draft, part, stored)
    if _draft_size(draft) > MAX_DRAFT_CHARS:
        db.session.rollback()
        raise EvaluationError("Your answers are too long in total. Shorten one of them and try again.")
    draft.updated_at = utcnow()
    db.session.commit()


def response_borough(survey_round: SurveyRound, answers: dict) -> str | None:
    """The borough a response counts towards: the person's own answer, else the round's, event's or community's."""
    version = survey_round.version
    for question in version.questions:
        value = answers.get(question["key"])
        if question.get("role") == "borough" and isinstance(value, str) and value.startswith("E08"):
            return value
    if survey_round.borough_code:
        return survey_round.borough_code
    if survey_round.event is not None and survey_round.event.venue_borough_code:
        return survey_round.event.venue_borough_code
    if survey_round.community is not None and len(survey_round.community.borough_codes) == 1:
        return survey_round.community.borough_codes[0]
    return None


def _answer_rows(version: QuestionnaireVersion, answers: dict) -> list[Answer]:
    rows = []
    for question in version.questions:
        value = answers.get(question["key"])
        if value is None or value == [] or value == "":
            continue
        kind = question["type"]
        if kind == QuestionType.CHOOSE_MANY.value:
            rows += [Answer(question_key=question["key"], choice=str(v)[:80]) for v in value]
        elif kind in (QuestionType.RATING.value, QuestionType.NUMBER.value):
            rows.append(Answer(question_key=question["key"], number=int(value)))
        elif kind == QuestionType.FREE_TEXT.value:
            rows.append(Answer(question_key=question["key"], text=str(value)[:MAX_TEXT]))
        else:
            rows.append(Answer(question_key=question["key"], choice=str(value)[:80]))
    return rows


def missing_required(version: QuestionnaireVersion, answers: dict) -> list[dict]:
    return [q for q in version.questions if q.get("required") and answers.get(q["key"]) in (None, "", [])]


def _equality_record(survey_round: SurveyRound, values: dict) -> tuple[EqualityRecord, str]:
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    record = EqualityRecord(
        round_id=survey_round.id,
        month=utcnow().date().replace(day=1),
        consent_wording=equality.CONSENT_WORDING,
        deletion_code_hash=digest(code),
    )
    for category in equality.CATEGORIES:
        value = values.get(category.key)
        if value in dict(category.all_options):
            setattr(record, category.key, value)
    return record, code


def submit_draft(draft: ResponseDraft) -> tuple[Response, str | None]:
    """Turn an unfinished response into a response (and an equality record when the person consented).

    Returns the response and the equality record's deletion code (None when they gave no equality answers).
    """
    survey_round = db.session.get(SurveyRound, draft.round_id)
    if survey_round is None or not survey_round.is_open:
        raise EvaluationError("This survey has closed, so your answers could not be sent")
    version = survey_round.version
    missing = missing_required(version, draft.answers or {})
    if missing:
        raise EvaluationError(f"Answer the question: {missing[0]['text']}")
    if draft.invitation_id is not None:
        used = db.session.execute(
            update(Invitation)
            .where(Invitation.id == draft.invitation_id, Invitation.used.is_(False))
            .values(used=True)
            .execution_options(synchronize_session=False)
        ).rowcount
        if used != 1:
            db.session.rollback()
            raise EvaluationError("Someone has already answered using this personal link")
    about = draft.about or {}
    response = Response(
        survey_round=survey_round,
        version=version,
        channel=Channel.ONLINE,
        borough_code=response_borough(survey_round, draft.answers or {}),
        respondent_name=(about.get("name") or None) if about.get("give_name") == "yes" else None,
        quote_consent=about.get("quote") == "yes",
    )
    response.answers = _answer_rows(version, draft.answers or {})
    db.session.add(response)
    db.session.flush()
    code = None
    values = draft.equality or {}
    if (
        survey_round.ask_equality
        and values.get("consent") == "yes"
        and any(values.get(c.key) for c in equality.CATEGORIES)
    ):
        record, code = _equality_record(survey_round, values)
        db.session.add(record)
    # The audit entry names the round and channel only: never the answers, nor the equality record.
    audit.record("survey.response_submitted", response, after={"round_id": survey_round.id, "channel": "online"})
    db.session.delete(draft)
    db.session.commit()
    return response, code


def enter_response(
    survey_round: SurveyRound,
    *,
    answers: dict,
    channel: str,
    name: str | None,
    quote_consent: bool,
    equality_values: dict | None = None,
    actor=None,
) -> tuple[Response, str | None]:
    """A coordinator types in a paper or phone response (marked as such); closed rounds accept them too."""
    channel = Channel(channel)
    if channel == Channel.ONLINE:
        raise EvaluationError("Choose paper or phone")
    version = survey_round.version
    missing = missing_required(version, answers)
    if missing:
        raise EvaluationError(f"Answer the question: {missing[0]['text']}")
    response = Response(
        survey_round=survey_round,
        version=version,
        channel=channel,
        borough_code=response_borough(survey_round, answers),
        respondent_name=name or None,
        quote_consent=bool(quote_consent),
        entered_by_id=getattr(actor, "id", None),
    )
    response.answers = _answer_rows(version, answers)
    db.session.add(response)
    db.session.flush()
    code = None
    if equality_values and any(equality_values.get(c.key) for c in equality.CATEGORIES):
        record, code = _equality_record(survey_round, equality_values)
        db.session.add(record)
    audit.record(
        "survey.response_entered", response, after={"round_id": survey_round.id, "channel": channel.value}, actor=actor
    )
    db.session.commit()
    return response, code


def delete_equality_record(code: str) -> bool:
    """Delete the equality answers the code was given for; True when something was deleted."""
    code = (code or "").strip().upper().replace(" ", "")
    if len(code) == 16 and "-" not in code:
        code = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    deleted = db.session.execute(delete(EqualityRecord).where(EqualityRecord.deletion_code_hash == digest(code)))
    if deleted.rowcount:
        audit.record("equality.deleted_on_request", entity_type="EqualityRecord")
    db.session.commit()
    return bool(deleted.rowcount)


# --------------------------------------------------------------------------- comparators and themes


def add_comparator(
    *, measure: str, name: str, percent: str, source: str, source_url: str | None, actor=None
) -> Comparator:
    """A comparator figure with its source (for example the sector workforce's share of disabled people)."""
    if measure not in {m.key for m in equality.MEASURES}:
        raise EvaluationError("Choose which figure it compares with")
    try:
        value = Decimal(str(percent).strip().rstrip("%"))
    except InvalidOperation:
        raise EvaluationError("Enter the percentage as a number, like 9 or 9.5") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise EvaluationError("Enter a percentage between 0 and 100")
    comparator = Comparator(
        measure=measure,
        name=name,
        percent=value.quantize(Decimal("0.01")),
        source=source,
        source_url=source_url or None,
    )
    db.session.add(comparator)
    db.session.flush()
    audit.record(
        "comparator.added",
        comparator,
        after={"measure": measure, "name": name, "percent": value, "source": source},
        actor=actor,
    )
    db.session.commit()
    return comparator


def remove_comparator(comparator: Comparator, actor=None) -> None:
    audit.record(
        "comparator.removed",
        comparator,
        before={"measure": comparator.measure, "name": comparator.name, "percent": comparator.percent},
        actor=actor,
    )
    db.session.delete(comparator)
    db.session.commit()


def save_theme(theme: Theme | None, *, name: str, kind: str, words: str | None, actor=None) -> Theme:
    """Add (theme=None) or rename a barrier or enabler theme; names are unique regardless of case."""
    clash = db.session.scalar(select(Theme.id).where(func.lower(Theme.name) == name.strip().lower()))
    if clash and (theme is None or clash != theme.id):
        raise EvaluationError(f"There is already a theme called {name}")
    creating = theme is None
    before = None if creating else {"name": theme.name, "kind": theme.kind, "words": theme.words}
    theme = theme or Theme()
    theme.name, theme.kind, theme.words = name.strip(), ThemeKind(kind), (words or "").strip() or None
    db.session.add(theme)
    db.session.flush()
    audit.record(
        "theme.created" if creating else "theme.updated",
        theme,
        before=before,
        after={"name": theme.name, "kind": theme.kind, "words": theme.words},
        actor=actor,
    )
    db.session.commit()
    return theme


def remove_theme(theme: Theme, actor=None) -> None:
    audit.record("theme.removed", theme, before={"name": theme.name}, actor=actor)
    db.session.delete(theme)
    db.session.commit()


def tag_answer(answer: Answer, theme_ids: list[int], actor=None) -> None:
    """Set the themes a free-text answer is tagged with."""
    if answer.text is None:
        raise EvaluationError("Only written answers can be tagged")
    known = set(db.session.scalars(select(Theme.id).where(Theme.id.in_(theme_ids or [-1]))))
    if set(theme_ids) - known:
        raise EvaluationError("One of those themes has been removed; reload the page")
    before = sorted(t.id for t in answer.themes)
    db.session.execute(delete(AnswerTheme).where(AnswerTheme.answer_id == answer.id))
    for theme_id in sorted(known):
        db.session.add(AnswerTheme(answer_id=answer.id, theme_id=theme_id, tagged_by_id=getattr(actor, "id", None)))
    audit.record("answer.tagged", answer, before={"themes": before}, after={"themes": sorted(known)}, actor=actor)
    db.session.commit()
    db.session.expire(answer)


# --------------------------------------------------------------------------- public versions of the report


def publish_report(scope, *, title: str, actor=None) -> PublishedReport:
    """Publish the report for this scope at a public address (its small numbers protected when shown).

    Refused when a live published report shares some but not all of its answers: the two could be subtracted.
    """
    from . import queries

    title = (title or "").strip()
    if not title:
        raise EvaluationError("Enter a title for the public report")
    if len(title) > 200:
        raise EvaluationError("The title must be 200 characters or fewer")
    if scope.boroughs:
        raise EvaluationError("Only a coordinator's report can be published")
    live = [p for p in queries.published_reports() if p.live]
    same = [
        p
        for p in live
        if (p.programme, p.community_id, p.borough_code, p.start, p.end)
        == (scope.programme, scope.community_id, scope.borough_code, scope.start, scope.end)
    ]
    if same:
        raise EvaluationError(f"This report is already public as '{same[0].title}'")
    clash = queries.overlapping(scope, live)
    if clash:
        raise EvaluationError(
            f"'{clash[0].title}' is already public and shares some of these answers: someone could subtract one "
            "report from the other and find counts of fewer than 5. Revoke it first, or choose a programme, "
            "borough or period that does not overlap it"
        )
    published = PublishedReport(
        token=secrets.token_urlsafe(18),
        title=title,
        programme=scope.programme,
        community_id=scope.community_id,
        borough_code=scope.borough_code,
        start=scope.start,
        end=scope.end,
        period_label=scope.period_label[:120],
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(published)
    db.session.flush()
    audit.record(
        "impact_report.published",
        published,
        after={
            "title": title,
            "programme": scope.programme,
            "community_id": scope.community_id,
            "borough_code": scope.borough_code,
            "start": scope.start,
            "end": scope.end,
        },
        actor=actor,
    )
    db.session.commit()
    return published


def revoke_report(published: PublishedReport, actor=None) -> None:
    """Take a public report down: its address answers 'no longer published' from now on."""
    if published.revoked_at is not None:
        raise EvaluationError("This report is no longer public already")
    published.revoked_at = utcnow()
    published.revoked_by_id = getattr(actor, "id", None)
    audit.record("impact_report.revoked", published, before={"title": published.title}, actor=actor)
    db.session.commit()
