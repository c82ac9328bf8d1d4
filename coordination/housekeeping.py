"""`flask housekeeping`: delete what has served its purpose, and apply the retention rule to claims.

Run daily on a timer (docs/deployment.md). Everything here is safe to run again at any time.

Deleted outright (none of it is a record anyone must keep):
* server-side sessions unused for longer than SESSION_IDLE_MINUTES (they no longer sign anyone in);
* failed sign-in attempts older than SIGNIN_WINDOW_MINUTES (they no longer count towards a pause);
* rate-limit counters whose window has ended;
* claim forms kept for a signed-out browser after FORM_STASH_HOURS;
* set-up and reset links that expired or were used more than LINK_KEEP_DAYS ago;
* organisation import files and reports left in the upload folder for more than a week;
* unfound-search counts not seen for UNFOUND_SEARCH_KEEP_DAYS.

On PostgreSQL the data-version table is compacted when long transactions have grown it
(versions.compact_versions).

Retention (HMRC: keep records for six years after the end of the financial year they relate to):
a claim whose last event (paid, closed or last change) fell in a financial year that ended more than
RETENTION_YEARS ago keeps its amounts, dates, states and people (the accounts need them), but loses its
receipts (files and rows) and the words people typed: the activity description, item notes, who agreed a
cost, questions and answers. Each such claim gets an audit entry. A disabled contributor's account whose
claims have all been through this is anonymised too.

The audit log is not changed: the database refuses updates and deletes to it (coordination/audit.py), by
design, so that no one — not even this command — can rewrite history. Audit entries record what was
changed and by whom; the few that quote typed text (a claim's description before and after an edit) stay
until the log itself is archived, which is an operator's decision documented in docs/deployment.md.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, or_, select

from . import audit
from .extensions import db
from .timeutil import utcnow
from .versions import compact_versions

REDACTED = "Removed after the retention period"
IMPORT_FILES_KEEP_DAYS = 7


@dataclass
class Report:
    deleted: dict[str, int] = field(default_factory=dict)
    redacted_claims: int = 0
    receipts_removed: int = 0
    accounts_anonymised: int = 0
    versions_compacted: bool = False

    def lines(self) -> list[str]:
        out = [f"{name}: {count} deleted" for name, count in self.deleted.items()]
        out.append(
            f"claims past retention: {self.redacted_claims} redacted, {self.receipts_removed} receipts removed, "
            f"{self.accounts_anonymised} accounts anonymised"
        )
        if self.versions_compacted:
            out.append("data-version table compacted (it had grown during long transactions)")
        return out


def financial_year_end(day: date, month_day: str) -> date:
    """The last day of the financial year containing `day`, for a year ending on month_day ('03-31')."""
    month, dom = (int(part) for part in month_day.split("-"))
    end = date(day.year, month, dom)
    return end if day <= end else date(day.year + 1, month, dom)


def retention_ends(when: date) -> date:
    """The first day a record dated `when` may lose its personal details."""
    config = current_app.config
    end = financial_year_end(when, config["FINANCIAL_YEAR_END"])
    try:
        kept_until = end.replace(year=end.year + config["RETENTION_YEARS"])
    except ValueError:  # 29 February
        kept_until = end.replace(year=end.year + config["RETENTION_YEARS"], day=28)
    return kept_until + timedelta(days=1)


def run(today: date | None = None, now: datetime | None = None) -> Report:
    """Delete what has expired and redact claims past retention; returns what was done."""
    from .accounts.models import AccountLink, SignInAttempt, UserSession
    from .claims.models import FormStash
    from .terminology.models import UnfoundSearch
    from .throttle import RateLimitCounter

    config = current_app.config
    now = now or utcnow()
    report = Report()
    deletions = {
        "idle sessions": delete(UserSession).where(
            UserSession.last_seen_at < now - timedelta(minutes=config["SESSION_IDLE_MINUTES"])
        ),
        "sign-in attempts": delete(SignInAttempt).where(
            SignInAttempt.at < now - timedelta(minutes=config["SIGNIN_WINDOW_MINUTES"])
        ),
        "kept claim forms": delete(FormStash).where(
            FormStash.created_at < now - timedelta(hours=config["FORM_STASH_HOURS"])
        ),
        "old account links": delete(AccountLink).where(
            or_(
                AccountLink.expires_at < now - timedelta(days=config["LINK_KEEP_DAYS"]),
                AccountLink.used_at < now - timedelta(days=config["LINK_KEEP_DAYS"]),
            )
        ),
        "rate-limit counters": delete(RateLimitCounter).where(RateLimitCounter.expires_at < time.time()),
        "unfound searches": delete(UnfoundSearch).where(
            UnfoundSearch.last_seen_at < now - timedelta(days=config["UNFOUND_SEARCH_KEEP_DAYS"])
        ),
    }
    for name, statement in deletions.items():
        report.deleted[name] = db.session.execute(statement).rowcount or 0
    db.session.commit()
    report.deleted["import files"] = _delete_old_files(
        Path(config["UPLOAD_FOLDER"]) / "organisation-imports", IMPORT_FILES_KEEP_DAYS
    )
    _apply_retention(today or now.date(), report)
    db.session.commit()
    report.versions_compacted = compact_versions()
    return report


def _delete_old_files(folder: Path, days: int) -> int:
    if not folder.is_dir():
        return 0
    cutoff, removed = time.time() - days * 86400, 0
    for entry in os.scandir(folder):
        if entry.is_file() and entry.stat().st_mtime < cutoff:
            os.remove(entry.path)
            removed += 1
    return removed


def _record_date(claim) -> date:
    moments = [m for m in (claim.paid_at, claim.closed_at, claim.updated_at, claim.created_at) if m is not None]
    return max(moments).date()


def _apply_retention(today: date, report: Report) -> None:
    from .accounts.models import User
    from .claims.models import Claim
    from .claims.operations import receipt_path

    touched_claimants: set[int] = set()
    candidates = db.session.scalars(select(Claim).where(Claim.activity_description != REDACTED).order_by(Claim.id))
    for claim in list(candidates):
        when = _record_date(claim)
        if retention_ends(when) > today:
            continue
        files = [receipt_path(receipt) for receipt in claim.receipts]
        removed = len(claim.receipts)
        for receipt in list(claim.receipts):
            db.session.delete(receipt)
        claim.activity_description = REDACTED
        claim.draft_item = None
        if claim.rejection_reason is not None:
            claim.rejection_reason = REDACTED
        for line in claim.lines:
            line.description = ""
            line.agreed_by = None
        for note in claim.notes:
            note.text = REDACTED
        audit.record(
            "claims.retention_redacted",
            claim,
            after={
                "receipts_removed": removed,
                "record_date": when.isoformat(),
                "kept_until": (retention_ends(when) - timedelta(days=1)).isoformat(),
            },
        )
        db.session.commit()  # one claim at a time: an interruption leaves each claim whole
        for path in files:  # after the commit, so a failed commit never loses a file it still refers to
            path.unlink(missing_ok=True)
        report.redacted_claims += 1
        report.receipts_removed += removed
        touched_claimants.add(claim.claimant_id)
    for user_id in sorted(touched_claimants):
        user = db.session.get(User, user_id)
        if user is None or user.is_enabled:
            continue  # someone still using the service keeps their account
        pending = db.session.scalar(
            select(Claim.id).where(Claim.claimant_id == user_id, Claim.activity_description != REDACTED).limit(1)
        )
        if pending is None:
            _anonymise(user)
            report.accounts_anonymised += 1


def _anonymise(user) -> None:
    from .claims.models import ClaimantProfile

    before = {"email": user.email, "name": user.name}
    user.name = f"Former contributor {user.id}"
    user.email = f"removed-{user.id}@invalid"
    user.password_hash = None
    profile = db.session.get(ClaimantProfile, user.id)
    if profile is not None:
        profile.payee_reference = None
        profile.access_needs = None
    audit.record(
        "account.anonymised", user, after={"reason": "retention period ended"}, before={"fields": sorted(before)}
    )
    db.session.commit()
