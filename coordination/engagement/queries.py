"""Engagement figures per borough × practice area × period, computed in SQL (see docs/engagement.md).

`engagement_figures(period)` is the one source for the maps, tables, charts and CSVs, so they agree.
Every figure is defined once in docs/engagement.md; the SQL below follows those definitions:

* an organisation counts in its **address borough** (`organisation.borough_code`), once, so each
  borough's share of Greater Manchester's engaged organisations adds up to 100%;
* an organisation belongs to each practice area it is tagged with, and to "All practice areas";
* it is **engaged in a period** if someone attended an event for it in the period, or it had a
  member in a community at any time in the period;
* people and attendance figures count in the person's borough (else their organisation's), under the
  practice area of the community the event or membership belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select, text

from geo.boroughs import BOROUGH_CODES, facts_by_code

from ..communities.models import Attendance, AttendanceStatus, Community, Event, EventType, Membership, Person
from ..extensions import db
from ..organisations.models import Organisation, OrganisationStatus, organisation_practice_area
from ..timeutil import utcnow

ALL_AREAS = 0  # concept_id used for "All practice areas"
GM = "GM"  # borough_code used for the Greater Manchester totals
EVENT_TYPES = tuple(kind.value for kind in EventType)
FAR_FUTURE = date(9999, 12, 31)

# The SQL below names other areas' tables through their models: {attendance} is the attendance model's
# table, {attended} the stored value of AttendanceStatus.ATTENDED. Every `alias.column` of a model's table
# is checked against the model when this module is imported, so renaming a table, column or value
# elsewhere fails loudly here (and in every test) instead of silently returning wrong figures.
_TABLES = {
    "attendance": Attendance.__table__,
    "event": Event.__table__,
    "membership": Membership.__table__,
    "person": Person.__table__,
    "community": Community.__table__,
    "organisation": Organisation.__table__,
    "organisation_practice_area": organisation_practice_area,
}
_VALUES = {"attended": AttendanceStatus.ATTENDED.value, "active": OrganisationStatus.ACTIVE.value}


class _KeepOthers(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # placeholders filled later (flags, parameters of one query)


def _model_sql(template: str) -> str:
    """Put the models' table names and stored values into SQL, checking every column it reads exists."""
    aliases = {
        alias: _TABLES[table]
        for table, alias in re.findall(r"\{(\w+)\}\s+(?:AS\s+)?(\w+)", template)
        if table in _TABLES
    }
    for alias, column in re.findall(r"\b(\w+)\.(\w+)\b", template):
        if alias in aliases and column not in aliases[alias].c:
            raise LookupError(
                f"engagement SQL reads {alias}.{column}, but table {aliases[alias].name} has no "
                f"column {column}: update coordination/engagement/queries.py"
            )
    names = {key: table.name for key, table in _TABLES.items()}
    names.update({key: f"'{value}'" for key, value in _VALUES.items()})
    return template.format_map(_KeepOthers(names))


@dataclass(frozen=True)
class Period:
    """A half-open span of days [start, end) with a key for URLs and a label for people."""

    key: str
    label: str
    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time())

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, datetime.min.time())


def periods(today: date | None = None) -> list[Period]:
    """The periods people can choose: the last 12 months, the last five calendar years, all time."""
    today = today or utcnow().date()
    tomorrow = today + timedelta(days=1)
    chosen = [
        Period(
            "12m",
            "The last 12 months",
            tomorrow.replace(year=tomorrow.year - 1)
            if not (tomorrow.month == 2 and tomorrow.day == 29)
            else tomorrow - timedelta(days=365),
            tomorrow,
        )
    ]
    for year in range(today.year, today.year - 5, -1):
        chosen.append(Period(str(year), f"{year}", date(year, 1, 1), date(year + 1, 1, 1)))
    chosen.append(Period("all", "All time", date(1900, 1, 1), tomorrow))
    return chosen


def find_period(key: str | None, today: date | None = None) -> Period:
    """The period for a URL key; the last 12 months when the key is missing or unknown."""
    options = periods(today)
    return next((p for p in options if p.key == key), options[0])


def _borough_values() -> tuple[str, dict]:
    """A VALUES list of the ten boroughs' population and need (IMD average score), with its parameters."""
    facts = facts_by_code()
    rows, params = [], {}
    for n, code in enumerate(BOROUGH_CODES):
        rows.append(f"(:b{n}, :pop{n}, :imd{n})")
        params.update(
            {f"b{n}": code, f"pop{n}": int(facts[code]["population"]), f"imd{n}": float(facts[code]["imd_score"])}
        )
    return ", ".join(rows), params


# Engagement of an organisation: an attended event, or a membership, recorded against it (the
# organisation a person came for is stored on the attendance and membership rows when recorded).
# "o.id IN (uncorrelated subquery)" is evaluated once into a temporary index by SQLite and a hashed
# subplan by PostgreSQL, so 17,500 organisations cost one pass over attendance, not one per row.
# Event times are compared with datetimes and membership days with dates, so no engine mixes types.
_ENGAGED_BETWEEN = _model_sql("""o.id IN (
    SELECT a.organisation_id FROM {attendance} a JOIN {event} e ON e.id = a.event_id
    WHERE a.organisation_id IS NOT NULL AND a.status = {attended}
      AND e.starts_at >= :{start}_at AND e.starts_at < :{end}_at
    UNION
    SELECT m.organisation_id FROM {membership} m
    WHERE m.organisation_id IS NOT NULL AND m.joined_on < :{end}_day
      AND COALESCE(m.left_on, :far_future) >= :{start}_day)""")

_DIRECTORY_CTES = _model_sql("""
borough(code, population, imd_score) AS (VALUES {borough_values}),
org AS (
    SELECT o.id, o.borough_code, {flags}
    FROM {organisation} o JOIN borough b ON b.code = o.borough_code
    WHERE o.status = {active}
),
org_area AS (
    SELECT org.id AS organisation_id, org.borough_code, opa.concept_id, org.engaged, org.engaged_before,
           org.engaged_ever
    FROM org JOIN {organisation_practice_area} opa ON opa.organisation_id = org.id
    UNION ALL
    SELECT org.id, org.borough_code, 0, org.engaged, org.engaged_before, org.engaged_ever FROM org
)
""")

_FIGURES_SQL = _model_sql("""
WITH {directory_ctes},
area AS (
    SELECT 0 AS concept_id
    UNION SELECT concept_id FROM org_area
    UNION SELECT cm.practice_area_id FROM {community} cm WHERE cm.practice_area_id IS NOT NULL
),
grid AS (SELECT b.code AS borough_code, area.concept_id FROM borough b CROSS JOIN area),
org_counts AS (
    SELECT oa.borough_code, oa.concept_id,
           COUNT(*) AS directory,
           SUM(oa.engaged) AS engaged,
           SUM(CASE WHEN oa.engaged = 1 AND oa.engaged_before = 0 THEN 1 ELSE 0 END) AS new_reached,
           SUM(1 - oa.engaged_ever) AS never_engaged
    FROM org_area oa
    GROUP BY oa.borough_code, oa.concept_id
),
taking_part AS (
    SELECT p.id AS person_id, COALESCE(p.borough_code, po.borough_code) AS borough_code,
           COALESCE(c.practice_area_id, 0) AS concept_id,
           CASE WHEN p.lived_experience OR p.carer THEN 1 ELSE 0 END AS lived
    FROM {attendance} a JOIN {event} e ON e.id = a.event_id JOIN {person} p ON p.id = a.person_id
    LEFT JOIN {organisation} po ON po.id = p.organisation_id
    LEFT JOIN {community} c ON c.id = e.community_id
    WHERE a.status = {attended} AND e.starts_at >= :start_at AND e.starts_at < :end_at
    UNION
    SELECT p.id, COALESCE(p.borough_code, po.borough_code), COALESCE(c.practice_area_id, 0),
           CASE WHEN p.lived_experience OR p.carer THEN 1 ELSE 0 END
    FROM {membership} m JOIN {person} p ON p.id = m.person_id JOIN {community} c ON c.id = m.community_id
    LEFT JOIN {organisation} po ON po.id = p.organisation_id
    WHERE m.joined_on < :end_day AND COALESCE(m.left_on, :far_future) >= :start_day
),
lived_counts AS (
    SELECT borough_code, concept_id, COUNT(DISTINCT person_id) AS lived_experience_people
    FROM taking_part WHERE lived = 1 AND concept_id <> 0 GROUP BY borough_code, concept_id
    UNION ALL
    SELECT borough_code, 0, COUNT(DISTINCT person_id) FROM taking_part WHERE lived = 1 GROUP BY borough_code
),
attended AS (
    SELECT COALESCE(p.borough_code, ao.borough_code, po.borough_code) AS borough_code,
           COALESCE(c.practice_area_id, 0) AS concept_id, e.event_type
    FROM {attendance} a JOIN {event} e ON e.id = a.event_id
    LEFT JOIN {person} p ON p.id = a.person_id
    LEFT JOIN {organisation} ao ON ao.id = a.organisation_id
    LEFT JOIN {organisation} po ON po.id = p.organisation_id
    LEFT JOIN {community} c ON c.id = e.community_id
    WHERE a.status = {attended} AND e.starts_at >= :start_at AND e.starts_at < :end_at
),
attended_all AS (
    SELECT borough_code, concept_id, event_type FROM attended WHERE concept_id <> 0
    UNION ALL
    SELECT borough_code, 0, event_type FROM attended
),
attendance_counts AS (
    SELECT borough_code, concept_id, {attendance_columns}
    FROM attended_all GROUP BY borough_code, concept_id
),
per_borough AS (
    SELECT g.borough_code, g.concept_id, b.population, b.imd_score,
           COALESCE(oc.directory, 0) AS directory, COALESCE(oc.engaged, 0) AS engaged,
           COALESCE(oc.new_reached, 0) AS new_reached, COALESCE(oc.never_engaged, 0) AS never_engaged,
           COALESCE(lc.lived_experience_people, 0) AS lived_experience_people,
           {attendance_coalesced}
    FROM grid g JOIN borough b ON b.code = g.borough_code
    LEFT JOIN org_counts oc ON oc.borough_code = g.borough_code AND oc.concept_id = g.concept_id
    LEFT JOIN lived_counts lc ON lc.borough_code = g.borough_code AND lc.concept_id = g.concept_id
    LEFT JOIN attendance_counts ac ON ac.borough_code = g.borough_code AND ac.concept_id = g.concept_id
),
with_totals AS (
    SELECT pb.*,
           SUM(engaged) OVER (PARTITION BY concept_id) AS gm_engaged,
           SUM(population) OVER (PARTITION BY concept_id) AS gm_population,
           SUM(population * imd_score) OVER (PARTITION BY concept_id) AS gm_need
    FROM per_borough pb
)
SELECT borough_code, concept_id, population, directory, engaged, new_reached, never_engaged,
       lived_experience_people, {attendance_names},
       CASE WHEN directory > 0 THEN engaged * 1.0 / directory END AS engagement_rate,
       engaged * 100000.0 / population AS engaged_per_100k,
       CASE WHEN gm_engaged > 0 THEN (engaged * 1.0 / gm_engaged) / (population * 1.0 / gm_population) END
           AS gap_index,
       CASE WHEN gm_engaged > 0 THEN (engaged * 1.0 / gm_engaged) / (population * imd_score / gm_need) END
           AS gap_index_need
FROM with_totals
UNION ALL
SELECT :gm, concept_id, SUM(population), SUM(directory), SUM(engaged), SUM(new_reached), SUM(never_engaged),
       SUM(lived_experience_people), {attendance_sums},
       CASE WHEN SUM(directory) > 0 THEN SUM(engaged) * 1.0 / SUM(directory) END,
       SUM(engaged) * 100000.0 / SUM(population),
       CASE WHEN SUM(engaged) > 0 THEN 1.0 END,
       CASE WHEN SUM(engaged) > 0 THEN 1.0 END
FROM per_borough GROUP BY concept_id
""")


def _engaged_sql(start: str, end: str) -> str:
    return _ENGAGED_BETWEEN.format(start=start, end=end)


def _params(period: Period) -> dict:
    return {
        "start_at": period.start_at,
        "end_at": period.end_at,
        "start_day": period.start,
        "end_day": period.end,
        "far_future": FAR_FUTURE,
        "epoch_at": datetime(1900, 1, 1),
        "epoch_day": date(1900, 1, 1),
        "forever_at": datetime(9999, 1, 1),
        "forever_day": FAR_FUTURE,
        "gm": GM,
    }


_FLAGS = {"engaged": ("start", "end"), "engaged_before": ("epoch", "start"), "engaged_ever": ("epoch", "forever")}


def _directory_ctes(flags=tuple(_FLAGS)) -> tuple[str, dict]:
    """The borough, org (with the engagement flags asked for, 0 for the others) and org_area CTEs."""
    values, params = _borough_values()
    columns = ", ".join(
        f"CASE WHEN {_engaged_sql(*_FLAGS[name])} THEN 1 ELSE 0 END AS {name}" if name in flags else f"0 AS {name}"
        for name in _FLAGS
    )
    return _DIRECTORY_CTES.format(borough_values=values, flags=columns), params


def _figures_statement() -> tuple[str, dict]:
    ctes, params = _directory_ctes()
    columns = [f"attended_{t}" for t in EVENT_TYPES]
    sql = _FIGURES_SQL.format(
        directory_ctes=ctes,
        attendance_columns=", ".join(
            f"SUM(CASE WHEN event_type = '{t}' THEN 1 ELSE 0 END) AS attended_{t}" for t in EVENT_TYPES
        ),
        attendance_coalesced=", ".join(f"COALESCE(ac.{c}, 0) AS {c}" for c in columns),
        attendance_names=", ".join(columns),
        attendance_sums=", ".join(f"SUM({c})" for c in columns),
    )
    return sql, params


FIGURE_COLUMNS = (
    "directory",
    "engaged",
    "new_reached",
    "never_engaged",
    "lived_experience_people",
    *[f"attended_{t}" for t in EVENT_TYPES],
)


def engagement_figures(period: Period) -> list[dict]:
    """Every borough (and GM) × practice area (0 = all) row of figures for the period, from one SQL query."""
    sql, params = _figures_statement()
    params.update(_params(period))
    rows = [dict(row) for row in db.session.execute(text(sql), params).mappings()]
    for row in rows:
        row["concept_id"] = int(row["concept_id"])
        for column in FIGURE_COLUMNS + ("population",):
            row[column] = int(row[column] or 0)
        row["attended_total"] = sum(row[f"attended_{t}"] for t in EVENT_TYPES)
        for column in ("engagement_rate", "engaged_per_100k", "gap_index", "gap_index_need"):
            row[column] = float(row[column]) if row[column] is not None else None
    rows.sort(key=lambda r: (r["concept_id"], r["borough_code"]))
    return rows


_ORGANISATIONS_SQL = _model_sql("""
WITH {directory_ctes}
SELECT o.id, o.name, o.borough_code, o.latitude, o.longitude, o.email, o.website, o.postcode,
       org.engaged AS engaged_in_period, org.engaged_ever AS ever_engaged
FROM org
JOIN {organisation} o ON o.id = org.id
WHERE {where}
ORDER BY o.borough_code, o.name, o.id
""")


_TAGGED = _model_sql(
    "EXISTS (SELECT 1 FROM {organisation_practice_area} opa "
    "WHERE opa.organisation_id = org.id AND opa.concept_id = :concept_id)"
)


def organisation_engagement(
    period: Period,
    concept_id: int | None = None,
    borough_code: str | None = None,
    never_engaged: bool = False,
    also_ids: list[int] | None = None,
) -> list[dict]:
    """Organisations in the directory (as counted in the figures) with whether they engaged in the period/ever.

    concept_id limits to organisations tagged with that practice area; also_ids admits others too
    (those the directory search finds for the practice area's words).
    """
    ctes, params = _directory_ctes(("engaged", "engaged_ever") if never_engaged else ("engaged",))
    params.update(_params(period))
    where = ["1 = 1"]
    if borough_code:
        where.append("org.borough_code = :borough_code")
        params["borough_code"] = borough_code
    if never_engaged:
        where.append("org.engaged_ever = 0")
    if concept_id:
        tagged = _TAGGED
        params["concept_id"] = concept_id
        if also_ids:
            tagged = f"({tagged} OR org.id IN :also_ids)"
            params["also_ids"] = list(also_ids)
        where.append(tagged)
    sql = text(_ORGANISATIONS_SQL.format(directory_ctes=ctes, where=" AND ".join(where)))
    if "also_ids" in params:
        sql = sql.bindparams(bindparam("also_ids", expanding=True))
    result = db.session.execute(sql, params)
    keys = list(result.keys())
    rows = [dict(zip(keys, values)) for values in result]  # much cheaper than RowMapping at 17,500 rows
    for row in rows:
        row["engaged_in_period"] = bool(row["engaged_in_period"])
        row["ever_engaged"] = bool(row["ever_engaged"])
    return rows


_TIMELINE_SQL = _model_sql("""
SELECT e.starts_at, e.event_type, COUNT(a.id) AS attended
FROM {event} e LEFT JOIN {attendance} a ON a.event_id = e.id AND a.status = {attended}
WHERE e.starts_at >= :start_at AND e.starts_at < :end_at
GROUP BY e.id, e.starts_at, e.event_type
""")


def attendance_over_time(period: Period) -> list[dict]:
    """Attended records per quarter and event type, plus events held and average attendance."""
    rows = db.session.execute(text(_TIMELINE_SQL), {"start_at": period.start_at, "end_at": period.end_at})
    buckets: dict[tuple[str, str], dict] = {}
    for starts_at, event_type, attended in rows:
        if isinstance(starts_at, str):
            starts_at = datetime.fromisoformat(starts_at)
        quarter = f"{starts_at.year} Q{(starts_at.month - 1) // 3 + 1}"
        bucket = buckets.setdefault(
            (quarter, event_type), {"quarter": quarter, "event_type": event_type, "events": 0, "attended": 0}
        )
        bucket["events"] += 1
        bucket["attended"] += int(attended)
    result = sorted(buckets.values(), key=lambda b: (b["quarter"], EVENT_TYPES.index(b["event_type"])))
    for bucket in result:
        bucket["average"] = bucket["attended"] / bucket["events"] if bucket["events"] else 0.0
    return result


ENGAGEMENT_TABLES = (
    "organisation",
    "organisation_practice_area",
    "attendance",
    "event",
    "membership",
    "person",
    "community",
)


def data_version() -> tuple:
    """A cheap fingerprint of everything the figures read (one counter per table), so caches know when to rebuild."""
    from ..versions import data_version as table_versions

    return table_versions(ENGAGEMENT_TABLES)


def concept_ids_in_use() -> list[int]:
    """Practice areas that have tagged organisations or communities."""
    tagged = select(organisation_practice_area.c.concept_id).distinct()
    used = select(Community.practice_area_id).where(Community.practice_area_id.is_not(None)).distinct()
    return sorted({*db.session.scalars(tagged), *db.session.scalars(used)})
