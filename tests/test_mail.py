"""Email goes out through SMTP only when it is configured; otherwise links are shown on screen."""

import pytest

from tests.conftest import page


class FakeSMTP:
    sent: list = []

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, username, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    return FakeSMTP.sent


def test_a_new_account_link_is_emailed_when_smtp_is_configured(smtp, signed_in):
    client, _ = signed_in("coordinator")
    response = client.post(
        "/accounts/new", data={"name": "Priya Shah", "email": "priya@example.org", "role": "contributor"}
    )
    assert "We have emailed this link to priya@example.org" in page(response).get_text()
    assert len(smtp) == 1 and smtp[0]["To"] == "priya@example.org"
    assert "/set-password/" in smtp[0].get_content()


def test_without_smtp_the_coordinator_is_told_to_send_the_link_themselves(signed_in):
    client, _ = signed_in("coordinator")
    response = client.post("/accounts/new", data={"name": "Sam Lee", "email": "sam@example.org", "role": "finance"})
    assert "send this link to sam@example.org yourself" in page(response).get_text()
