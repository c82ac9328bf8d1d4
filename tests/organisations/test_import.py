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


def _outcomes(summary):
    return {item["row"]: item["outcome"] for item in summary.report if item["outcome"] not in ("warning", "change")}


def _warnings(summary, row):
    return [
        (item["field"], item["value"], item["message"])
        for item in summary.report
        if item["outcome"] == "warning" and item["row"] == row
    ]


def test_a_messy_file_keeps_every_organisation_and_accounts_for_every_row(app):
    upload, summary = _run(MESSY, "cp1252")
    assert upload.encoding == "Windows-1252"
    assert summary.rows == 12 and upload.blank_lines == 1
    assert summary.created + summary.updated + summary.unchanged + summary.refused == summary.rows
    # Only the row without a name is refused; bad optional values are left out with a warning.
    assert (summary.created, summary.updated, summary.unchanged, summary.refused) == (9, 2, 0, 1)
    outcomes = _outcomes(summary)
    assert outcomes[7] == "refused"
    assert outcomes[8] == outcomes[9] == outcomes[10] == "created with warnings"
    assert outcomes[12] == "updated"
    assert _warnings(summary, 8)[0][:2] == ("Charity number", "12")
    assert "6 to 8 digits" in _warnings(summary, 8)[0][2]
    assert _warnings(summary, 9)[0][:2] == ("Boroughs it works in", "Cheshire")
    assert "cells but the header has" in _warnings(summary, 10)[0][2]
    assert _by_name("Bad Charity").charity_number is None


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


def test_a_repeated_row_fills_blanks_but_never_rewrites_the_first_rows_values(app):
    _, summary = _run(MESSY, "cp1252")
    cafe = _by_name("Café Hope")
    assert _by_name("cafe hope") is None
    assert cafe.operates_in_codes == ["E08000003", "E08000006"]
    # A padded 7-digit company number matches the 8-digit one: the duplicate fills the blank phone,
    # but the name stays the first row's (with a warning saying so).
    company = db.session.scalar(select(Organisation).where(Organisation.company_number == "01234567"))
    assert company.name == "Company Org" and company.phone == "0161 496 0002"
    assert company.postcode == "M1 1AD"
    assert any(field == "Name" for field, _, _ in _warnings(summary, 14))


def test_reimporting_the_same_file_updates_instead_of_duplicating(app):
    _run(MESSY, "cp1252")
    before = db.session.scalar(select(func.count()).select_from(Organisation))
    _, summary = _run(MESSY, "cp1252")
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == before
    assert (summary.created, summary.updated, summary.refused) == (0, 0, 1)
    assert summary.unchanged == 11 and summary.changes == 0


def test_name_and_postcode_match_an_existing_record_without_identifiers(app, create_organisation):
    existing = create_organisation(name="The Bolton Carers", postcode="BL1 1RU", email="")
    _, summary = _run("Name,Postcode,Email\nBolton Carers Ltd,bl11ru,new@example.org\n")
    assert summary.updated == 1 and summary.created == 0
    db.session.refresh(existing)
    assert existing.email == "new@example.org"


def test_a_company_number_that_belongs_to_another_record_is_left_out_with_a_warning(app, create_organisation):
    one = create_organisation(name="One", charity_number="1111111", phone="")
    create_organisation(name="Two", company_number="22222222")
    _, summary = _run("Name,Charity number,Company number,Phone\nOne,1111111,22222222,0161 496 0009\n")
    assert summary.updated == 1 and summary.refused == 0
    assert "a different record" in _warnings(summary, 2)[0][2]
    db.session.refresh(one)
    assert one.company_number is None and one.phone == "0161 496 0009"


@pytest.mark.parametrize(
    "encoding, prefix, label",
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"),
        ("cp1252", b"", "Windows-1252"),
    ],
)
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

    monkeypatch.setattr(
        importer,
        "insert",
        lambda table: (
            (_ for _ in ()).throw(RuntimeError("disk full"))
            if table is importer.OrganisationBorough
            else __import__("sqlalchemy").insert(table)
        ),
    )
    with pytest.raises(importer.ImportFailed, match="nothing was changed"):
        _run("Name,Areas served\nNew One,Bolton\nNew Two,Bury\n")
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == before
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.imported")) is None


def test_the_report_gives_every_row_an_outcome_and_every_dropped_value_a_warning(app):
    _, summary = _run(MESSY, "cp1252")
    rows = list(csv.DictReader(io.StringIO(summary.report_csv())))
    outcomes = [r for r in rows if r["outcome"] not in ("warning", "change")]
    assert sorted(int(r["row"]) for r in outcomes) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14]
    warnings = [r for r in rows if r["outcome"] == "warning"]
    assert any(
        r["row"] == "8" and r["field"] == "Charity number" and r["value"] == "12" and "digits" in r["message"]
        for r in warnings
    )
    refused = list(csv.reader(io.StringIO(importer.refused_csv(summary.headers, summary.refused_rows))))
    assert refused[0][0] == "Organisation Name" and refused[1][5] == "M1 1AD"


def test_a_file_without_a_header_is_refused_plainly():
    with pytest.raises(importer.ImportFailed, match="empty"):
        importer.read_csv(b"\n\n")


def test_column_guesses_follow_common_header_names():
    mapping = importer.guess_mapping(["Org Name", "Reg Charity No", "Post code", "Tel", "E-mail", "Town"])
    assert mapping == {"name": 0, "charity_number": 1, "postcode": 2, "phone": 3, "email": 4, "town": 5}


# --- The web journey ---------------------------------------------------------------------------


def _upload(client, data: bytes, filename="orgs.csv"):
    return client.post(
        "/organisations/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


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
    form = {
        select["name"]: (select.select_one("option[selected]") or {"value": ""})["value"]
        for select in again.select("select")
    }
    assert form["col_name"] == "0" and form["col_postcode"] == "5"
    posted = client.post(mapping_url, data=form)
    assert posted.status_code == 302 and "/organisations/imports/" in posted.headers["Location"]
    result = page(client.get(posted.headers["Location"]))
    assert result.select_one("#import-status")["data-status"] == "finished"
    assert result.select_one('[data-count="rows"]').get_text() == "12"
    assert result.select_one('[data-count="created"]').get_text() == "9"
    assert result.select_one('[data-count="refused"]').get_text() == "1"
    assert "Charity number" in result.select_one("#warnings").get_text()
    report = client.get(result.select_one("#report-link")["href"])
    assert report.status_code == 200 and "Charity number" in report.get_data(as_text=True)
    refused = client.get(result.select_one("#refused-link")["href"]).get_data(as_text=True)
    assert refused.lstrip("\ufeff").startswith("Organisation Name,")
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
    assert any(m.startswith("This is not a CSV file") for m in error_messages(page(response)))


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4 binary",
        b"\x00\x01\x02\x03binary\x00data",
        b"<!DOCTYPE html><html>",
        b"PK\x03\x04broken zip",
        b"Dear coordinator. Here is the list you asked for, I hope it helps.\nBest wishes\n",
    ],
)
def test_a_file_that_is_not_text_or_not_a_table_is_refused_at_once_even_when_named_csv(signed_in, content):
    client, _ = signed_in("coordinator")
    response = _upload(client, content, filename="list.csv")
    assert response.status_code == 200
    assert any(m.startswith("This is not a CSV file") for m in error_messages(page(response)))


def test_upload_names_cannot_reach_other_files(signed_in):
    client, _ = signed_in("coordinator")
    assert client.get("/organisations/import/..%2F..%2Fetc%2Fpasswd").status_code == 404


# --- The command line --------------------------------------------------------------------------


def test_the_command_prints_a_one_line_json_summary_and_writes_the_report(app, tmp_path):
    source = tmp_path / "orgs.csv"
    source.write_bytes(MESSY.encode("cp1252"))
    report = tmp_path / "report.csv"
    result = app.test_cli_runner().invoke(
        args=["organisations", "import", str(source), "--operates-in", "E08000001", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert {k: summary[k] for k in ("rows", "created", "updated", "unchanged", "refused")} == {
        "rows": 12,
        "created": 9,
        "updated": 2,
        "unchanged": 0,
        "refused": 1,
    }
    assert summary["created_with_warnings"] == 4 and summary["import"]
    lines = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert len([r for r in lines if r["outcome"] not in ("warning", "change")]) == 12
    assert "E08000001" in _by_name("Nowhere Group").operates_in_codes


def test_practice_areas_in_a_file_may_use_any_local_or_national_word(app):
    from coordination.terminology.demo import seed

    seed(None)
    _, summary = _run("Name,Practice areas\r\nSelf Care Circle,self care; Peer Support\r\nKnit Club,knitting\r\n")
    circle = _by_name("Self Care Circle")
    assert sorted(c.pref_label for c in circle.practice_areas) == ["Peer support", "Supported self-management"]
    knit = _by_name("Knit Club")
    assert summary.refused == 0 and knit.practice_areas == []
    assert _warnings(summary, 3) == [("Practice areas", "knitting", "Not in the list of terms: left out")]


# --- Never worse than before --------------------------------------------------------------------


def test_an_update_fills_blanks_and_lists_every_change_with_old_and_new_values(app, create_organisation):
    org = create_organisation(
        name="Hope Trust", charity_number="1123456", email="", phone="0161 496 0000", address="1 High Street, Bolton"
    )
    _, summary = _run("Name,Charity number,Email,Phone,Address\nHope Trust,1123456,hi@hope.org,0161 496 0099,Bolton\n")
    assert summary.updated == 1
    db.session.refresh(org)
    assert org.email == "hi@hope.org" and org.phone == "0161 496 0099"
    assert org.address == "1 High Street, Bolton"  # a town does not replace a full address
    changes = {(c["field"], c["value"], c["new"]) for c in summary.report if c["outcome"] == "change"}
    assert changes == {("Email", "", "hi@hope.org"), ("Phone", "0161 496 0000", "0161 496 0099")}
    assert any(w[0] == "Address" for w in _warnings(summary, 2))


def test_an_invalid_value_never_replaces_a_valid_one(app, create_organisation):
    org = create_organisation(name="Hope Trust", charity_number="1123456", email="good@hope.org")
    _, summary = _run("Name,Charity number,Email,Website\nHope Trust,1123456,not an email,NA\n")
    db.session.refresh(org)
    assert org.email == "good@hope.org" and summary.unchanged == 1 and summary.updated == 0
    assert _outcomes(summary)[2] == "unchanged with warnings"


def test_names_and_coordinators_descriptions_are_not_rewritten_by_an_import(app, create_organisation):
    org = create_organisation(name="Bolton CVS", charity_number="1001024", description="Our own words")
    _, summary = _run("Name,Charity number,Description\nBOLTON COUNCIL FOR VOLUNTARY SERVICE,1001024,Register text\n")
    db.session.refresh(org)
    assert org.name == "Bolton CVS" and org.description == "Our own words"
    assert "the name was kept" in _warnings(summary, 2)[0][2]


def test_a_specific_type_replaces_other_but_not_another_specific_type(app, create_organisation):
    other = create_organisation(name="A", charity_number="1000001", org_type="other")
    group = create_organisation(name="B", charity_number="1000002", org_type="community_group")
    _run("Name,Charity number,Type\nA,1000001,Previously excepted\nB,1000002,CIO\n")
    db.session.refresh(other)
    db.session.refresh(group)
    assert other.org_type.value == "registered_charity" and other.org_type_text == "Previously excepted"
    assert group.org_type.value == "community_group"


def test_row_numbers_are_the_records_a_spreadsheet_shows_not_physical_lines(app):
    _, summary = _run(
        'Name,Description,Email\n"Multi","line one\nline two\nline three",ok@example.org\nSecond,,bad email\n'
    )
    assert _outcomes(summary) == {2: "created", 3: "created with warnings"}
    assert _warnings(summary, 3)[0][:2] == ("Email", "bad email")


def test_an_excel_workbook_is_read_with_its_own_row_numbers(app):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Organisation name", "Charity number", "Company number", "Phone", "Registered"])
    sheet.append(["Sheet Charity", 1123456, "CE00571", "NA", None])
    sheet.append([None, None, None, None, None])
    sheet.append(["Second Sheet Group", None, None, 1614960000, None])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = importer.read_file(buffer.getvalue(), "groups.xlsx")
    assert upload.file_format.startswith("Excel workbook") and [n for n, _ in upload.rows] == [2, 4]
    summary = importer.import_organisations(upload, importer.guess_mapping(upload.headers))
    assert summary.created == 2 and summary.warnings == 0
    charity = _by_name("Sheet Charity")
    assert charity.charity_number == "1123456" and charity.company_number == "CE000571"
    assert _by_name("Second Sheet Group").phone == "0161 496 0000"


def test_an_xlsx_upload_on_the_web_goes_to_the_column_page(signed_in):
    from openpyxl import Workbook

    client, _ = signed_in("coordinator")
    book = Workbook()
    book.active.append(["Name", "Postcode"])
    book.active.append(["Workbook Group", "M1 1AD"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(client, buffer.getvalue(), filename="groups.xlsx")
    assert response.status_code == 302
    assert "Workbook Group" in page(client.get(response.headers["Location"])).get_text()


def test_org_ids_in_a_file_fill_the_identifiers(app):
    _run("Name,Org ID\nChc Org,GB-CHC-1123456\nCoh Org,GB-COH-01234567\nScot Org,GB-SC-SC012345\nOdd,XX-1\n")
    assert _by_name("Chc Org").charity_number == "1123456"
    assert _by_name("Coh Org").company_number == "01234567"
    assert _by_name("Scot Org").charity_number == "SC012345"
    assert _by_name("Odd").charity_number is None
