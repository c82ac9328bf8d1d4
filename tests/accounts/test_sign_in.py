"""Signing in and out, throttling, server-side sessions and disabled accounts."""

from coordination.accounts.models import User
from coordination.extensions import db
from tests.conftest import PASSWORD, error_messages, page, sign_in


def test_a_person_signs_in_with_email_in_any_case_and_sees_their_home_page(client, create_user):
    user = create_user("coordinator", name="Amira Hussain")
    response = client.post("/sign-in", data={"email": "  " + user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    soup = page(client.get("/"))
    assert soup.h1.get_text(strip=True) == "Hello, Amira"
    assert "Accounts" in [a.get_text(strip=True) for a in soup.select(".govuk-service-navigation__link")]


def test_a_wrong_password_and_an_unknown_account_get_the_same_message(client, create_user):
    user = create_user("contributor")
    wrong = page(client.post("/sign-in", data={"email": user.email, "password": "not the password"}))
    unknown = page(client.post("/sign-in", data={"email": "nobody@example.org", "password": "whatever12"}))
    assert error_messages(wrong) == error_messages(unknown) == ["Enter a correct email address and password"]
    assert wrong.title.get_text().startswith("Error:")


def test_empty_fields_get_specific_messages(client):
    soup = page(client.post("/sign-in", data={"email": "", "password": ""}))
    assert error_messages(soup) == ["Enter your email address", "Enter your password"]


def test_five_failures_for_an_account_from_one_address_pause_it_with_a_plain_429(client, create_user):
    user = create_user("contributor")
    for _ in range(5):
        assert client.post("/sign-in", data={"email": user.email, "password": "wrong-password"}).status_code == 200
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Wait 30 seconds" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "30"


def test_throttling_an_unknown_account_looks_the_same_as_a_real_one(client):
    for _ in range(5):
        client.post("/sign-in", data={"email": "ghost@example.org", "password": "wrong-password"})
    assert client.post("/sign-in", data={"email": "ghost@example.org", "password": "x" * 10}).status_code == 429


def test_many_failures_from_one_address_throttle_that_address_only_past_a_generous_ceiling(app, client, create_user):
    for n in range(20):
        client.post("/sign-in", data={"email": f"guess{n}@example.org", "password": "wrong-password"})
    user = create_user("coordinator")
    # 20 typos from one office address used to lock every colleague behind it out for 15 minutes.
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302
    client.post("/sign-out")
    app.config["SIGNIN_ADDRESS_CEILING"] = 20
    try:
        assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 429
    finally:
        app.config["SIGNIN_ADDRESS_CEILING"] = 200


def test_signing_in_replaces_the_session_cookie(client, create_user):
    user = create_user("coordinator")
    client.get("/sign-in")
    before = client.get_cookie("gmvcse_session")
    sign_in(client, user)
    after = client.get_cookie("gmvcse_session")
    assert after is not None and (before is None or before.value != after.value)


def test_signing_out_ends_the_session_server_side_so_a_copied_cookie_stops_working(app, client, create_user):
    user = create_user("coordinator")
    sign_in(client, user)
    stolen = client.get_cookie("gmvcse_session").value
    assert client.get("/accounts").status_code == 200
    client.post("/sign-out")
    thief = app.test_client()
    thief.set_cookie("gmvcse_session", stolen)
    assert thief.get("/accounts").status_code == 302


def test_disabling_an_account_signs_it_out_at_once(app, client, create_user):
    coordinator = create_user("coordinator")
    contributor = create_user("coordinator")
    victim = app.test_client()
    sign_in(victim, contributor)
    assert victim.get("/accounts").status_code == 200
    sign_in(client, coordinator)
    client.post(f"/accounts/{contributor.id}/disable")
    assert victim.get("/accounts").status_code == 302
    response = app.test_client().post("/sign-in", data={"email": contributor.email, "password": PASSWORD})
    assert "Enter a correct email address and password" in response.get_data(as_text=True)


def test_passwords_are_stored_with_scrypt(create_user):
    user = create_user("finance")
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_sign_in_only_follows_local_next_links(client, create_user):
    user = create_user("coordinator")
    response = client.post("/sign-in?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/sign-out")
    response = client.post("/sign-in?next=/accounts", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/accounts"


def test_each_role_sees_a_home_page_of_its_own_next_steps(signed_in):
    client, _ = signed_in("contributor")
    soup = page(client.get("/"))
    assert "Thank you for taking part" in soup.get_text()
    assert "Accounts" not in [a.get_text(strip=True) for a in soup.select(".app-task-list a")]
