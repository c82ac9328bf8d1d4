"""Concept pages: everyone reads, speaking locally; the coordinator manages names, links and unfound searches."""

import pytest
from sqlalchemy import select

from coordination.audit import AuditEntry
from coordination.extensions import db
from coordination.terminology.models import ConceptLabel, ConceptRelation, LabelStatus, UnfoundSearch
from coordination.terminology.search import record_zero_result
from tests.conftest import error_messages, page


@pytest.mark.parametrize("role", ["coordinator", "finance", "partner", "contributor"])
def test_every_role_reads_the_practice_areas(signed_in, vocabulary, role):
    client, _ = signed_in(role)
    soup = page(client.get("/terms"))
    names = [a.get_text(strip=True) for a in soup.select("tbody a")]
    assert "Self-care (supported self-management)" in names and len(names) == 7
    concept = vocabulary["Supported self-management"]
    soup = page(client.get(f"/terms/{concept.id}"))
    assert soup.h1.get_text(strip=True) == "Self-care (supported self-management)"
    assert bool(soup.select("a[href$='/edit']")) == (role == "coordinator")


def test_a_partner_sees_their_boroughs_words_first(signed_in, vocabulary):
    from coordination.terminology import operations

    operations.add_label(
        vocabulary["Social prescribing"],
        kind="local",
        text="Community connecting",
        borough_code="E08000005",
        status="agreed",
        proposed_by="Rochdale CVS",
    )
    client, _ = signed_in("partner")  # Rochdale
    soup = page(client.get("/terms"))
    assert "Community connecting (social prescribing)" in [a.get_text(strip=True) for a in soup.select("tbody a")]
    soup = page(client.get("/terms?borough="))
    assert "Social prescribing" in [a.get_text(strip=True) for a in soup.select("tbody a")]


def test_the_coordinator_adds_a_concept_and_bad_input_is_explained(signed_in, vocabulary):
    client, _ = signed_in("coordinator")
    assert error_messages(page(client.post("/terms/new", data={"pref_label": ""}))) == ["Enter the national name"]
    soup = page(client.post("/terms/new", data={"pref_label": "Self Care"}))
    assert error_messages(soup) == ["‘Self Care’ is already a name of ‘Supported self-management’"]
    assert soup.select_one("#pref_label")["value"] == "Self Care"
    response = client.post("/terms/new", data={"pref_label": "Befriending", "definition": "Regular friendly contact."})
    assert response.status_code == 302
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "terminology.concept_created"))


def test_the_coordinator_changes_a_concept_on_the_same_form(signed_in, vocabulary):
    client, _ = signed_in("coordinator")
    concept = vocabulary["Peer support"]
    soup = page(client.get(f"/terms/{concept.id}/edit"))
    assert soup.select_one("#pref_label")["value"] == "Peer support"
    soup = page(client.post(f"/terms/{concept.id}/edit", data={"pref_label": "Self Care"}))
    assert error_messages(soup) == ["‘Self Care’ is already a name of ‘Supported self-management’"]
    response = client.post(
        f"/terms/{concept.id}/edit", data={"pref_label": "Peer support", "definition": "Mutual aid."}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/terms/{concept.id}")
    db.session.refresh(concept)
    assert concept.definition == "Mutual aid."


def test_the_coordinator_proposes_then_agrees_a_local_name_with_its_provenance(signed_in, vocabulary):
    client, _ = signed_in("coordinator")
    concept = vocabulary["Peer support"]
    soup = page(
        client.post(
            f"/terms/{concept.id}/names/new",
            data={"kind": "local", "text": "buddying", "area": "E08000010", "status": "proposed"},
        )
    )
    assert error_messages(soup) == ["Enter who proposed this local name"]
    response = client.post(
        f"/terms/{concept.id}/names/new",
        data={
            "kind": "local",
            "text": "buddying",
            "area": "E08000010",
            "status": "proposed",
            "proposed_by": "Wigan CVS",
            "evidence": "Partner meeting, October",
            "proposed_on": ["3", "10", "2026"],
        },
    )
    assert response.status_code == 302
    label = db.session.scalar(select(ConceptLabel).where(ConceptLabel.text == "buddying"))
    assert (label.borough_code, label.status, label.proposed_by, str(label.proposed_on)) == (
        "E08000010",
        LabelStatus.PROPOSED,
        "Wigan CVS",
        "2026-10-03",
    )
    client.post(f"/terms/names/{label.id}/agree")
    db.session.expire_all()
    assert label.status == LabelStatus.AGREED
    soup = page(client.get(f"/terms/{concept.id}?borough=E08000010"))
    assert soup.h1.get_text(strip=True) == "Buddying (peer support)"
    again = client.post(f"/terms/names/{label.id}/agree", follow_redirects=True)
    assert "was already agreed" in again.get_data(as_text=True)


def test_the_coordinator_adds_and_removes_other_names_and_links(signed_in, vocabulary):
    client, _ = signed_in("coordinator")
    concept, other = vocabulary["Peer support"], vocabulary["Demonstrating impact"]
    client.post(f"/terms/{concept.id}/names/new", data={"kind": "hidden", "text": "per support"})
    label = db.session.scalar(select(ConceptLabel).where(ConceptLabel.text == "per support"))
    client.post(f"/terms/names/{label.id}/remove")
    assert db.session.scalar(select(ConceptLabel).where(ConceptLabel.text == "per support")) is None
    client.post(f"/terms/{concept.id}/links/new", data={"kind": "narrower", "other": str(other.id)})
    relation = db.session.scalar(select(ConceptRelation).where(ConceptRelation.source_id == other.id))
    assert relation.target_id == concept.id
    soup = page(client.post(f"/terms/{other.id}/links/new", data={"kind": "narrower", "other": str(concept.id)}))
    assert error_messages(soup) == ["‘Demonstrating impact’ and ‘Peer support’ are already linked that way"]
    soup = page(client.get(f"/terms/{other.id}"))
    assert "Peer support" in soup.get_text()
    client.post(f"/terms/links/{relation.id}/remove", data={"concept_id": concept.id})
    assert db.session.get(ConceptRelation, relation.id) is None


def test_the_coordinator_turns_an_unfound_search_into_a_name_in_one_click(signed_in, vocabulary):
    client, _ = signed_in("coordinator")
    record_zero_result("expert patients")
    record_zero_result("expert patients")
    record_zero_result("zzz")
    soup = page(client.get("/terms/unfound"))
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")[:2]] for tr in soup.select("tbody tr")]
    assert rows == [["expert patients", "2"], ["zzz", "1"]]
    unfound = db.session.scalar(select(UnfoundSearch).where(UnfoundSearch.words == "expert patients"))
    concept = vocabulary["Supported self-management"]
    response = client.post(
        f"/terms/unfound/{unfound.id}/add", data={"concept_id": concept.id, "kind": "alt"}, follow_redirects=True
    )
    assert "is now a name of ‘Supported self-management’" in response.get_data(as_text=True)
    assert "expert patients" in [label.text for label in concept.alt_labels]
    other = db.session.scalar(select(UnfoundSearch))
    response = client.post(f"/terms/unfound/{other.id}/add", data={"concept_id": ""}, follow_redirects=True)
    assert "Choose the practice area" in response.get_data(as_text=True)
    client.post(f"/terms/unfound/{other.id}/dismiss")
    assert db.session.scalar(select(UnfoundSearch)) is None


def test_the_download_links_give_skos_files(signed_in, vocabulary):
    client, _ = signed_in("contributor")
    response = client.get("/terms/export.ttl")
    assert response.mimetype == "text/turtle" and "skos:Concept" in response.get_data(as_text=True)
    assert "attachment" in response.headers["Content-Disposition"]
    assert client.get("/terms/export.jsonld").mimetype == "application/ld+json"


def test_the_display_label_is_available_to_every_template(app, vocabulary):
    from flask import render_template_string

    concept = vocabulary["Supported self-management"]
    with app.test_request_context():
        text = render_template_string("{{ display_label(c, 'E08000005') }}|{{ c | concept_label }}", c=concept)
    assert text == "Self-care (supported self-management)|Self-care (supported self-management)"


def test_a_practice_area_is_removed_only_when_no_organisation_is_tagged_with_it(
    signed_in, vocabulary, create_organisation
):
    from coordination.terminology.models import Concept

    client, _ = signed_in("coordinator")
    peer, impact = vocabulary["Peer support"], vocabulary["Demonstrating impact"]
    create_organisation("Rochdale Peers", "Peer-led groups.", practice_areas=[peer])
    response = client.post(f"/terms/{peer.id}/remove", follow_redirects=True)
    assert "1 organisation is tagged with ‘Peer support’" in response.get_data(as_text=True)
    assert db.session.get(Concept, peer.id) is not None
    client.post(f"/terms/{impact.id}/links/new", data={"kind": "related", "other": str(peer.id)})
    response = client.post(f"/terms/{impact.id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Concept, impact.id) is None
    assert db.session.scalar(select(ConceptRelation)) is not None  # the seeded links between the others remain
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "terminology.concept_deleted"))
