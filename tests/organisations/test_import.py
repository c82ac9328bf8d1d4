"""CSV import: odd encodings, messy rows, matching, the report, one transaction, the web journey and the CLI."""
import csv
import io
import json

import pytest
from sqlalchemy import func, select

from coordination.audit import AuditEntry
from coordination.extensions import db
from coordination.organisations import importer
from coordination.organisations.models import LocationStatus, Organisation
from tests.conftest import error_messages, page

MESSY = (
    "Organisation Name,Charity No,Company No,Type,Address,Post Code,Telephone,Web,Email,Areas served\r\n"
    "Café Hope,1123456,,Registered charity,1 Deansgate,m3 2bw,0161 496 0001,cafehope.org.uk,hi@cafehope.org.uk,"
    "Manchester\r\n"
    "Bolton Carers,,,community group,,bl1 1ru,,,,\r\n"
    "Cheshire Carers Trust,1000001,,CIO,,WA1 1UH,,,,Trafford;Stockport\r\n"
    "Nowhere Group,,,,,,,,,\r\n"
    "Typo Postcode Group,,,,,M99 9ZZ,,,,\r\n"
    ",,,,,M1 1AD,,,,\r\n"
    "Bad Charity,12,,,,,,,,\r\n"
    "Bad Borough Group,,,,,,,,,Cheshire\r\n"
    "Ragged Row,,,,,,,,,,surprise\r\n"
    "\r\n"
    "cafe hope,1123456,,,,M3 2BW,,,,Salford\r\n"
    "Company Org,,1234567,CIC,,M1 1AD,,,,\r\n"
    "Company Org Duplicate,,01234567,,,,0161 496 0002,,,\r\n"
)


def _run(text: str, encoding: str = "utf-8", mapping=None, **kwargs):
    upload = importer.read_csv(text.encode(encoding) if isinstance(text, str) else text)
    return upload, importer.import_organisations(upload, mapping or importer.guess_mapping(upload.headers), **kwargs)


def _by_name(name):
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def test_a_messy_file_accounts_for_every_row(app):
    upload, summary = _run(MESSY, "cp1252")
    assert upload.encoding == "Windows-1252"
    assert summary.rows == 12 and upload.blank_lines == 1
    assert summary.created + summary.updated + summary.reported == summary.rows
    assert (summary.created, summary.updated, summary.reported) == (6, 2, 4)
    reasons = {item["row"]: item["reason"] for item in summary.report}
    assert "Enter the organisation's name" in reasons[7]
    assert "Charity number 12" in reasons[8]
    assert "Cheshire is not one of the ten" in reasons[9]
    assert "cells but the header has" in reasons[10]


def test_lower_case_and_outside_postcodes_are_located_and_marked(app):
    _run(MESSY, "cp1252")
    cafe = _by_name("Café Hope")
    assert cafe.postcode == "M3 2BW" and cafe.location_status == LocationStatus.LOCATED
    assert cafe.borough_code in ("E08000003", "E08000006") and cafe.latitude
    assert cafe.website == "https://cafehope.org.uk"
    cheshire = _by_name("Cheshire Carers Trust")
    assert cheshire.location_status == LocationStatus.OUTSIDE_GM and cheshire.borough_code is None
    assert cheshire.operates_in_codes == ["E08000007", "E08000009"]
    assert _by_name("Nowhere Group").location_status == LocationStatus.NO_POSTCODE
    assert _by_name("Typo Postcode Group").location_status == LocationStatus.UNKNOWN_POSTCODE


def test_a_repeated_charity_number_updates_the_first_row_and_joins_its_boroughs(app):
    _run(MESSY, "cp1252")
    cafe = _by_name("Café Hope")
    assert _by_name("cafe hope") is None
    assert cafe.operates_in_codes == ["E08000003", "E08000006"]
    # A padded 7-digit company number matches the 8-digit one; the later row's name and phone win.
    company = db.session.scalar(select(Organisation).where(Organisation.company_number == "01234567"))
    assert company.name == "Company Org Duplicate" and company.phone == "0161 496 0002"
    assert company.postcode == "M1 1AD"


def test_reimporting_the_same_file_updates_instead_of_duplicating(app):
    _run(MESSY, "cp1252")
    before = db.session.scalar(select(func.count()).select_from(Organisation))
    _, summary = _run(MESSY, "cp1252")
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == before
    assert summary.created == 0 and summary.updated == 8 and summary.reported == 4


def test_name_and_postcode_match_an_existing_record_without_identifiers(app, create_organisation):
    existing = create_organisation(name="The Bolton Carers", postcode="BL1 1RU", email="")
    _, summary = _run("Name,Postcode,Email\nBolton Carers Ltd,bl11ru,new@example.org\n")
    assert summary.updated == 1 and summary.created == 0
    db.session.refresh(existing)
    assert existing.email == "new@example.org"


def test_identifiers_that_point_at_two_different_records_are_reported(app, create_organisation):
    create_organisation(name="One", charity_number="1111111")
    create_organisation(name="Two", company_number="22222222")
    _, summary = _run("Name,Charity number,Company number\nOne,1111111,22222222\n")
    assert summary.reported == 1 and "two different organisations" in summary.report[0]["reason"]


@pytest.mark.parametrize("encoding, prefix, label", [
    ("utf-8", b"", "UTF-8"), ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"), ("cp1252", b"", "Windows-1252"),
])
def test_each_supported_encoding_keeps_accents(app, encoding, prefix, label):
    upload, summary = _run(prefix + "Name,Postcode\nCafé Ümit,M1 1AD\n".encode(encoding))
    assert upload.encoding == label and upload.headers[0] == "Name"
    assert _by_name("Café Ümit") is not None


def test_semicolon_separated_files_are_understood(app):
    _, summary = _run("Name;Postcode\nSemi Group;M1 1AD\n")
    assert summary.created == 1


def test_the_operates_in_option_applies_to_every_row(app):
    _run("Name\nA Group\nB Group\n", operates_in=["Wigan"])
    assert _by_name("A Group").operates_in_codes == ["E08000010"]


def test_a_failure_part_way_leaves_the_database_as_it_was(app, create_organisation, monkeypatch):
    create_organisation(name="Already here")
    before = db.session.scalar(select(func.count()).select_from(Organisation))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "insert", lambda table: (_ for _ in ()).throw(RuntimeError("disk full"))
                        if table is importer.OrganisationBorough else __import__("sqlalchemy").insert(table))
    with pytest.raises(importer.ImportFailed, match="nothing was changed"):
        _run("Name,Areas served\nNew One,Bolton\nNew Two,Bury\n")
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == before
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.imported")) is None


def test_the_report_lists_original_values_and_reasons(app):
    _, summary = _run(MESSY, "cp1252")
    rows = list(csv.DictReader(io.StringIO(summary.report_csv())))
    assert len(rows) == 4 and rows[0]["reason"] and "Organisation Name" in rows[0]


def test_a_file_without_a_header_is_refused_plainly():
    with pytest.raises(importer.ImportFailed, match="empty"):
        importer.read_csv(b"\n\n")


def test_column_guesses_follow_common_header_names():
    mapping = importer.guess_mapping(["Org Name", "Reg Charity No", "Post code", "Tel", "E-mail", "Town"])
    assert mapping == {"name": 0, "charity_number": 1, "postcode": 2, "phone": 3, "email": 4, "town": 5}


# --- The web journey ---------------------------------------------------------------------------

def _upload(client, data: bytes, filename="orgs.csv"):
    return client.post("/organisations/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_a_coordinator_previews_maps_and_imports_a_file(signed_in):
    client, _ = signed_in("coordinator")
    response = _upload(client, MESSY.encode("cp1252"))
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    preview = page(client.get(mapping_url))
    assert preview.select_one("#encoding").get_text() == "Windows-1252"
    assert "Café Hope" in preview.get_text()
    # Reloading the page keeps the upload and the guesses.
    again = page(client.get(mapping_url))
    form = {select["name"]: (select.select_one("option[selected]") or {"value": ""})["value"]
            for select in again.select("select")}
    assert form["col_name"] == "0" and form["col_postcode"] == "5"
    result = page(client.post(mapping_url, data=form))
    assert result.select_one('[data-count="rows"]').get_text() == "12"
    assert result.select_one('[data-count="reported"]').get_text() == "4"
    report = client.get(result.select_one("a[download]")["href"])
    assert report.status_code == 200 and "Charity number 12" in report.get_data(as_text=True)
    # Once imported, the uploaded file (full of contact details) is not kept; a second import cannot happen.
    again = client.get(mapping_url)
    assert again.status_code == 302 and again.headers["Location"].endswith("/organisations/import")


def test_uploads_older_than_a_week_are_removed_when_the_next_file_arrives(app, signed_in):
    import os
    import time

    client, _ = signed_in("coordinator")
    first = _upload(client, b"Name\nA\n").headers["Location"].rsplit("/", 1)[1]
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "organisation-imports")
    old = time.time() - 8 * 86400
    for name in os.listdir(folder):
        if name.startswith(first):
            os.utime(os.path.join(folder, name), (old, old))
    _upload(client, b"Name\nB\n")
    assert not [name for name in os.listdir(folder) if name.startswith(first)]


def test_the_mapping_page_insists_on_a_name_column(signed_in):
    client, _ = signed_in("coordinator")
    mapping_url = _upload(client, b"Name,Postcode\nA,M1 1AD\n").headers["Location"]
    response = client.post(mapping_url, data={"col_name": "", "col_postcode": "1"})
    assert "Choose the column that holds the organisation's name" in error_messages(page(response))
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_a_non_csv_upload_is_refused_with_a_reason(signed_in):
    client, _ = signed_in("coordinator")
    response = _upload(client, b"%PDF-1.4", filename="list.pdf")
    assert "The file must be a CSV file (ending .csv)" in error_messages(page(response))


def test_upload_names_cannot_reach_other_files(signed_in):
    client, _ = signed_in("coordinator")
    assert client.get("/organisations/import/..%2F..%2Fetc%2Fpasswd").status_code == 404


# --- The command line --------------------------------------------------------------------------

def test_the_command_prints_a_one_line_json_summary_and_writes_the_report(app, tmp_path):
    source = tmp_path / "orgs.csv"
    source.write_bytes(MESSY.encode("cp1252"))
    report = tmp_path / "report.csv"
    result = app.test_cli_runner().invoke(args=["organisations", "import", str(source), "--operates-in", "E08000001",
                                                "--report", str(report)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary == {"rows": 12, "created": 6, "updated": 2, "reported": 4}
    assert len(list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))) == 4
    assert "E08000001" in _by_name("Nowhere Group").operates_in_codes


def test_practice_areas_in_a_file_may_use_any_local_or_national_word(app):
    from coordination.terminology.demo import seed

    seed(None)
    _, summary = _run("Name,Practice areas\r\nSelf Care Circle,self care; Peer Support\r\nKnit Club,knitting\r\n")
    circle = _by_name("Self Care Circle")
    assert sorted(c.pref_label for c in circle.practice_areas) == ["Peer support", "Supported self-management"]
    assert summary.reported == 1 and "Practice area knitting is not in the list of terms" in summary.report[0]["reason"]
