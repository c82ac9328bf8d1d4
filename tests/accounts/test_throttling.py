"""Issue 15: account links a stranger cannot cancel, throttled resets, no tokens in logs, even sign-in timing,
and lockout that grows per account and address instead of punishing a whole office."""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta

import pytest

from coordination.accounts import operations
from coordination.logs import RedactTokens, redact
from tests.conftest import PASSWORD, page

pytestmark = pytest.mark.usefixtures("app")


def _issue_setup(app, create_user, email="newcomer@example.org") -> str:
    coordinator = create_user("coordinator")
    person = operations.create_user(email=email, name="New Person", role="contributor", actor=coordinator)
    return operations.issue_link(person, "setup", actor=coordinator)


def test_an_anonymous_reset_request_does_not_cancel_a_coordinators_set_up_link(app, client, create_user):
    token = _issue_setup(app, create_user)
    assert client.post("/reset-password", data={"email": "newcomer@example.org"}).status_code == 200
    # Before: the coordinator's link answered 410 after one anonymous post.
    response = app.test_client().get(f"/set-password/{token}")
    assert response.status_code == 302


def test_a_coordinators_new_link_still_replaces_the_old_one(app, client, create_user):
    coordinator = create_user("coordinator")
    person = operations.create_user(email="p@example.org", name="P", role="contributor", actor=coordinator)
    first = operations.issue_link(person, "setup", actor=coordinator)
    operations.issue_link(person, "setup", actor=coordinator)
    assert client.get(f"/set-password/{first}").status_code == 410


def test_using_any_link_cancels_the_persons_other_links(app, client, create_user):
    token = _issue_setup(app, create_user)
    person = operations.find_link(token).user
    reset = operations.issue_link(person, "reset")
    client.get(f"/set-password/{token}")
    assert client.post("/set-password", data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert app.test_client().get(f"/set-password/{reset}").status_code == 410


def test_reset_requests_are_throttled_per_email_address(client):
    statuses = [
        client.post(
            "/reset-password", data={"email": "someone@example.org"}, environ_base={"REMOTE_ADDR": f"198.51.{n}.7"}
        ).status_code
        for n in range(5)
    ]
    # Before: 30 requests in half a second all went through.
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_reset_requests_are_throttled_per_network(client):
    statuses = [
        client.post(
            "/reset-password",
            data={"email": f"person{n}@example.org"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"},
        ).status_code
        for n in range(22)
    ]
    assert statuses.count(200) == 20 and statuses[-1] == 429
    other = client.post("/reset-password", data={"email": "x@example.org"}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 200


def test_the_set_up_link_is_swapped_for_the_session_and_the_form_lives_at_a_token_free_address(app, create_user):
    token = _issue_setup(app, create_user)
    browser = app.test_client()
    response = browser.get(f"/set-password/{token}")
    assert response.status_code == 302 and response.headers["Location"] == "/set-password"
    form_page = browser.get("/set-password")
    assert form_page.status_code == 200
    assert token not in form_page.get_data(as_text=True)
    assert page(form_page).select_one("form")["method"] == "post"
    assert browser.post("/set-password", data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert browser.get("/").status_code == 200
    # The session no longer holds the link, and the link itself is used up.
    assert app.test_client().get("/set-password").status_code == 410


def test_the_token_free_address_without_a_link_in_the_session_explains_itself(client):
    response = client.get("/set-password")
    assert response.status_code == 410
    assert "no longer available" in page(response).get_text() or "expired" in page(response).get_text()


def test_tokens_are_redacted_from_access_log_lines():
    line = '127.0.0.1 - - [29/Nov/2026] "GET /set-password/AbC-123_xyz HTTP/1.1" 302 -'
    assert "AbC-123_xyz" not in redact(line) and "/set-password/[redacted]" in redact(line)
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        "",
        0,
        "%(r)s %(s)s",
        {"r": "GET /set-password/SECRET HTTP/1.1", "s": "302"},
        None,
    )
    RedactTokens().filter(record)
    assert "SECRET" not in record.getMessage()
    werkzeug_record = logging.LogRecord(
        "werkzeug", logging.INFO, "", 0, '%s - "%s" %s', ("127.0.0.1", "GET /set-password/SECRET HTTP/1.1", "302"), None
    )
    RedactTokens().filter(werkzeug_record)
    assert "SECRET" not in werkzeug_record.getMessage()


def test_the_development_server_log_and_gunicorn_config_carry_the_filter(app):
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("werkzeug").filters)
    from pathlib import Path

    config = (Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text()
    assert "post_worker_init" in config and "install(" in config


def test_an_unknown_address_costs_the_same_password_hash_work(app, client, create_user, monkeypatch):
    calls = []
    real = operations.check_password_hash

    def counting(*args):
        calls.append(args[0][:7])
        return real(*args)

    monkeypatch.setattr(operations, "check_password_hash", counting)
    client.post("/sign-in", data={"email": "nobody-here@example.org", "password": "whatever-it-is"})
    # Before: an unknown address returned without hashing (12 ms against 136 ms).
    assert calls == ["scrypt:"]


def test_sign_in_time_does_not_tell_whether_an_account_exists(client, create_user):
    user = create_user("contributor")

    def timed(email):
        start = time.perf_counter()
        client.post(
            "/sign-in",
            data={"email": email, "password": "not-the-password"},
            environ_base={"REMOTE_ADDR": f"10.9.{len(email)}.1"},
        )
        return time.perf_counter() - start

    known = min(timed(user.email) for _ in range(3))
    unknown = min(timed(f"ghost{n}@example.org") for n in range(3))
    assert unknown > known * 0.5


def test_delays_grow_for_one_account_from_one_address_and_pass(app, client, create_user, monkeypatch):
    from coordination.accounts.models import SignInAttempt
    from coordination.extensions import db

    user = create_user("contributor")
    now = [operations.utcnow()]
    monkeypatch.setattr(operations, "utcnow", lambda: now[0])

    def fail():
        db.session.add(SignInAttempt(email=user.email, ip_address="127.0.0.1", at=now[0]))
        db.session.commit()

    for _ in range(5):
        fail()
    waits = []
    for _ in range(3):
        waits.append(operations.sign_in_wait(user.email, "127.0.0.1"))
        now[0] += timedelta(seconds=waits[-1])
        assert operations.sign_in_wait(user.email, "127.0.0.1") == 0
        fail()
    assert waits == [30, 60, 120]
    # The same account from another address is not paused (the account-wide allowance is larger).
    assert operations.sign_in_wait(user.email, "192.0.2.55") == 0
    now[0] += timedelta(seconds=240)
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_an_account_guessed_from_many_addresses_is_paused_everywhere(app, client, create_user):
    user = create_user("contributor")
    for n in range(20):
        client.post(
            "/sign-in",
            data={"email": user.email, "password": "wrong"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"},
        )
    assert operations.sign_in_wait(user.email, "192.0.2.77") > 0


def test_sign_in_posts_are_rate_limited_per_address(app, client):
    app.config["SIGNIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [
            client.post("/sign-in", data={"email": f"a{n}@example.org", "password": "x" * 9}).status_code
            for n in range(4)
        ]
    finally:
        app.config["SIGNIN_RATE_LIMIT"] = "30 per minute"
    assert statuses == [200, 200, 200, 429]
    assert re.search(r"Too many", page(client.get("/sign-in")).get_text()) is None
