"""The impact report: every figure computed from answers, with n, response rate and a Wilson 95% interval.

`build(scope)` returns plain rows; `protect(report)` applies the small-number rule for partners and any
public version; `csv_rows(report)` flattens the same rows for the CSV, so a figure only ever appears one way.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

from flask import current_app

from .. import disclosure
from ..boroughs import borough_name
from ..caching import app_cache
from ..disclosure import TOTAL
from ..extensions import db
from ..timeutil import utcnow
from ..versions import EVALUATION_TABLES, data_version
from . import equality, queries
from .models import Channel, Comparator, QuestionType
from .questions import EMBEDDING, OUTCOMES
from .stats import mean, percent_text, proportion

YES_OR_PARTLY = {"yes", "partly"}


def _values_by_role(response: queries.ResponseRow, roles_of: dict) -> dict[str, object]:
    """{role: value} for one response (choose-many gives a list). `roles_of` memoises each version's roles."""
    key = id(response.questions)
    roles = roles_of.get(key)
    if roles is None:
        roles = roles_of[key] = {q["key"]: (q.get("role") or "", q["type"]) for q in response.questions}
    values: dict[str, object] = {}
    for answer in response.answers:
        role, kind = roles.get(answer.question_key, ("", ""))
        if not role:
            continue
        value = (
            answer.number if answer.number is not None else answer.choice if answer.choice is not None else answer.text
        )
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
        if (
            scope.borough_code
            and survey_round.borough_code != scope.borough_code
            and not (survey_round.event is not None and survey_round.event.venue_borough_code == scope.borough_code)
        ):
            return None
        total += expected
    return total


def _row(
    key: str,
    label: str,
    definition: str,
    count: int,
    n: int,
    expected: int | None,
    *,
    group: str,
    parts: list[str],
    **extra,
) -> dict:
    """A figure: count of n. `group` names the answers it is built from and `parts` which of them it adds up,
    so protect() can treat every figure built on the same answers as one table."""
    return {
        "key": key,
        "label": label,
        "definition": definition,
        **proportion(count, n, expected),
        "comparators": [],
        "group": group,
        "parts": list(parts),
        **extra,
    }


def build(scope: queries.Scope) -> dict:
    """Every figure for the scope, unprotected (coordinators)."""
    rounds = queries.rounds_in_scope(scope)
    responses = queries.response_rows(scope, rounds)
    roles_of: dict = {}
    values = [(_values_by_role(r, roles_of), r) for r in responses]
    groups: dict[str, dict[str, int]] = {}

    def yes_partly(role: str, accepted: set[str], key: str, label: str, definition: str) -> dict:
        answered = [v[role] for v, _ in values if v.get(role) in ("yes", "partly", "no")]
        groups[role] = {a: answered.count(a) for a in ("yes", "partly", "no")}
        count = sum(1 for a in answered if a in accepted)
        return _row(
            key,
            label,
            definition,
            count,
            len(answered),
            _expected(_asked(rounds, role), scope),
            group=role,
            parts=sorted(accepted),
        )

    outcomes = []
    answered_any = [v for v, _ in values if any(f"outcome_{w}" in v for w in OUTCOMES)]
    any_yes = sum(1 for v in answered_any if any(v.get(f"outcome_{w}") == "yes" for w in OUTCOMES))
    groups["outcome_any"] = {"yes": any_yes, "no": len(answered_any) - any_yes}
    outcomes.append(
        _row(
            "outcome_any",
            "Increased their knowledge, skills, confidence or motivation",
            "Said 'yes' to at least one of the four outcome questions, of those who answered at least one.",
            any_yes,
            len(answered_any),
            _expected(_asked(rounds, "outcome_knowledge"), scope),
            group="outcome_any",
            parts=["yes"],
        )
    )
    for word in OUTCOMES:
        outcomes.append(
            yes_partly(
                f"outcome_{word}",
                {"yes"},
                f"outcome_{word}",
                f"{word.capitalize()} increased",
                f"Said 'yes' to 'Has taking part increased your {word}?'",
            )
        )
        outcomes.append(
            yes_partly(
                f"outcome_{word}",
                YES_OR_PARTLY,
                f"outcome_{word}_partly",
                f"{word.capitalize()} increased at least in part",
                "Said 'yes' or 'partly'.",
            )
        )

    pairs = [
        (v["before_confidence"], v["after_confidence"])
        for v, _ in values
        if isinstance(v.get("before_confidence"), int) and isinstance(v.get("after_confidence"), int)
    ]
    improved = sum(1 for b, a in pairs if a > b)
    groups["self_rating"] = {"higher": improved, "same_or_lower": len(pairs) - improved}
    self_rating = {
        "n": len(pairs),
        "before": mean([b for b, _ in pairs]),
        "after": mean([a for _, a in pairs]),
        "change": mean([a - b for b, a in pairs]),
        "improved": _row(
            "self_rating_higher",
            "Rated themselves higher after",
            "",
            improved,
            len(pairs),
            None,
            group="self_rating",
            parts=["higher"],
        ),
    }

    change = [
        yes_partly(
            "practice_developed",
            YES_OR_PARTLY,
            "practice_developed",
            "Their organisation developed the practice, at least in part",
            "Said 'yes' or 'partly' to whether their organisation developed the practice.",
        ),
        yes_partly(
            "change_created",
            YES_OR_PARTLY,
            "change_created",
            "Created or partly created change",
            "Said 'yes' or 'partly' to 'Have you created change in your organisation?'",
        ),
    ]
    embedded = [v["embedding"] for v, _ in values if v.get("embedding") in dict(EMBEDDING)]
    groups["embedding"] = {value: embedded.count(value) for value, _ in EMBEDDING}
    embedding = [
        _row(
            f"embedding_{value}",
            label,
            "Of those who answered how the change sits.",
            embedded.count(value),
            len(embedded),
            _expected(_asked(rounds, "embedding"), scope),
            group="embedding",
            parts=[value],
        )
        for value, label in EMBEDDING
    ]

    def good(role: str, key: str, label: str, definition: str) -> dict:
        ratings = [v[role] for v, _ in values if isinstance(v.get(role), int)]
        groups[role] = {str(score): ratings.count(score) for score in range(1, 6)}
        return _row(
            key,
            label,
            definition,
            sum(1 for r in ratings if r >= 4),
            len(ratings),
            _expected(_asked(rounds, role), scope),
            group=role,
            parts=["4", "5"],
        )

    events = [
        good(
            "event_overall",
            "event_good",
            "Rated the event good or very good",
            "Rated the event 4 (good) or 5 (very good) out of 5 overall.",
        ),
        good(
            "event_understanding",
            "event_understanding",
            "Rated it good or very good as a chance to understand the topic",
            "Rated it 4 or 5 out of 5.",
        ),
    ]

    report = {
        "scope": scope,
        "generated_at": utcnow(),
        "rounds": len(rounds),
        "responses": len(responses),
        "channels": Counter(r.channel for r in responses),
        "expected": _expected(rounds, scope),
        "sections": [
            {"key": "outcomes", "title": "What taking part changed for people", "rows": outcomes},
            {"key": "change", "title": "Change in organisations", "rows": change},
            {"key": "embedding", "title": "How change sits in organisations", "rows": embedding},
            {"key": "events", "title": "How people rated events", "rows": events},
        ],
        "self_rating": self_rating,
        "groups": groups,
        "protected": False,
    }
    report.update(_equality(scope, rounds, groups))
    report.update(_themes(values))
    return report


def _comparators(measure: equality.Measure, configured: list[Comparator]) -> list[dict]:
    found = []
    census = equality.census_comparator(measure)
    if census:
        found.append(
            {
                "name": census["name"],
                "percent": census["percent"] / 100,
                "source": census["basis"],
                "source_url": census["source_url"],
                "derived": census["derived"],
                "derivation": census["derivation"],
            }
        )
    for comparator in configured:
        if comparator.measure == measure.key:
            found.append(
                {
                    "name": comparator.name,
                    "percent": float(comparator.percent) / 100,
                    "source": comparator.source,
                    "source_url": comparator.source_url,
                    "derived": False,
                }
            )
    return found


def _equality(scope, rounds, groups: dict) -> dict:
    from sqlalchemy import select

    from ..extensions import db

    records, counts = queries.equality_counts(scope, rounds)
    configured = list(db.session.scalars(select(Comparator).order_by(Comparator.name)))
    for category in equality.CATEGORIES:
        groups[f"equality.{category.key}"] = {v: counts[category.key].get(v, 0) for v, _ in category.options}
    headline = []
    for measure in equality.MEASURES:
        answers = counts[measure.category]
        n = sum(c for v, c in answers.items() if v != equality.PREFER_NOT)
        row = _row(
            measure.key,
            measure.label,
            "Of those who answered (not counting 'prefer not to say').",
            sum(c for v, c in answers.items() if v in measure.counts),
            n,
            records or None,
            group=f"equality.{measure.category}",
            parts=sorted(measure.counts),
            prefer_not=answers.get(equality.PREFER_NOT, 0),
        )
        row["comparators"] = _comparators(measure, configured)
        row["no_census"] = measure.census is None
        headline.append(row)
    breakdowns = []
    for category in equality.CATEGORIES:
        answers = counts[category.key]
        n = sum(c for v, c in answers.items() if v != equality.PREFER_NOT)
        census = equality.census_breakdown(category.key)
        sources = equality.census_sources(category.key)
        rows = []
        for value, label in category.options:
            comparator = census.get(value) if category.key != "ethnic_group" else None
            rows.append(
                _row(
                    f"{category.key}.{value}",
                    label,
                    "",
                    answers.get(value, 0),
                    n,
                    records or None,
                    group=f"equality.{category.key}",
                    parts=[value],
                    census=comparator / 100 if comparator is not None else None,
                )
            )
        if category.key == "ethnic_group":
            for group_label, members in category.groups:
                group_key = equality.ethnic_broad_group(members[0])
                comparator = census.get(group_key)
                rows.append(
                    _row(
                        f"ethnic_group.{group_key}",
                        f"All {group_label}",
                        "",
                        sum(answers.get(m, 0) for m in members),
                        n,
                        records or None,
                        group="equality.ethnic_group",
                        parts=list(members),
                        broad=True,
                        census=comparator / 100 if comparator is not None else None,
                    )
                )
        breakdowns.append(
            {
                "key": category.key,
                "title": category.question,
                "no_census": category.key in equality.NO_CENSUS_FIGURE,
                "census_sources": sources,
                "rows": rows,
                "n": n,
                "prefer_not": answers.get(equality.PREFER_NOT, 0),
            }
        )
    religions = [v for v, c in counts["religion"].items() if c and v not in ("no_religion", equality.PREFER_NOT)]
    return {
        "equality_records": records,
        "equality_headline": headline,
        "equality_breakdowns": breakdowns,
        "religions": len(religions),
        "religion_counts": {v: counts["religion"][v] for v in religions},
    }


def _themes(values) -> dict:
    by_theme: dict[str, Counter] = defaultdict(Counter)
    quotes = []
    for _role_values, response in values:
        for answer in response.answers:
            for theme in answer.themes:
                by_theme[theme][response.borough_code or ""] += 1
        if response.quote_consent:
            roles = {q["key"]: q.get("role") for q in response.questions}
            for answer in response.answers:
                if answer.text and roles.get(answer.question_key) in ("story", "barriers", "enablers"):
                    quotes.append(
                        {
                            "text": answer.text,
                            "role": roles[answer.question_key],
                            "borough": borough_name(response.borough_code) if response.borough_code else "",
                            "themes": list(answer.themes),
                        }
                    )
    boroughs = sorted({b for counter in by_theme.values() for b in counter}, key=lambda b: (b == "", borough_name(b)))
    themes = [
        {"name": name, "total": sum(counter.values()), "by_borough": dict(counter)}
        for name, counter in sorted(by_theme.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    ]
    return {"themes": themes, "theme_boroughs": boroughs, "quotes": quotes}


# --------------------------------------------------------------------------- protection and presentation


def _protect_row(row: dict, cell) -> dict:
    """The row as a partner may see it: count and n shown or hidden as the protection says."""
    group, parts = row["group"], row["parts"]
    count_cell = cell(("g", group, parts[0])) if len(parts) == 1 else cell(("g", group, ("sum", tuple(sorted(parts)))))
    total_cell = cell(("g", group, TOTAL))
    shown = dict(row)
    if count_cell.hidden or total_cell.hidden:
        shown.update(percent=None, low=None, high=None, suppressed=True)
    if count_cell.hidden:
        shown.update(count=None, count_hidden=disclosure.TEXT[count_cell.reason])
    if total_cell.hidden:
        shown.update(n=None, n_hidden=disclosure.TEXT[total_cell.reason], response_rate=None)
    if row.get("prefer_not") is not None:
        prefer = cell(("prefer", group.removeprefix("equality.")))
        shown["prefer_not"] = prefer.shown
        shown["prefer_not_text"] = prefer.display()
    return shown


def protect(report: dict, cell=None) -> dict:
    """A copy of the report that is safe for partners and any public version (coordination/disclosure.py):
    no percentage or count built on 1 to 4 people, nor one that would let such a count be worked out.

    `cell(name)` gives each count as the moment's joint protection decided (protection.py); without it the
    report is protected on its own (a scope no moment covers).
    """
    from . import protection

    if cell is None:
        cell = _unprefixed(protection.standalone(report))
    shown = dict(report)
    shown["sections"] = [{**s, "rows": [_protect_row(r, cell) for r in s["rows"]]} for s in report["sections"]]
    shown["equality_headline"] = [_protect_row(r, cell) for r in report["equality_headline"]]
    shown["equality_breakdowns"] = []
    for breakdown in report["equality_breakdowns"]:
        prefer = cell(("prefer", breakdown["key"]))
        shown["equality_breakdowns"].append(
            {
                **breakdown,
                "rows": [_protect_row(r, cell) for r in breakdown["rows"]],
                "n": cell(("g", f"equality.{breakdown['key']}", TOTAL)).shown,
                "prefer_not": prefer.shown,
                "prefer_not_text": prefer.display(),
            }
        )
    rating = dict(report["self_rating"])
    rating["improved"] = _protect_row(rating["improved"], cell)
    if rating["improved"]["n"] is None:
        rating.update(before=None, after=None, change=None, n=None)
    elif rating["improved"]["count"] is None:
        # The averages bound how many rated themselves higher (each of them by 1 to 4 points, the others by 0 to
        # -4): an average change of +1.6 over 10 people needs at least 4 higher, so beside "fewer than 5" it
        # would give the hidden count away. They are shown only when the count they bound is shown too.
        rating.update(before=None, after=None, change=None, averages_hidden=True)
    shown["self_rating"] = rating
    shown["religions"] = sum(1 for v in report["religion_counts"] if not cell(("g", "equality.religion", v)).hidden)
    shown["themes"] = [
        {
            **t,
            "total": cell(("theme", t["name"], TOTAL)).display(),
            "by_borough": {b: cell(("theme", t["name"], b)).display() for b in report["theme_boroughs"]},
        }
        for t in report["themes"]
    ]
    total = cell(("responses",))
    records = cell(("records",))
    shown.update(
        responses=total.shown,
        responses_text=total.display(),
        channels={channel.value: cell(("channel", channel.value)).display() for channel in Channel},
        expected=report["expected"] if total.shown is not None else None,
        equality_records=records.shown,
        equality_records_text=records.display(),
        protected=True,
    )
    return shown


def _unprefixed(protection_: disclosure.Protection):
    """A look-up of a standalone protection's cells (keyed by name alone)."""
    return lambda name: protection_[name]


def public(report: dict, cell=None) -> dict:
    """The signed-out version: protected as for partners (no cell is known to the reader), without quotes.

    People agreed to be quoted in reports to funders and the boroughs, not on a public web page.
    """
    shown = protect(report, cell)
    shown["quotes"] = []
    shown["public"] = True
    return shown


# The tables the report reads: its figures are cached until one of them changes (coordination/versions.py).
REPORT_TABLES = EVALUATION_TABLES + ("event", "attendance", "community")
PREVIEW = "preview"


def _cache():
    return app_cache("evaluation-report", maxsize=64)


def figures(scope: queries.Scope, view: str = "coordinator") -> dict:
    """The report for a scope as one kind of viewer sees it, built once per data version (cached on the app).

    "coordinator": every figure. "partner": a borough partner's view, protected jointly with everything else
    published at this moment (moment_protection). "public": the preview of publishing this scope (the moment
    with it added); a published version's own figures come from published_figures().

    On a server the moment's joint protection is worked out in a background thread (seconds at Greater
    Manchester scale): until it is ready a partner gets the last figures made for this view, marked with
    when they were made (`prepared_at`, `newer_coming`), or NotReady when there are none yet.
    """
    key = ("report", data_version(REPORT_TABLES), scope.key(), view)
    if view == "coordinator":
        return _cache().get_or_build(key, lambda: build(scope))
    if view == "partner":
        return _when_ready(("partner", scope.key()), key, lambda: _partner(scope))
    return _cache().get_or_build(key, lambda: _preview(scope))


class NotReady(Exception):
    """Figures asked for before their small-number protection has ever been worked out (it is running)."""


def _when_ready(view: tuple, key: tuple, make) -> dict:
    """The figures for this view at this data version once the moment's protection is ready; meanwhile
    (background mode) the last ones made for the view, marked as such, while it is worked out."""
    if (
        key in _cache()
        or _moment_key() in _cache()
        or not current_app.config.get("EVALUATION_PROTECT_IN_BACKGROUND", True)
    ):
        made = _cache().get_or_build(key, lambda: {**make(), "prepared_at": utcnow(), "newer_coming": False})
        _latest()[view] = made
        return made
    _start_moment_build()
    last = _latest().get(view)
    if last is None:
        raise NotReady()
    return {**last, "newer_coming": True}


def _latest() -> dict:
    """The last figures made for each partner view and public version in this process (what is shown while
    newer ones are being protected): never today's counts with an older protection."""
    return current_app.extensions.setdefault("coordination.evaluation.latest", {})


_building: set = set()
_building_lock = threading.Lock()


def _start_moment_build(extra: queries.Scope | None = None) -> None:
    """Work out this moment's joint protection (with `extra`: the publish page's preview of adding that
    scope) in a background thread, one per moment and process."""
    key = _moment_key(extra)
    with _building_lock:
        if key in _building:
            return
        _building.add(key)
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                moment_protection(extra)
            except Exception:  # noqa: BLE001 - logged; the next request starts it again
                app.logger.exception("The impact report's small-number protection could not be worked out")
            finally:
                db.session.remove()
                with _building_lock:
                    _building.discard(key)

    threading.Thread(target=run, name="evaluation-protection", daemon=True).start()


def wait_for_protection(timeout: float = 120) -> None:
    """Block until no background protection is running in this process (tests)."""
    import time

    deadline = time.monotonic() + timeout
    while _building and time.monotonic() < deadline:
        time.sleep(0.05)


def _partner(scope: queries.Scope) -> dict:
    from . import periods, protection

    view = protection.partner_view(scope, periods.partner_periods())
    built = figures(scope, "coordinator")
    if view is None:
        return protect(built)
    return protect(built, protection.cells_for(moment_protection(), view))


def _preview(scope: queries.Scope) -> dict:
    from . import protection

    built = figures(scope, "coordinator")
    live = _shown_published()
    for published in live:
        if queries.scope_of(published).key() == scope.key():
            return published_figures(published)
    if queries.overlapping(scope, live):
        return public(built)  # publishing it will be refused; its preview is protected on its own
    if _moment_key(scope) not in _cache() and current_app.config.get("EVALUATION_PROTECT_IN_BACKGROUND", True):
        # Seconds at Greater Manchester scale: worked out in the background; the publish page says so.
        _start_moment_build(scope)
        raise NotReady()
    return public(built, protection.cells_for(moment_protection(scope), (protection.PUBLIC, PREVIEW)))


def published_figures(published) -> dict:
    """A live public version's figures, protected together with everything else published at this moment."""
    from . import protection

    key = ("published", data_version(REPORT_TABLES), published.id)

    def make():
        built = figures(queries.scope_of(published), "coordinator")
        return public(built, protection.cells_for(moment_protection(), (protection.PUBLIC, published.id)))

    return _when_ready(("published", published.id), key, make)


def _shown_published() -> list:
    """The live public versions that are not withheld (pairwise, they share all their answers or none)."""
    return [p for p in queries.published_reports() if p.live and not withheld_by(p)]


def _moment_key(extra: queries.Scope | None = None) -> tuple:
    from . import periods

    partner_periods = periods.partner_periods()
    return (
        "moment",
        data_version(REPORT_TABLES),
        tuple((p.key, p.start) for p in partner_periods),
        extra.key() if extra else None,
    )


def moment_protection(extra: queries.Scope | None = None) -> disclosure.Protection:
    """The joint protection of every partner view and public version at this data version (cached); `extra`
    adds a scope about to be published (the publish page's preview)."""
    from . import periods, protection

    partner_periods = periods.partner_periods()
    key = _moment_key(extra)

    def make():
        public = {p.id: queries.scope_of(p) for p in _shown_published()}
        if extra is not None:
            public[PREVIEW] = extra
        moment = protection.gather(partner_periods, public, lambda s: figures(s, "coordinator"))
        return protection.protect(moment)

    return _cache().get_or_build(key, make)


def display(row: dict) -> dict:
    """Text for a row: '79%', '(95% CI 70% to 86%)', 'n = 40', 'response rate 80%'."""
    return {
        "percent": percent_text(row["percent"])
        if row["percent"] is not None
        else ("not shown" if row.get("suppressed") else "no answers"),
        "interval": f"{percent_text(row['low'])} to {percent_text(row['high'])}" if row["low"] is not None else "",
        "count": row.get("count_hidden", SUPPRESSED) if row["count"] is None else f"{row['count']:,}",
        "n": row.get("n_hidden", SUPPRESSED) if row["n"] is None else f"{row['n']:,}",
        "response_rate": percent_text(row["response_rate"]) if row.get("response_rate") is not None else "not known",
    }


SUPPRESSED = disclosure.SMALL_TEXT


def comparator_text(value: float | None) -> str:
    """A comparator to one decimal place (two below 1%): 0.236 → '23.6%', 0.0062 → '0.62%'."""
    if value is None:
        return ""
    return f"{value * 100:.2f}%" if value < 0.01 else f"{value * 100:.1f}%"


CSV_HEADER = [
    "Section",
    "Figure",
    "Count",
    "n (answered)",
    "Percent",
    "95% CI low",
    "95% CI high",
    "Response rate",
    "Comparator",
    "Comparator percent",
    "Comparator source",
]


def csv_rows(report: dict) -> list[list]:
    """The report's figures as spreadsheet rows (the same protected or unprotected values as the page)."""
    rows = [CSV_HEADER]
    responses = report.get("responses_text") or f"{report['responses']:,}"
    rows.append(["Responses", "Responses in this report", responses, "", "", "", "", "", "", "", ""])

    def add(section: str, row: dict):
        text = display(row)
        comparators = row.get("comparators") or [
            {"name": equality.NO_COMPARATOR_TEXT} if row.get("no_census") is not None else {}
        ]
        for i, comparator in enumerate(comparators):
            rows.append(
                [
                    section if i == 0 else "",
                    row["label"] if i == 0 else "",
                    text["count"] if i == 0 else "",
                    text["n"] if i == 0 else "",
                    text["percent"] if i == 0 else "",
                    percent_text(row["low"]) if i == 0 and row["low"] is not None else "",
                    percent_text(row["high"]) if i == 0 and row["high"] is not None else "",
                    text["response_rate"] if i == 0 else "",
                    comparator.get("name", ""),
                    comparator_text(comparator.get("percent")),
                    comparator.get("source_url") or comparator.get("source") or "",
                ]
            )

    for section in report["sections"]:
        for row in section["rows"]:
            add(section["title"], row)
    for row in report["equality_headline"]:
        add("Who took part", row)
    for breakdown in report["equality_breakdowns"]:
        sources = breakdown.get("census_sources") or []
        tables = ", ".join(source["table"] for source in sources)
        for row in breakdown["rows"]:
            if row.get("census") is not None and sources:
                row = {
                    **row,
                    "comparators": [
                        {
                            "name": f"Greater Manchester, Census 2021 ({tables})",
                            "percent": row["census"],
                            "source_url": " ".join(source["source_url"] for source in sources),
                        }
                    ],
                }
            add(f"Who took part: {breakdown['title']}", row)
    rows.append(
        ["Who took part", "Religions and beliefs named", str(report["religions"]), "", "", "", "", "", "", "", ""]
    )
    for theme in report["themes"]:
        rows.append(["Barriers and enablers", theme["name"], str(theme["total"]), "", "", "", "", "", "", "", ""])
    return rows


def withheld_by(published) -> str | None:
    """The title of an older live public report this one now overlaps (answers added or moved since it was
    published can make two public scopes share some of their answers), or None. The newer one is withheld."""

    def check():
        older = [
            p
            for p in queries.published_reports()
            if p.live and p.id != published.id and (p.published_at, p.id) < (published.published_at, published.id)
        ]
        clash = queries.overlapping(queries.scope_of(published), older)
        return clash[0].title if clash else None

    key = ("withheld", data_version(REPORT_TABLES), published.id)
    return app_cache("evaluation-report", maxsize=64).get_or_build(key, check)
