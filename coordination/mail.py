"""Email, sent only when SMTP is configured; otherwise callers show links on screen."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def mail_configured() -> bool:
    """True when an SMTP host is set."""
    return bool(current_app.config.get("SMTP_HOST"))


def send_email(to: str, subject: str, body: str) -> bool:
    """Send a plain-text email; returns False (and logs) when SMTP is off or fails."""
    if not mail_configured():
        return False
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
            if cfg["SMTP_USE_TLS"]:
                smtp.starttls()
            if cfg["SMTP_USERNAME"]:
                smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send email to %s", to)
        return False
