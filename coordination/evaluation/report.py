"""The impact report: every figure computed from answers, with n, response rate and a Wilson 95% interval.

`build(scope)` returns plain rows; `protect(report)` applies the small-number rule for partners and any
public version; `csv_rows(report)` flattens the same rows for the CSV, so a figure only ever appears one way.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from ..boroughs import borough_name
from ..timeutil import utcnow
from . import equality, queries
from .models import Comparator, QuestionType
from .questions import EMBEDDING, OUTCOMES
from .stats import mean, percent_text, proportion

YES_OR_PARTLY = {"yes", "partly"}


def _values_by_role(response) -> dict[str, object]:
    """{role: value} for one response (choose-many gives a list)."""
    roles = {q["key"]: (q.get("role") or "", q["type"]) for q in response.version.questions}
    values: dict[str, object] = {}
    for answer in response.answers:
        role, kind = roles.get(answer.question_key, ("", ""))
        if not role:
            continue
        value = answer.number if answer.number is not None else answer.choice if answer.choice is not None \
            else answer.text
        if kind == QuestionType.CHOOSE_MANY.value:
            values.setdefault(role, []).append(value)
        else:
            values[role] = value
    return values


def _asked(rounds, role: str) -> list:
    return [r for r in rounds if any(q.get("role") == role for q in r.version.questions)]


def _expected(rounds, scope) -> int | None:
    """People asked across the rounds, when every round knows it (and is the chosen borough's own)."""
    if not rounds:
        return None
    total = 0
    for survey_round in rounds:
        expected = queries.expected_count(survey_round)
        if expected is None:
            return None
        if scope.borough_code and survey_round.borough_code != scope.borough_code and not (
                survey_round.event is not None and survey_round.event.venue_borough_code == scope.borough_code):
            return None
        total += expected
    return total


def _row(key: str, label: str, definition: str, count: int, n: int, expected: int | None, **extra) -> dict:
    return {"key": key, "label": label, "definition": definition, **proportion(count, n, expected),
            "comparators": [], **extra}


def build(scope: queries.Scope) -> dict:
    """Every figure for the scope, unprotected (coordinators)."""
    rounds = queries.rounds_in_scope(scope)
    responses = queries.responses_in_scope(scope, rounds)
    values = [(_values_by_role(r), r) for r in responses]

    def yes_partly(role: str, accepted: set[str], key: str, label: str, definition: str) -> dict:
        answered = [v[role] for v, _ in values if v.get(role) in ("yes", "partly", "no")]
        count = sum(1 for a in answered if a in accepted)
        return _row(key, label, definition, count, len(answered), _expected(_asked(rounds, role), scope))

    outcomes = []
    answered_any = [v for v, _ in values if any(f"outcome_{w}" in v for w in OUTCOMES)]
    outcomes.append(_row(
        "outcome_any", "Increased their knowledge, skills, confidence or motivation",
        "Said 'yes' to at least one of the four outcome questions, of those who answered at least one.",
        sum(1 for v in answered_any if any(v.get(f"outcome_{w}") == "yes" for w in OUTCOMES)), len(answered_any),
        _expected(_asked(rounds, "outcome_knowledge"), scope)))
    for word in OUTCOMES:
        outcomes.append(yes_partly(f"outcome_{word}", {"yes"}, f"outcome_{word}", f"{word.capitalize()} increased",
                                   f"Said 'yes' to 'Has taking part increased your {word}?'"))
        outcomes.append(yes_partly(f"outcome_{word}", YES_OR_PARTLY, f"outcome_{word}_partly",
                                   f"{word.capitalize()} increased at least in part", "Said 'yes' or 'partly'."))

    pairs = [(v["before_confidence"], v["after_confidence"]) for v, _ in values
             if isinstance(v.get("before_confidence"), int) and isinstance(v.get("after_confidence"), int)]
    self_rating = {"n": len(pairs), "before": mean([b for b, _ in pairs]), "after": mean([a for _, a in pairs]),
                   "change": mean([a - b for b, a in pairs]),
                   "improved": proportion(sum(1 for b, a in pairs if a > b), len(pairs))}

    change = [
        yes_partly("practice_developed", YES_OR_PARTLY, "practice_developed",
                   "Their organisation developed the practice, at least in part",
                   "Said 'yes' or 'partly' to whether their organisation developed the practice."),
        yes_partly("change_created", YES_OR_PARTLY, "change_created", "Created or partly created change",
                   "Said 'yes' or 'partly' to 'Have you created change in your organisation?'"),
    ]
    embedded = [v["embedding"] for v, _ in values if v.get("embedding") in dict(EMBEDDING)]
    embedding = [_row(f"embedding_{value}", label, "Of those who answered how the change sits.",
                      embedded.count(value), len(embedded), _expected(_asked(rounds, "embedding"), scope))
                 for value, label in EMBEDDING]

    def good(role: str, key: str, label: str, definition: str) -> dict:
        ratings = [v[role] for v, _ in values if isinstance(v.get(role), int)]
        return _row(key, label, definition, sum(1 for r in ratings if r >= 4), len(ratings),
                    _expected(_asked(rounds, role), scope))

    events = [good("event_overall", "event_good", "Rated the event good or very good",
                   "Rated the event 4 (good) or 5 (very good) out of 5 overall."),
              good("event_understanding", "event_understanding",
                   "Rated it good or very good as a chance to understand the topic", "Rated it 4 or 5 out of 5.")]

    report = {
        "scope": scope, "generated_at": utcnow(), "rounds": rounds, "responses": len(responses),
        "channels": Counter(r.channel.value for r in responses),
        "expected": _expected(rounds, scope),
        "sections": [
            {"key": "outcomes", "title": "What taking part changed for people", "rows": outcomes},
            {"key": "change", "title": "Change in organisations", "rows": change},
            {"key": "embedding", "title": "How change sits in organisations", "rows": embedding},
            {"key": "events", "title": "How people rated events", "rows": events},
        ],
        "self_rating": self_rating,
        "protected": False,
    }
    report.update(_equality(scope, rounds, len(responses)))
    report.update(_themes(values))
    return report


def _comparators(measure: equality.Measure, configured: list[Comparator]) -> list[dict]:
    found = []
    census = equality.census_comparator(measure)
    if census:
        found.append({"name": census["name"], "percent": census["percent"] / 100, "source": census["basis"],
                      "source_url": census["source_url"], "derived": census["derived"]})
    for comparator in configured:
        if comparator.measure == measure.key:
            found.append({"name": comparator.name, "percent": float(comparator.percent) / 100,
                          "source": comparator.source, "source_url": comparator.source_url, "derived": False})
    return found


def _equality(scope, rounds, responses: int) -> dict:
    from sqlalchemy import select

    from ..extensions import db

    records, counts = queries.equality_counts(scope, rounds)
    configured = list(db.session.scalars(select(Comparator).order_by(Comparator.name)))
    headline = []
    for measure in equality.MEASURES:
        answers = counts[measure.category]
        n = sum(c for v, c in answers.items() if v != equality.PREFER_NOT)
        row = _row(measure.key, measure.label, "Of those who answered (not counting 'prefer not to say').",
                   sum(c for v, c in answers.items() if v in measure.counts), n, records or None,
                   prefer_not=answers.get(equality.PREFER_NOT, 0))
        row["comparators"] = _comparators(measure, configured)
        headline.append(row)
    breakdowns = []
    for category in equality.CATEGORIES:
        answers = counts[category.key]
        n = sum(c for v, c in answers.items() if v != equality.PREFER_NOT)
        census = equality.census_breakdown(category.key)
        rows = []
        for value, label in category.options:
            comparator = census.get(value) if category.key == "religion" else None
            rows.append(_row(f"{category.key}.{value}", label, "", answers.get(value, 0), n, records or None,
                             census=comparator / 100 if comparator is not None else None))
        if category.key == "ethnic_group":
            for group_label, members in category.groups:
                group_key = equality.ethnic_broad_group(members[0])
                comparator = census.get(group_key)
                rows.append(_row(f"ethnic_group.{group_key}", f"All {group_label}", "",
                                 sum(answers.get(m, 0) for m in members), n, records or None, group=True,
                                 census=comparator / 100 if comparator is not None else None))
        breakdowns.append({"key": category.key, "title": category.question, "rows": rows, "n": n,
                           "prefer_not": answers.get(equality.PREFER_NOT, 0)})
    religions = [v for v, c in counts["religion"].items() if c and v not in ("no_religion", equality.PREFER_NOT)]
    return {"equality_records": records, "equality_headline": headline, "equality_breakdowns": breakdowns,
            "religions": len(religions), "religion_counts": {v: counts["religion"][v] for v in religions}}


def _themes(values) -> dict:
    by_theme: dict[str, Counter] = defaultdict(Counter)
    quotes = []
    for role_values, response in values:
        for answer in response.answers:
            for theme in answer.themes:
                by_theme[theme.name][response.borough_code or ""] += 1
        if response.quote_consent:
            roles = {q["key"]: q.get("role") for q in response.version.questions}
            for answer in response.answers:
                if answer.text and roles.get(answer.question_key) in ("story", "barriers", "enablers"):
                    quotes.append({"text": answer.text, "role": roles[answer.question_key],
                                   "borough": borough_name(response.borough_code) if response.borough_code else "",
                                   "themes": [t.name for t in answer.themes]})
    boroughs = sorted({b for counter in by_theme.values() for b in counter}, key=lambda b: (b == "", borough_name(b)))
    themes = [{"name": name, "total": sum(counter.values()), "by_borough": dict(counter)}
              for name, counter in sorted(by_theme.items(), key=lambda item: (-sum(item[1].values()), item[0]))]
    return {"themes": themes, "theme_boroughs": boroughs, "quotes": quotes}


# --------------------------------------------------------------------------- protection and presentation

SMALL = range(1, 5)
SUPPRESSED = "fewer than 5"
HIDDEN = "not shown"


def _protect_row(row: dict) -> dict:
    """No percentage built on a count of 1 to 4, nor on its complement (n − count), nor on an n of 1 to 4."""
    row = dict(row)
    count, n = row["count"], row["n"]
    if count in SMALL or (n - count) in SMALL or n in SMALL:
        # A count of 5 or more hidden only because the rest are few is "not shown", never "fewer than 5".
        row.update(percent=None, low=None, high=None, suppressed=True, count=None,
                   count_hidden=SUPPRESSED if count in SMALL else HIDDEN)
        if n in SMALL:
            row.update(n=None, response_rate=None)
    if row.get("prefer_not") in SMALL:
        row["prefer_not"] = None
    return row


def _protect_breakdown(rows: list[dict]) -> list[dict]:
    """Rows that add up to n: protect each, then hide one more if a single hidden count could be worked out."""
    shown = [_protect_row(r) for r in rows]
    hidden = [i for i, r in enumerate(shown) if r["count"] is None and rows[i]["count"]]
    if len(hidden) == 1:
        candidates = sorted((rows[i]["count"], i) for i, r in enumerate(shown) if r["count"] and i not in hidden)
        if candidates:
            i = candidates[0][1]
            shown[i] = {**shown[i], "count": None, "percent": None, "low": None, "high": None, "suppressed": True,
                        "count_hidden": HIDDEN}
    return shown


def protect(report: dict) -> dict:
    """A copy of the report that is safe for partners and any public version."""
    shown = dict(report)
    shown["sections"] = [{**s, "rows": [_protect_row(r) for r in s["rows"]]} for s in report["sections"]]
    shown["equality_headline"] = [_protect_row(r) for r in report["equality_headline"]]
    # Partners see broad ethnic groups only: detailed groups beside their totals would give small ones away.
    shown["equality_breakdowns"] = [{**b, "rows": _protect_breakdown([r for r in b["rows"] if b["key"] != "ethnic_group"
                                                                      or r.get("group")]),
                                     "prefer_not": None if b["prefer_not"] in SMALL else b["prefer_not"]}
                                    for b in report["equality_breakdowns"]]
    improved = report["self_rating"]["improved"]
    rating = dict(report["self_rating"])
    if rating["n"] in SMALL:
        rating.update(before=None, after=None, change=None, n=None)
    rating["improved"] = _protect_row({**improved, "key": "improved", "label": "", "definition": "",
                                       "comparators": []})
    shown["self_rating"] = rating
    shown["religions"] = sum(1 for c in report["religion_counts"].values() if c >= 5)
    shown["themes"] = [{**t, "total": t["total"] if t["total"] not in SMALL else None,
                        "by_borough": {b: (c if c not in SMALL else None) for b, c in t["by_borough"].items()}}
                       for t in report["themes"]]
    shown["protected"] = True
    return shown


def display(row: dict) -> dict:
    """Text for a row: '79%', '(95% CI 70% to 86%)', 'n = 40', 'response rate 80%'."""
    return {
        "percent": percent_text(row["percent"]) if row["percent"] is not None else (
            "not shown" if row.get("suppressed") else "no answers"),
        "interval": f"{percent_text(row['low'])} to {percent_text(row['high'])}" if row["low"] is not None else "",
        "count": row.get("count_hidden", SUPPRESSED) if row["count"] is None else f"{row['count']:,}",
        "n": SUPPRESSED if row["n"] is None else f"{row['n']:,}",
        "response_rate": percent_text(row["response_rate"]) if row.get("response_rate") is not None else "not known",
    }


CSV_HEADER = ["Section", "Figure", "Count", "n (answered)", "Percent", "95% CI low", "95% CI high",
              "Response rate", "Comparator", "Comparator percent", "Comparator source"]


def csv_rows(report: dict) -> list[list]:
    """The report's figures as spreadsheet rows (the same protected or unprotected values as the page)."""
    rows = [CSV_HEADER]

    def add(section: str, row: dict):
        text = display(row)
        comparators = row.get("comparators") or [{}]
        for i, comparator in enumerate(comparators):
            rows.append([section if i == 0 else "", row["label"] if i == 0 else "",
                         text["count"] if i == 0 else "", text["n"] if i == 0 else "",
                         text["percent"] if i == 0 else "",
                         percent_text(row["low"]) if i == 0 and row["low"] is not None else "",
                         percent_text(row["high"]) if i == 0 and row["high"] is not None else "",
                         text["response_rate"] if i == 0 else "",
                         comparator.get("name", ""),
                         percent_text(comparator["percent"]) if comparator.get("percent") is not None else "",
                         comparator.get("source_url") or comparator.get("source") or ""])

    for section in report["sections"]:
        for row in section["rows"]:
            add(section["title"], row)
    for row in report["equality_headline"]:
        add("Who took part", row)
    for breakdown in report["equality_breakdowns"]:
        for row in breakdown["rows"]:
            add(f"Who took part: {breakdown['title']}", row)
    rows.append(["Who took part", "Religions and beliefs named", str(report["religions"]), "", "", "", "", "", "",
                 "", ""])
    for theme in report["themes"]:
        rows.append(["Barriers and enablers", theme["name"], SUPPRESSED if theme["total"] is None
                     else str(theme["total"]), "", "", "", "", "", "", "", ""])
    return rows
