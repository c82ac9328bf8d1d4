"""The read side of the directory: one search function behind the list, map, exports and API.

`search_organisations(filters, page, per_page)` is the single place where free text and filters become
SQL, so the list, the map, the CSV export, the GeoJSON and the Open Referral feed always agree.
"""

from __future__ import annotations

import functools
import json
import math
import re
import uuid
from collections import defaultdict
from dataclasses import astuple, dataclass, field
from datetime import date, timedelta

from flask import abort
from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)

from geo.boroughs import BOROUGH_CODES, borough_name
from geo.safe_text import safe_text

from ..boroughs import borough_name as shown_borough_name
from ..extensions import db
from ..params import MAX_PAGE, whole_number
from ..terminology.interface import Concept, spoken_concepts
from ..terminology.interface import expand_query as expand
from ..versions import DIRECTORY_TABLES, VOCABULARY_TABLES, VersionedCache, data_version
from .models import (
    ATTENTION_CHECK_DAYS,
    ApiToken,
    LocationStatus,
    Organisation,
    OrganisationBorough,
    OrganisationStatus,
    OrganisationType,
    organisation_practice_area,
)
from .validation import org_id as org_identifier
from .validation import org_id_scheme

PER_PAGE = 50
_BOROUGH_NAMES = {code: borough_name(code) for code in BOROUGH_CODES}
MAX_PER_PAGE = 200


# --- Filters ----------------------------------------------------------------------------------


@dataclass
class OrganisationFilters:
    """What the person asked for; built from query parameters so a search can be bookmarked."""

    q: str = ""
    borough: str | None = None  # where the address is
    operates_in: str | None = None  # a borough it works in
    practice_area: int | None = None  # a Concept id
    org_type: str | None = None
    status: str = "active"  # active | closed | any
    needs_attention: bool = False
    located_only: bool = False  # only those with a map location (paged GeoJSON); not a query parameter

    @classmethod
    def from_args(cls, args, default_borough: str | None = None) -> OrganisationFilters:
        """Read filters from request.args; unknown values are ignored rather than failing."""
        borough = args.get("borough", default_borough)
        borough = borough if borough in BOROUGH_CODES else None
        operates_in = args.get("operates_in")
        practice = str(args.get("practice_area", ""))
        org_type = args.get("type")
        status = args.get("status", "active")
        return cls(
            q=(args.get("q") or "").strip()[:200],
            borough=borough,
            operates_in=operates_in if operates_in in BOROUGH_CODES else None,
            practice_area=whole_number(practice),
            org_type=org_type if org_type in {t.value for t in OrganisationType} else None,
            status=status if status in ("active", "closed", "any") else "active",
            needs_attention=args.get("attention") in ("1", "yes", "on", "true"),
        )

    def to_args(self) -> dict:
        """Query parameters that reproduce these filters (omitting defaults)."""
        args = {
            "q": self.q or None,
            "borough": self.borough or None,
            "operates_in": self.operates_in,
            "practice_area": self.practice_area,
            "type": self.org_type,
            "status": None if self.status == "active" else self.status,
            "attention": "1" if self.needs_attention else None,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}


@dataclass
class ListedOrganisation:
    """What a page of results shows about one organisation, read without building ORM objects."""

    id: int
    name: str
    org_type: OrganisationType
    status: OrganisationStatus
    borough_code: str | None
    location_status: LocationStatus
    last_checked_on: date | None
    contactable: bool
    operates_in_codes: list[str] = field(default_factory=list)
    practice_areas: list[str] = field(default_factory=list)  # names, as the organisation's borough says them

    @property
    def address_in(self) -> str:
        """The borough its address is in, as the results table says it."""
        if self.borough_code:
            return shown_borough_name(self.borough_code)
        return "Outside Greater Manchester" if self.location_status == LocationStatus.OUTSIDE_GM else "Not known"

    @property
    def works_in(self) -> str:
        return ", ".join(shown_borough_name(code) for code in self.operates_in_codes)

    @property
    def practice_areas_text(self) -> str:
        return ", ".join(self.practice_areas)

    def attention_reasons(self, today: date | None = None) -> list[str]:
        from .models import attention_reasons

        return attention_reasons(
            self.location_status, bool(self.operates_in_codes), self.last_checked_on, self.contactable, today
        )


@dataclass
class SearchResult:
    items: list[ListedOrganisation]
    total: int
    page: int
    per_page: int
    query: str = ""
    phrases: list[str] = field(default_factory=list)
    also_searched: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


# --- Synonym expansion (the terminology area plugs in here) -----------------------------------


def expand_query(q: str) -> tuple[list[str], list[int], list[str]]:
    """Text -> (phrases to OR, concept ids whose tagged organisations also match, other words searched).

    Remembered per vocabulary version: the same words expand the same way until a label changes.
    """

    def build():
        phrases, concept_ids, also = expand(q)
        return list(phrases) or [q], [int(c) for c in concept_ids], list(also)

    phrases, concept_ids, also = _EXPANSIONS.get_or_build((data_version(VOCABULARY_TABLES), q), build)
    return list(phrases), list(concept_ids), list(also)


_EXPANSIONS = VersionedCache(size=512)


def words_find_nothing(q: str) -> bool:
    """True when the words alone (no other filters, any status) match no organisation."""
    return search_organisations(OrganisationFilters(q=q, status="any"), 1, per_page=1).total == 0


# --- Full-text index --------------------------------------------------------------------------

# PostgreSQL: the stored, weighted tsvector column with its GIN index (SEARCH_INDEX_SQL); not modelled.
PG_DOCUMENT = "organisation.search_document"


def _distinct_phrases(phrases: list[str]) -> list[str]:
    """Each phrase once, as its words: both indexes split on punctuation, so "self-care" is "self care".

    Words are runs of letters and digits (an underscore splits them, as in both indexes), so a phrase can
    never carry a query operator into FTS5 or a tsquery.
    """
    unique = {}
    for phrase in phrases:
        words = tuple(re.findall(r"[^\W_]+", phrase.casefold()))
        if words:
            unique.setdefault(words, " ".join(words))
    return list(unique.values())


def _fts5_query(phrases: list[str]) -> str | None:
    quoted = ['"' + p.replace('"', '""') + '"' for p in _distinct_phrases(phrases)]
    return " OR ".join(quoted) or None


def _pg_query_text(phrases: list[str]) -> str:
    return " | ".join("(" + " <-> ".join(phrase.split()) + ")" for phrase in phrases)


def _pg_query(phrases: list[str]):
    """One tsquery for every phrase: `(self <-> care) | (selfcare)`, as one bound value.

    to_tsquery with the phrase operator stems and drops stop words exactly as phraseto_tsquery does, and
    one parameter keeps the statement the same shape for every search (SQLAlchemy compiles it once).
    """
    return func.to_tsquery(literal_column("'english'"), bindparam("tsquery", _pg_query_text(phrases), type_=String))


# --- The one search ---------------------------------------------------------------------------

# Each match's status, borough and name come from this narrow index instead of its whole record (a third
# of a large search's time on SQLite, which otherwise always reads a record by its rowid). PostgreSQL
# plans for itself and ignores the hint.
SEARCH_COLUMNS_INDEX = "ix_organisation_search_columns"
SEARCH_COLUMNS_HINT = (Organisation.__table__, f"INDEXED BY {SEARCH_COLUMNS_INDEX}", "sqlite")


def _filter_values(filters: OrganisationFilters, today: date | None = None) -> dict:
    """The filters' values by the name of their bound parameter; a filter not asked for is absent.

    Its keys are the statement's shape: statements of one shape differ only in these values, so a page's
    statement is built once per shape and run with each search's values (`search_organisations`).
    """
    values = {}
    if filters.status != "any":
        values["f_status"] = OrganisationStatus(filters.status)
    if filters.borough:
        values["f_borough"] = filters.borough
    if filters.operates_in:
        values["f_operates_in"] = filters.operates_in
    if filters.practice_area:
        values["f_practice_area"] = filters.practice_area
    if filters.org_type:
        values["f_type"] = OrganisationType(filters.org_type)
    if filters.located_only:
        values["f_located"] = None  # no value: a shape only
    if filters.needs_attention:
        values["f_checked_before"] = (today or date.today()) - timedelta(days=ATTENTION_CHECK_DAYS)
    return values


def _filter_conditions(filters: OrganisationFilters, today: date | None = None) -> list:
    values = _filter_values(filters, today)
    table = Organisation.__table__.c

    def bound(key, column):
        return bindparam(key, values[key], type_=column.type)

    conditions = []
    if "f_status" in values:
        conditions.append(Organisation.status == bound("f_status", table.status))
    if "f_borough" in values:
        conditions.append(Organisation.borough_code == bound("f_borough", table.borough_code))
    if "f_operates_in" in values:
        conditions.append(
            exists().where(
                OrganisationBorough.organisation_id == Organisation.id,
                OrganisationBorough.borough_code == bound("f_operates_in", table.borough_code),
            )
        )
    if "f_practice_area" in values:
        conditions.append(
            exists().where(
                organisation_practice_area.c.organisation_id == Organisation.id,
                organisation_practice_area.c.concept_id == bound("f_practice_area", table.id),
            )
        )
    if "f_type" in values:
        conditions.append(Organisation.org_type == bound("f_type", table.org_type))
    if "f_located" in values:
        conditions.append(Organisation.latitude.is_not(None))
    if "f_checked_before" in values:
        conditions.append(
            or_(
                Organisation.location_status.in_([LocationStatus.NO_POSTCODE, LocationStatus.UNKNOWN_POSTCODE]),
                and_(
                    Organisation.location_status == LocationStatus.OUTSIDE_GM,
                    ~exists().where(OrganisationBorough.organisation_id == Organisation.id),
                ),
                Organisation.last_checked_on.is_(None),
                Organisation.last_checked_on < bound("f_checked_before", table.last_checked_on),
                and_(Organisation.website.is_(None), Organisation.email.is_(None), Organisation.phone.is_(None)),
            )
        )
    return conditions


def ranked_ids(filters: OrganisationFilters) -> tuple:
    """(select of id and score in rank order, phrases, also_searched) for these filters.

    With words, the full-text index (and the concept tags) decide which rows are looked at at all; the
    filters then apply to those rows only. Without words, the list is in name order, which the
    (status, name, id) index serves without sorting.
    """
    phrases, concept_ids, also = expand_query(filters.q) if filters.q else ([], [], [])
    conditions = _filter_conditions(filters)
    if not filters.q:
        statement = select(Organisation.id.label("id"), literal(0.0, Float).label("score"))
        return statement.where(*conditions).order_by(Organisation.name, Organisation.id), phrases, also
    return _ranked_matches(_distinct_phrases(phrases), concept_ids, conditions), phrases, also


def _ranked_matches(words: list[str], concept_ids: list[int], conditions: list, ordered: bool = True):
    """Rows the text index finds (ranked by it), then rows found only by a named concept's tag (score 0).

    Two disjoint parts, each joined to the organisations it names and filtered there, so neither a
    grouping nor a scan of the whole directory is needed: the cost follows the matches. An organisation
    found both ways appears once, with its text score. `ordered=False`: the rows (id, score, name)
    without their order, for a caller that counts and orders them itself.
    """
    found = text_ids = None
    if words and db.engine.dialect.name == "sqlite":
        fts = (
            text(
                "SELECT rowid AS id, -bm25(organisation_fts, 10.0, 1.0) AS score FROM organisation_fts "
                "WHERE organisation_fts MATCH :fts_match"
            )
            .bindparams(fts_match=_fts5_query(words))
            .columns(id=Integer, score=Float)
            # Materialised: once flattened into the outer query, SQLite cannot call bm25() there.
            .cte("fts")
            .prefix_with("MATERIALIZED")
        )
        found = select(Organisation.id.label("id"), fts.c.score.label("score"), Organisation.name.label("name"))
        found = found.join(fts, fts.c.id == Organisation.id).where(*conditions).with_hint(*SEARCH_COLUMNS_HINT)
        text_ids = select(fts.c.id)
    elif words:
        document, query = literal_column(PG_DOCUMENT), _pg_query(words)
        found = select(
            Organisation.id.label("id"), func.ts_rank(document, query).label("score"), Organisation.name.label("name")
        ).where(document.op("@@")(query), *conditions)
        other = Organisation.__table__.alias("text_hit")
        text_ids = select(other.c.id).where(literal_column(f"text_hit.{PG_DOCUMENT.split('.')[1]}").op("@@")(query))
    tagged = None
    if concept_ids:
        # Driven from the tags (a join, not "id IN"): without statistics SQLite would otherwise walk the
        # whole (status, name) index and test each organisation against the tagged ids.
        tagged_ids = select(organisation_practice_area.c.organisation_id.label("id"))
        if len(concept_ids) == 1:  # an organisation is tagged with a concept once (the primary key)
            tagged_ids = tagged_ids.where(
                organisation_practice_area.c.concept_id == bindparam("concept_id", concept_ids[0], type_=Integer)
            )
        else:
            tagged_ids = tagged_ids.where(
                organisation_practice_area.c.concept_id.in_(bindparam("concept_ids", concept_ids, expanding=True))
            ).distinct()
        tagged_ids = tagged_ids.subquery("tagged")
        tagged = (
            select(Organisation.id.label("id"), literal(0.0, Float).label("score"), Organisation.name.label("name"))
            .select_from(tagged_ids)
            .join(Organisation, Organisation.id == tagged_ids.c.id)
            .where(*conditions)
            .with_hint(*SEARCH_COLUMNS_HINT)
        )
        if text_ids is not None:
            tagged = tagged.where(Organisation.id.not_in(text_ids))
    if found is None and tagged is None:
        nothing = select(Organisation.id.label("id"), literal(0.0, Float).label("score"))
        return (
            nothing.add_columns(Organisation.name.label("name")).where(false())
            if not ordered
            else nothing.where(false())
        )
    if not ordered:
        return found if tagged is None else tagged if found is None else union_all(found, tagged)
    if found is None or tagged is None:
        part = found if tagged is None else tagged
        return part.with_only_columns(part.selected_columns.id, part.selected_columns.score).order_by(
            literal_column("score").desc(), Organisation.name, Organisation.id
        )
    ranked = union_all(found, tagged).subquery("ranked")
    return select(ranked.c.id, ranked.c.score).order_by(ranked.c.score.desc(), ranked.c.name, ranked.c.id)


def search_organisations(filters: OrganisationFilters, page: int = 1, per_page: int = PER_PAGE) -> SearchResult:
    """Free text (full-text search, expanded with synonyms) combined with the filters, ranked and paged.

    One statement returns the page's rows, ready to show, and with words the total (COUNT(*) OVER () on
    PostgreSQL; on SQLite a count of the matches kept once in a materialised CTE): the ranked page is a
    subquery and only its rows are joined for their columns, boroughs and practice areas, so the cost is
    bounded by the matches and a page is one round trip. No words: the page comes straight off the name
    index, and the total from an index-only count in the same statement.
    """
    per_page = max(1, min(int(per_page or PER_PAGE), MAX_PER_PAGE))
    page = max(1, min(int(page or 1), MAX_PAGE))  # bigger offsets overflow the databases' integers
    params = {"page_limit": per_page, "page_offset": (page - 1) * per_page}
    values = _filter_values(filters)
    params.update((key, value) for key, value in values.items() if key != "f_located")
    shape = [db.engine.dialect.name, tuple(values)]
    if filters.q:
        phrases, concept_ids, also = expand_query(filters.q)
        words = _distinct_phrases(phrases)
        if words:
            if shape[0] == "sqlite":
                params["fts_match"] = _fts5_query(words)
            else:
                params["tsquery"] = _pg_query_text(words)
        if len(concept_ids) == 1:
            params["concept_id"] = concept_ids[0]
        elif concept_ids:
            params["concept_ids"] = concept_ids
        shape += [bool(words), min(len(concept_ids), 2)]
        statement = _page_statement(tuple(shape), lambda: _search_page(filters, words, concept_ids))
        rows = db.session.execute(statement, params).all()
        if rows:
            total = rows[0].total
        elif page > 1:  # past the end: the real total, from the matches' count of the same shape
            count = _page_statement((*shape, "count"), lambda: _search_count(filters, words, concept_ids))
            params = {key: value for key, value in params.items() if not key.startswith("page_")}
            total = db.session.scalar(count, params) or 0
        else:
            total = 0
    else:
        phrases, also = [], []
        statement = _page_statement(tuple(shape), lambda: _listing_page(filters))
        rows = db.session.execute(statement, params).all()
        # Past the end there is no row to carry the total: the real one, remembered.
        total = rows[0].total if rows else (_listing_count(filters) if page > 1 else 0)
    return SearchResult(
        items=_listed_items(rows),
        total=total,
        page=page,
        per_page=per_page,
        query=filters.q,
        phrases=phrases,
        also_searched=also,
    )


def _page_statement(shape: tuple, build):
    """A page's statement, built once per shape (database, filters asked for, words, concepts).

    Searches of one shape differ only in their bound values, so the statement object is kept and run with
    each search's values: SQLAlchemy neither builds it again nor works out its cache key again (together
    1–2 ms of a page), and its compiled form comes from the engine's cache.
    """
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = build()
    return statement


_STATEMENTS: dict = {}  # a few dozen shapes at most; the values never stay in them (they are bound)


def _page_limits(statement):
    return statement.limit(bindparam("page_limit", type_=Integer)).offset(bindparam("page_offset", type_=Integer))


def _search_page(filters: OrganisationFilters, words: list[str], concept_ids: list[int]):
    """One page of a search with words: its rows, ready to show, and the total (see search_organisations)."""
    matches = _ranked_matches(words, concept_ids, _filter_conditions(filters), ordered=False)
    if db.engine.dialect.name == "sqlite":
        # The matches kept once, counted by a subquery evaluated once: SQLite's COUNT(*) OVER () sorts
        # every match an extra time before the page's own sort (a quarter of a synonym search).
        hits = matches.cte("hits").prefix_with("MATERIALIZED")
        total = select(func.count()).select_from(hits).scalar_subquery()
    else:
        hits = matches.subquery("hits")
        total = func.count().over()
    ranked = _page_limits(
        select(hits.c.id, hits.c.score, total.label("total")).order_by(hits.c.score.desc(), hits.c.name, hits.c.id)
    ).subquery("page")
    return _listed(ranked, ranked.c.total).order_by(ranked.c.score.desc(), Organisation.name, Organisation.id)


def _search_count(filters: OrganisationFilters, words: list[str], concept_ids: list[int]):
    """How many organisations a search with words finds (for a page past the end)."""
    matches = _ranked_matches(words, concept_ids, _filter_conditions(filters), ordered=False).subquery("hits")
    return select(func.count()).select_from(matches)


def _listing_page(filters: OrganisationFilters):
    """One page of the directory without words, in name order, and the total in the same statement (an
    index-only count evaluated once, so a listing nobody has asked is one round trip, not two)."""
    statement, _, _ = ranked_ids(filters)
    total = select(func.count()).select_from(statement.order_by(None).subquery("listed")).scalar_subquery()
    ranked = _page_limits(statement.add_columns(total.label("total"))).subquery("page")
    return _listed(ranked, ranked.c.total).order_by(Organisation.name, Organisation.id)


def _listing_count(filters: OrganisationFilters) -> int:
    """The total of a listing without words, remembered per directory data version and filters.

    Paging through the directory, its map page and its exports ask the same count again and again; it
    changes only when the directory does (or the day does, for "needs attention").
    """
    key = (data_version(DIRECTORY_TABLES), astuple(filters), date.today())
    return _COUNTS.get_or_build(key, lambda: _count(ranked_ids(filters)[0]))


_COUNTS = VersionedCache(size=256)


def _count(statement) -> int:
    """How many rows the statement finds (a past-the-end page still reports the real total)."""
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def _listed(page, *extra):
    """The columns a page of results shows, for the organisations in `page` (a subquery with an `id`).

    Boroughs worked in and practice areas come along as comma-joined lists (group_concat / string_agg).
    """
    operates_in = (
        select(func.aggregate_strings(OrganisationBorough.borough_code, ","))
        .where(OrganisationBorough.organisation_id == Organisation.id)
        .scalar_subquery()
    )
    tagged = (
        select(func.aggregate_strings(cast(organisation_practice_area.c.concept_id, String), ","))
        .where(organisation_practice_area.c.organisation_id == Organisation.id)
        .scalar_subquery()
    )
    return (
        select(
            Organisation.id,
            Organisation.name,
            Organisation.org_type,
            Organisation.status,
            Organisation.borough_code,
            Organisation.location_status,
            Organisation.last_checked_on,
            (
                (Organisation.website.is_not(None))
                | (Organisation.email.is_not(None))
                | (Organisation.phone.is_not(None))
            ).label("contactable"),
            operates_in.label("operates_in"),
            tagged.label("tagged"),
            *extra,
        )
        .select_from(page)
        .join(Organisation, Organisation.id == page.c.id)
    )


def _listed_items(rows) -> list[ListedOrganisation]:
    """Rows of `_listed` as ListedOrganisation, in the order given.

    The practice areas' names come from the vocabulary's names remembered per vocabulary version (named
    the way each organisation's borough says them).
    """
    items = []
    names = None
    for row in rows:
        item = ListedOrganisation(*row[:7], contactable=bool(row.contactable))
        if row.operates_in:
            item.operates_in_codes = sorted(row.operates_in.split(","))
        if row.tagged:
            names = names if names is not None else spoken_concepts()
            item.practice_areas = _named(map(int, row.tagged.split(",")), item.borough_code, names)
        items.append(item)
    return items


# --- Bulk read for the map and exports --------------------------------------------------------


def _links(connection, matched) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """id -> operates-in codes, id -> practice-area labels for the matched rows (joined, not an IN list)."""
    boroughs: dict[int, list[str]] = {}
    areas: dict[int, list[str]] = {}
    for oid, code in connection.execute(
        select(OrganisationBorough.organisation_id, OrganisationBorough.borough_code)
        .join(matched, matched.c.id == OrganisationBorough.organisation_id)
        .order_by(OrganisationBorough.borough_code)
    ):
        boroughs.setdefault(oid, []).append(code)
    for oid, label in connection.execute(
        select(organisation_practice_area.c.organisation_id, Concept.pref_label)
        .join(Concept, Concept.id == organisation_practice_area.c.concept_id)
        .join(matched, matched.c.id == organisation_practice_area.c.organisation_id)
        .order_by(Concept.pref_label)
    ):
        areas.setdefault(oid, []).append(label)
    return boroughs, areas


EXPORT_COLUMNS = [
    "id",
    "name",
    "type",
    "charity_number",
    "company_number",
    "org_id",
    "description",
    "website",
    "email",
    "phone",
    "address",
    "postcode",
    "borough_code",
    "borough",
    "latitude",
    "longitude",
    "location_status",
    "operates_in",
    "practice_areas",
    "status",
    "last_checked_on",
]


@dataclass
class ExportQuery:
    """The statements for one export, built up front (they need the request's filters and the database kind).

    `rows(connection)` then runs them on a connection of its own, so a streamed response can go on reading
    after the view has returned, without holding the request's context open.
    """

    matched: object
    statement: object
    narrow: bool = False  # the map layer's few columns, type and status as stored (see _geojson_features)

    def rows(self, connection):
        """Plain rows in rank order, fetched a thousand at a time."""
        if self.narrow:
            raise ValueError("a narrow (map layer) query has no export rows: use _geojson_features")
        boroughs, areas = _links(connection, self.matched)
        # Options on this statement only: Connection.execution_options() changes the connection in place, and on
        # the session's connection every later INSERT would then be sent as a server-side cursor (PostgreSQL
        # refuses "DECLARE ... CURSOR FOR INSERT").
        result = connection.execute(self.statement, execution_options={"stream_results": True, "yield_per": 1000})
        for row in result:
            oid = row.id
            yield {
                "id": row.id,
                "name": row.name,
                "type": row.org_type.title,
                "charity_number": row.charity_number,
                "company_number": row.company_number,
                "org_id": org_identifier(row.charity_number, row.company_number),
                "description": row.description,
                "website": row.website,
                "email": row.email,
                "phone": row.phone,
                "address": row.address,
                "postcode": row.postcode,
                "borough_code": row.borough_code,
                "borough": _BOROUGH_NAMES.get(row.borough_code),
                "latitude": row.latitude,
                "longitude": row.longitude,
                "location_status": row.location_status.value,
                "operates_in": boroughs.get(oid, []),
                "practice_areas": areas.get(oid, []),
                "status": row.status.value,
                "last_checked_on": row.last_checked_on.isoformat() if row.last_checked_on else None,
            }


def export_query(
    filters: OrganisationFilters, limit: int | None = None, offset: int = 0, narrow: bool = False
) -> ExportQuery:
    """The matching organisations in rank order; `limit`/`offset` take one page of that order.

    `narrow` reads only what a map feature carries, with type and status as stored (no enum per row).
    """
    statement, _, _ = ranked_ids(filters)
    # The order matters inside only when a page is cut from it; the rows below are put in order anyway.
    statement = statement.limit(limit).offset(offset) if limit is not None else statement.order_by(None)
    matched = statement.subquery()
    if narrow:
        columns = [
            Organisation.id,
            Organisation.name,
            Organisation.charity_number,
            Organisation.company_number,
            Organisation.borough_code,
            Organisation.latitude,
            Organisation.longitude,
            type_coerce(Organisation.org_type, String).label("org_type"),
            type_coerce(Organisation.status, String).label("status"),
        ]
    else:
        columns = [
            Organisation.id,
            Organisation.name,
            Organisation.org_type,
            Organisation.charity_number,
            Organisation.company_number,
            Organisation.description,
            Organisation.website,
            Organisation.email,
            Organisation.phone,
            Organisation.address,
            Organisation.postcode,
            Organisation.borough_code,
            Organisation.latitude,
            Organisation.longitude,
            Organisation.location_status,
            Organisation.status,
            Organisation.last_checked_on,
        ]
    rows = (
        select(*columns)
        .join(matched, matched.c.id == Organisation.id)
        .order_by(matched.c.score.desc(), Organisation.name, Organisation.id)
    )
    return ExportQuery(matched=matched, statement=rows, narrow=narrow)


def export_rows(filters: OrganisationFilters) -> list[dict]:
    """Every matching organisation as a plain row, in rank order (CSV export)."""
    return list(export_query(filters).rows(db.session.connection()))


def map_points(filters: OrganisationFilters) -> list[list]:
    """[[lat, lon, id, label], …] for the map; labels go through safe_text (they end up in innerHTML)."""
    statement, _, _ = ranked_ids(filters)
    matched = statement.order_by(None).subquery()
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.latitude, Organisation.longitude)
        .join(matched, matched.c.id == Organisation.id)
        .where(Organisation.latitude.is_not(None))
    )
    rows = rows.all()
    places = _rounded_places([(lat, lon) for _, _, lat, lon in rows]).tolist()
    return [[lat, lon, oid, safe_text(name, max_length=100)] for (lat, lon), (oid, name, _, _) in zip(places, rows)]


def map_layer_rows():
    """Every located organisation, with what the map's filters other than words test, for the stored map
    layer (organisations/map_layer.py): (organisations, links, tags), each a list of plain tuples.

    organisations: (id, latitude, longitude, status, borough code, type, location status, last checked,
    no contact details) with the enums as stored; links: (organisation id, borough code) for every borough
    an organisation says it works in; tags: (organisation id, concept id). Three plain scans (no join, no
    order: the layer puts them in id order itself) on the session's connection, fetched by the driver's
    own cursor: SQLAlchemy's result rows would cost more than the reading itself at 117,500.
    """
    table = Organisation.__table__.c
    statements = (
        select(
            table.id,
            table.latitude,
            table.longitude,
            table.status,
            table.borough_code,
            table.org_type,
            table.location_status,
            table.last_checked_on,
            and_(table.website.is_(None), table.email.is_(None), table.phone.is_(None)),
        ).where(table.latitude.is_not(None)),
        select(OrganisationBorough.organisation_id, OrganisationBorough.borough_code),
        select(organisation_practice_area.c.organisation_id, organisation_practice_area.c.concept_id),
    )
    connection = db.session.connection()
    cursor = connection.connection.cursor()
    try:
        results = []
        for statement in statements:
            cursor.execute(str(statement.compile(dialect=connection.dialect)))
            results.append(cursor.fetchall())
    finally:
        cursor.close()
    return tuple(results)


def map_matched_ids(filters: OrganisationFilters):
    """The ids a search with words finds with these filters (numpy int64, unordered): the search's own
    statement (ranked_ids), reading ids only; the map takes their places from its stored layer."""
    import numpy as np

    matched = ranked_ids(filters)[0].order_by(None).subquery()
    ids = db.session.connection().execute(select(matched.c.id)).scalars().all()
    return np.fromiter(ids, dtype=np.int64, count=len(ids))


def _rounded_places(coordinates):
    """Latitudes and longitudes rounded to 4 decimal places (about 10 m: finer than a postcode centroid
    needs, and it keeps the layers small), the same way for the map's views and for the download."""
    import numpy as np

    values = np.asarray(coordinates, dtype=np.float64).reshape(-1, 2)
    rounded = np.round(values, 4)
    # numpy rounds x·10⁴, which can land either side of a half; Python's round() looks at x itself. For
    # the few values that close to a half, Python's answer, so the figures stay exactly what they were.
    scaled = values * 1e4
    for index in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6):
        rounded.flat[index] = round(float(values.flat[index]), 4)
    return rounded


def map_labels(ids) -> dict[int, str]:
    """{id: name through safe_text} for the organisations one map view shows (they end up in innerHTML).

    The ids go as one parameter (a PostgreSQL array; a JSON list SQLite unpacks with json_each), so a close
    view's thousands of names are one statement of one shape, not chunks of 500 bound values each.
    """
    ids = sorted({int(i) for i in ids})
    if not ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    values = ids if dialect == "postgresql" else json.dumps(ids)
    rows = db.session.execute(_labels_statement(dialect), {"ids": values})
    return {oid: safe_text(name, max_length=100) for oid, name in rows}


@functools.cache
def _labels_statement(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        wanted = Organisation.id == any_(bindparam("ids", type_=ARRAY(Integer)))
    else:
        listed = select(column("value", Integer)).select_from(func.json_each(bindparam("ids", type_=String)))
        wanted = Organisation.id.in_(listed.scalar_subquery())
    return select(Organisation.id, Organisation.name).where(wanted)


GEOJSON_MAX_PER_PAGE = 5000


_TYPE_TITLES = {member.value: member.title for member in OrganisationType}
_OPERATES_IN = {code: {"code": code, "name": name} for code, name in _BOROUGH_NAMES.items()}


def _geojson_features(connection, query: ExportQuery):
    """Each located match as a GeoJSON feature, straight from the narrow rows (no export row in between)."""
    boroughs, areas = _links(connection, query.matched)
    result = connection.execute(query.statement, execution_options={"stream_results": True, "yield_per": 1000})
    for oid, name, charity_number, company_number, borough_code, latitude, longitude, org_type, status in result:
        yield {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
            "properties": {
                "id": oid,
                "name": name,
                "charity_number": charity_number,
                "company_number": company_number,
                "org_id": org_identifier(charity_number, company_number),
                "borough_code": borough_code,
                "borough_name": _BOROUGH_NAMES.get(borough_code),
                "operates_in": [_OPERATES_IN.get(c) or {"code": c, "name": None} for c in boroughs.get(oid, ())],
                "practice_areas": areas.get(oid, []),
                "type": _TYPE_TITLES.get(org_type, org_type),
                "status": status,
            },
        }


def geojson_chunks(filters: OrganisationFilters, page: int | None = None, per_page: int = 1000):
    """A FeatureCollection of located organisations as JSON text in pieces, for a streamed response.

    Without `page`, every match (the whole map layer); with it, one page, and the collection carries the
    paging fields Open Referral uses (total_items, total_pages, page_number) as foreign members. The
    queries are prepared here; the returned generator reads on its own connection.
    """
    from dataclasses import replace

    filters = replace(filters, located_only=True)
    head = '{"type":"FeatureCollection"'
    if page is None:
        query = export_query(filters, narrow=True)
    else:
        per_page = max(1, min(per_page, GEOJSON_MAX_PER_PAGE))
        total = search_organisations(filters, 1, 1).total
        pages = max(1, math.ceil(total / per_page))
        query = export_query(filters, limit=per_page, offset=(page - 1) * per_page, narrow=True)
        head += (
            f',"total_items":{total},"total_pages":{pages},"page_number":{page},"per_page":{per_page},'
            f'"first_page":{json.dumps(page == 1)},"last_page":{json.dumps(page >= pages)}'
        )
    return _json_pieces(head + ',"features":[', lambda connection: _geojson_features(connection, query), "]}")


def _json_pieces(head: str, items, tail: str):
    """head, the JSON of each item of items(connection) comma-separated, tail: in pieces of 500 items.

    Each piece is one json.dumps of a list (the C encoder once per 500 items, not once per item). items
    runs on a connection of its own, opened when the response starts to be read.
    """
    engine = db.engine
    encode = json.JSONEncoder(separators=(",", ":")).encode

    def generate():
        yield head
        with engine.connect() as connection:
            batch, first = [], True
            for item in items(connection):
                batch.append(item)
                if len(batch) == 500:
                    yield ("" if first else ",") + encode(batch)[1:-1]
                    batch, first = [], False
            if batch:
                yield ("" if first else ",") + encode(batch)[1:-1]
        yield tail

    return generate()


def geojson(filters: OrganisationFilters) -> dict:
    """The whole FeatureCollection as a dict (tests and small callers; the API streams geojson_chunks)."""
    return json.loads("".join(geojson_chunks(filters)))


# --- Open Referral UK / HSDS 3 ----------------------------------------------------------------

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gm-vcse-coordination.example/organisations")


def hsds_id(kind: str, key) -> str:
    """A stable UUID for a record (HSDS ids are UUIDs)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def _hsds_organisation(row: dict) -> dict:
    oid = hsds_id("organization", row["id"])
    identifiers = []
    if row["charity_number"]:
        scheme = org_id_scheme(row["charity_number"])
        identifiers.append(
            {
                "id": hsds_id("identifier-charity", row["id"]),
                "organization_id": oid,
                "identifier_scheme": scheme,
                "identifier_type": "Charity number",
                "identifier": row["charity_number"].removeprefix("NIC"),
            }
        )
    if row["company_number"]:
        identifiers.append(
            {
                "id": hsds_id("identifier-company", row["id"]),
                "organization_id": oid,
                "identifier_scheme": "GB-COH",
                "identifier_type": "Company number",
                "identifier": row["company_number"],
            }
        )
    locations = []
    if row["latitude"] is not None or row["address"] or row["postcode"]:
        location_id = hsds_id("location", row["id"])
        locations.append(
            {
                "id": location_id,
                "location_type": "physical",
                "organization_id": oid,
                "name": row["name"],
                "latitude": row["latitude"],
                "longitude": row["longitude"],
                "addresses": [
                    {
                        "id": hsds_id("address", row["id"]),
                        "location_id": location_id,
                        "address_1": row["address"] or "",
                        "city": "",
                        "region": row["borough"] or "",
                        "state_province": "",
                        "postal_code": row["postcode"] or "",
                        "country": "GB",
                        "address_type": "physical",
                    }
                ],
            }
        )
    return {
        "id": oid,
        "name": row["name"],
        "alternate_name": None,
        "description": row["description"] or "",
        "email": row["email"],
        "website": row["website"],
        "legal_status": row["type"],
        "organization_identifiers": identifiers,
        "locations": locations,
        "phones": [{"id": hsds_id("phone", row["id"]), "organization_id": oid, "number": row["phone"]}]
        if row["phone"]
        else [],
        # Not HSDS fields: kept so consumers can tie records back to this directory and to GM boroughs.
        "x_directory_id": row["id"],
        "x_org_id": org_identifier(row["charity_number"], row["company_number"]),
        "x_operates_in": [{"code": c, "name": borough_name(c)} for c in row["operates_in"]],
        "x_practice_areas": row["practice_areas"],
    }


def openreferral_page(filters: OrganisationFilters, page: int, per_page: int) -> dict:
    """One page of organisations in HSDS 3 shape with the standard paging fields."""
    return json.loads("".join(openreferral_chunks(filters, page, per_page)))


def openreferral_chunks(filters: OrganisationFilters, page: int, per_page: int):
    """One Open Referral page as JSON text in pieces: the paging fields first, then each organisation."""
    per_page = max(1, min(int(per_page or PER_PAGE), MAX_PER_PAGE))
    page = max(1, min(int(page or 1), MAX_PAGE))
    total = search_organisations(filters, 1, 1).total
    pages = max(1, math.ceil(total / per_page))
    size = max(0, min(per_page, total - (page - 1) * per_page))
    head = {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": size,
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": size == 0,
    }
    query = export_query(filters, limit=per_page, offset=(page - 1) * per_page)
    return _json_pieces(
        json.dumps(head, separators=(",", ":"))[:-1] + ',"contents":[',
        lambda connection: map(_hsds_organisation, query.rows(connection)),
        "]}",
    )


# --- Small lookups ----------------------------------------------------------------------------


def get_organisation_or_404(org_id: int, *options) -> Organisation:
    org = db.session.get(Organisation, org_id, options=options)
    if org is None:
        abort(404)
    return org


def record_practice_areas(org: Organisation) -> list[str]:
    """The record's practice areas as its borough names them, as the results table lists them: one read of
    its tags, the names from spoken_concepts (remembered per vocabulary version)."""
    opa = organisation_practice_area.c
    tagged = db.session.scalars(select(opa.concept_id).where(opa.organisation_id == org.id))
    return _named(tagged, org.borough_code, spoken_concepts())


def _named(concept_ids, borough_code: str | None, names: dict) -> list[str]:
    """Practice areas as the borough names them, in the order of their national names (unknown ids left out)."""
    pairs = [(names[cid].pref_label, names[cid].name(borough_code)) for cid in concept_ids if cid in names]
    return [name for _, name in sorted(pairs)]


def practice_area_choices(borough_code: str | None = None) -> list[tuple[int, str]]:
    """Practice areas for pickers, named as people in that borough (or Greater Manchester) say them."""
    return [(concept.id, concept.name(borough_code)) for concept in spoken_concepts().values()]


def possible_duplicates(org: Organisation, limit: int = 10) -> list[Organisation]:
    """Other active records with the same normalised name, postcode or identifiers."""
    conditions = [Organisation.normalised_name == org.normalised_name]
    if org.postcode:
        conditions.append(Organisation.postcode == org.postcode)
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.id != org.id, Organisation.merged_into_id.is_(None), or_(*conditions))
            .order_by(Organisation.name)
            .limit(limit)
        )
    )


def list_api_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc()))
    )


# --- What terminology reads about tagged organisations (registered through organisations.interface) ------


def tagged_counts() -> dict[int, int]:
    """{concept id: organisations tagged with it}."""
    opa = organisation_practice_area
    return dict(db.session.execute(select(opa.c.concept_id, func.count()).group_by(opa.c.concept_id)).all())


def organisation_texts(borough_codes: list[str] | None = None):
    """(borough codes, description) for every active organisation with a description, in these boroughs.

    An organisation counts in the borough of its address and in each borough it says it operates in.
    """
    organisations = db.session.execute(
        select(Organisation.id, Organisation.borough_code, Organisation.description).where(
            Organisation.status == OrganisationStatus.ACTIVE, Organisation.description.is_not(None)
        )
    ).all()
    extra: dict[int, set[str]] = defaultdict(set)
    for organisation_id, code in db.session.execute(
        select(OrganisationBorough.organisation_id, OrganisationBorough.borough_code)
    ):
        extra[organisation_id].add(code)
    wanted = set(borough_codes) if borough_codes else None
    for organisation_id, code, description in organisations:
        codes = extra.get(organisation_id, set()) | ({code} if code else set())
        if wanted is not None:
            codes &= wanted
        if codes:
            yield codes, description


def text_candidates(patterns: list[str], concept_ids: list[int], base=None) -> list[tuple]:
    """(id, name, description, tagged) of organisations tagged with a concept or whose text is LIKE a pattern."""
    opa = organisation_practice_area
    query = base if base is not None else select(Organisation)
    text_filters = []
    for pattern in patterns:
        text_filters += [Organisation.name.ilike(pattern), Organisation.description.ilike(pattern)]
    tagged = select(opa.c.organisation_id).where(opa.c.concept_id.in_(concept_ids or [-1]))
    return db.session.execute(
        query.with_only_columns(
            Organisation.id, Organisation.name, Organisation.description, Organisation.id.in_(tagged)
        )
        .where(or_(Organisation.id.in_(tagged), *text_filters))
        .order_by(Organisation.name, Organisation.id)
    ).all()
