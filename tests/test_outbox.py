"""The email outbox: written in the change's transaction, sent after commit with retries and a record."""

import smtplib

from click.testing import CliRunner
from sqlalchemy import select

from coordination import mail
from coordination.extensions import db
from tests.claims.conftest import make_claim, quick_user  # noqa: F401 (the claim factories)


def test_nothing_is_emailed_for_a_change_that_rolled_back(app, make_claim, monkeypatch):
    from coordination.claims import operations as ops

    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    sent = []
    monkeypatch.setattr(mail, "_deliver", lambda *a: sent.append(a))
    claim = make_claim()
    mail.queue_email("jo@example.org", "Should never go", "body")
    db.session.rollback()
    monkeypatch.setattr(ops, "reprice", lambda c: (_ for _ in ()).throw(RuntimeError("database lost")))
    try:
        ops.submit_claim(claim, actor=claim.claimant, declared=True)
    except RuntimeError:
        db.session.rollback()
    assert mail.send_pending()["sent"] == 0 and sent == []
    assert db.session.scalar(select(db.func.count()).select_from(mail.OutboxMessage)) == 0


def test_a_failed_send_is_retried_later_and_the_record_shows_what_was_sent(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    failures = [smtplib.SMTPServerDisconnected("gone")]

    def flaky(to, subject, body):
        if failures:
            raise failures.pop()

    monkeypatch.setattr(mail, "_deliver", flaky)
    message = mail.queue_email("jo@example.org", "Your claim", "Paid")
    db.session.commit()
    assert mail.send_pending() == {"sent": 0, "failed": 1, "waiting": 1}
    db.session.refresh(message)
    assert message.attempts == 1 and "gone" in message.last_error and message.status == "waiting"
    assert mail.send_pending()["sent"] == 0  # not due yet
    message.next_attempt_at = message.created_at
    db.session.commit()
    assert mail.send_pending()["sent"] == 1
    db.session.refresh(message)
    assert message.sent_at is not None and message.status == "sent"
    assert mail.send_pending()["sent"] == 0  # never twice


def test_messages_give_up_after_the_last_attempt_and_stay_as_a_record(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(mail, "_deliver", lambda *a: (_ for _ in ()).throw(OSError("refused")))
    message = mail.queue_email("jo@example.org", "Your claim", "Paid")
    db.session.commit()
    for _ in range(mail.MAX_ATTEMPTS):
        message.next_attempt_at = message.created_at
        db.session.commit()
        mail.send_pending()
        db.session.refresh(message)
    assert message.attempts == mail.MAX_ATTEMPTS and message.status == "gave up"


def test_the_send_pending_command_reports_what_it_did(app, monkeypatch):
    runner = CliRunner()
    mail.queue_email("jo@example.org", "Hello", "Body")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert "SMTP is not configured" in result.output and "1 message(s) are waiting" in result.output
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(mail, "_deliver", lambda *a: None)
    result = app.test_cli_runner().invoke(args=["mail", "send-pending"])
    assert "Sent 1, failed 0" in result.output and runner


def test_the_background_sender_wakes_after_a_commit_that_queued_mail(app, monkeypatch):
    import threading

    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    delivered = threading.Event()
    monkeypatch.setattr(mail, "_deliver", lambda *a: delivered.set())
    monkeypatch.setitem(app.config, "MAIL_BACKGROUND_INTERVAL", 3600)
    sender = mail.BackgroundSender(app)
    monkeypatch.setitem(app.extensions, "mail_sender", sender)
    mail.queue_email("jo@example.org", "Hello", "Body")
    db.session.commit()
    assert delivered.wait(timeout=20)


def test_coordinators_see_the_record_of_emails_sent_and_waiting(app, signed_in, monkeypatch):
    from tests.conftest import page

    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.example.org")
    monkeypatch.setattr(mail, "_deliver", lambda *a: None)
    mail.queue_email("jo@example.org", "Your claim CL-00001", "Paid")
    db.session.commit()
    mail.send_pending()
    mail.queue_email("sam@example.org", "Your claim CL-00002", "Approved")
    db.session.commit()
    client, _ = signed_in("coordinator")
    rows = [r.get_text(" ", strip=True) for r in page(client.get("/audit/emails")).select("#emails tbody tr")]
    assert "sam@example.org" in rows[0] and "Waiting" in rows[0]
    assert "jo@example.org" in rows[1] and "Sent" in rows[1]
