"""The read side of the directory: one search function behind the list, map, exports and API.

`search_organisations(filters, page, per_page)` is the single place where free text and filters become
SQL, so the list, the map, the CSV export, the GeoJSON and the Open Referral feed always agree.
"""
from __future__ import annotations

import math
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import abort
from sqlalchemy import Float, Integer, and_, exists, false, func, literal_column, or_, select, text
from sqlalchemy.orm import selectinload

from geo.boroughs import BOROUGH_CODES, borough_name
from geo.safe_text import safe_text

from ..extensions import db
from ..params import MAX_PAGE, whole_number
from ..terminology.interface import Concept, display_label
from ..terminology.interface import expand_query as expand
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

PER_PAGE = 50
_BOROUGH_NAMES = {code: borough_name(code) for code in BOROUGH_CODES}
MAX_PER_PAGE = 200


# --- Filters ----------------------------------------------------------------------------------

@dataclass
class OrganisationFilters:
    """What the person asked for; built from query parameters so a search can be bookmarked."""

    q: str = ""
    borough: str | None = None          # where the address is
    operates_in: str | None = None      # a borough it works in
    practice_area: int | None = None    # a Concept id
    org_type: str | None = None
    status: str = "active"              # active | closed | any
    needs_attention: bool = False

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
        args = {"q": self.q or None, "borough": self.borough or None, "operates_in": self.operates_in,
                "practice_area": self.practice_area, "type": self.org_type,
                "status": None if self.status == "active" else self.status,
                "attention": "1" if self.needs_attention else None}
        return {k: v for k, v in args.items() if v not in (None, "")}


@dataclass
class SearchResult:
    items: list[Organisation]
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
    """Text -> (phrases to OR, concept ids whose tagged organisations also match, other words searched)."""
    phrases, concept_ids, also = expand(q)
    return list(phrases) or [q], [int(c) for c in concept_ids], list(also)


def words_find_nothing(q: str) -> bool:
    """True when the words alone (no other filters, any status) match no organisation."""
    return search_organisations(OrganisationFilters(q=q, status="any"), 1, per_page=1).total == 0


# --- Full-text index --------------------------------------------------------------------------

# The same expression in the index and in queries, written as literal SQL so PostgreSQL can use the index.
PG_DOCUMENT = ("to_tsvector('english', coalesce(organisation.name, '') || ' ' || "
               "coalesce(organisation.description, ''))")

def _fts5_query(phrases: list[str]) -> str | None:
    quoted = ['"' + p.replace('"', '""') + '"' for p in phrases if re.search(r"\w", p)]
    return " OR ".join(quoted) or None


def _text_match(phrases: list[str]):
    """(join target, condition column, score column) for the phrases on this database, or None."""
    phrases = [p.strip() for p in phrases if p and re.search(r"\w", p)]
    if not phrases:
        return None
    if db.engine.dialect.name == "sqlite":
        match = _fts5_query(phrases)
        fts = (text("SELECT rowid AS id, -bm25(organisation_fts, 10.0, 1.0) AS score FROM organisation_fts "
                    "WHERE organisation_fts MATCH :fts_match")
               .bindparams(fts_match=match).columns(id=Integer, score=Float).subquery("fts"))
        return fts
    query = None
    for phrase in phrases:
        part = func.phraseto_tsquery(literal_column("'english'"), phrase)
        query = part if query is None else query.op("||")(part)
    document = literal_column(PG_DOCUMENT)
    weighted = (func.setweight(func.to_tsvector(literal_column("'english'"), func.coalesce(Organisation.name, "")),
                               literal_column("'A'")).op("||")(
        func.setweight(func.to_tsvector(literal_column("'english'"), func.coalesce(Organisation.description, "")),
                       literal_column("'B'"))))
    return (select(Organisation.id.label("id"), func.ts_rank(weighted, query).label("score"))
            .where(document.op("@@")(query)).subquery("fts"))


# --- The one search ---------------------------------------------------------------------------

def _filter_conditions(filters: OrganisationFilters, today: date | None = None) -> list:
    today = today or date.today()
    conditions = []
    if filters.status != "any":
        conditions.append(Organisation.status == OrganisationStatus(filters.status))
    if filters.borough:
        conditions.append(Organisation.borough_code == filters.borough)
    if filters.operates_in:
        conditions.append(exists().where(OrganisationBorough.organisation_id == Organisation.id,
                                         OrganisationBorough.borough_code == filters.operates_in))
    if filters.practice_area:
        conditions.append(exists().where(organisation_practice_area.c.organisation_id == Organisation.id,
                                         organisation_practice_area.c.concept_id == filters.practice_area))
    if filters.org_type:
        conditions.append(Organisation.org_type == OrganisationType(filters.org_type))
    if filters.needs_attention:
        conditions.append(or_(
            Organisation.location_status.in_([LocationStatus.NO_POSTCODE, LocationStatus.UNKNOWN_POSTCODE]),
            and_(Organisation.location_status == LocationStatus.OUTSIDE_GM,
                 ~exists().where(OrganisationBorough.organisation_id == Organisation.id)),
            Organisation.last_checked_on.is_(None),
            Organisation.last_checked_on < today - timedelta(days=ATTENTION_CHECK_DAYS),
            and_(Organisation.website.is_(None), Organisation.email.is_(None), Organisation.phone.is_(None)),
        ))
    return conditions


def ranked_ids(filters: OrganisationFilters) -> tuple:
    """(select of id and score in rank order, phrases, also_searched) for these filters."""
    phrases, concept_ids, also = expand_query(filters.q) if filters.q else ([], [], [])
    statement = select(Organisation.id.label("id"))
    conditions = _filter_conditions(filters)
    order = [Organisation.name, Organisation.id]
    if filters.q:
        fts = _text_match(phrases)
        matches = []
        score = literal_column("0.0")
        if fts is not None:
            statement = statement.outerjoin(fts, fts.c.id == Organisation.id)
            matches.append(fts.c.id.is_not(None))
            score = func.coalesce(fts.c.score, 0.0)
        if concept_ids:
            tagged = exists().where(organisation_practice_area.c.organisation_id == Organisation.id,
                                    organisation_practice_area.c.concept_id.in_(concept_ids))
            matches.append(tagged)
        conditions.append(or_(*matches) if matches else false())
        statement = statement.add_columns(score.label("score"))
        if fts is not None:
            order = [score.desc(), Organisation.name, Organisation.id]
    else:
        statement = statement.add_columns(literal_column("0.0").label("score"))
    return statement.where(*conditions).order_by(*order), phrases, also


def search_organisations(filters: OrganisationFilters, page: int = 1, per_page: int = PER_PAGE) -> SearchResult:
    """Free text (full-text search, expanded with synonyms) combined with the filters, ranked and paged."""
    per_page = max(1, min(int(per_page or PER_PAGE), MAX_PER_PAGE))
    page = max(1, min(int(page or 1), MAX_PAGE))  # bigger offsets overflow the databases' integers
    statement, phrases, also = ranked_ids(filters)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    ids = [row.id for row in db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))]
    return SearchResult(items=load_in_order(ids), total=total, page=page, per_page=per_page, query=filters.q,
                        phrases=phrases, also_searched=also)


def load_in_order(ids: list[int]) -> list[Organisation]:
    """Organisations with their boroughs and practice areas, in the order given."""
    if not ids:
        return []
    found = {org.id: org for org in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ids))
        .options(selectinload(Organisation.operates_in), selectinload(Organisation.practice_areas)))}
    return [found[i] for i in ids if i in found]


# --- Bulk read for the map and exports --------------------------------------------------------

def _links(ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """id -> operates-in codes, id -> practice-area labels (in chunks, for big exports)."""
    boroughs: dict[int, list[str]] = {}
    areas: dict[int, list[str]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        for oid, code in db.session.execute(
                select(OrganisationBorough.organisation_id, OrganisationBorough.borough_code)
                .where(OrganisationBorough.organisation_id.in_(chunk)).order_by(OrganisationBorough.borough_code)):
            boroughs.setdefault(oid, []).append(code)
        for oid, label in db.session.execute(
                select(organisation_practice_area.c.organisation_id, Concept.pref_label)
                .join(Concept, Concept.id == organisation_practice_area.c.concept_id)
                .where(organisation_practice_area.c.organisation_id.in_(chunk)).order_by(Concept.pref_label)):
            areas.setdefault(oid, []).append(label)
    return boroughs, areas


EXPORT_COLUMNS = ["id", "name", "type", "charity_number", "company_number", "description", "website", "email",
                  "phone", "address", "postcode", "borough_code", "borough", "latitude", "longitude",
                  "location_status", "operates_in", "practice_areas", "status", "last_checked_on"]


def export_rows(filters: OrganisationFilters) -> list[dict]:
    """Plain rows for every matching organisation, in rank order (CSV export, GeoJSON)."""
    statement, _, _ = ranked_ids(filters)
    matched = statement.subquery()
    columns = [Organisation.id, Organisation.name, Organisation.org_type, Organisation.charity_number,
               Organisation.company_number, Organisation.description, Organisation.website, Organisation.email,
               Organisation.phone, Organisation.address, Organisation.postcode, Organisation.borough_code,
               Organisation.latitude, Organisation.longitude, Organisation.location_status, Organisation.status,
               Organisation.last_checked_on]
    rows = list(db.session.execute(select(*columns).join(matched, matched.c.id == Organisation.id)
                                   .order_by(matched.c.score.desc(), Organisation.name, Organisation.id)))
    boroughs, areas = _links([row.id for row in rows])
    names = {code: borough_name(code) for code in BOROUGH_CODES}
    out = []
    for row in rows:
        oid = row.id
        out.append({
            "id": row.id, "name": row.name, "type": row.org_type.title, "charity_number": row.charity_number,
            "company_number": row.company_number, "description": row.description, "website": row.website,
            "email": row.email, "phone": row.phone, "address": row.address, "postcode": row.postcode,
            "borough_code": row.borough_code, "borough": names.get(row.borough_code),
            "latitude": row.latitude, "longitude": row.longitude, "location_status": row.location_status.value,
            "operates_in": boroughs.get(oid, []), "practice_areas": areas.get(oid, []),
            "status": row.status.value,
            "last_checked_on": row.last_checked_on.isoformat() if row.last_checked_on else None,
        })
    return out


def map_points(filters: OrganisationFilters) -> list[list]:
    """[[lat, lon, id, label], …] for the map; labels go through safe_text (they end up in innerHTML)."""
    statement, _, _ = ranked_ids(filters)
    matched = statement.order_by(None).subquery()
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.latitude, Organisation.longitude)
        .join(matched, matched.c.id == Organisation.id).where(Organisation.latitude.is_not(None)))
    # 4 decimal places is about 10 m: finer than a postcode centroid needs, and it keeps 17,500 points small.
    return [[round(lat, 4), round(lon, 4), oid, safe_text(name, max_length=100)] for oid, name, lat, lon in rows]


def geojson(filters: OrganisationFilters) -> dict:
    """A FeatureCollection of located organisations with identifiers, boroughs and practice areas."""
    features = []
    for row in export_rows(filters):
        if row["latitude"] is None:
            continue
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "properties": {
                "id": row["id"], "name": row["name"], "charity_number": row["charity_number"],
                "company_number": row["company_number"], "borough_code": row["borough_code"],
                "borough_name": row["borough"],
                "operates_in": [{"code": c, "name": _BOROUGH_NAMES.get(c)} for c in row["operates_in"]],
                "practice_areas": row["practice_areas"], "type": row["type"], "status": row["status"],
            },
        })
    return {"type": "FeatureCollection", "features": features}


# --- Open Referral UK / HSDS 3 ----------------------------------------------------------------

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://gm-vcse-coordination.example/organisations")


def hsds_id(kind: str, key) -> str:
    """A stable UUID for a record (HSDS ids are UUIDs)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def _hsds_organisation(row: dict) -> dict:
    oid = hsds_id("organization", row["id"])
    identifiers = []
    if row["charity_number"]:
        scheme = "GB-SC" if row["charity_number"].startswith("SC") else "GB-CHC"
        identifiers.append({"id": hsds_id("identifier-charity", row["id"]), "organization_id": oid,
                            "identifier_scheme": scheme, "identifier_type": "Charity number",
                            "identifier": row["charity_number"]})
    if row["company_number"]:
        identifiers.append({"id": hsds_id("identifier-company", row["id"]), "organization_id": oid,
                            "identifier_scheme": "GB-COH", "identifier_type": "Company number",
                            "identifier": row["company_number"]})
    locations = []
    if row["latitude"] is not None or row["address"] or row["postcode"]:
        location_id = hsds_id("location", row["id"])
        locations.append({
            "id": location_id, "location_type": "physical", "organization_id": oid, "name": row["name"],
            "latitude": row["latitude"], "longitude": row["longitude"],
            "addresses": [{"id": hsds_id("address", row["id"]), "location_id": location_id,
                           "address_1": row["address"] or "", "city": "", "region": row["borough"] or "",
                           "state_province": "", "postal_code": row["postcode"] or "", "country": "GB",
                           "address_type": "physical"}],
        })
    return {
        "id": oid, "name": row["name"], "alternate_name": None, "description": row["description"] or "",
        "email": row["email"], "website": row["website"], "legal_status": row["type"],
        "organization_identifiers": identifiers, "locations": locations,
        "phones": [{"id": hsds_id("phone", row["id"]), "organization_id": oid, "number": row["phone"]}]
        if row["phone"] else [],
        # Not HSDS fields: kept so consumers can tie records back to this directory and to GM boroughs.
        "x_directory_id": row["id"],
        "x_operates_in": [{"code": c, "name": borough_name(c)} for c in row["operates_in"]],
        "x_practice_areas": row["practice_areas"],
    }


def openreferral_page(filters: OrganisationFilters, page: int, per_page: int) -> dict:
    """One page of organisations in HSDS 3 shape with the standard paging fields."""
    result = search_organisations(filters, page, per_page)
    ids = [org.id for org in result.items]
    by_id = {row["id"]: row for row in _rows_for(ids)}
    contents = [_hsds_organisation(by_id[i]) for i in ids]
    return {"total_items": result.total, "total_pages": result.pages, "page_number": result.page,
            "size": len(contents), "first_page": result.page == 1, "last_page": result.page >= result.pages,
            "empty": not contents, "contents": contents}


def _rows_for(ids: list[int]) -> list[dict]:
    orgs = load_in_order(ids)
    return [{
        "id": o.id, "name": o.name, "type": o.org_type.title, "charity_number": o.charity_number,
        "company_number": o.company_number, "description": o.description, "website": o.website, "email": o.email,
        "phone": o.phone, "address": o.address, "postcode": o.postcode, "borough_code": o.borough_code,
        "borough": borough_name(o.borough_code) if o.borough_code else None, "latitude": o.latitude,
        "longitude": o.longitude, "operates_in": o.operates_in_codes,
        "practice_areas": [c.pref_label for c in o.practice_areas],
    } for o in orgs]


# --- Small lookups ----------------------------------------------------------------------------

def get_organisation_or_404(org_id: int) -> Organisation:
    org = db.session.get(Organisation, org_id)
    if org is None:
        abort(404)
    return org


def practice_area_choices(borough_code: str | None = None) -> list[tuple[int, str]]:
    """Practice areas for pickers, named as people in that borough (or Greater Manchester) say them."""
    concepts = db.session.scalars(select(Concept).order_by(Concept.pref_label))
    return [(concept.id, display_label(concept, borough_code)) for concept in concepts]


def possible_duplicates(org: Organisation, limit: int = 10) -> list[Organisation]:
    """Other active records with the same normalised name, postcode or identifiers."""
    conditions = [Organisation.normalised_name == org.normalised_name]
    if org.postcode:
        conditions.append(Organisation.postcode == org.postcode)
    return list(db.session.scalars(select(Organisation).where(
        Organisation.id != org.id, Organisation.merged_into_id.is_(None), or_(*conditions))
        .order_by(Organisation.name).limit(limit)))


def list_api_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None),
                                                             ApiToken.created_at.desc())))


# --- What terminology reads about tagged organisations (registered through organisations.interface) ------

def tagged_counts() -> dict[int, int]:
    """{concept id: organisations tagged with it}."""
    opa = organisation_practice_area
    return dict(db.session.execute(select(opa.c.concept_id, func.count()).group_by(opa.c.concept_id)).all())


def organisation_texts(borough_codes: list[str] | None = None):
    """(borough codes, description) for every active organisation with a description, in these boroughs.

    An organisation counts in the borough of its address and in each borough it says it operates in.
    """
    organisations = db.session.execute(select(Organisation.id, Organisation.borough_code, Organisation.description)
                                       .where(Organisation.status == OrganisationStatus.ACTIVE,
                                              Organisation.description.is_not(None))).all()
    extra: dict[int, set[str]] = defaultdict(set)
    for organisation_id, code in db.session.execute(select(OrganisationBorough.organisation_id,
                                                           OrganisationBorough.borough_code)):
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
    return db.session.execute(query.with_only_columns(Organisation.id, Organisation.name, Organisation.description,
                                                      Organisation.id.in_(tagged))
                              .where(or_(Organisation.id.in_(tagged), *text_filters))
                              .order_by(Organisation.name, Organisation.id)).all()
