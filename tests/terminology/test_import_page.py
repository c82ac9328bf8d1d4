"""Importing SKOS from the Terms pages: a preview of what would change, nothing saved until confirmed."""

import io

from coordination.extensions import db
from coordination.terminology.models import Concept
from tests.conftest import page

TURTLE = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://example.org/pa/peer> a skos:Concept ; skos:prefLabel "Peer support"@en-GB ;
    skos:altLabel "Mutual aid"@en-GB .
<https://example.org/pa/ssm> a skos:Concept ; skos:prefLabel "Supported self-management"@en-GB ;
    skos:altLabel "Self-care"@en-GB ; skos:related <https://example.org/pa/peer> .
"""


def _upload(client, text, name="areas.ttl"):
    return client.post(
        "/terms/import", data={"file": (io.BytesIO(text.encode("utf-8")), name)}, content_type="multipart/form-data"
    )


def test_the_preview_says_what_would_change_and_saves_nothing(signed_in):
    client, _ = signed_in("coordinator")
    soup = page(_upload(client, TURTLE))
    assert soup.h1.get_text(strip=True) == "Check what the import would change"
    values = [dd.get_text(strip=True) for dd in soup.select("#import-summary dd")]
    assert values == ["2", "0", "2", "1"]
    assert "Peer support" in soup.get_text() and "Self-care (Supported self-management)" in soup.get_text()
    assert db.session.query(Concept).count() == 0
    token = soup.select_one("input[name=token]")["value"]
    response = client.post("/terms/import/confirm", data={"token": token})
    assert response.status_code == 302
    assert sorted(c.pref_label for c in db.session.query(Concept)) == ["Peer support", "Supported self-management"]
    # The same file again changes nothing, and the page says so.
    again = page(_upload(client, TURTLE))
    assert again.select_one("#no-changes") is not None
    assert again.select_one("#confirm-import").has_attr("disabled")


def test_a_file_that_is_not_skos_gets_a_specific_message(signed_in):
    client, _ = signed_in("coordinator")
    soup = page(_upload(client, "this is { not turtle"))
    errors = soup.select(".govuk-error-message")
    assert errors and "could not be read as SKOS" in errors[0].get_text()
    assert db.session.query(Concept).count() == 0


def test_a_file_that_is_not_utf8_or_has_the_wrong_ending_is_refused(signed_in):
    client, _ = signed_in("coordinator")
    soup = page(
        client.post(
            "/terms/import",
            data={"file": (io.BytesIO("é".encode("latin-1")), "a.ttl")},
            content_type="multipart/form-data",
        )
    )
    assert "UTF-8" in soup.select_one(".govuk-error-message").get_text()
    soup = page(_upload(client, TURTLE, name="areas.docx"))
    assert "must be Turtle" in soup.select_one(".govuk-error-message").get_text()


def test_an_unknown_token_is_not_found(signed_in):
    client, _ = signed_in("coordinator")
    assert client.post("/terms/import/confirm", data={"token": "../../etc/passwd"}).status_code == 404
    assert client.post("/terms/import/confirm", data={"token": "abc"}).status_code == 404
