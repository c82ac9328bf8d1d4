"""Coordinator-created accounts, single-use set-up links and password resets."""

from datetime import timedelta

from sqlalchemy import select

from coordination.accounts.models import AccountLink, User
from coordination.audit import AuditEntry
from coordination.extensions import db
from tests.conftest import error_messages, page


def _create(client, **data):
    values = {"name": "Priya Shah", "email": "Priya@Example.org", "role": "contributor"}
    values.update(data)
    return client.post("/accounts/new", data=values)


def _link_path(response) -> str:
    link = page(response).select_one("#setup-link")["value"]
    return link[link.index("/set-password/") :]


def test_a_coordinator_creates_an_account_and_gets_a_set_up_link_to_send(signed_in):
    client, _ = signed_in("coordinator")
    response = _create(client)
    assert response.status_code == 200
    assert "/set-password/" in page(response).select_one("#setup-link")["value"]
    user = db.session.scalar(select(User).where(User.email == "priya@example.org"))
    assert user.role.value == "contributor" and not user.has_password
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.created"))


def test_the_set_up_link_works_once_and_signs_the_person_in(app, signed_in):
    client, _ = signed_in("coordinator")
    path = _link_path(_create(client))
    newcomer = app.test_client()
    long_pasted = "  a long pasted passphrase with spaces and ünïcode 1234567890 " * 3
    response = newcomer.post(path, data={"password": long_pasted, "confirm": long_pasted})
    assert response.status_code == 302
    assert newcomer.get("/").status_code == 200
    second = app.test_client().post(path, data={"password": "another-password", "confirm": "another-password"})
    assert second.status_code == 410
    user = db.session.scalar(select(User).where(User.email == "priya@example.org"))
    db.session.refresh(user)
    assert user.check_password(long_pasted)


def test_an_expired_link_is_refused_with_a_plain_explanation(app, signed_in):
    client, _ = signed_in("coordinator")
    path = _link_path(_create(client))
    link = db.session.scalar(select(AccountLink))
    link.expires_at = link.expires_at - timedelta(days=30)
    db.session.commit()
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "expired or has already been used" in response.get_data(as_text=True)


def test_short_or_mismatched_passwords_are_explained(app, signed_in):
    client, _ = signed_in("coordinator")
    path = _link_path(_create(client))
    other = app.test_client()
    assert error_messages(page(other.post(path, data={"password": "short", "confirm": "short"}))) == [
        "Password must be 8 characters or more"
    ]
    assert error_messages(page(other.post(path, data={"password": "long enough 1", "confirm": "different 1"}))) == [
        "The two passwords do not match"
    ]


def test_a_partner_needs_a_borough_and_gets_the_ones_chosen(signed_in):
    client, _ = signed_in("coordinator")
    soup = page(_create(client, role="partner", email="p@example.org"))
    assert error_messages(soup) == ["Choose at least one borough for a local partner"]
    _create(client, role="partner", email="p@example.org", boroughs=["E08000005", "E08000004"])
    user = db.session.scalar(select(User).where(User.email == "p@example.org"))
    assert user.borough_codes == ["E08000004", "E08000005"]


def test_an_email_already_in_use_is_refused(signed_in):
    client, user = signed_in("coordinator")
    soup = page(_create(client, email=user.email.upper()))
    assert error_messages(soup) == [f"There is already an account for {user.email}"]


def test_a_reset_request_answers_the_same_whether_or_not_the_account_exists(client, create_user):
    user = create_user("contributor")
    known = page(client.post("/reset-password", data={"email": user.email})).select_one("main").get_text()
    unknown = page(client.post("/reset-password", data={"email": "nobody@example.org"})).select_one("main").get_text()
    assert known == unknown


def test_a_coordinator_can_issue_a_reset_link_for_someone_with_a_password(app, signed_in, create_user):
    client, _ = signed_in("coordinator")
    person = create_user("finance")
    response = client.post(f"/accounts/{person.id}/link")
    assert "Reset link created" in response.get_data(as_text=True)
    path = _link_path(response)
    assert (
        app.test_client().post(path, data={"password": "brand new pass", "confirm": "brand new pass"}).status_code
        == 302
    )


def test_the_first_coordinator_is_created_from_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Lead@Example.org", "--role", "coordinator"])
    assert result.exit_code == 0, result.output
    assert "/set-password/" in result.output
    assert db.session.scalar(select(User).where(User.email == "lead@example.org")).role.value == "coordinator"
    again = runner.invoke(args=["users", "create", "--email", "lead@example.org", "--role", "coordinator"])
    assert again.exit_code != 0 and "already an account" in again.output


def test_the_audit_log_refuses_changes_to_written_entries(create_user):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    create_user("coordinator")
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_entry SET action = 'tampered'"))
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_entry"))
        db.session.commit()
    db.session.rollback()
