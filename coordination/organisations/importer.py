"""CSV import: decode, guess the column mapping, validate every row, match, and write in one transaction.

Every data row ends up in exactly one of three places: created, updated or the report (with a reason),
so `created + updated + reported == rows`.  Lines with no values at all are not rows.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import func, insert, select, text, update

from geo.postcodes import lookup_postcodes

from .. import audit
from ..errors import OperationError
from ..extensions import db
from ..spreadsheet import csv_text
from ..terminology.interface import concept_keys, normalise
from ..timeutil import utcnow
from . import validation as v
from .models import (
    LocationStatus,
    Organisation,
    OrganisationBorough,
    OrganisationStatus,
    OrganisationType,
    organisation_practice_area,
)

# Target fields a column can be mapped to, with the header words we guess from.
TARGETS = {
    "name": ("Name", ("name", "organisation", "organisation name", "organization", "organization name",
                      "org name", "group name", "charity name", "registered name")),
    "description": ("Description", ("description", "about", "activities", "what we do", "summary", "objects")),
    "org_type": ("Type", ("type", "organisation type", "org type", "legal form", "structure", "category")),
    "charity_number": ("Charity number", ("charity number", "charity no", "charity no.", "registered charity number",
                                          "reg charity no", "charity", "charity reg", "ccew number")),
    "company_number": ("Company number", ("company number", "company no", "company no.", "companies house number",
                                          "company reg", "company registration number", "crn")),
    "website": ("Website", ("website", "web", "url", "web address", "site", "homepage")),
    "email": ("Email", ("email", "e-mail", "e mail", "email address", "contact email")),
    "phone": ("Phone", ("phone", "telephone", "tel", "phone number", "telephone number", "contact number", "mobile")),
    "address": ("Address", ("address", "address 1", "address line 1", "address1", "street", "street address")),
    "address_2": ("Address line 2", ("address 2", "address line 2", "address2")),
    "town": ("Town or city", ("town", "city", "town/city", "locality", "post town")),
    "postcode": ("Postcode", ("postcode", "post code", "postal code", "zip", "pcd")),
    "operates_in": ("Boroughs it works in", ("operates in", "boroughs", "areas served", "area of benefit",
                                             "borough", "works in", "area")),
    "practice_areas": ("Practice areas", ("practice areas", "practice area", "themes", "activities themes",
                                          "services", "focus")),
    "status": ("Status", ("status", "active", "state")),
    "last_checked_on": ("Date last checked", ("last checked", "last checked on", "date checked", "checked",
                                              "last updated", "verified")),
}
REPORT_HEADER = ["row", "name", "reason"]


class ImportFailed(OperationError):
    """The import could not run; nothing was written."""


@dataclass
class Upload:
    """A decoded CSV file."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    encoding: str
    delimiter: str
    blank_lines: int = 0


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    reported: int = 0
    blank_lines: int = 0
    encoding: str = ""
    report: list[dict] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    marked: dict = field(default_factory=dict)  # location status -> count among imported rows

    def as_json(self) -> dict:
        return {"rows": self.rows, "created": self.created, "updated": self.updated, "reported": self.reported}

    def report_csv(self) -> str:
        """The rows that were not imported, with reasons and their original values."""
        extra = []
        for item in self.report:
            for key in item.get("values", {}):
                if key not in extra:
                    extra.append(key)
        # The report repeats what the uploaded file said, so formulas in it are made safe.
        return csv_text(REPORT_HEADER + extra, ([item["row"], item["name"], item["reason"]]
                                                + [item.get("values", {}).get(k, "") for k in extra]
                                                for item in self.report))


def decode(raw: bytes) -> tuple[str, str]:
    """Bytes -> text and the encoding's name: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        # Five bytes are undefined in Windows-1252; Latin-1 maps every byte, so nothing is lost.
        return raw.decode("latin-1"), "ISO-8859-1 (Latin-1)"


def read_csv(raw: bytes) -> Upload:
    """Decode and split a CSV file; raise ImportFailed when it has no header row."""
    text, encoding = decode(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0] or ",", delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers, rows, blank = None, [], 0
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            blank += headers is not None
            continue
        if headers is None:
            headers = [cell.strip() or f"Column {i + 1}" for i, cell in enumerate(cells)]
            continue
        rows.append((line, cells))
    if headers is None:
        raise ImportFailed("The file is empty: it needs a header row naming the columns, then one row per organisation")
    return Upload(headers=headers, rows=rows, encoding=encoding, delimiter=delimiter, blank_lines=blank)


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9/ ]+", " ", text.lower().replace("_", " ")).strip()


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Target field -> column index, guessed from header names (exact words first, then contains)."""
    keys = [re.sub(r"\s+", " ", _header_key(h)) for h in headers]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for exact in (True, False):
        for target, (_, words) in TARGETS.items():
            if target in mapping:
                continue
            for index, key in enumerate(keys):
                if index in used:
                    continue
                if (key in words) if exact else any(len(w) > 3 and w in key for w in words):
                    mapping[target] = index
                    used.add(index)
                    break
    return mapping


def _parse_date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise v.FieldError(f"Date last checked {text} is not a date, like 26/11/2026")


_CLEANERS = {
    "name": v.clean_name, "description": v.clean_description, "org_type": v.clean_org_type,
    "charity_number": v.clean_charity_number, "company_number": v.clean_company_number,
    "website": v.clean_website, "email": v.clean_email, "phone": v.clean_phone, "status": v.clean_status,
}
_PLAIN_FIELDS = ("name", "description", "org_type", "charity_number", "company_number", "website", "email",
                 "phone", "address", "status", "last_checked_on")
_LOCATION_FIELDS = ("postcode", "latitude", "longitude", "borough_code", "district_code", "location_status")


def _concept_lookup() -> dict[str, int]:
    """Any label of a practice area (national, other, hidden or agreed local) names it."""
    return concept_keys()


def _clean_row(cells: list[str], mapping: dict[str, int], headers: list[str], concepts: dict[str, int],
               extra_boroughs: list[str]) -> tuple[dict, list[str]]:
    """One row -> (values, problems)."""
    def cell(target):
        index = mapping.get(target)
        return cells[index] if index is not None and index < len(cells) else ""

    problems, values = [], {}
    for target, cleaner in _CLEANERS.items():
        if target in ("org_type", "status") and v.blank(cell(target)):
            continue  # blank keeps what is there (new records: Other, active)
        if target in mapping or target == "name":
            try:
                values[target] = cleaner(cell(target))
            except v.FieldError as error:
                problems.append(str(error))
    address = ", ".join(filter(None, (v.tidy(cell(t)) for t in ("address", "address_2", "town") if t in mapping)))
    try:
        values["address"] = v.clean_address(address)
    except v.FieldError as error:
        problems.append(str(error))
    values["postcode_text"] = v.tidy(cell("postcode")) or ""
    boroughs = set(extra_boroughs)
    if "operates_in" in mapping:
        parts = v.split_list(cell("operates_in"))
        # "Greater Manchester" or "All" mean every borough.
        if any(p.lower() in ("greater manchester", "all", "gm", "all boroughs") for p in parts):
            boroughs |= set(v.borough_lookup().values())
            parts = [p for p in parts if p.lower() not in ("greater manchester", "all", "gm", "all boroughs")]
        try:
            boroughs |= set(v.clean_boroughs(parts))
        except v.FieldError as error:
            problems.append(str(error))
    values["operates_in"] = sorted(boroughs)
    concept_ids = set()
    if "practice_areas" in mapping:
        unknown = []
        for label in v.split_list(cell("practice_areas")):
            cid = concepts.get(normalise(label))
            if cid is None:
                unknown.append(label)
            else:
                concept_ids.add(cid)
        if unknown:
            problems.append(f"Practice area {', '.join(unknown)} is not in the list of terms")
    values["practice_areas"] = sorted(concept_ids)
    if "last_checked_on" in mapping and not v.blank(cell("last_checked_on")):
        try:
            values["last_checked_on"] = _parse_date(cell("last_checked_on"))
        except v.FieldError as error:
            problems.append(str(error))
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
        problems.append(f"This row has {len(cells)} cells but the header has {len(headers)}: "
                        "check for a comma that is not inside quotes")
    return values, problems


def _geocode(texts: list[str]) -> list[dict]:
    """Bulk postcode lookup -> location fields per row (a bad postcode marks the row, it does not reject it)."""
    if not texts:
        return []
    frame = lookup_postcodes(texts)
    out = []
    for typed, postcode, valid, found, lat, lon, district, borough in zip(
            texts, frame["postcode"], frame["valid"], frame["found"], frame["latitude"], frame["longitude"],
            frame["district_code"], frame["borough_code"]):
        if not typed:
            out.append({"postcode": None, "latitude": None, "longitude": None, "borough_code": None,
                        "district_code": None, "location_status": LocationStatus.NO_POSTCODE})
        elif not found or lat is None or pd.isna(lat):
            out.append({"postcode": postcode if valid else None, "latitude": None, "longitude": None,
                        "borough_code": None, "district_code": None,
                        "location_status": LocationStatus.UNKNOWN_POSTCODE})
        else:
            out.append({"postcode": postcode, "latitude": float(lat), "longitude": float(lon),
                        "borough_code": borough, "district_code": district,
                        "location_status": LocationStatus.LOCATED if borough else LocationStatus.OUTSIDE_GM})
    return out


class _Index:
    """Matching keys for existing records and rows created earlier in the same file."""

    def __init__(self):
        self.charity: dict[str, object] = {}
        self.company: dict[str, object] = {}
        self.name_postcode: dict[tuple[str, str], object] = {}
        self.identifiers: dict[object, tuple[str | None, str | None]] = {}
        self.names: dict[object, str] = {}

    def add(self, ref, charity, company, normalised, postcode):
        if charity:
            self.charity[charity] = ref
        if company:
            self.company[company] = ref
        if normalised:
            # No postcode on either side also counts as "the same postcode".
            self.name_postcode[(normalised, postcode or "")] = ref
        self.names[ref] = normalised
        old = self.identifiers.get(ref, (None, None))
        self.identifiers[ref] = (charity or old[0], company or old[1])

    def match(self, charity, company, normalised, postcode) -> tuple[object | None, str | None]:
        by_charity = self.charity.get(charity) if charity else None
        by_company = self.company.get(company) if company else None
        if by_charity is not None and by_company is not None and by_charity != by_company:
            return None, (f"Charity number {charity} and company number {company} belong to two different "
                          "organisations already: merge or correct them first")
        ref = by_charity if by_charity is not None else by_company
        if ref is None and normalised:
            ref = self.name_postcode.get((normalised, postcode or ""))
            if ref is not None:
                known_charity, known_company = self.identifiers.get(ref, (None, None))
                if charity and known_charity and charity != known_charity:
                    return None, (f"An organisation with the same name and postcode has charity number "
                                  f"{known_charity}, not {charity}")
                if company and known_company and company != known_company:
                    return None, (f"An organisation with the same name and postcode has company number "
                                  f"{known_company}, not {company}")
        if ref is not None:
            known_charity, known_company = self.identifiers.get(ref, (None, None))
            if charity and known_charity and charity != known_charity:
                return None, f"Company number {company} belongs to an organisation with charity number {known_charity}"
            if company and known_company and company != known_company:
                return None, f"Charity number {charity} belongs to an organisation with company number {known_company}"
        return ref, None


def import_organisations(upload: Upload, mapping: dict[str, int], operates_in: list[str] | None = None,
                         actor=None, source: str = "") -> ImportSummary:
    """Validate, match and write every row as one transaction; return the summary with the report."""
    if "name" not in mapping:
        raise ImportFailed("Choose the column that holds the organisation's name")
    extra_boroughs = v.clean_boroughs(list(operates_in or []))
    summary = ImportSummary(rows=len(upload.rows), blank_lines=upload.blank_lines, encoding=upload.encoding)
    concepts = _concept_lookup()
    cleaned = []
    for line, cells in upload.rows:
        values, problems = _clean_row(cells, mapping, upload.headers, concepts, extra_boroughs)
        cleaned.append((line, cells, values, problems))
    locations = _geocode([values["postcode_text"] for _, _, values, problems in cleaned])

    index = _Index()
    for oid, charity, company, normalised, postcode in db.session.execute(
            select(Organisation.id, Organisation.charity_number, Organisation.company_number,
                   Organisation.normalised_name, Organisation.postcode)
            .where(Organisation.merged_into_id.is_(None))):
        index.add(("db", oid), charity, company, normalised, postcode)

    new_rows: list[dict] = []       # values for records to insert
    updates: dict[int, dict] = {}   # id -> values to change on existing records
    links: dict[object, tuple[set, set]] = {}  # ref -> (borough codes, concept ids) to add
    now, actor_id = utcnow(), getattr(actor, "id", None)

    for (line, cells, values, problems), location in zip(cleaned, locations):
        name = values.get("name") or (cells[mapping["name"]].strip() if mapping["name"] < len(cells) else "")
        if problems:
            summary.report.append(_reported(line, name, "; ".join(problems), cells, upload.headers))
            continue
        normalised = v.normalise_name(values["name"])
        postcode = location["postcode"] if location["location_status"] != LocationStatus.NO_POSTCODE else None
        ref, conflict = index.match(values.get("charity_number"), values.get("company_number"), normalised, postcode)
        if conflict:
            summary.report.append(_reported(line, name, conflict, cells, upload.headers))
            continue
        fields = {k: values[k] for k in _PLAIN_FIELDS if k in values and values[k] is not None}
        if values["postcode_text"]:
            fields.update(location)
        if ref is None:
            record = {"name": values["name"], "normalised_name": normalised, "org_type": OrganisationType.OTHER,
                      "status": OrganisationStatus.ACTIVE, "location_status": LocationStatus.NO_POSTCODE,
                      "created_at": now, "updated_at": now, "created_by_id": actor_id, "updated_by_id": actor_id,
                      **{k: None for k in ("description", "charity_number", "company_number", "website", "email",
                                           "phone", "address", "postcode", "latitude", "longitude", "borough_code",
                                           "district_code", "last_checked_on")}}
            record.update(fields)
            ref = ("new", len(new_rows))
            new_rows.append(record)
            summary.created += 1
        else:
            if index.names.get(ref) == normalised:
                fields.pop("name", None)  # same name spelt differently: keep the first spelling
            if ref[0] == "new":
                new_rows[ref[1]].update(fields)
                new_rows[ref[1]]["normalised_name"] = v.normalise_name(new_rows[ref[1]]["name"])
                normalised = new_rows[ref[1]]["normalised_name"]
            else:
                change = updates.setdefault(ref[1], {"id": ref[1]})
                change.update(fields)
                if "name" in fields:
                    change["normalised_name"] = normalised
                else:
                    normalised = index.names.get(ref, normalised)
                change.update(updated_at=now, updated_by_id=actor_id)
            summary.updated += 1
        index.add(ref, values.get("charity_number"), values.get("company_number"), normalised, postcode)
        boroughs, concept_ids = links.setdefault(ref, (set(), set()))
        boroughs.update(values["operates_in"])
        concept_ids.update(values["practice_areas"])

    try:
        new_ids = _write(new_rows, updates, links)
        summary.created_ids = new_ids
        summary.updated_ids = sorted(updates)
        for record in new_rows:
            status = record["location_status"].value
            summary.marked[status] = summary.marked.get(status, 0) + 1
        summary.reported = len(summary.report)
        audit.record("organisation.imported", entity_type="Organisation", actor=actor,
                     after={"source": source, "encoding": upload.encoding, **summary.as_json(),
                            "created_ids": new_ids, "updated_ids": summary.updated_ids})
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise ImportFailed(f"The import stopped and nothing was changed: {error}") from error
    assert summary.created + summary.updated + summary.reported == summary.rows
    return summary


def _reported(line: int, name: str, reason: str, cells: list[str], headers: list[str]) -> dict:
    values = {header: (cells[i] if i < len(cells) else "") for i, header in enumerate(headers)}
    return {"row": line, "name": name, "reason": reason, "values": values}


def _write(new_rows: list[dict], updates: dict[int, dict], links: dict) -> list[int]:
    """Bulk insert and update; add operates-in and practice-area links that are not there yet."""
    new_ids = allocate_ids(len(new_rows))
    if new_rows:
        # Plain executemany with ids chosen up front: RETURNING with ordered results makes SQLAlchemy
        # send one row per statement on SQLite, which is 20 times slower at this size.
        for oid, record in zip(new_ids, new_rows):
            record["id"] = oid
        db.session.execute(insert(Organisation.__table__), new_rows)
    if updates:
        # Group by the set of keys so each executemany has uniform parameters.
        groups: dict[tuple, list[dict]] = {}
        for change in updates.values():
            groups.setdefault(tuple(sorted(change)), []).append(change)
        for rows in groups.values():
            db.session.execute(update(Organisation), rows)

    def resolve(ref):
        return new_ids[ref[1]] if ref[0] == "new" else ref[1]

    existing_ids = [ref[1] for ref in links if ref[0] == "db"]
    have_boroughs, have_concepts = set(), set()
    for chunk in _chunks(existing_ids, 500):
        have_boroughs |= set(
            tuple(r)
            for r in db.session.execute(
                select(OrganisationBorough.organisation_id, OrganisationBorough.borough_code).where(
                    OrganisationBorough.organisation_id.in_(chunk)
                )
            ).all()
        )
        have_concepts |= set(tuple(r) for r in db.session.execute(select(organisation_practice_area.c.organisation_id,
                                                       organisation_practice_area.c.concept_id)
                                                .where(organisation_practice_area.c.organisation_id.in_(chunk))).all())
    borough_rows, concept_rows = [], []
    for ref, (boroughs, concept_ids) in links.items():
        oid = resolve(ref)
        borough_rows += [{"organisation_id": oid, "borough_code": code} for code in sorted(boroughs)
                         if (oid, code) not in have_boroughs]
        concept_rows += [{"organisation_id": oid, "concept_id": cid} for cid in sorted(concept_ids)
                         if (oid, cid) not in have_concepts]
    if borough_rows:
        db.session.execute(insert(OrganisationBorough), borough_rows)
    if concept_rows:
        db.session.execute(insert(organisation_practice_area), concept_rows)
    db.session.flush()
    return new_ids


def allocate_ids(count: int) -> list[int]:
    """Reserve `count` new organisation ids inside the current transaction."""
    if not count:
        return []
    if db.engine.dialect.name == "postgresql":
        return list(db.session.execute(text(
            "SELECT nextval(pg_get_serial_sequence('organisation', 'id')) FROM generate_series(1, :n)"),
            {"n": count}).scalars())
    # SQLite: a write statement takes the database's write lock first, so no one else can insert
    # between reading the highest id and using the ones after it.
    db.session.execute(text("DELETE FROM organisation WHERE 1 = 0"))
    start = (db.session.scalar(select(func.max(Organisation.id))) or 0) + 1
    return list(range(start, start + count))


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
