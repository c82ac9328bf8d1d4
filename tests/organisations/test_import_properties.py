"""Properties of the import for any rows: every row has one outcome, and a named row is never refused."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.extensions import db
from coordination.organisations import importer
from coordination.organisations.models import Organisation

HEADER = [
    "Name",
    "Charity number",
    "Company number",
    "Type",
    "Email",
    "Phone",
    "Website",
    "Postcode",
    "Areas served",
    "Status",
    "Last checked",
    "Org ID",
]
TEXT = st.characters(blacklist_categories=("Cs", "Cc"))
PLACEHOLDERS = ["", " ", "NA", "N/A", "n/a", "null", "None", "-", "--", ".", "0", "#N/A", "nan"]
ODD = st.one_of(
    st.sampled_from(PLACEHOLDERS),
    st.text(TEXT, max_size=12),  # any printable unicode (a file holding control bytes is not a CSV file)
    st.integers(-(10**9), 10**10).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "1123456",
            "01234567",
            "1234567",
            "CE00571",
            "SC012345",
            "NIC100002",
            "GB-CHC-1123456",
            " 1123456 ",
            "1123456.0",
            "0161 496 0000",
            "+44 161 496 0000",
            "www.example.org",
            "javascript:alert(1)",
            "hi@example.org",
            "M1 1AD",
            "m11ad",
            "ZZ99 9ZZ",
            "Bolton; Wigan",
            "Greater Manchester",
            "Cheshire",
            "Previously excepted",
            "CIO",
            "closed",
            "26/11/2026",
            "31/02/2026",
            "TRUE",
            "=1+1",
        ]
    ),
)
NAMES = st.one_of(
    st.text(TEXT, min_size=1, max_size=30).filter(lambda s: s.strip()),
    st.sampled_from(["Café Ümit", "Hope & Co", "  padded  ", "Bolton CVS", "日本語の団体", "=SUM(A1)"]),
)
ROWS = st.lists(
    st.tuples(st.one_of(NAMES, st.sampled_from(PLACEHOLDERS)), *[ODD] * (len(HEADER) - 1)), min_size=1, max_size=12
)


def _file(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_every_row_has_one_outcome_and_only_nameless_rows_are_refused(app, rows):
    from coordination.organisations.models import OrganisationBorough

    try:
        upload = importer.read_csv(_file(rows))
        data_rows = len(upload.rows)
        summary = importer.import_organisations(upload, importer.guess_mapping(upload.headers))
        assert summary.created + summary.updated + summary.unchanged + summary.refused == summary.rows == data_rows
        outcomes = [item for item in summary.report if item["outcome"] not in ("warning", "change")]
        assert len(outcomes) == summary.rows
        for (_, cells), outcome in zip(upload.rows, outcomes):
            named = cells[0].strip() and cells[0].strip().lower() not in importer.v.MISSING
            assert (outcome["outcome"] == "refused") == (not named), (cells, outcome)
        # Every warning names the field, the value and the rule.
        for item in summary.report:
            if item["outcome"] == "warning":
                assert item["message"] and (item["field"] or "cells" in item["message"])
    finally:
        db.session.rollback()
        db.session.execute(db.delete(OrganisationBorough))
        db.session.execute(db.delete(Organisation))
        db.session.commit()
