"""Question types as data: how each is checked, stored and shown, and the ready-made questionnaires.

A question is a dict kept in a version's JSON list:
``{"key", "type", "text", "hint", "required", "options": [[value, label], …], "role"}``.
`role` ties a question to a figure of the impact report (for example "outcome_knowledge"), so a
coordinator's own questionnaire feeds the same figures when its questions carry the same roles.
"""

from __future__ import annotations

import re

from .models import QuestionType

MAX_TEXT = 2000  # characters in one free-text answer
MAX_NUMBER = 1_000_000  # largest number answer
RATING_LABELS = [["1", "Very poor"], ["2", "Poor"], ["3", "Average"], ["4", "Good"], ["5", "Very good"]]
SELF_RATING_LABELS = [["1", "1 – very low"], ["2", "2"], ["3", "3"], ["4", "4"], ["5", "5 – very high"]]
YES_PARTLY_NO = [["yes", "Yes"], ["partly", "Partly"], ["no", "No"]]
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")

# Report roles a question may carry (role → what it means to the report).
ROLES = {
    "": "Not used in the impact report",
    "event_overall": "Event rating: overall",
    "event_understanding": "Event rating: as a chance to understand the topic",
    "outcome_knowledge": "Outcome: knowledge increased (yes / partly / no)",
    "outcome_skills": "Outcome: skills increased (yes / partly / no)",
    "outcome_confidence": "Outcome: confidence increased (yes / partly / no)",
    "outcome_motivation": "Outcome: motivation increased (yes / partly / no)",
    "before_confidence": "Self-rating before taking part",
    "after_confidence": "Self-rating after taking part",
    "practice_developed": "My organisation developed the practice (yes / partly / no)",
    "change_created": "I created change in my organisation (yes / partly / no)",
    "embedding": "How the change sits: in strategy or under the radar",
    "barriers": "Barriers (free text, tagged with themes)",
    "enablers": "Enablers (free text, tagged with themes)",
    "story": "A story of change (free text)",
    "borough": "The borough the person works or lives in",
}
OUTCOMES = ("knowledge", "skills", "confidence", "motivation")
EMBEDDING = [
    ["strategy", "It is part of the organisation's strategy or plans"],
    ["under_the_radar", "It happens 'under the radar', without being in any plan"],
    ["not_yet", "Not yet embedded"],
    ["not_sure", "Not sure"],
]


def options_for(question: dict) -> list[list[str]]:
    """The [value, label] pairs a person chooses from (fixed for rating and yes/partly/no)."""
    kind = question["type"]
    if kind == QuestionType.RATING.value:
        return question.get("options") or RATING_LABELS
    if kind == QuestionType.YES_PARTLY_NO.value:
        return YES_PARTLY_NO
    return question.get("options") or []


def parse_answer(question: dict, raw: list[str]):
    """(value, error): the stored form of what was typed or chosen, or a message saying what to fix.

    Value is None for no answer, an int for rating and number, a list for choose-many, else a string.
    """
    kind = question["type"]
    values = [value.strip() for value in raw if isinstance(value, str) and value.strip()]
    if not values:
        if question.get("required"):
            return None, _missing_message(kind)
        return None, None
    allowed = {value for value, _ in options_for(question)}
    if kind == QuestionType.CHOOSE_MANY.value:
        chosen = list(dict.fromkeys(values))
        if any(value not in allowed for value in chosen) or len(chosen) > len(allowed):
            return None, "Choose from the options shown"
        return [value for value, _ in options_for(question) if value in chosen], None
    value = values[0]
    if kind in (QuestionType.CHOOSE_ONE.value, QuestionType.YES_PARTLY_NO.value):
        return (value, None) if value in allowed else (None, "Choose one of the options shown")
    if kind == QuestionType.RATING.value:
        return (int(value), None) if value in allowed else (None, "Choose a rating from 1 to 5")
    if kind == QuestionType.NUMBER.value:
        lowest, highest = int(question.get("min", 0)), int(question.get("max", MAX_NUMBER))
        if not value.isascii() or not value.lstrip("-").isdigit():
            return None, "Enter a whole number, like 12"
        number = int(value)
        if not lowest <= number <= highest:
            return None, f"Enter a number between {lowest:,} and {highest:,}"
        return number, None
    if len(value) > MAX_TEXT:
        return None, f"Your answer must be {MAX_TEXT:,} characters or fewer (it is {len(value):,})"
    return value, None


def _missing_message(kind: str) -> str:
    return {
        "free_text": "Enter your answer",
        "number": "Enter a number",
        "choose_many": "Choose at least one option",
    }.get(kind, "Choose an answer")


def display_answer(question: dict, value) -> str:
    """An answer as people read it on the 'check your answers' page and in lists."""
    if value is None or value == [] or value == "":
        return "Not answered"
    labels = {v: label for v, label in options_for(question)}
    if isinstance(value, list):
        return ", ".join(labels.get(v, v) for v in value)
    if question["type"] == QuestionType.RATING.value:
        return labels.get(str(value), str(value))
    return labels.get(str(value), str(value))


def new_key(text: str, taken: set[str]) -> str:
    """A short stable key for a new question, from its text ('How good was it?' → 'how_good_was_it')."""
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40] or "question"
    if not base[0].isalpha():
        base = "q_" + base
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _q(key, kind, text, *, hint="", required=False, options=None, role="", **extra) -> dict:
    question = {"key": key, "type": kind, "text": text, "hint": hint, "required": required, "role": role}
    if options is not None:
        question["options"] = options
    question.update(extra)
    return question


def _outcome(word: str) -> dict:
    return _q(
        f"outcome_{word}",
        "yes_partly_no",
        f"Has taking part increased your {word}?",
        required=True,
        role=f"outcome_{word}",
    )


# The ready-made questionnaires (added by `flask evaluation ready-made`, the Evaluation page and the demo).
READY_MADE = [
    {
        "name": "Event feedback",
        "kind": "event_feedback",
        "description": "A short form for the end of any event, masterclass or workshop.",
        "intro": "Tell us how the event went. It takes about two minutes.",
        "questions": [
            _q("overall", "rating", "Overall, how would you rate the event?", required=True, role="event_overall"),
            _q(
                "understanding",
                "rating",
                "How good was it as a chance to understand the topic?",
                required=True,
                role="event_understanding",
            ),
            _q("best", "free_text", "What was most useful?", hint="Optional"),
            _q("improve", "free_text", "What could we do better?", hint="Optional"),
            _q(
                "borough",
                "choose_one",
                "Which borough do you mostly work or volunteer in?",
                role="borough",
                options="boroughs",
            ),
        ],
    },
    {
        "name": "Involvement outcomes",
        "kind": "involvement_outcomes",
        "description": "What taking part changed for the person: knowledge, skills, confidence and motivation.",
        "intro": "These questions ask what taking part in the programme has changed for you.",
        "questions": [
            *(_outcome(word) for word in OUTCOMES),
            _q(
                "before_confidence",
                "rating",
                "Before taking part, how confident were you to make change happen?",
                hint="Optional. 1 is very low and 5 very high.",
                options=SELF_RATING_LABELS,
                role="before_confidence",
            ),
            _q(
                "after_confidence",
                "rating",
                "And now, how confident are you to make change happen?",
                hint="Optional. 1 is very low and 5 very high.",
                options=SELF_RATING_LABELS,
                role="after_confidence",
            ),
            _q(
                "borough",
                "choose_one",
                "Which borough do you mostly work or volunteer in?",
                role="borough",
                options="boroughs",
            ),
        ],
    },
    {
        "name": "Change in my organisation",
        "kind": "organisation_change",
        "description": "Whether the person's organisation developed the practice and how change happened.",
        "intro": "These questions ask about change back in your organisation after taking part.",
        "questions": [
            _q(
                "practice_developed",
                "yes_partly_no",
                "Has your organisation developed the practice (for example peer support, or care and support "
                "planning)?",
                required=True,
                role="practice_developed",
            ),
            _q(
                "change_created",
                "yes_partly_no",
                "Have you created change in your organisation?",
                required=True,
                role="change_created",
            ),
            _q(
                "embedding",
                "choose_one",
                "How does that change sit in your organisation?",
                options=EMBEDDING,
                role="embedding",
            ),
            _q("barriers", "free_text", "What got in the way?", hint="Optional. Barriers you met.", role="barriers"),
            _q(
                "enablers",
                "free_text",
                "What helped?",
                hint="Optional. People, resources or moments that helped.",
                role="enablers",
            ),
            _q("story", "free_text", "Tell us the story of one change", hint="Optional", role="story"),
            _q(
                "borough",
                "choose_one",
                "Which borough do you mostly work or volunteer in?",
                role="borough",
                options="boroughs",
            ),
        ],
    },
]


def resolve_options(question: dict) -> dict:
    """Questions may name a shared option list ('boroughs'); return the question with real options."""
    if question.get("options") == "boroughs":
        from ..boroughs import borough_choices

        return {
            **question,
            "options": [[code, name] for code, name in borough_choices()] + [["outside", "Outside Greater Manchester"]],
        }
    return question
