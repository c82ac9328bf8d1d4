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

from array import array
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache

import numpy as np
from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    column,
    distinct,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
    union,
    union_all,
    values,
)

from geo.boroughs import BOROUGH_CODES, facts_by_code

from ..communities.models import Attendance, AttendanceStatus, Community, Event, EventType, Membership, Person
from ..extensions import db
from ..organisations.models import Organisation, OrganisationStatus, organisation_practice_area
from ..timeutil import utcnow

ALL_AREAS = 0  # concept_id used for "All practice areas"
GM = "GM"  # borough_code used for the Greater Manchester totals
EVENT_TYPES = tuple(kind.value for kind in EventType)
FAR_FUTURE = date(9999, 12, 31)


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


# The statements below are SQLAlchemy Core on the models' own tables (the organisations and communities
# areas' `models`), built once when this module is imported: renaming a table, column or stored value
# elsewhere fails here, at import, in every test, instead of silently returning wrong figures. Each
# period's bounds are bound parameters (`_params`), so one compiled statement serves every period.
_a = Attendance.__table__.alias("a")
_e = Event.__table__.alias("e")
_m = Membership.__table__.alias("m")
_p = Person.__table__.alias("p")
_c = Community.__table__.alias("c")
_o = Organisation.__table__.alias("o")
_ao = Organisation.__table__.alias("ao")  # the organisation an attendance was for
_po = Organisation.__table__.alias("po")  # the person's organisation
_opa = organisation_practice_area.alias("opa")
_ATTENDED = AttendanceStatus.ATTENDED
_ACTIVE = OrganisationStatus.ACTIVE

# Constants written into the SQL (not bound), typed for the results: counts stay integers and rates
# floats on both engines, as in plain SQL.
_ZERO = literal_column("0", Integer)
_ONE = literal_column("1", Integer)
_ONE_F = literal_column("1.0", Float)
_100K = literal_column("100000.0", Float)


def _borough() -> object:
    """A VALUES list of the ten boroughs' population and need (IMD average score), bound per query."""
    return (
        values(column("code", String), column("population", Integer), column("imd_score", Float), name="borough")
        .data(
            [
                (
                    bindparam(f"b{n}", type_=String),
                    bindparam(f"pop{n}", type_=Integer),
                    bindparam(f"imd{n}", type_=Float),
                )
                for n in range(len(BOROUGH_CODES))
            ]
        )
        .cte("borough")
    )


def _borough_params() -> dict:
    facts = facts_by_code()
    params = {}
    for n, code in enumerate(BOROUGH_CODES):
        params.update(
            {f"b{n}": code, f"pop{n}": int(facts[code]["population"]), f"imd{n}": float(facts[code]["imd_score"])}
        )
    return params


def _engaged_between(start: str, end: str):
    """Engagement of an organisation: an attended event, or a membership, recorded against it.

    (The organisation a person came for is stored on the attendance and membership rows when recorded.)
    "o.id IN (uncorrelated subquery)" is evaluated once into a temporary index by SQLite and a hashed
    subplan by PostgreSQL, so 17,500 organisations cost one pass over attendance, not one per row.
    Event times are compared with datetimes and membership days with dates, so no engine mixes types.
    """
    attended = (
        select(_a.c.organisation_id)
        .join_from(_a, _e, _e.c.id == _a.c.event_id)
        .where(
            _a.c.organisation_id.is_not(None),
            _a.c.status == _ATTENDED,
            _e.c.starts_at >= bindparam(f"{start}_at", type_=DateTime),
            _e.c.starts_at < bindparam(f"{end}_at", type_=DateTime),
        )
    )
    member = select(_m.c.organisation_id).where(
        _m.c.organisation_id.is_not(None),
        _m.c.joined_on < bindparam(f"{end}_day", type_=Date),
        func.coalesce(_m.c.left_on, bindparam("far_future", type_=Date)) >= bindparam(f"{start}_day", type_=Date),
    )
    return _o.c.id.in_(union(attended, member))


_FLAGS = {"engaged": ("start", "end"), "engaged_before": ("epoch", "start"), "engaged_ever": ("epoch", "forever")}


def _org(borough, flags) -> object:
    """Active organisations in a borough, with the engagement flags asked for (0 for the others)."""
    columns = [
        (case((_engaged_between(*_FLAGS[name]), _ONE), else_=_ZERO) if name in flags else _ZERO).label(name)
        for name in _FLAGS
    ]
    return (
        select(_o.c.id, _o.c.borough_code, *columns)
        .join_from(_o, borough, borough.c.code == _o.c.borough_code)
        .where(_o.c.status == _ACTIVE)
        .cte("org")
    )


def _org_area(org) -> object:
    """Each organisation once per practice area it is tagged with, and once under "All practice areas" (0)."""
    flags = (org.c.engaged, org.c.engaged_before, org.c.engaged_ever)
    return union_all(
        select(org.c.id.label("organisation_id"), org.c.borough_code, _opa.c.concept_id, *flags).join_from(
            org, _opa, _opa.c.organisation_id == org.c.id
        ),
        select(org.c.id, org.c.borough_code, _ZERO, *flags),
    ).cte("org_area")


def _taking_part() -> object:
    """People who attended or were members in the period, in their borough and practice area."""
    lived = case((or_(_p.c.lived_experience, _p.c.carer), _ONE), else_=_ZERO)
    borough_code = func.coalesce(_p.c.borough_code, _po.c.borough_code)
    concept_id = func.coalesce(_c.c.practice_area_id, _ZERO)
    attended = (
        select(
            _p.c.id.label("person_id"),
            borough_code.label("borough_code"),
            concept_id.label("concept_id"),
            lived.label("lived"),
        )
        .select_from(
            _a.join(_e, _e.c.id == _a.c.event_id)
            .join(_p, _p.c.id == _a.c.person_id)
            .outerjoin(_po, _po.c.id == _p.c.organisation_id)
            .outerjoin(_c, _c.c.id == _e.c.community_id)
        )
        .where(_a.c.status == _ATTENDED, _in_period(_e.c.starts_at))
    )
    member = (
        select(_p.c.id, borough_code, concept_id, lived)
        .select_from(
            _m.join(_p, _p.c.id == _m.c.person_id)
            .join(_c, _c.c.id == _m.c.community_id)
            .outerjoin(_po, _po.c.id == _p.c.organisation_id)
        )
        .where(
            _m.c.joined_on < bindparam("end_day", type_=Date),
            func.coalesce(_m.c.left_on, bindparam("far_future", type_=Date)) >= bindparam("start_day", type_=Date),
        )
    )
    return union(attended, member).cte("taking_part")


def _in_period(starts_at):
    return and_(starts_at >= bindparam("start_at", type_=DateTime), starts_at < bindparam("end_at", type_=DateTime))


def _event_type(expression):
    """The stored event type as plain text (not the enum), for comparisons and results alike."""
    return type_coerce(expression, String)


def _figures_statement():
    borough = _borough()
    org = _org(borough, tuple(_FLAGS))
    org_area = _org_area(org)
    cm = Community.__table__.alias("cm")
    area = union(
        select(_ZERO.label("concept_id")),
        select(org_area.c.concept_id),
        select(cm.c.practice_area_id).where(cm.c.practice_area_id.is_not(None)),
    ).cte("area")
    grid = select(borough.c.code.label("borough_code"), area.c.concept_id).join_from(borough, area, true()).cte("grid")
    oa = org_area.alias("oa")
    org_counts = (
        select(
            oa.c.borough_code,
            oa.c.concept_id,
            func.count().label("directory"),
            func.sum(oa.c.engaged).label("engaged"),
            func.sum(case((and_(oa.c.engaged == _ONE, oa.c.engaged_before == _ZERO), _ONE), else_=_ZERO)).label(
                "new_reached"
            ),
            func.sum(_ONE - oa.c.engaged_ever).label("never_engaged"),
        )
        .group_by(oa.c.borough_code, oa.c.concept_id)
        .cte("org_counts")
    )
    tp = _taking_part()
    people = func.count(distinct(tp.c.person_id))
    lived_counts = union_all(
        select(tp.c.borough_code, tp.c.concept_id, people.label("lived_experience_people"))
        .where(tp.c.lived == _ONE, tp.c.concept_id != _ZERO)
        .group_by(tp.c.borough_code, tp.c.concept_id),
        select(tp.c.borough_code, _ZERO, people).where(tp.c.lived == _ONE).group_by(tp.c.borough_code),
    ).cte("lived_counts")
    attended = (
        select(
            func.coalesce(_p.c.borough_code, _ao.c.borough_code, _po.c.borough_code).label("borough_code"),
            func.coalesce(_c.c.practice_area_id, _ZERO).label("concept_id"),
            _event_type(_e.c.event_type).label("event_type"),
        )
        .select_from(
            _a.join(_e, _e.c.id == _a.c.event_id)
            .outerjoin(_p, _p.c.id == _a.c.person_id)
            .outerjoin(_ao, _ao.c.id == _a.c.organisation_id)
            .outerjoin(_po, _po.c.id == _p.c.organisation_id)
            .outerjoin(_c, _c.c.id == _e.c.community_id)
        )
        .where(_a.c.status == _ATTENDED, _in_period(_e.c.starts_at))
        .cte("attended")
    )
    attended_all = union_all(
        select(attended.c.borough_code, attended.c.concept_id, attended.c.event_type).where(
            attended.c.concept_id != _ZERO
        ),
        select(attended.c.borough_code, _ZERO, attended.c.event_type),
    ).cte("attended_all")
    names = [f"attended_{t}" for t in EVENT_TYPES]
    attendance_counts = (
        select(
            attended_all.c.borough_code,
            attended_all.c.concept_id,
            *[
                func.sum(case((attended_all.c.event_type == literal_column(f"'{t}'"), _ONE), else_=_ZERO)).label(
                    f"attended_{t}"
                )
                for t in EVENT_TYPES
            ],
        )
        .group_by(attended_all.c.borough_code, attended_all.c.concept_id)
        .cte("attendance_counts")
    )
    g, b, oc, lc, ac = grid, borough, org_counts, lived_counts, attendance_counts
    per_borough = (
        select(
            g.c.borough_code,
            g.c.concept_id,
            b.c.population,
            b.c.imd_score,
            *[func.coalesce(oc.c[name], _ZERO).label(name) for name in _ORG_COUNTS],
            func.coalesce(lc.c.lived_experience_people, _ZERO).label("lived_experience_people"),
            *[func.coalesce(ac.c[name], _ZERO).label(name) for name in names],
        )
        .select_from(
            g.join(b, b.c.code == g.c.borough_code)
            .outerjoin(oc, and_(oc.c.borough_code == g.c.borough_code, oc.c.concept_id == g.c.concept_id))
            .outerjoin(lc, and_(lc.c.borough_code == g.c.borough_code, lc.c.concept_id == g.c.concept_id))
            .outerjoin(ac, and_(ac.c.borough_code == g.c.borough_code, ac.c.concept_id == g.c.concept_id))
        )
        .cte("per_borough")
    )
    pb = per_borough
    concept = pb.c.concept_id
    with_totals = select(
        pb,
        func.sum(pb.c.engaged).over(partition_by=concept).label("gm_engaged"),
        func.sum(pb.c.population).over(partition_by=concept).label("gm_population"),
        func.sum(pb.c.population * pb.c.imd_score).over(partition_by=concept).label("gm_need"),
    ).cte("with_totals")
    w = with_totals
    share = _div(w.c.engaged * _ONE_F, w.c.gm_engaged)
    boroughs = select(
        w.c.borough_code,
        w.c.concept_id,
        w.c.population,
        *[w.c[name] for name in FIGURE_COLUMNS],
        _rate(case((w.c.directory > _ZERO, _div(w.c.engaged * _ONE_F, w.c.directory)))).label("engagement_rate"),
        _rate(_div(w.c.engaged * _100K, w.c.population)).label("engaged_per_100k"),
        _rate(case((w.c.gm_engaged > _ZERO, _div(share, _div(w.c.population * _ONE_F, w.c.gm_population))))).label(
            "gap_index"
        ),
        _rate(case((w.c.gm_engaged > _ZERO, _div(share, _div(w.c.population * w.c.imd_score, w.c.gm_need))))).label(
            "gap_index_need"
        ),
    )
    total = func.sum
    gm = select(
        bindparam("gm", type_=String),
        concept,
        total(pb.c.population),
        *[total(pb.c[name]) for name in FIGURE_COLUMNS],
        _rate(case((total(pb.c.directory) > _ZERO, _div(total(pb.c.engaged) * _ONE_F, total(pb.c.directory))))),
        _rate(_div(total(pb.c.engaged) * _100K, total(pb.c.population))),
        _rate(case((total(pb.c.engaged) > _ZERO, _ONE_F))),
        _rate(case((total(pb.c.engaged) > _ZERO, _ONE_F))),
    ).group_by(concept)
    return union_all(boroughs, gm)


def _div(dividend, divisor):
    """Plain SQL division (SQLAlchemy's `/` would add `+ 0.0` to an integer divisor and change the SQL)."""
    return dividend.op("/")(divisor)


def _rate(expression):
    """A ratio as the engine returns it (a float, or a decimal on PostgreSQL that the caller turns into one)."""
    return type_coerce(expression, Float)


_ORG_COUNTS = ("directory", "engaged", "new_reached", "never_engaged")


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
        **_borough_params(),
    }


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
    rows = [dict(row) for row in db.session.execute(_FIGURES, _params(period)).mappings()]
    for row in rows:
        row["concept_id"] = int(row["concept_id"])
        for column_name in FIGURE_COLUMNS + ("population",):
            row[column_name] = int(row[column_name] or 0)
        row["attended_total"] = sum(row[f"attended_{t}"] for t in EVENT_TYPES)
        for column_name in ("engagement_rate", "engaged_per_100k", "gap_index", "gap_index_need"):
            row[column_name] = float(row[column_name]) if row[column_name] is not None else None
    rows.sort(key=lambda r: (r["concept_id"], r["borough_code"]))
    return rows


@cache
def _organisations_statement(flags: tuple[str, ...], borough: bool, never: bool, concept: bool, also: bool):
    """The directory as counted in the figures, with the filters asked for (one statement per combination)."""
    org = _org(_borough(), flags)
    where = []
    if borough:
        where.append(org.c.borough_code == bindparam("borough_code", type_=String))
    if never:
        where.append(org.c.engaged_ever == _ZERO)
    if concept:
        tagged = exists().where(
            _opa.c.organisation_id == org.c.id, _opa.c.concept_id == bindparam("concept_id", type_=Integer)
        )
        if also:
            tagged = or_(tagged, org.c.id.in_(bindparam("also_ids", expanding=True)))
        where.append(tagged)
    return (
        select(
            _o.c.id,
            _o.c.name,
            _o.c.borough_code,
            _o.c.latitude,
            _o.c.longitude,
            _o.c.email,
            _o.c.website,
            _o.c.postcode,
            org.c.engaged.label("engaged_in_period"),
            org.c.engaged_ever.label("ever_engaged"),
        )
        .join_from(org, _o, _o.c.id == org.c.id)
        .where(*where)
        .order_by(_o.c.borough_code, _o.c.name, _o.c.id)
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
    flags = ("engaged", "engaged_ever") if never_engaged else ("engaged",)
    also = bool(concept_id and also_ids)
    statement = _organisations_statement(flags, bool(borough_code), never_engaged, bool(concept_id), also)
    params = _params(period)
    params.update(borough_code=borough_code, concept_id=concept_id)
    if also:
        params["also_ids"] = list(also_ids)
    result = db.session.execute(statement, params)
    keys = list(result.keys())
    rows = [dict(zip(keys, values)) for values in result]  # much cheaper than RowMapping at 17,500 rows
    for row in rows:
        row["engaged_in_period"] = bool(row["engaged_in_period"])
        row["ever_engaged"] = bool(row["ever_engaged"])
    return rows


def _points_statement(concept: bool):
    """The located organisations of the directory as counted in the figures, for the gap map's markers."""
    org = _org(_borough(), ("engaged",))
    where = [_o.c.latitude.is_not(None), _o.c.longitude.is_not(None)]
    if concept:
        where.append(
            exists().where(
                _opa.c.organisation_id == org.c.id, _opa.c.concept_id == bindparam("concept_id", type_=Integer)
            )
        )
    return (
        select(_o.c.latitude, _o.c.longitude, org.c.engaged, _o.c.name, _o.c.borough_code)
        .join_from(org, _o, _o.c.id == org.c.id)
        .where(*where)
        .order_by(_o.c.borough_code, _o.c.name, _o.c.id)  # MarkerCluster groups points in the order they come
    )


_POINTS = {concept: _points_statement(concept) for concept in (False, True)}


@dataclass(frozen=True)
class MapPoints:
    """The gap map's markers as columns: every located organisation's latitude, longitude, whether it
    engaged in the period, name and borough, in the order the markers are drawn.

    Kept in every worker per data version, period and practice area (shared by every role's and borough's
    map), so held as a few arrays, the names as one UTF-8 text with where each ends: 1 MB at 17,500
    organisations, where a tuple per organisation held 4.7 MB (and 6.5 MB of the worker's memory).
    """

    lat: np.ndarray  # float64
    lon: np.ndarray  # float64
    engaged: np.ndarray  # bool
    borough: np.ndarray  # index into codes
    codes: tuple[str, ...]
    text: bytes  # the names, UTF-8, one after another
    ends: np.ndarray  # where each name ends in text

    @classmethod
    def from_rows(cls, rows) -> MapPoints:
        """From (latitude, longitude, engaged, name, borough code) rows, read one at a time (no list of
        rows is made, so nothing is left scattered in memory once they are read)."""
        lats, lons, flags, boroughs, ends = array("d"), array("d"), bytearray(), array("H"), array("q")
        text = bytearray()
        codes: dict[str, int] = {}
        for lat, lon, engaged, name, code in rows:
            lats.append(lat)
            lons.append(lon)
            flags.append(1 if engaged else 0)
            boroughs.append(codes.setdefault(code, len(codes)))
            text += (name or "").encode()
            ends.append(len(text))
        return cls(
            lat=np.frombuffer(lats, dtype=np.float64),
            lon=np.frombuffer(lons, dtype=np.float64),
            engaged=np.frombuffer(bytes(flags), dtype=np.uint8).astype(bool),
            borough=np.frombuffer(boroughs, dtype=np.uint16),
            codes=tuple(codes),
            text=bytes(text),
            ends=np.frombuffer(ends, dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.ends)

    def _starts(self) -> np.ndarray:
        return np.concatenate(([0], self.ends[:-1])).astype(np.int64)

    @property
    def names(self) -> list[str]:
        """Each organisation's name (made when asked: the map labels markers only when there are few)."""
        return [self.text[start:end].decode() for start, end in zip(self._starts().tolist(), self.ends.tolist())]

    def in_boroughs(self, codes) -> MapPoints:
        """Only the organisations based in these boroughs (in the same order)."""
        chosen = set(codes)
        keep = np.isin(self.borough, [i for i, code in enumerate(self.codes) if code in chosen])
        starts, ends = self._starts()[keep], self.ends[keep]
        return replace(
            self,
            lat=self.lat[keep],
            lon=self.lon[keep],
            engaged=self.engaged[keep],
            borough=self.borough[keep],
            text=b"".join(self.text[start:end] for start, end in zip(starts.tolist(), ends.tolist())),
            ends=np.cumsum(ends - starts),
        )


def map_points(period: Period, concept_id: int | None = None) -> MapPoints:
    """Each located organisation in the directory as counted in the figures (tagged with the practice area,
    when one is given): latitude, longitude, engaged in the period or not, name and borough.

    The gap map's markers: only the columns they use, in organisation_engagement's order (the clusters
    drawn depend on it); organisation_engagement has the rest.
    """
    params = _params(period)
    params["concept_id"] = concept_id
    return MapPoints.from_rows(db.session.execute(_POINTS[bool(concept_id)], params))


_TIMELINE = (
    select(_e.c.starts_at, _event_type(_e.c.event_type).label("event_type"), func.count(_a.c.id).label("attended"))
    .select_from(_e.outerjoin(_a, and_(_a.c.event_id == _e.c.id, _a.c.status == _ATTENDED)))
    .where(_in_period(_e.c.starts_at))
    .group_by(_e.c.id, _e.c.starts_at, _e.c.event_type)
)
_FIGURES = _figures_statement()


def attendance_over_time(period: Period) -> list[dict]:
    """Attended records per quarter and event type, plus events held and average attendance."""
    rows = db.session.execute(_TIMELINE, {"start_at": period.start_at, "end_at": period.end_at})
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
