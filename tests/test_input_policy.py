"""Issue 15: one input policy for forms, search boxes, CSV cells and imports, the same on SQLite and
PostgreSQL (where a NUL byte used to reach the database and give a 500)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import SKOS, Graph, Literal, URIRef
from sqlalchemy import select

from coordination.extensions import db
from coordination.organisations import importer
from coordination.organisations.models import Organisation
from coordination.terminology import skos
from coordination.text import clean, problem, unstorable_characters
from tests.claims.conftest import make_claim, quick_user  # noqa: F401 (fixtures)
from tests.conftest import error_messages, page

NASTY = ["a\x00b", "form\x0cfeed", "record\x1esep", "esc\x1b", "\ud800 lone"]
KEPT = ["line\u2028separator", "next\x85line", "para\u2029graph", "tab\tand\nnewline\r", "emoji 😀", "del\x7f"]


@pytest.mark.parametrize("value", NASTY)
def test_the_policy_refuses_what_postgresql_or_xml_cannot_store(value):
    assert unstorable_characters(value) and problem("Name", value).startswith("Name contains a character")
    assert not unstorable_characters(clean(value))


@pytest.mark.parametrize("value", KEPT)
def test_the_policy_keeps_ordinary_text_and_separators(value):
    assert problem("Name", value) is None and clean(value) == value


def test_a_nul_in_the_sign_in_form_gets_a_message_not_a_500(client):
    response = client.post("/sign-in", data={"email": "a\x00@example.org", "password": "whatever-it-is"})
    assert response.status_code == 200
    assert any("cannot be saved" in m and "U+0000" in m for m in error_messages(page(response)))


def test_a_nul_in_the_organisation_form_is_refused_and_the_rest_is_kept(signed_in):
    client, _ = signed_in("coordinator")
    response = client.post(
        "/organisations/new",
        data={
            "name": "Leigh\x00 Carers",
            "org_type": "community_group",
            "description": "Coffee and advice",
            "postcode": "wn7 1aa",
            "operates_in": ["E08000010"],
        },
    )
    assert response.status_code == 200
    soup = page(response)
    expected = "Name contains a character that cannot be saved: U+0000 (NUL)"
    assert any(m.startswith(expected) for m in error_messages(soup))
    assert soup.select_one("#description").get_text() == "Coffee and advice"
    assert db.session.scalar(select(Organisation)) is None


def test_a_nul_in_the_claim_form_is_refused_with_a_message(app, make_claim, create_user):
    from tests.conftest import sign_in

    jo = create_user("contributor")
    claim = make_claim(jo)
    client = app.test_client()
    sign_in(client, jo)
    day = date.today() - timedelta(days=2)
    response = client.post(
        f"/claims/{claim.id}/edit",
        data={
            "activity_description": "Group\x00 meeting",
            "activity_date": [str(day.day), str(day.month), str(day.year)],
        },
    )
    assert response.status_code == 200
    assert any("cannot be saved" in m for m in error_messages(page(response)))


@pytest.mark.parametrize(
    "url",
    ["/organisations?q=care%00rs", "/terms?q=%00", "/organisations/map?q=a%00b", "/api/organisations.geojson?q=%00x"],
)
def test_search_boxes_and_query_strings_drop_the_characters(signed_in, url):
    client, _ = signed_in("coordinator")
    assert client.get(url).status_code in (200, 404)


def test_a_csv_row_with_a_nul_is_reported_plainly_and_never_with_sql(app):
    upload = importer.read_csv(b"Name,Postcode\nGood Group,M1 1AD\nBad\x00 Group,M1 1AD\n")
    summary = importer.import_organisations(upload, importer.guess_mapping(upload.headers))
    # Issue 11: the organisation is kept; the character is taken out and the warning says which and where.
    assert summary.created == 2 and summary.refused == 0
    reason = next(item["message"] for item in summary.report if "cannot be saved" in (item.get("message") or ""))
    assert reason.startswith("Column \u2018Name\u2019 contains a character that cannot be saved: U+0000")
    for word in ("INSERT", "SELECT", "parameters", "sqlalchemy", "psycopg"):
        assert word not in reason


def test_a_failing_import_says_nothing_of_sql(app, monkeypatch):
    from sqlalchemy.exc import DataError

    def broken(*args, **kwargs):
        raise DataError("INSERT INTO organisation (name) VALUES (%(name)s)", {"name": "secret"}, Exception("x"))

    monkeypatch.setattr(importer, "_write", broken)
    upload = importer.read_csv(b"Name\nSome Group\n")
    with pytest.raises(importer.ImportFailed) as caught:
        importer.import_organisations(upload, importer.guess_mapping(upload.headers))
    assert "INSERT" not in str(caught.value) and "secret" not in str(caught.value)
    assert "nothing was changed" in str(caught.value)


# --- SKOS: any Unicode text survives export and re-import of the serialised form -------------------


def _round_trip(value: str, fmt: str) -> str:
    graph = Graph()
    graph.add((URIRef("https://example.org/c/1"), SKOS.prefLabel, Literal(value, lang="en-GB")))
    text = skos.serialise(graph, fmt)
    back = Graph()
    back.parse(data=text, format=fmt)
    return str(next(back.objects(URIRef("https://example.org/c/1"), SKOS.prefLabel)))


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
@pytest.mark.parametrize("value", ["before\u2028after", "a\x85b", "form\x0cfeed", "record\x1esep", "x\r\ny"])
def test_the_characters_that_broke_the_download_survive_it(fmt, value):
    # Before: canonical_nt split lines with str.splitlines(), so each of these gave a 500.
    assert _round_trip(value, fmt) == value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=40))
def test_any_unicode_text_round_trips_through_turtle_and_json_ld(value):
    assert _round_trip(value, "turtle") == value
    assert _round_trip(value, "json-ld") == value


def test_the_export_and_cli_work_when_a_stored_term_holds_the_characters(app, signed_in):
    from coordination.terminology.models import Concept

    db.session.add(Concept(uri="https://example.org/c/odd", pref_label="Odd\u2028one\x85\x0c\x1e", definition=None))
    db.session.commit()
    client, _ = signed_in("coordinator")
    assert client.get("/terms/export.ttl").status_code == 200
    assert client.get("/terms/export.jsonld").status_code == 200
    result = app.test_cli_runner().invoke(args=["terminology", "export"])
    assert result.exit_code == 0 and "Odd" in result.output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=30).filter(lambda v: v.strip() and not unstorable_characters(v)))
def test_storable_terms_round_trip_through_the_database_export_and_import(app, value):
    from coordination.terminology.models import Concept

    db.session.query(Concept).delete()
    db.session.add(Concept(uri="https://example.org/c/rt", pref_label=value))
    db.session.commit()
    text = skos.export("turtle")
    db.session.query(Concept).delete()
    db.session.commit()
    skos.import_text(text, "turtle")
    assert db.session.scalar(select(Concept.pref_label).where(Concept.uri == "https://example.org/c/rt")) == value


def test_a_skos_import_with_a_nul_is_refused_plainly(app):
    from coordination.terminology.operations import TerminologyError

    text = (
        "<https://example.org/c/n> a <http://www.w3.org/2004/02/skos/core#Concept> ; "
        '<http://www.w3.org/2004/02/skos/core#prefLabel> "bad\\u0000label"@en-GB .'
    )
    with pytest.raises(TerminologyError, match="cannot be saved: U\\+0000"):
        skos.import_text(text, "turtle")
