"""Open data: bearer tokens (issued once, stored hashed, revocable), GeoJSON and Open Referral paging."""

from sqlalchemy import select

from coordination.extensions import db
from coordination.organisations.models import ApiToken
from tests.conftest import page

API = ["/api/organisations.geojson", "/api/openreferral/organizations"]


def _issue(client, name="Bolton CVS website") -> str:
    soup = page(client.post("/organisations/api-tokens", data={"name": name}))
    return soup.select_one("#api-token")["value"]


def test_anonymous_api_calls_get_a_401_json(client):
    for url in API:
        response = client.get(url)
        assert response.status_code == 401 and response.is_json and "Bearer" in response.get_json()["error"]


def test_a_contributor_cannot_use_the_api(signed_in):
    client, _ = signed_in("contributor")
    assert client.get(API[0]).status_code == 403


def test_a_token_is_shown_once_stored_hashed_and_works_until_revoked(app, signed_in, create_organisation):
    create_organisation(name="Open Org", postcode="BL1 1RU", charity_number="1123456")
    client, _ = signed_in("coordinator")
    secret = _issue(client)
    token = db.session.scalar(select(ApiToken))
    assert secret not in (token.token_hash, token.prefix) and len(token.token_hash) == 64
    assert secret not in client.get("/organisations/api-tokens").get_data(as_text=True)
    outsider = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    response = outsider.get(API[0], headers=headers)
    assert response.status_code == 200
    feature = response.get_json()["features"][0]
    assert feature["properties"]["charity_number"] == "1123456"
    assert feature["properties"]["borough_name"] == "Bolton"
    assert outsider.get(API[0], headers={"Authorization": "Bearer gmvcse_wrong"}).status_code == 401
    client.post(f"/organisations/api-tokens/{token.id}/revoke")
    assert outsider.get(API[0], headers=headers).status_code == 401


def test_geojson_features_carry_identifiers_boroughs_and_practice_areas(signed_in, create_organisation, create_concept):
    concept = create_concept("Supported self-management")
    org = create_organisation(
        name="Tagged",
        postcode="WA1 1UH",
        company_number="01234567",
        operates_in=["E08000009"],
        practice_areas=[concept.id],
    )
    client, _ = signed_in("partner")
    props = client.get(API[0] + "?borough=all").get_json()["features"][0]["properties"]
    assert props["id"] == org.id and props["company_number"] == "01234567"
    assert props["borough_code"] is None and props["operates_in"] == [{"code": "E08000009", "name": "Trafford"}]
    assert props["practice_areas"] == ["Supported self-management"]


def test_open_referral_pages_use_the_standard_fields(signed_in, create_organisation):
    for n in range(5):
        create_organisation(name=f"Org {n}", postcode="BL1 1RU", charity_number=f"112345{n}")
    client, _ = signed_in("coordinator")
    body = client.get(API[1] + "?page=2&per_page=2").get_json()
    assert {
        k: body[k] for k in ("total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty")
    } == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 2,
        "size": 2,
        "first_page": False,
        "last_page": False,
        "empty": False,
    }
    org = body["contents"][0]
    assert org["name"] == "Org 2" and org["organization_identifiers"][0]["identifier_scheme"] == "GB-CHC"
    assert org["locations"][0]["addresses"][0]["postal_code"] == "BL1 1RU"
    assert org["locations"][0]["latitude"]
    beyond = client.get(API[1] + "?page=9").get_json()
    assert beyond["empty"] is True and beyond["contents"] == []


def test_a_token_needs_a_name(signed_in):
    client, _ = signed_in("coordinator")
    soup = page(client.post("/organisations/api-tokens", data={"name": ""}))
    assert "Enter a name for the token" in soup.select_one(".govuk-error-summary").get_text()


def test_bearer_token_callers_are_rate_limited_per_token(app, client):
    """Issue 15: the bearer-token API counts requests per token (guessed tokens too)."""
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [
            client.get("/api/organisations.geojson", headers={"Authorization": "Bearer guess"}).status_code
            for _ in range(4)
        ]
        other = client.get("/api/organisations.geojson", headers={"Authorization": "Bearer another"}).status_code
    finally:
        app.config["API_RATE_LIMIT"] = "120 per minute"
    assert statuses == [401, 401, 401, 429] and other == 401


def test_exports_and_open_referral_carry_org_ids_for_every_register(app, signed_in, create_organisation):
    import csv
    import io

    create_organisation(name="Scottish Org", charity_number="SC012345")
    create_organisation(name="Irish Org", charity_number="NIC100002")
    create_organisation(name="Company Org", company_number="CE000571")
    client, _ = signed_in("coordinator")
    rows = {
        r["name"]: r
        for r in csv.DictReader(
            io.StringIO(client.get("/organisations/export.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    }
    assert rows["Scottish Org"]["org_id"] == "GB-SC-SC012345"
    assert rows["Irish Org"]["org_id"] == "GB-NIC-100002"
    assert rows["Company Org"]["org_id"] == "GB-COH-CE000571"
    orgs = {o["name"]: o for o in client.get("/api/openreferral/organizations").get_json()["contents"]}
    irish = orgs["Irish Org"]["organization_identifiers"][0]
    assert (irish["identifier_scheme"], irish["identifier"]) == ("GB-NIC", "100002")
    assert orgs["Irish Org"]["x_org_id"] == "GB-NIC-100002"
