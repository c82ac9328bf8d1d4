"""The Charity Commission register: the full download (charity and area-of-operation tables, as text, JSON or
zipped) and a borough's single-table extract as data labs publish it."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from coordination.extensions import db
from coordination.organisations import files, importer
from coordination.organisations.models import Organisation, OrganisationType
from tests.conftest import page

FIXTURES = Path(__file__).parent / "fixtures"
ALL_TEN = [f"E08{n:06d}" for n in range(1, 11)]


def _raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, _raw(name))
    return buffer.getvalue()


def _import(upload, **kwargs):
    return importer.import_organisations(upload, importer.mapping_for(upload), **kwargs)


def _charity(number: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.charity_number == number))


def _full_download(kind: str = "txt") -> files.Upload:
    upload = files.read_file(_raw(f"publicextract.charity.{kind}"), f"publicextract.charity.{kind}")
    files.add_areas(upload, files.read_table(_raw(f"publicextract.charity_area_of_operation.{kind}"), kind))
    return upload


def test_the_full_download_keeps_main_registered_charities_here_and_reads_their_details(app):
    upload = _full_download()
    assert upload.register and upload.file_format == "Charity Commission register (Tab-separated text)"
    summary = _import(upload)
    assert (summary.rows, summary.created, summary.refused, summary.skipped) == (8, 5, 0, 3)
    assert summary.skipped_reasons == {
        "a linked charity (part of a main charity, which is imported instead)": 1,
        "removed from the register": 1,
        "not based in or working in the chosen Greater Manchester boroughs": 1,
    }
    food = _charity("1012345")
    assert food.name == "BOLTON FOOD PARTNERSHIP" and food.org_type == OrganisationType.CHARITABLE_COMPANY
    assert food.registered_on.isoformat() == "2005-06-14" and food.company_number == "05123456"
    assert food.website == "https://www.boltonfood.org.uk" and food.email == "hello@boltonfood.org.uk"
    assert food.phone == "01204 496000" and food.address == "12 Bradshawgate, Bolton"
    assert food.borough_code == "E08000001" and food.operates_in_codes == ["E08000001"]
    # The register's text files are not quoted: a quote mark in the activities is just a character.
    assert food.description == 'Food parcels and a "pay as you feel" cafe for families in Bolton.'
    music = _charity("1180001")
    assert music.org_type == OrganisationType.REGISTERED_CHARITY and music.org_type_text == "CIO"
    assert music.company_number == "CE012345" and music.operates_in_codes == ["E08000003", "E08000006"]
    befriending = _charity("502345")
    assert befriending.org_type_text == "Previously excepted" and befriending.operates_in_codes == ALL_TEN
    # Based in London, working in Stockport: kept, and where it works is recorded.
    assert _charity("1150001").operates_in_codes == ["E08000007"]
    assert _charity("1160002") is None and _charity("1099999") is None


def test_choosing_boroughs_keeps_only_charities_based_or_working_there(app):
    summary = _import(_full_download(), only_boroughs=["Wigan"])
    assert summary.created == 2
    assert {o.charity_number for o in db.session.scalars(select(Organisation))} == {"502345", "1170003"}


@pytest.mark.parametrize("kind", ["txt", "json"])
def test_reimporting_the_register_changes_nothing(app, kind):
    _import(_full_download(kind))
    again = _import(_full_download(kind))
    assert again.created == again.updated == again.changes == 0 and again.unchanged == again.rows - again.skipped


def test_the_json_download_reads_like_the_text_one(app):
    summary = _import(_full_download("json"))
    assert summary.created == 3 and summary.skipped == 2
    assert _charity("1012345").registered_on.isoformat() == "2005-06-14"
    assert _charity("502345").operates_in_codes == ALL_TEN


def test_the_zipped_tables_are_read_as_downloaded(app):
    upload = files.read_file(_zip("publicextract.charity.txt"), "publicextract.charity.zip")
    files.add_areas(upload, files.read_table(_zip("publicextract.charity_area_of_operation.txt"), "areas.zip"))
    assert _import(upload).created == 5
    both = files.read_file(_zip("publicextract.charity.txt", "publicextract.charity_area_of_operation.txt"))
    assert both.areas is not None and both.areas["1180001"] == {"E08000003", "E08000006"}


def test_the_area_table_on_its_own_is_refused_with_what_to_do():
    with pytest.raises(files.ImportFailed, match="area-of-operation table"):
        files.read_file(_raw("publicextract.charity_area_of_operation.txt"))


# --- A borough's extract, as a data lab publishes it --------------------------------------------


def test_a_real_looking_borough_extract_imports_every_organisation_and_reimporting_changes_nothing(app):
    raw = _raw("bolton-register-extract.csv")
    upload = files.read_file(raw, "bolton.csv")
    assert upload.register and upload.headers[0] == "Column 1"
    summary = _import(upload, operates_in=["Bolton"])
    assert summary.rows == 40 and summary.refused == 0 and summary.skipped == 2
    organisations = {cells[1] for _, cells in upload.rows} - {"1001040"}  # the removed one is not an organisation
    stored = {o.charity_number for o in db.session.scalars(select(Organisation))}
    assert organisations == stored  # every organisation in the file is in the directory (over 99%)
    assert summary.created == len(organisations)
    # Every dropped value has a warning naming the field, the value and the rule.
    warnings = [item for item in summary.report if item["outcome"] == "warning"]
    assert {(w["field"], w["value"]) for w in warnings} >= {
        ("Email", "books at example.org"),
        ("Website", "not a website"),
        ("Postcode", "BL1"),
    }
    assert all(w["field"] and w["message"] for w in warnings)
    # NA, --, N/A, . and 0 were blanks, not errors; CE numbers and odd types were understood.
    refugees = _charity("1180003")
    assert refugees.company_number == "CE000571" and refugees.phone is None
    assert refugees.address == "Unit 2, Mere Hall Street, Bolton"  # the duplicate's bare town did not replace it
    assert _charity("509876").org_type_text == "Previously excepted"
    assert _charity("1001016").company_number == "01512345"
    assert _charity("1001015").name == "THE OCTAGON THEATRE TRUST"  # a duplicate row does not rename it
    assert _charity("1001001").address == "Spa Road, Bolton"
    again = _import(files.read_file(raw, "bolton.csv"), operates_in=["Bolton"])
    assert (again.created, again.updated, again.changes, again.refused) == (0, 0, 0, 0)
    assert again.unchanged == 38


def test_the_register_command_imports_both_tables_and_prints_json(app, tmp_path):
    charity = tmp_path / "publicextract.charity.zip"
    charity.write_bytes(_zip("publicextract.charity.txt"))
    areas = tmp_path / "publicextract.charity_area_of_operation.zip"
    areas.write_bytes(_zip("publicextract.charity_area_of_operation.txt"))
    result = app.test_cli_runner().invoke(
        args=[
            "organisations",
            "import-register",
            str(charity),
            str(areas),
            "--borough",
            "Bolton",
            "--borough",
            "Salford",
        ]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["created"] == 3 and summary["skipped"] == 5 and summary["refused"] == 0


def test_the_register_command_refuses_an_ordinary_spreadsheet(app, tmp_path):
    other = tmp_path / "groups.csv"
    other.write_text("Name\nA Group\n")
    result = app.test_cli_runner().invoke(args=["organisations", "import-register", str(other)])
    assert result.exit_code == 1 and "registered_charity_number" in result.output


def test_the_web_import_takes_the_register_with_its_area_table(signed_in):
    client, _ = signed_in("coordinator")
    response = client.post(
        "/organisations/import",
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(_zip("publicextract.charity.txt")), "publicextract.charity.zip"),
            "areas_file": (io.BytesIO(_zip("publicextract.charity_area_of_operation.txt")), "aoo.zip"),
        },
    )
    assert response.status_code == 302, page(response).get_text()
    preview = page(client.get(response.headers["Location"]))
    assert "Charity Commission register" in preview.select_one("#register-note").get_text()
    form = {
        select["name"]: (select.select_one("option[selected]") or {"value": ""})["value"]
        for select in preview.select("select")
    }
    result = client.post(response.headers["Location"], data={**form, "only_boroughs": ["E08000001"]})
    finished = page(client.get(result.headers["Location"]))
    assert finished.select_one('[data-count="created"]').get_text() == "2"
    assert "removed from the register" in finished.select_one("#skipped-reasons").get_text()


def test_an_area_table_with_an_ordinary_spreadsheet_is_refused_on_its_own_field(signed_in):
    from tests.conftest import error_messages

    client, _ = signed_in("coordinator")
    response = client.post(
        "/organisations/import",
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(b"Name\nA Group\n"), "groups.csv"),
            "areas_file": (io.BytesIO(_raw("publicextract.charity_area_of_operation.txt")), "aoo.txt"),
        },
    )
    assert response.status_code == 200
    soup = page(response)
    assert any("goes with the Charity Commission register" in m for m in error_messages(soup))
    assert soup.select_one("#areas_file-error") is not None


def test_a_quoted_tab_separated_copy_of_the_register_is_read_with_its_quotes_removed(app):
    raw = (
        b'"registered_charity_number"\t"linked_charity_number"\t"charity_name"\t"charity_activities"\n'
        b'"1012345"\t0\t"BOLTON FOOD"\t"Food and a ""pay as you feel"" cafe"\n'
    )
    upload = files.read_file(raw, "bolton.tsv")
    assert upload.register and upload.rows[0][1][2] == "BOLTON FOOD"
    _import(upload)
    assert _charity("1012345").description == 'Food and a "pay as you feel" cafe'
