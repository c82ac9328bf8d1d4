"""Cells for CSV files people open in spreadsheets: typed text must never run as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from flask import Response

# Excel, LibreOffice and Google Sheets treat a cell starting with any of these as a formula (tab and
# carriage return because some programs strip them first and then see the = behind).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number or phone number ("-1.5", "+44 161 496 0001") cannot call a function, so it stays as typed.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 ().]*")


def safe_cell(value):
    """The value with a leading apostrophe when a spreadsheet would read it as a formula; other values unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values) -> list:
    """safe_cell applied to every value in a row."""
    return [safe_cell(value) for value in values]


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    """A CSV document with every typed cell made safe for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(safe_row(row) for row in rows)
    return out.getvalue()


def csv_download(filename: str, header: Sequence, rows: Iterable[Sequence], bom: bool = False) -> Response:
    """A CSV file download; bom=True adds the byte-order mark Excel needs to read accented names."""
    body = ("\ufeff" if bom else "") + csv_text(header, rows)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
