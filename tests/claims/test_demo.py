"""The demo seed gives every claims page something to show."""

from sqlalchemy import func, select

from coordination.claims import demo
from coordination.claims.models import Claim, ClaimState, PaymentBatch
from coordination.demo import seed_accounts
from coordination.extensions import db


def test_the_demo_seed_makes_claims_in_every_main_state_and_a_paid_batch(app):
    seed_accounts("demo-password-1")
    assert "payment batch" in demo.seed(None)
    states = set(db.session.scalars(select(Claim.state)))
    assert {ClaimState.DRAFT, ClaimState.SUBMITTED, ClaimState.QUERIED, ClaimState.APPROVED, ClaimState.PAID} <= states
    assert db.session.scalar(select(func.count()).select_from(PaymentBatch).where(PaymentBatch.state == "paid")) == 1
    assert demo.seed(None) == "claims already present"
