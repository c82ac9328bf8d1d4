"""Issue 15: `flask housekeeping` deletes what has expired and applies the six-year retention rule to claims,
leaving the append-only audit log untouched."""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from coordination.accounts.models import AccountLink, SignInAttempt, UserSession
from coordination.audit import AuditEntry
from coordination.claims import operations as ops
from coordination.claims.models import Claim, ClaimLine, FormStash, Receipt
from coordination.extensions import db
from coordination.housekeeping import REDACTED, financial_year_end, retention_ends, run
from coordination.terminology.models import UnfoundSearch
from coordination.throttle import RateLimitCounter
from tests.claims.conftest import make_claim, png_bytes, quick_user  # noqa: F401 (fixtures)


def test_expired_things_are_deleted_and_current_ones_kept(app, make_claim, quick_user):
    user = quick_user("contributor")
    claim = make_claim(user)
    now = datetime(2026, 11, 29, 12, 0)
    old, recent = now - timedelta(days=40), now - timedelta(minutes=5)
    db.session.add_all(
        [
            UserSession(token_hash="a" * 64, user_id=user.id, created_at=old, last_seen_at=old),
            UserSession(token_hash="b" * 64, user_id=user.id, created_at=recent, last_seen_at=recent),
            SignInAttempt(email="x@example.org", ip_address="1.2.3.4", at=old),
            SignInAttempt(email="x@example.org", ip_address="1.2.3.4", at=recent),
            FormStash(token_hash="c" * 64, claim_id=claim.id, data={}, created_at=old),
            FormStash(token_hash="d" * 64, claim_id=claim.id, data={}, created_at=recent),
            AccountLink(token_hash="e" * 64, user_id=user.id, purpose="reset", created_at=old, expires_at=old),
            AccountLink(
                token_hash="f" * 64,
                user_id=user.id,
                purpose="setup",
                created_at=recent,
                expires_at=now + timedelta(hours=5),
            ),
            RateLimitCounter(key="gone", hits=3, expires_at=time.time() - 10),
            RateLimitCounter(key="live", hits=3, expires_at=time.time() + 600),
            UnfoundSearch(
                normalised="stale words",
                words="stale words",
                first_seen_at=old - timedelta(days=400),
                last_seen_at=old - timedelta(days=400),
            ),
            UnfoundSearch(normalised="fresh words", words="fresh words", first_seen_at=recent, last_seen_at=recent),
        ]
    )
    db.session.commit()
    imports = Path(app.config["UPLOAD_FOLDER"]) / "organisation-imports"
    imports.mkdir(parents=True, exist_ok=True)
    stale_file, fresh_file = imports / "stale.csv", imports / "fresh.csv"
    stale_file.write_text("name\n"), fresh_file.write_text("name\n")
    os.utime(stale_file, (time.time() - 9 * 86400,) * 2)

    report = run(now=now)
    assert report.deleted == {
        "idle sessions": 1,
        "sign-in attempts": 1,
        "kept claim forms": 1,
        "old account links": 1,
        "rate-limit counters": 1,
        "unfound searches": 1,
        "import files": 1,
    }
    assert db.session.scalar(select(UserSession.token_hash)) == "b" * 64
    assert db.session.scalar(select(FormStash.token_hash)) == "d" * 64
    assert db.session.scalar(select(RateLimitCounter.key)) == "live"
    assert db.session.scalar(select(UnfoundSearch.words)) == "fresh words"
    assert not stale_file.exists() and fresh_file.exists()
    assert run(now=now).deleted["idle sessions"] == 0  # safe to run again


def test_the_financial_year_and_the_six_years_after_it():
    assert financial_year_end(date(2019, 3, 31), "03-31") == date(2019, 3, 31)
    assert financial_year_end(date(2019, 4, 1), "03-31") == date(2020, 3, 31)


def test_retention_ends_the_day_after_six_full_years_from_the_year_end(app):
    assert retention_ends(date(2019, 6, 1)) == date(2026, 4, 1)


def test_claims_past_retention_lose_receipts_and_typed_words_with_an_audit_entry(app, make_claim, quick_user):
    coordinator, finance = quick_user("coordinator"), quick_user("finance")
    contributor = quick_user("contributor")
    old = make_claim(contributor, state="paid", approver=coordinator, payer=finance)
    receipt = (
        ops.add_receipt(old, actor=coordinator, data=png_bytes(), filename="ticket.png")
        if old.can_edit(coordinator)
        else None
    )
    draft_with_receipt = make_claim(contributor)
    kept_receipt = ops.add_receipt(draft_with_receipt, actor=contributor, data=png_bytes(), filename="bus.png")
    stored = ops.receipt_path(kept_receipt)
    # Make the paid claim and the draft six-plus years old; leave a third claim recent.
    long_ago = datetime(2018, 5, 1, 10, 0)
    for claim in (old, draft_with_receipt):
        db.session.refresh(claim)  # the workflow's conditional updates ran in SQL
        claim.created_at = claim.updated_at = long_ago
    old.paid_at = old.closed_at = long_ago
    recent = make_claim(contributor)
    db.session.commit()
    audit_before = db.session.query(AuditEntry).count()
    total_before = old.total_pence

    report = run(today=date(2026, 11, 29))
    assert report.redacted_claims == 2 and report.receipts_removed == 1 + (receipt is not None)
    db.session.expire_all()
    for claim_id in (old.id, draft_with_receipt.id):
        claim = db.session.get(Claim, claim_id)
        assert claim.activity_description == REDACTED and not claim.receipts
        assert all(
            line.description == "" and line.agreed_by is None
            for line in db.session.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim_id))
        )
    assert db.session.get(Claim, old.id).total_pence == total_before  # the amounts stay for the accounts
    assert db.session.get(Claim, recent.id).activity_description != REDACTED
    assert not stored.exists() and db.session.query(Receipt).count() == 0
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    # Nothing was removed from the audit log; one entry was added per redacted claim.
    assert len(actions) == audit_before + 2 and actions[-2:] == ["claims.retention_redacted"] * 2
    assert run(today=date(2026, 11, 29)).redacted_claims == 0


def test_a_disabled_contributor_whose_claims_are_all_past_retention_is_anonymised(app, make_claim, quick_user):
    contributor = quick_user("contributor")
    claim = make_claim(contributor)
    claim.created_at = claim.updated_at = datetime(2017, 1, 1)
    contributor.is_enabled = False
    db.session.commit()
    report = run(today=date(2026, 11, 29))
    assert report.accounts_anonymised == 1
    db.session.expire_all()
    assert contributor.email == f"removed-{contributor.id}@invalid" and contributor.password_hash is None


def test_the_command_runs(app):
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0 and "idle sessions: 0 deleted" in result.output
