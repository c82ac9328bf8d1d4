"""The import: guess the column mapping, clean every row, match it to the directory, merge, write in one transaction.

A row is refused only when it cannot be an organisation (no name). A value that is missing-like (NA, N/A,
null, -, …) counts as blank; a value that is present but unusable is dropped with a warning naming the
field, the value and the rule, and the rest of the row is imported. Every row ends with one outcome:
created, updated, unchanged, refused, or (register rows that are not organisations to import) skipped, so
`created + updated + unchanged + refused + skipped == rows`. Updates never make a record worse: they fill
blanks, or replace a value with a better one of the same field, and every change is listed with its old
and new values and can be undone (see `import_runs.undo_import`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, insert, select, text, update

from .. import audit
from ..extensions import db, refresh_statistics
from ..spreadsheet import csv_text
from ..terminology.interface import concept_keys, normalise
from ..text import clean
from ..text import problem as text_problem
from ..timeutil import utcnow
from . import validation as v
from .files import (  # noqa: F401 (re-exported)
    ImportFailed,
    Upload,
    read_csv,
    read_file,
    register_boroughs,
    register_mapping,
    register_skip_reason,
)
from .map_layer import BASE_TABLES
from .models import (
    LocationStatus,
    Organisation,
    OrganisationBorough,
    OrganisationImportChange,
    OrganisationStatus,
    OrganisationType,
    organisation_practice_area,
)

# Target fields a column can be mapped to, with the header words we guess from.
TARGETS = {
    "name": (
        "Name",
        (
            "name",
            "organisation",
            "organisation name",
            "organization",
            "organization name",
            "org name",
            "group name",
            "charity name",
            "registered name",
        ),
    ),
    "description": (
        "Description",
        ("description", "about", "activities", "what we do", "summary", "objects", "charity activities"),
    ),
    "org_type": (
        "Type",
        ("type", "organisation type", "org type", "legal form", "structure", "category", "charity type"),
    ),
    "charity_number": (
        "Charity number",
        (
            "charity number",
            "charity no",
            "charity no.",
            "registered charity number",
            "reg charity no",
            "charity",
            "charity reg",
            "ccew number",
            "regno",
        ),
    ),
    "company_number": (
        "Company number",
        (
            "company number",
            "company no",
            "company no.",
            "companies house number",
            "company reg",
            "company registration number",
            "crn",
            "charity company registration number",
        ),
    ),
    "org_id": (
        "Organisation identifier (org-id, like GB-CHC-1123456)",
        (
            "org id",
            "org-id",
            "orgid",
            "organisation identifier",
            "organization identifier",
            "identifier",
            "recipient org identifier",
            "org identifier",
        ),
    ),
    "website": ("Website", ("website", "web", "url", "web address", "site", "homepage", "charity contact web")),
    "email": ("Email", ("email", "e-mail", "e mail", "email address", "contact email", "charity contact email")),
    "phone": (
        "Phone",
        (
            "phone",
            "telephone",
            "tel",
            "phone number",
            "telephone number",
            "contact number",
            "mobile",
            "charity contact phone",
        ),
    ),
    "address": ("Address", ("address", "address 1", "address line 1", "address1", "street", "street address")),
    "address_2": ("Address line 2", ("address 2", "address line 2", "address2")),
    "address_3": ("Address line 3", ("address 3", "address line 3", "address3")),
    "address_4": ("Address line 4", ("address 4", "address line 4", "address4")),
    "town": ("Town or city", ("town", "city", "town/city", "locality", "post town", "address 5", "address5")),
    "postcode": ("Postcode", ("postcode", "post code", "postal code", "zip", "pcd")),
    "operates_in": (
        "Boroughs it works in",
        (
            "operates in",
            "boroughs",
            "areas served",
            "area of benefit",
            "borough",
            "works in",
            "area",
            "area of operation",
        ),
    ),
    "practice_areas": (
        "Practice areas",
        ("practice areas", "practice area", "themes", "activities themes", "services", "focus"),
    ),
    "status": ("Status", ("status", "active", "state")),
    "registered_on": (
        "Date registered",
        ("date registered", "registered on", "registration date", "date of registration"),
    ),
    "last_checked_on": (
        "Date last checked",
        ("last checked", "last checked on", "date checked", "checked", "last updated", "verified"),
    ),
}
LABELS = {target: label for target, (label, _) in TARGETS.items()}
LABELS.update({"org_type_text": "Type (as written)", "location": "Postcode"})
ADDRESS_PARTS = ("address", "address_2", "address_3", "address_4", "town")
REPORT_HEADER = ["row", "name", "outcome", "record", "field", "value", "new value", "message"]
OUTCOMES = ("created", "updated", "unchanged", "refused", "skipped")
LOCATION_FIELDS = ("postcode", "latitude", "longitude", "borough_code", "district_code", "location_status")
# Fields an import compares and may change (location fields move together with the postcode).
DETAIL_FIELDS = (
    "name",
    "description",
    "org_type",
    "org_type_text",
    "charity_number",
    "company_number",
    "website",
    "email",
    "phone",
    "address",
    "status",
    "registered_on",
    "last_checked_on",
)
RECORD_FIELDS = DETAIL_FIELDS + LOCATION_FIELDS
FOUND = (LocationStatus.LOCATED, LocationStatus.OUTSIDE_GM)


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    skipped: int = 0
    created_with_warnings: int = 0
    updated_with_warnings: int = 0
    warnings: int = 0
    changes: int = 0
    blank_lines: int = 0
    encoding: str = ""
    file_format: str = ""
    report: list[dict] = field(default_factory=list)
    skipped_reasons: dict = field(default_factory=dict)
    refused_rows: list[list[str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    marked: dict = field(default_factory=dict)  # location status -> count among created records
    change_rows: list[dict] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return self.refused

    def as_json(self) -> dict:
        """The counts (the one-line summary of the command and the audit entry)."""
        out = {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
        }
        if self.skipped:
            out["skipped"] = self.skipped
        out.update(
            {
                "created_with_warnings": self.created_with_warnings,
                "updated_with_warnings": self.updated_with_warnings,
                "warnings": self.warnings,
                "changes": self.changes,
            }
        )
        return out

    def report_csv(self) -> str:
        return report_csv(self.report)


def report_csv(report: list[dict]) -> str:
    """Every row's outcome, each warning and each change to an existing record (old and new values)."""
    return csv_text(
        REPORT_HEADER,
        (
            [
                item.get("row", ""),
                item.get("name", ""),
                item.get("outcome", ""),
                item.get("record", ""),
                item.get("field", ""),
                item.get("value", ""),
                item.get("new", ""),
                item.get("message", ""),
            ]
            for item in report
        ),
    )


def refused_csv(headers: list[str], rows: list[list[str]]) -> str:
    """The refused rows with the file's own columns, to correct and import again."""
    return csv_text(headers, rows)


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


def mapping_for(upload: Upload) -> dict[str, int]:
    """The register's own mapping for a register file, else the guess from the header names."""
    return register_mapping(upload.headers) if upload.register else guess_mapping(upload.headers)


def parse_date(value: str) -> date:
    """A date as spreadsheets and registers write it; FieldError otherwise."""
    text = value.strip()
    iso = re.match(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}", text)
    if iso:
        text = iso.group(1)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise v.FieldError(f"{value.strip()} is not a date, like 26/11/2026")


_CLEANERS = {
    "description": v.clean_description,
    "charity_number": v.clean_charity_number,
    "company_number": v.clean_company_number,
    "website": v.clean_website,
    "email": v.clean_email,
    "phone": v.clean_phone,
    "status": v.clean_status,
}


@dataclass
class _Row:
    number: int
    cells: list[str]
    name: str
    values: dict = field(default_factory=dict)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # (field, value, rule)
    refusal: str | None = None
    skip: str | None = None


def _clean_row(
    number: int,
    cells: list[str],
    mapping: dict[str, int],
    upload: Upload,
    concepts: dict[str, int],
    extra_boroughs: list[str],
) -> _Row:
    """One row -> cleaned values, warnings for dropped values, and a refusal only when it has no name."""

    def cell(target):
        index = mapping.get(target)
        return cells[index] if index is not None and index < len(cells) else ""

    # The one input policy (coordination.text): characters a database or XML cannot store are taken out
    # of the row and named in a warning, so the organisation is still imported.
    policy_warnings = []
    for target, index in mapping.items():
        if index is None or index >= len(cells):
            continue
        if message := text_problem(f"Column \u2018{upload.headers[index]}\u2019", cells[index]):
            policy_warnings.append((target, clean(cells[index]).strip(), message))
            cells = [*cells[:index], clean(cells[index]), *cells[index + 1 :]]
    raw_name = (cell("name") or "").strip()
    row = _Row(number=number, cells=cells, name=raw_name)
    row.warnings.extend(policy_warnings)
    if upload.register:
        row.skip = register_skip_reason(upload, cells)
        if row.skip:
            return row
    try:
        name = v.clean_name(raw_name)
    except v.FieldError:
        row.refusal = "No name: a row needs the organisation's name" + (f" (it says {raw_name!r})" if raw_name else "")
        return row
    if len(name) > 255:
        row.warnings.append(("name", name, "Names are 255 characters at most: the end was cut off"))
        name = name[:255].rstrip()
    values = row.values
    values["name"] = name
    warn = row.warnings.append

    for target, cleaner in _CLEANERS.items():
        if target not in mapping:
            continue
        raw = cell(target)
        try:
            cleaned = cleaner(raw)
        except v.FieldError as error:
            warn((target, raw.strip(), str(error)))
            continue
        if cleaned is not None and not (target == "status" and v.missing(raw)):
            values[target] = cleaned
    if "org_id" in mapping and not v.missing(cell("org_id")):
        parsed = v.parse_org_id(cell("org_id"))
        if parsed is None:
            warn(("org_id", cell("org_id").strip(), "Not an org-id we know: use GB-CHC-, GB-SC-, GB-NIC- or GB-COH-"))
        else:
            target, raw = parsed
            cleaner = v.clean_charity_number if target == "charity_number" else v.clean_company_number
            try:
                cleaned = cleaner(raw)
            except v.FieldError as error:
                warn(("org_id", cell("org_id").strip(), str(error)))
            else:
                values.setdefault(target, cleaned)
    if "org_type" in mapping:
        kind, written = v.interpret_org_type(cell("org_type"))
        if upload.register and written is not None:
            # Every type on the register is a registered charity; a charitable company is the nearer one.
            kind = (
                OrganisationType.CHARITABLE_COMPANY
                if kind == OrganisationType.CHARITABLE_COMPANY
                else OrganisationType.REGISTERED_CHARITY
            )
        if written is not None or not v.missing(cell("org_type")):
            values["org_type"] = kind
            values["org_type_text"] = written
    parts = []
    for target in ADDRESS_PARTS:
        part = v.tidy(cell(target)) if target in mapping and not v.missing(cell(target)) else None
        if part and part.lower() not in (p.lower() for p in parts):
            parts.append(part)
    if parts:
        address = ", ".join(parts)
        if len(address) > 1000:
            warn(("address", address[:60] + "…", "Address must be 1,000 characters or fewer: it was left out"))
        else:
            values["address"] = address
    postcode = cell("postcode")
    values["postcode_text"] = "" if v.missing(postcode) else (v.tidy(postcode) or "")
    boroughs = set(extra_boroughs)
    if upload.register:
        boroughs |= register_boroughs(upload, cells)
    if "operates_in" in mapping:
        unknown = []
        for part in v.split_list(None if v.missing(cell("operates_in")) else cell("operates_in")):
            named = v.boroughs_named(part)
            if named:
                boroughs |= named
            elif not upload.register:  # the register names places all over the world: only GM ones matter
                unknown.append(part)
        if unknown:
            warn(("operates_in", ", ".join(unknown), "Not one of the ten Greater Manchester boroughs: left out"))
    values["operates_in"] = boroughs
    concept_ids = set()
    if "practice_areas" in mapping:
        unknown = []
        for label in v.split_list(None if v.missing(cell("practice_areas")) else cell("practice_areas")):
            cid = concepts.get(normalise(label))
            if cid is None:
                unknown.append(label)
            else:
                concept_ids.add(cid)
        if unknown:
            warn(("practice_areas", ", ".join(unknown), "Not in the list of terms: left out"))
    values["practice_areas"] = concept_ids
    for target in ("last_checked_on", "registered_on"):
        if target in mapping and not v.missing(cell(target)):
            try:
                values[target] = parse_date(cell(target))
            except v.FieldError as error:
                warn((target, cell(target).strip(), str(error)))
    width = len(upload.headers)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        warn(
            (
                "",
                " | ".join(c for c in cells[width:] if c.strip())[:200],
                (
                    f"This row has {len(cells)} cells but the header has {width}: the extra cells were left out "
                    "(check for a comma that is not inside quotes)"
                ),
            )
        )
    return row


def _geocode(texts: list[str]) -> list[dict]:
    """Bulk postcode lookup -> location fields per row (a bad postcode marks the row, it does not reject it)."""
    if not texts:
        return []
    import pandas as pd  # here: pandas and the postcode tables load with the first import, not in every worker

    from geo.postcodes import lookup_postcodes

    frame = lookup_postcodes(texts)
    out = []
    for typed, postcode, valid, found, lat, lon, district, borough in zip(
        texts,
        frame["postcode"],
        frame["valid"],
        frame["found"],
        frame["latitude"],
        frame["longitude"],
        frame["district_code"],
        frame["borough_code"],
    ):
        if not typed:
            out.append(
                {
                    "postcode": None,
                    "latitude": None,
                    "longitude": None,
                    "borough_code": None,
                    "district_code": None,
                    "location_status": LocationStatus.NO_POSTCODE,
                }
            )
        elif not found or lat is None or pd.isna(lat):
            out.append(
                {
                    "postcode": postcode if valid else None,
                    "latitude": None,
                    "longitude": None,
                    "borough_code": None,
                    "district_code": None,
                    "location_status": LocationStatus.UNKNOWN_POSTCODE,
                }
            )
        else:
            out.append(
                {
                    "postcode": postcode,
                    "latitude": float(lat),
                    "longitude": float(lon),
                    "borough_code": borough,
                    "district_code": district,
                    "location_status": LocationStatus.LOCATED if borough else LocationStatus.OUTSIDE_GM,
                }
            )
    return out


# --- Matching -----------------------------------------------------------------------------------


class _Index:
    """Matching keys for existing records and rows created earlier in the same file."""

    def __init__(self):
        self.charity: dict[str, object] = {}
        self.company: dict[str, object] = {}
        self.name_postcode: dict[tuple[str, str], object] = {}

    def add(self, ref, record: dict):
        if record.get("charity_number"):
            self.charity[record["charity_number"]] = ref
        if record.get("company_number"):
            self.company[record["company_number"]] = ref
        normalised = v.normalise_name(record["name"])
        # No postcode on either side also counts as "the same postcode".
        self.name_postcode[(normalised, record.get("postcode") or "")] = ref

    def match(self, values: dict, postcode: str | None, state: dict) -> tuple[object | None, list]:
        """(the record this row is, warnings for identifiers that belong elsewhere and are left out)."""
        warnings = []
        charity, company = values.get("charity_number"), values.get("company_number")
        by_charity = self.charity.get(charity) if charity else None
        by_company = self.company.get(company) if company else None
        if by_charity is not None and by_company is not None and by_charity != by_company:
            warnings.append(
                (
                    "company_number",
                    company,
                    (
                        f"Belongs to {state[by_company]['name']}, a different record from the one with "
                        f"charity number {charity}: left out (merge or correct the records)"
                    ),
                )
            )
            values.pop("company_number")
            by_company = None
        ref = by_charity if by_charity is not None else by_company
        if ref is None:
            candidate = self.name_postcode.get((v.normalise_name(values["name"]), postcode or ""))
            if candidate is not None and not any(
                values.get(key) and state[candidate].get(key) and values[key] != state[candidate][key]
                for key in ("charity_number", "company_number")
            ):
                ref = candidate  # same name and postcode, and no identifier says otherwise
        if ref is not None:
            for key, index in (("charity_number", self.charity), ("company_number", self.company)):
                new, known = values.get(key), state[ref].get(key)
                if new and known and new != known:
                    warnings.append((key, new, f"The directory has {known} for this organisation: kept {known}"))
                    values.pop(key)
                elif new and not known and index.get(new) not in (None, ref):
                    warnings.append((key, new, f"Belongs to {state[index[new]]['name']}: left out"))
                    values.pop(key)
        return ref, warnings


# --- Merging ------------------------------------------------------------------------------------


def _address_parts(text: str | None) -> int:
    return len([p for p in (text or "").split(",") if p.strip()])


def _same_site(a: str, b: str) -> bool:
    def key(url):
        return re.sub(r"^(https?://)?(www\.)?", "", url.lower()).rstrip("/")

    return key(a) == key(b)


def _merge(current: dict, values: dict, location: dict, duplicate: bool) -> tuple[dict, list]:
    """The fields this row changes on a matched record, and warnings for values it keeps instead.

    Blanks are filled. A value is replaced only by a better one of the same field: never the name; a
    full address not by a shorter one; a found postcode not by one we cannot find; a specific type not by
    Other. A later row of the same file (a duplicate) only fills blanks.
    """
    changes, warnings = {}, []

    def offer(key, new):
        old = current.get(key)
        if new is None or new == "" or new == old:
            return
        if old is None or old == "":
            changes[key] = new
            return
        if key == "name":
            if v.normalise_name(new) != v.normalise_name(old):
                said = "An earlier row calls it" if duplicate else "The directory calls it"
                warnings.append(("name", new, f"{said} {old}: the name was kept (edit the record to rename it)"))
            return
        if duplicate:
            warnings.append((key, _shown(new), f"An earlier row for this organisation gave {_shown(old)}: kept that"))
            return
        if key == "description" or key in ("charity_number", "company_number"):
            return  # a coordinator's description stays; identifiers were checked while matching
        if key == "org_type":
            if old == OrganisationType.OTHER:
                changes[key] = new
                changes["org_type_text"] = values.get("org_type_text")
            return
        if key == "org_type_text":
            return  # follows org_type
        if key == "address" and _address_parts(new) < _address_parts(old):
            warnings.append(("address", new, f"Shorter than the address the directory has ({old}): kept that"))
            return
        if key == "website" and _same_site(new, old):
            return
        if key == "last_checked_on" and new < old:
            return
        changes[key] = new

    for key in DETAIL_FIELDS:
        if key in values:
            offer(key, values[key])
    if values.get("postcode_text"):
        old_status, new_status = current.get("location_status"), location["location_status"]
        better = (
            new_status in FOUND
            and location["postcode"] != current.get("postcode")
            and (not duplicate or old_status not in FOUND)
        )
        if better or (current.get("postcode") is None and location["postcode"] and old_status not in FOUND):
            changes.update(location)
    return changes, warnings


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (OrganisationType, LocationStatus, OrganisationStatus)):
        return value.title if isinstance(value, OrganisationType) else value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plain(value):
    """A field value as JSON (enums by value, dates as ISO text)."""
    if hasattr(value, "value") and isinstance(value, (OrganisationType, LocationStatus, OrganisationStatus)):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- The import ---------------------------------------------------------------------------------


def _load_directory() -> tuple[dict, dict, _Index]:
    """Every open record's fields and links, keyed ('db', id)."""
    columns = [Organisation.id] + [getattr(Organisation, name) for name in RECORD_FIELDS]
    state, links, index = {}, {}, _Index()
    for row in db.session.execute(select(*columns).where(Organisation.merged_into_id.is_(None))):
        record = dict(zip(("id",) + RECORD_FIELDS, row))
        ref = ("db", record.pop("id"))
        state[ref] = record
        links[ref] = (set(), set())
        index.add(ref, record)
    for oid, code in db.session.execute(select(OrganisationBorough.organisation_id, OrganisationBorough.borough_code)):
        if ("db", oid) in links:
            links[("db", oid)][0].add(code)
    for oid, cid in db.session.execute(
        select(organisation_practice_area.c.organisation_id, organisation_practice_area.c.concept_id)
    ):
        if ("db", oid) in links:
            links[("db", oid)][1].add(cid)
    return state, links, index


def import_organisations(
    upload: Upload,
    mapping: dict[str, int],
    operates_in: list[str] | None = None,
    actor=None,
    source: str = "",
    import_id: int | None = None,
    only_boroughs: list[str] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportSummary:
    """Clean, match, merge and write every row as one transaction; return the summary with the report.

    `only_boroughs` (register downloads): keep charities based in or working in these boroughs (all ten
    when the list is empty and the register came with its area-of-operation table).
    """
    if "name" not in mapping:
        raise ImportFailed("Choose the column that holds the organisation's name")
    extra_boroughs = v.clean_boroughs(list(operates_in or []))
    wanted = set(v.clean_boroughs(list(only_boroughs or [])))
    if upload.register and upload.areas is not None and not wanted:
        wanted = set(v.borough_lookup().values())
    early = upload.skipped_early or {}
    summary = ImportSummary(
        rows=len(upload.rows) + sum(early.values()),
        blank_lines=upload.blank_lines,
        encoding=upload.encoding,
        file_format=upload.file_format,
        headers=list(upload.headers),
        skipped=sum(early.values()),
        skipped_reasons=dict(early),
    )
    concepts = concept_keys()
    tick = progress or (lambda phase, done: None)

    rows: list[_Row] = []
    for position, (number, cells) in enumerate(upload.rows):
        rows.append(_clean_row(number, cells, mapping, upload, concepts, extra_boroughs))
        if position % 500 == 499:
            tick("Checking rows", position + 1)
    tick("Finding postcodes", len(rows))
    active = [row for row in rows if row.skip is None and row.refusal is None]
    for row, location in zip(active, _geocode([row.values["postcode_text"] for row in active])):
        row.values["location"] = location
        if row.values["postcode_text"] and location["location_status"] == LocationStatus.UNKNOWN_POSTCODE:
            row.warnings.append(
                (
                    "postcode",
                    row.values["postcode_text"],
                    "Not a postcode we could find: the record is marked as needing attention"
                    if location["postcode"]
                    else "Not a UK postcode: left out",
                )
            )
        if wanted and not (location["borough_code"] in wanted or row.values["operates_in"] & wanted):
            row.skip = "not based in or working in the chosen Greater Manchester boroughs"
    tick("Matching and merging", len(rows))

    state, links, index = _load_directory()
    originals = {ref: (dict(record), set(links[ref][0]), set(links[ref][1])) for ref, record in state.items()}
    new_refs: list[tuple] = []
    touched: set = set()
    now, actor_id = utcnow(), getattr(actor, "id", None)

    for row in rows:
        if row.skip:
            summary.skipped += 1
            summary.skipped_reasons[row.skip] = summary.skipped_reasons.get(row.skip, 0) + 1
            continue
        if row.refusal:
            summary.refused += 1
            summary.report.append({"row": row.number, "name": row.name, "outcome": "refused", "message": row.refusal})
            summary.refused_rows.append(row.cells)
            continue
        values, location = row.values, row.values["location"]
        postcode = location["postcode"] if location["location_status"] != LocationStatus.NO_POSTCODE else None
        ref, match_warnings = index.match(values, postcode, state)
        row.warnings[:0] = match_warnings
        changed: dict = {}
        change_lines: list[dict] = []  # reported after the row's outcome line
        if ref is None:
            ref = ("new", len(new_refs))
            new_refs.append(ref)
            record = {key: None for key in RECORD_FIELDS}
            record.update(
                org_type=OrganisationType.OTHER,
                status=OrganisationStatus.ACTIVE,
                location_status=LocationStatus.NO_POSTCODE,
            )
            record.update({k: values[k] for k in RECORD_FIELDS if values.get(k) is not None})
            if values["postcode_text"]:
                record.update(location)
            state[ref] = record
            links[ref] = (set(), set())
            outcome = "created"
        else:
            changed, merge_warnings = _merge(state[ref], values, location, duplicate=ref in touched)
            row.warnings.extend(merge_warnings)
            for key, new in changed.items():
                if key in LOCATION_FIELDS and key != "postcode":
                    continue
                change_lines.append(
                    {
                        "row": row.number,
                        "name": row.name,
                        "outcome": "change",
                        "record": "" if ref[0] == "new" else ref[1],
                        "field": LABELS.get(key, key),
                        "value": _shown(state[ref].get(key)),
                        "new": _shown(new),
                    }
                )
            state[ref].update(changed)
            outcome = None
        boroughs, concept_ids = links[ref]
        added_links = (values["operates_in"] - boroughs) | (values["practice_areas"] - concept_ids)
        for code in sorted(values["operates_in"] - boroughs):
            if outcome is None:
                change_lines.append(
                    {
                        "row": row.number,
                        "name": row.name,
                        "outcome": "change",
                        "record": "" if ref[0] == "new" else ref[1],
                        "field": LABELS["operates_in"],
                        "value": "",
                        "new": v.borough_name(code),
                    }
                )
        boroughs |= values["operates_in"]
        concept_ids |= values["practice_areas"]
        if outcome is None:
            outcome = "updated" if (changed or added_links) else "unchanged"
        touched.add(ref)
        index.add(ref, state[ref])
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        if row.warnings and outcome in ("created", "updated"):
            setattr(summary, f"{outcome}_with_warnings", getattr(summary, f"{outcome}_with_warnings") + 1)
        summary.warnings += len(row.warnings)
        label = outcome + (" with warnings" if row.warnings else "")
        summary.report.append(
            {
                "row": row.number,
                "name": values["name"],
                "outcome": label,
                "record": ref[1] if ref[0] == "db" else "",
                "ref": list(ref),
            }
        )
        summary.report.extend(change_lines)
        for key, value, rule in row.warnings:
            summary.report.append(
                {
                    "row": row.number,
                    "name": values["name"],
                    "outcome": "warning",
                    "field": LABELS.get(key, key),
                    "value": value,
                    "message": rule,
                }
            )
    assert sum(getattr(summary, o) for o in OUTCOMES) == summary.rows
    tick("Saving", len(rows))

    try:
        _write(summary, state, links, originals, new_refs, now, actor_id, import_id)
        audit.record(
            "organisation.imported",
            entity_type="OrganisationImport",
            entity_id=import_id,
            actor=actor,
            after={
                "source": source,
                "format": upload.file_format,
                "encoding": upload.encoding,
                **summary.as_json(),
                "created_ids": summary.created_ids,
                "updated_ids": summary.updated_ids,
            },
        )
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        # Never the database's own words: they quote the SQL and the row's values.
        current_app.logger.exception("Organisation import failed")
        raise ImportFailed(
            "The import stopped and nothing was changed. Check the file for unusual characters "
            "or values, or ask whoever runs the service to look at the error log"
        ) from error
    refresh_statistics(*BASE_TABLES)  # SQLite's planner: the directory's size and shape have changed
    return summary


def _write(
    summary: ImportSummary,
    state: dict,
    links: dict,
    originals: dict,
    new_refs: list,
    now,
    actor_id,
    import_id: int | None,
) -> None:
    """Bulk insert and update; add the new links; record what changed so the import can be undone."""
    new_ids = allocate_ids(len(new_refs))
    resolved = {ref: oid for ref, oid in zip(new_refs, new_ids)}
    if new_refs:
        # Plain executemany with ids chosen up front: RETURNING with ordered results makes SQLAlchemy
        # send one row per statement on SQLite, which is 20 times slower at this size.
        records = []
        for ref in new_refs:
            record = dict(state[ref])
            record.update(
                id=resolved[ref],
                normalised_name=v.normalise_name(record["name"]),
                created_at=now,
                updated_at=now,
                created_by_id=actor_id,
                updated_by_id=actor_id,
            )
            records.append(record)
            status = record["location_status"].value
            summary.marked[status] = summary.marked.get(status, 0) + 1
        db.session.execute(insert(Organisation.__table__), records)
    updates, change_rows = [], []
    borough_rows, concept_rows = [], []
    for ref, (boroughs, concept_ids) in links.items():
        if ref[0] == "new":
            oid = resolved[ref]
            old_boroughs, old_concepts = set(), set()
        else:
            oid = ref[1]
            record, old_boroughs, old_concepts = originals[ref]
            diff = {key: state[ref][key] for key in RECORD_FIELDS if state[ref][key] != record[key]}
            added_b, added_c = sorted(boroughs - old_boroughs), sorted(concept_ids - old_concepts)
            if not (diff or added_b or added_c):
                continue
            if diff:
                change = dict(diff, id=oid, updated_at=now, updated_by_id=actor_id)
                if "name" in diff:
                    change["normalised_name"] = v.normalise_name(diff["name"])
                updates.append(change)
            change_rows.append(
                {
                    "import_id": import_id,
                    "organisation_id": oid,
                    "action": "updated",
                    "before": {k: plain(record[k]) for k in diff},
                    "after": {
                        **{k: plain(val) for k, val in diff.items()},
                        "operates_in_added": added_b,
                        "practice_areas_added": added_c,
                    },
                }
            )
        borough_rows += [{"organisation_id": oid, "borough_code": code} for code in sorted(boroughs - old_boroughs)]
        concept_rows += [{"organisation_id": oid, "concept_id": cid} for cid in sorted(concept_ids - old_concepts)]
    if updates:
        # Group by the set of keys so each executemany has uniform parameters.
        groups: dict[tuple, list[dict]] = {}
        for change in updates:
            groups.setdefault(tuple(sorted(change)), []).append(change)
        for rows in groups.values():
            db.session.execute(update(Organisation), rows)
    if borough_rows:
        db.session.execute(insert(OrganisationBorough), borough_rows)
    if concept_rows:
        db.session.execute(insert(organisation_practice_area), concept_rows)
    change_rows += [
        {"import_id": import_id, "organisation_id": oid, "action": "created", "before": {}, "after": {}}
        for oid in new_ids
    ]
    if import_id is not None and change_rows:
        db.session.execute(insert(OrganisationImportChange), change_rows)
    summary.created_ids = new_ids
    summary.updated_ids = sorted(row["organisation_id"] for row in change_rows if row["action"] == "updated")
    summary.changes = sum(1 for item in summary.report if item["outcome"] == "change")
    summary.change_rows = change_rows
    for item in summary.report:
        ref = item.pop("ref", None)
        if ref and ref[0] == "new":
            item["record"] = resolved[tuple(ref)]
    db.session.flush()


def allocate_ids(count: int) -> list[int]:
    """Reserve `count` new organisation ids inside the current transaction."""
    if not count:
        return []
    if db.engine.dialect.name == "postgresql":
        return list(
            db.session.execute(
                text("SELECT nextval(pg_get_serial_sequence('organisation', 'id')) FROM generate_series(1, :n)"),
                {"n": count},
            ).scalars()
        )
    # SQLite: a write statement takes the database's write lock first, so no one else can insert
    # between reading the highest id and using the ones after it.
    db.session.execute(text("DELETE FROM organisation WHERE 1 = 0"))
    start = (db.session.scalar(select(func.max(Organisation.id))) or 0) + 1
    return list(range(start, start + count))


def count_organisations() -> int:
    """How many records the directory holds (for summaries and tests)."""
    return db.session.scalar(select(func.count()).select_from(Organisation)) or 0
