"""Email: an outbox written in the same transaction as the change, sent after commit by a worker.

`queue_email` adds a message to the current transaction, so a change that rolls back sends nothing. After a
commit, `flask mail send-pending` (on a timer) or the background sender (MAIL_BACKGROUND_SEND) delivers the
queued messages with retries, and keeps a record of what was sent. `send_email` is the immediate path for the
few messages a person waits for on screen (set-up and reset links).
"""

from __future__ import annotations

import smtplib
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import DateTime, Integer, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .timeutil import utcnow

MAX_ATTEMPTS = 5


class OutboxMessage(db.Model):
    """One email waiting to go, or the record of one that went (or gave up after MAX_ATTEMPTS)."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)

    @property
    def status(self) -> str:
        if self.sent_at:
            return "sent"
        return "gave up" if self.attempts >= MAX_ATTEMPTS else "waiting"


def mail_configured() -> bool:
    """True when an SMTP host is set."""
    return bool(current_app.config.get("SMTP_HOST"))


def _deliver(to: str, subject: str, body: str) -> None:
    """Send one plain-text message over SMTP (raises on failure)."""
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
        if cfg["SMTP_USE_TLS"]:
            smtp.starttls()
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
        smtp.send_message(message)


def send_email(to: str, subject: str, body: str) -> bool:
    """Send a plain-text email now; returns False (and logs) when SMTP is off or fails."""
    if not mail_configured():
        return False
    try:
        _deliver(to, subject, body)
        return True
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send email to %s", to)
        return False


def queue_email(to: str | None, subject: str, body: str) -> OutboxMessage | None:
    """Add an email to the current transaction's outbox (the caller commits); nothing for an empty address."""
    if not to:
        return None
    message = OutboxMessage(to_address=to, subject=subject[:200], body=body)
    db.session.add(message)
    return message


def send_pending(limit: int = 500) -> dict:
    """Send queued messages that are due (oldest first); failures wait longer before each retry."""
    counts = {"sent": 0, "failed": 0, "waiting": 0}
    if not mail_configured():
        counts["waiting"] = _waiting()
        return counts
    now = utcnow()
    due = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts < MAX_ATTEMPTS,
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    for message in due:
        # Claim the message first so two workers never send it twice.
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts == message.attempts,
            )
            .values(attempts=message.attempts + 1, next_attempt_at=now + timedelta(minutes=10))
        ).rowcount
        db.session.commit()
        if claimed != 1:
            continue
        try:
            _deliver(message.to_address, message.subject, message.body)
        except (OSError, smtplib.SMTPException) as error:
            db.session.refresh(message)
            # Retry after 1, 4, 9, 16 minutes; after MAX_ATTEMPTS the message stays as a record that it failed.
            message.next_attempt_at = utcnow() + timedelta(minutes=message.attempts**2)
            message.last_error = f"{type(error).__name__}: {error}"[:300]
            counts["failed"] += 1
        else:
            db.session.refresh(message)
            message.sent_at = utcnow()
            message.last_error = None
            counts["sent"] += 1
        db.session.commit()
    counts["waiting"] = _waiting()
    return counts


def _waiting() -> int:
    return (
        db.session.scalar(
            select(db.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        )
        or 0
    )


# ---------------------------------------------------------------- the optional background sender


class BackgroundSender:
    """A daemon thread that sends the outbox shortly after each commit that queued mail (MAIL_BACKGROUND_SEND)."""

    def __init__(self, app):
        self.app = app
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mail-outbox", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        interval = self.app.config.get("MAIL_BACKGROUND_INTERVAL", 60)
        while True:
            self.wake.wait(timeout=interval)
            self.wake.clear()
            try:
                with self.app.app_context():
                    send_pending()
                    db.session.remove()
            except Exception:  # the worker must outlive a database or SMTP outage; the next round retries
                self.app.logger.exception("The mail outbox could not be sent")


@event.listens_for(Session, "after_flush")
def _note_queued_mail(session, flush_context) -> None:
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        session.info["queued_mail"] = True


@event.listens_for(Session, "after_commit")
def _wake_sender(session) -> None:
    if session.info.pop("queued_mail", False):
        try:
            sender = current_app.extensions.get("mail_sender")
        except RuntimeError:
            return
        if sender is not None:
            sender.wake.set()


@event.listens_for(Session, "after_rollback")
def _forget_queued_mail(session) -> None:
    session.info.pop("queued_mail", None)


def init_app(app) -> None:
    """Start the background sender when MAIL_BACKGROUND_SEND is set (one per process)."""
    if app.config.get("MAIL_BACKGROUND_SEND"):
        app.extensions["mail_sender"] = BackgroundSender(app)


mail_cli = AppGroup("mail", help="The email outbox.")


@mail_cli.command("send-pending")
@click.option("--limit", default=500, show_default=True, help="Most messages to send in this run.")
def send_pending_command(limit: int) -> None:
    """Send queued emails that are due (run it on a timer, every minute or so)."""
    counts = send_pending(limit)
    if not mail_configured():
        click.echo(f"SMTP is not configured (SMTP_HOST); {counts['waiting']} message(s) are waiting.")
        return
    click.echo(f"Sent {counts['sent']}, failed {counts['failed']} (will retry), waiting {counts['waiting']}.")
