"""Coordinator screens, the partner's read-only view, and agreement between list, map and exports."""

import csv
import io
import json

import pytest
from sqlalchemy import select

from coordination.audit import AuditEntry
from coordination.extensions import db
from coordination.organisations.models import Organisation, OrganisationStatus
from tests.conftest import error_messages, page


def _form(**overrides):
    data = {
        "name": "Leigh Carers Café",
        "org_type": "community_group",
        "description": "Coffee and advice",
        "charity_number": "",
        "company_number": "",
        "website": "leighcarers.org.uk",
        "email": "",
        "phone": "01942 000000",
        "address": "",
        "postcode": "wn7 1aa",
        "operates_in": ["E08000010"],
    }
    data.update(overrides)
    return data


def test_a_coordinator_adds_an_organisation_and_it_is_located_and_audited(signed_in):
    client, user = signed_in("coordinator")
    response = client.post("/organisations/new", data=_form(postcode="M1 1AD"))
    assert response.status_code == 302
    org = db.session.scalar(select(Organisation))
    assert org.website == "https://leighcarers.org.uk" and org.borough_code == "E08000003"
    assert org.operates_in_codes == ["E08000010"] and org.created_by_id == user.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.created"))
    assert entry.actor_id == user.id and entry.after["name"] == "Leigh Carers Café"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "Enter the organisation's name"),
        ("charity_number", "12", "Charity number 12 is not in the right format"),
        ("company_number", "ABC", "Company number ABC is not in the right format"),
        ("phone", "12345", "Phone number 12345 is not a UK phone number"),
        ("website", "javascript:alert(1)", "must start with http:// or https://"),
        ("postcode", "M1", "Postcode is too short"),
    ],
)
def test_bad_details_get_a_specific_message_and_keep_what_was_typed(signed_in, field, value, message):
    client, _ = signed_in("coordinator")
    response = client.post("/organisations/new", data=_form(**{field: value, "description": "Kept text"}))
    soup = page(response)
    assert any(message in m for m in error_messages(soup)), error_messages(soup)
    assert soup.select_one("#description").get_text() == "Kept text"
    assert db.session.scalar(select(Organisation)) is None


def test_a_charity_number_cannot_belong_to_two_organisations(signed_in, create_organisation):
    create_organisation(name="First", charity_number="1123456")
    client, _ = signed_in("coordinator")
    response = client.post("/organisations/new", data=_form(charity_number="1123456"))
    assert "First already has charity number 1123456" in error_messages(page(response))


def test_editing_changes_the_record_and_audits_before_and_after(signed_in, create_organisation):
    org = create_organisation(name="Old Name")
    client, _ = signed_in("coordinator")
    assert client.get(f"/organisations/{org.id}/edit").status_code == 200
    response = client.post(f"/organisations/{org.id}/edit", data=_form(name="New Name", postcode=""))
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.name == "New Name"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.updated"))
    assert entry.before["name"] == "Old Name" and entry.after["name"] == "New Name"


def test_closing_twice_is_harmless_and_reopening_works(signed_in, create_organisation):
    org = create_organisation()
    client, _ = signed_in("coordinator")
    client.post(f"/organisations/{org.id}/close")
    second = client.post(f"/organisations/{org.id}/close", follow_redirects=True)
    assert "already closed" in second.get_data(as_text=True)
    db.session.refresh(org)
    assert org.status == OrganisationStatus.CLOSED
    client.post(f"/organisations/{org.id}/reopen")
    db.session.refresh(org)
    assert org.status == OrganisationStatus.ACTIVE


def test_merging_fills_gaps_joins_boroughs_and_closes_the_duplicate(signed_in, create_organisation):
    keep = create_organisation(name="Bolton Carers", email="", operates_in=["E08000001"])
    duplicate = create_organisation(
        name="Bolton Carers Centre",
        charity_number="1123456",
        email="a@example.org",
        operates_in=["E08000002"],
        postcode="BL1 1RU",
    )
    client, _ = signed_in("coordinator")
    listing = page(client.get(f"/organisations/{keep.id}/merge"))
    assert listing.select_one("h1")
    response = client.post(f"/organisations/{keep.id}/merge", data={"duplicate_id": duplicate.id})
    assert response.status_code == 302
    db.session.refresh(keep)
    db.session.refresh(duplicate)
    assert keep.charity_number == "1123456" and keep.email == "a@example.org" and keep.postcode == "BL1 1RU"
    assert keep.operates_in_codes == ["E08000001", "E08000002"]
    assert duplicate.status == OrganisationStatus.CLOSED and duplicate.merged_into_id == keep.id
    assert duplicate.charity_number is None
    again = client.post(f"/organisations/{keep.id}/merge", data={"duplicate_id": duplicate.id})
    assert "already been merged" in " ".join(error_messages(page(again)))
    itself = client.post(f"/organisations/{keep.id}/merge", data={"duplicate_id": keep.id})
    assert "cannot be merged into itself" in " ".join(error_messages(page(itself)))


def test_the_list_shows_results_and_the_synonyms_searched(signed_in, create_organisation, monkeypatch):
    from coordination.organisations import queries

    create_organisation(name="Bolton Food Bank", description="food parcels")
    monkeypatch.setattr(queries, "expand_query", lambda q: ([q, "food parcels"], [], ["food parcels"]))
    client, _ = signed_in("coordinator")
    soup = page(client.get("/organisations?q=foodbank&borough=all"))
    assert (
        soup.select_one("#showing-results").get_text(" ", strip=True)
        == "Showing results for foodbank , also: food parcels"
    )
    assert [a.get_text() for a in soup.select("tbody a")] == ["Bolton Food Bank"]


def test_a_partner_sees_a_read_only_directory_for_their_borough_first(signed_in, create_organisation):
    create_organisation(name="Rochdale Group", postcode="OL16 1AA")
    create_organisation(name="Bolton Group", postcode="BL1 1RU")
    client, _ = signed_in("partner")  # Rochdale
    soup = page(client.get("/organisations"))
    assert [a.get_text() for a in soup.select("tbody a")] == ["Rochdale Group"]
    assert not soup.find("a", string="Add an organisation") and not soup.find("a", string="Import organisations")
    everyone = page(client.get("/organisations?borough=all"))
    assert len(everyone.select("tbody a")) == 2
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Bolton Group"))
    record = page(client.get(f"/organisations/{org.id}"))
    assert not record.find("a", string="Edit") and not record.select("form[action*=close]")
    assert client.post(f"/organisations/{org.id}/edit", data=_form()).status_code == 403
    assert client.post("/organisations/import").status_code == 403


def test_names_are_escaped_in_the_list(signed_in, create_organisation):
    create_organisation(name="<script>alert(1)</script>")
    client, _ = signed_in("coordinator")
    html = client.get("/organisations").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_list_map_csv_and_geojson_agree_for_the_same_filters(signed_in, create_organisation):
    create_organisation(name="Food One", description="food", postcode="BL1 1RU", operates_in=["E08000001"])
    create_organisation(name="Food Two", description="food", postcode="WA1 1UH", operates_in=["E08000001"])
    create_organisation(name="Food Three", description="food", postcode="")
    create_organisation(name="Other", description="sport", postcode="M1 1AD")
    client, _ = signed_in("coordinator")
    args = "q=food&operates_in=E08000001&borough=all"
    listed = {a.get_text() for a in page(client.get(f"/organisations?{args}")).select("tbody a")}
    exported = {
        row["name"]
        for row in csv.DictReader(
            io.StringIO(client.get(f"/organisations/export.csv?{args}").get_data(as_text=True).lstrip("\ufeff"))
        )
    }
    points = json.loads(client.get(f"/organisations/map.json?{args}").get_data())["points"]
    features = client.get(f"/api/organisations.geojson?{args}").get_json()["features"]
    assert listed == exported == {"Food One", "Food Two"}
    assert {p[3] for p in points} == {f["properties"]["name"] for f in features} == {"Food One", "Food Two"}


def test_the_map_page_links_its_points_to_the_same_filters_and_stays_on_our_host(signed_in, create_organisation):
    create_organisation(name="Mapped", postcode="BL1 1RU")
    client, _ = signed_in("coordinator")
    soup = page(client.get("/organisations/map?type=cic&borough=E08000001"))
    script = soup.select_one("script[data-clusters-url]")
    assert "type=cic" in script["data-clusters-url"] and "borough=E08000001" in script["data-clusters-url"]
    download = soup.select_one("a[download]")["href"]
    assert download.startswith("/api/organisations.geojson") and "type=cic" in download
    for tag in soup.select("script[src], link[href]"):
        url = tag.get("src") or tag.get("href")
        assert url.startswith("/"), url


def test_map_point_labels_are_inert_text(signed_in, create_organisation):
    create_organisation(name="<img src=x onerror=alert(1)> ${alert(1)} `", postcode="BL1 1RU")
    client, _ = signed_in("coordinator")
    label = json.loads(client.get("/organisations/map.json?borough=all").get_data())["points"][0][3]
    assert "<" not in label and "$" not in label and "`" not in label


def test_the_directory_map_draws_the_boundaries_in_use_from_the_configured_folder(
    app, signed_in, tmp_path, monkeypatch
):
    import shutil
    from pathlib import Path

    source = Path(app.config["BOUNDARIES_DIR"])
    for name in ("boundaries.geojson", "boundaries-light.geojson"):
        shutil.copy(source / name, tmp_path / name)
    light = tmp_path / "boundaries-light.geojson"
    light.write_text(light.read_text(encoding="utf-8").replace('"Bolton"', '"Bolton (imported)"'), encoding="utf-8")
    monkeypatch.setitem(app.config, "BOUNDARIES_DIR", str(tmp_path))
    client, _ = signed_in("coordinator")
    assert "Bolton (imported)" in client.get("/organisations/map").get_data(as_text=True)


def test_a_remembered_page_of_results_changes_as_soon_as_the_directory_does(signed_in, create_organisation):
    """The results table is rendered once per directory data version, filters and page: a change is seen
    at once (a new, a renamed and a closed organisation), and each page and filter has its own table."""
    client, _ = signed_in("coordinator")
    org = create_organisation(name="Bolton Food Bank", description="food parcels")
    for n in range(55):
        create_organisation(name=f"Wigan Food Pantry {n:02d}", description="food")

    def names(url):
        return [a.get_text(strip=True) for a in page(client.get(url)).select("table a.govuk-link")]

    first = names("/organisations?q=food")
    assert len(first) == 50 and names("/organisations?q=food") == first  # the second from the cache
    second = names("/organisations?q=food&page=2")
    assert len(second) == 6 and not set(second) & set(first)
    create_organisation(name="Leigh Food Club", description="food")
    assert "Leigh Food Club" in names("/organisations?q=food") + names("/organisations?q=food&page=2")
    client.post(f"/organisations/{org.id}/edit", data=_form(name="Bolton Community Pantry", description="food"))
    everything = names("/organisations?q=food") + names("/organisations?q=food&page=2")
    assert "Bolton Community Pantry" in everything and "Bolton Food Bank" not in everything
    client.post(f"/organisations/{org.id}/close")
    assert "Bolton Community Pantry" not in names("/organisations?q=food") + names("/organisations?q=food&page=2")
    assert names("/organisations?q=food&status=any&page=2") != second  # another filter, another table


def test_the_record_names_its_practice_areas_as_its_borough_does_and_follows_the_vocabulary(
    signed_in, create_organisation, create_concept
):
    """The record's practice areas come from the names remembered per vocabulary version: in the record's
    borough's words, in order, and changed as soon as a local name is agreed."""
    from coordination.terminology import operations as terms
    from coordination.terminology.models import LabelKind, LabelStatus

    ssm, peer = create_concept("Supported self-management"), create_concept("Peer support")
    create_concept("Befriending")  # not this record's
    org = create_organisation(
        name="Bolton Carers Circle", postcode="BL1 1RU", practice_areas=[peer.id, ssm.id], operates_in=["E08000001"]
    )
    client, _ = signed_in("coordinator")

    def shown():
        rows = page(client.get(f"/organisations/{org.id}")).select(".govuk-summary-list__row")
        row = next(r for r in rows if r.select_one("dt").get_text(strip=True) == "Practice areas")
        return row.select_one("dd").get_text(strip=True)

    assert shown() == "Peer support, Supported self-management"
    terms.add_label(
        ssm, kind=LabelKind.LOCAL, text="looking after yourself", borough_code="E08000001",
        status=LabelStatus.AGREED, proposed_by="Bolton CVS",
    )  # fmt: skip
    assert shown() == "Peer support, Looking after yourself (supported self-management)"
    terms.add_label(
        peer, kind=LabelKind.LOCAL, text="mutual aid", borough_code="E08000009",
        status=LabelStatus.AGREED, proposed_by="Trafford",
    )  # fmt: skip
    assert shown() == "Peer support, Looking after yourself (supported self-management)"  # Trafford's words


def test_the_map_pages_total_follows_the_directory(signed_in, create_organisation):
    client, _ = signed_in("coordinator")
    create_organisation(name="Salford Lads Club", description="boxing", postcode="M5 3LH")

    def status():
        return page(client.get("/organisations/map?q=boxing")).select_one("#map-status").get_text(" ", strip=True)

    assert status().startswith("1 organisation matches;")
    assert status().startswith("1 organisation matches;")  # remembered
    create_organisation(name="Eccles Boxing", description="boxing", postcode="M30 0BL")
    assert status().startswith("2 organisations match;")
