"""Reading import files: CSV (any encoding or separator), Excel workbooks, JSON, and the Charity Commission
register download (its charity and area-of-operation tables, as tab-separated text or JSON, zipped or not).

Everything becomes an `Upload`: a header and the rows, each numbered as a spreadsheet shows it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from ..errors import OperationError
from ..text import clean
from . import validation as v


class ImportFailed(OperationError):
    """The import could not run; nothing was written."""


NOT_CSV = "This is not a CSV file"


@dataclass
class Upload:
    """A decoded file: header, rows numbered as a spreadsheet shows them, and what kind of file it was."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number: the header is row 1 in a CSV file or worksheet, cells)
    encoding: str
    delimiter: str = ","
    blank_lines: int = 0
    file_format: str = "CSV"
    register: bool = False  # the Charity Commission register's charity table
    # Charity number -> borough codes its areas of operation name; None when no area table came with it.
    areas: dict[str, set[str]] | None = None
    area_rows: int = 0
    # Register rows left behind while reading (linked or removed charities), by reason: the national
    # download holds hundreds of thousands, and keeping them all in memory would help no one.
    skipped_early: dict[str, int] | None = None


# --- Text -------------------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, str]:
    """Bytes -> text and the encoding's name: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        # Five bytes are undefined in Windows-1252; Latin-1 maps every byte, so nothing is lost.
        return raw.decode("latin-1"), "ISO-8859-1 (Latin-1)"


# Files people upload by mistake, told apart at once by their first bytes.
_SIGNATURES = (
    (b"%PDF", "it is a PDF document"),
    (b"\xd0\xcf\x11\xe0", "it looks like an old Excel (.xls) or Word file: save it as .xlsx or CSV"),
    (b"\x89PNG", "it is a picture"),
    (b"\xff\xd8\xff", "it is a picture"),
    (b"GIF8", "it is a picture"),
    (b"{\\rtf", "it is a Word (RTF) document"),
)


def _not_text_reason(raw: bytes) -> str | None:
    head = raw[:8192]
    for signature, reason in _SIGNATURES:
        if head.startswith(signature):
            return reason
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    # A stray NUL in a cell is not binary data (the importer drops it with a warning); many control bytes are.
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    if head and controls / len(head) > 0.02:
        return "it is not text (it holds binary data)"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype", b"<html", b"<?xml", b"<svg")):
        return "it is a web page or XML document, not a table"
    return None


def read_csv(raw: bytes) -> Upload:
    """Decode and split a CSV (or tab-separated) file; raise ImportFailed when it is not one."""
    reason = _not_text_reason(raw)
    if reason:
        raise ImportFailed(f"{NOT_CSV}: {reason}. Save the spreadsheet as CSV (or .xlsx) and upload that")
    text, encoding = decode(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    try:
        delimiter = csv.Sniffer().sniff(first_line or ",", delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    # The register's own text files are not quoted: a quote mark inside a charity's activities is just a
    # character. (A copy written by R or pandas quotes its header too, and is read the usual way.)
    register = (
        "registered_charity_number" in first_line
        and delimiter == "\t"
        and not first_line.lstrip("\ufeff").startswith('"')
    )
    reader = csv.reader(
        io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE if register else csv.QUOTE_MINIMAL
    )
    headers, rows, blank, skipped = None, [], 0, {}
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                blank += headers is not None
                continue
            if headers is None:
                headers = [clean(cell).strip().lstrip("\ufeff") or f"Column {i + 1}" for i, cell in enumerate(cells)]
                continue
            if register:
                reason = skip_reason(headers, cells)
                if reason:
                    skipped[reason] = skipped.get(reason, 0) + 1
                    continue
            rows.append((number, cells))
    except csv.Error as error:
        raise ImportFailed(f"{NOT_CSV}: {error}") from error
    if headers is None:
        raise ImportFailed("The file is empty: it needs a header row naming the columns, then one row per organisation")
    prose = next((h for h in headers if len(h) > 120 or (len(h.split()) > 7 and re.search(r"[.!?]\s+\S", h))), None)
    if prose:
        # A "column name" reading like a sentence: a letter or notes saved as text, not a table.
        raise ImportFailed(
            f"{NOT_CSV}: its first line is not a row of column names (it reads "
            f"{prose[:60]!r}). Save the spreadsheet as CSV and upload that"
        )
    return Upload(
        headers=headers,
        rows=rows,
        encoding=encoding,
        delimiter=delimiter,
        blank_lines=blank,
        file_format="Tab-separated text" if delimiter == "\t" else "CSV",
        skipped_early=skipped or None,
    )


# --- Excel ------------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 1123456.0 is how a workbook holds a typed charity number
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_xlsx(raw: bytes) -> Upload:
    """The first worksheet with data: row numbers are the worksheet's own."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFailed(f"{NOT_CSV} and not an Excel workbook we can read: {error}") from error
    try:
        for sheet in book.worksheets:
            headers, rows, blank = None, [], 0
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_cell_text(value) for value in values]
                if not any(cell.strip() for cell in cells):
                    blank += headers is not None
                    continue
                if headers is None:
                    headers = [clean(cell).strip() or f"Column {i + 1}" for i, cell in enumerate(cells)]
                    continue
                rows.append((number, cells))
            if headers is not None:
                while (
                    headers
                    and headers[-1].startswith("Column ")
                    and not any(len(cells) >= len(headers) and cells[len(headers) - 1].strip() for _, cells in rows)
                ):
                    headers.pop()  # formatting can stretch a sheet far to the right of its data
                return Upload(
                    headers=headers,
                    rows=rows,
                    encoding="Excel workbook",
                    blank_lines=blank,
                    file_format=f"Excel workbook (sheet {sheet.title})",
                )
    finally:
        book.close()
    raise ImportFailed("The workbook is empty: it needs a header row naming the columns, then one row per organisation")


# --- JSON -------------------------------------------------------------------------------------


def read_json(raw: bytes) -> Upload:
    """A JSON array of objects (as the Charity Commission publishes its tables); records are numbered from 1."""
    text, encoding = decode(raw)
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ImportFailed(f"{NOT_CSV} and not JSON we can read: {error}") from error
    if isinstance(data, dict):
        lists = [value for value in data.values() if isinstance(value, list)]
        data = lists[0] if len(lists) == 1 else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ImportFailed(f"{NOT_CSV}: the JSON is not a list of records")
    headers: list[str] = []
    for item in data:
        for key in item:
            if key not in headers:
                headers.append(key)
    if not headers:
        raise ImportFailed("The file is empty: it holds no records")
    rows = [(number, [_cell_text(item.get(key)) for key in headers]) for number, item in enumerate(data, start=1)]
    return Upload(headers=headers, rows=rows, encoding=encoding, file_format="JSON")


# --- Any file ---------------------------------------------------------------------------------


def _table(raw: bytes, name: str = "") -> Upload:
    if raw.startswith(b"PK\x03\x04"):
        return _read_zip(raw)
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{") or name.lower().endswith(".json"):
        return read_json(raw)
    return read_csv(raw)


def _read_zip(raw: bytes) -> Upload:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as error:
        raise ImportFailed(f"{NOT_CSV}: it is a damaged zip file") from error
    names = archive.namelist()
    if "xl/workbook.xml" in names:
        return read_xlsx(raw)
    tables = [n for n in names if n.lower().endswith((".csv", ".txt", ".tsv", ".json")) and not n.endswith("/")]
    charity = [n for n in tables if "area_of_operation" not in n.lower()]
    areas = [n for n in tables if "area_of_operation" in n.lower()]
    if not charity and areas:
        return _table(archive.read(areas[0]), areas[0])
    if len(charity) != 1:
        raise ImportFailed(
            f"{NOT_CSV}: the zip file should hold one table (CSV, text or JSON); it holds {len(charity) or 'none'}"
        )
    upload = _mark_register(_table(archive.read(charity[0]), charity[0]))
    if areas and upload.register:
        add_areas(upload, _table(archive.read(areas[0]), areas[0]))
    return upload


def read_table(raw: bytes, name: str = "") -> Upload:
    """Any supported file -> Upload, without checking which register table it is (for the area table)."""
    if not raw.strip():
        raise ImportFailed("The area-of-operation file is empty")
    return _table(raw, name)


def read_file(raw: bytes, name: str = "") -> Upload:
    """Any supported file -> Upload; ImportFailed with a plain reason when it is not a table we can read."""
    if not raw.strip():
        raise ImportFailed("The file is empty: it needs a header row naming the columns, then one row per organisation")
    return _mark_register(_table(raw, name))


# --- The Charity Commission register ----------------------------------------------------------

# Field names of the register download's tables (publicextract.charity and .charity_area_of_operation).
REGISTER_CHARITY_FIELDS = ("registered_charity_number", "charity_name")
REGISTER_AREA_FIELDS = ("registered_charity_number", "geographic_area_type", "geographic_area_description")
REGISTER_MAPPING = {
    "name": "charity_name",
    "charity_number": "registered_charity_number",
    "org_type": "charity_type",
    "description": "charity_activities",
    "company_number": "charity_company_registration_number",
    "website": "charity_contact_web",
    "email": "charity_contact_email",
    "phone": "charity_contact_phone",
    "address": "charity_contact_address1",
    "address_2": "charity_contact_address2",
    "address_3": "charity_contact_address3",
    "address_4": "charity_contact_address4",
    "town": "charity_contact_address5",
    "postcode": "charity_contact_postcode",
    "registered_on": "date_of_registration",
    "operates_in": "geographic_area_description",
}


def _is_area_table(upload: Upload) -> bool:
    return all(f in upload.headers for f in REGISTER_AREA_FIELDS) and "charity_name" not in upload.headers


def _mark_register(upload: Upload) -> Upload:
    if all(f in upload.headers for f in REGISTER_CHARITY_FIELDS):
        upload.register = True
        upload.file_format = f"Charity Commission register ({upload.file_format})"
    elif _is_area_table(upload):
        raise ImportFailed(
            "This is the register's area-of-operation table: import the charity table "
            "(publicextract.charity) and add this file as its area of operation"
        )
    return upload


def register_mapping(headers: list[str]) -> dict[str, int]:
    """Target field -> column for the register's own field names."""
    return {target: headers.index(column) for target, column in REGISTER_MAPPING.items() if column in headers}


def add_areas(upload: Upload, areas: Upload) -> None:
    """Join the area-of-operation table: each charity's GM boroughs (Greater Manchester means all ten)."""
    if not _is_area_table(areas) and not all(f in areas.headers for f in REGISTER_AREA_FIELDS):
        raise ImportFailed(
            f"The area-of-operation file does not have the register's columns ({', '.join(REGISTER_AREA_FIELDS)})"
        )
    column = {name: areas.headers.index(name) for name in areas.headers}
    linked = column.get("linked_charity_number")
    found: dict[str, set[str]] = {}
    for _, cells in areas.rows:

        def cell(name, cells=cells):
            index = column.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if linked is not None and not v.missing_number(cell("linked_charity_number")):
            continue
        number = re.sub(r"\.0$", "", cell("registered_charity_number"))
        codes = found.setdefault(number, set())
        codes |= v.boroughs_named(cell("geographic_area_description")) or set()
    upload.areas = found
    upload.area_rows = len(areas.rows)


def skip_reason(headers: list[str], cells: list[str]) -> str | None:
    """Why a register row is not an organisation to import: a linked charity, or removed from the register."""

    def cell(name):
        index = headers.index(name) if name in headers else None
        return cells[index].strip() if index is not None and index < len(cells) else ""

    if not v.missing_number(cell("linked_charity_number")):
        return "a linked charity (part of a main charity, which is imported instead)"
    status = cell("charity_registration_status").lower()
    removed = cell("date_of_removal")
    if status == "removed" or (not status and not v.missing(removed)):
        return "removed from the register"
    return None


def register_skip_reason(upload: Upload, cells: list[str]) -> str | None:
    """skip_reason for a row of an Upload."""
    return skip_reason(upload.headers, cells)


def register_boroughs(upload: Upload, cells: list[str]) -> set[str]:
    """The GM boroughs a register row's charity operates in (from the joined table or its own column)."""
    number = ""
    if "registered_charity_number" in upload.headers:
        index = upload.headers.index("registered_charity_number")
        number = re.sub(r"\.0$", "", cells[index].strip()) if index < len(cells) else ""
    codes = set((upload.areas or {}).get(number, set()))
    return codes
