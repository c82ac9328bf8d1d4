"""Security review for communities: a double-clicked 'add member' cannot make two current memberships."""

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coordination.communities import operations
from coordination.communities.models import Membership
from coordination.extensions import db
from tests.communities import factories as f


def test_the_database_refuses_a_second_current_membership_but_keeps_past_ones(app):
    community, person = f.community(), f.person()
    f.member(community, person, joined=date(2024, 1, 1), left=date(2024, 6, 1))
    f.member(community, person, joined=date(2024, 7, 1), left=date(2024, 9, 1))
    f.member(community, person, joined=date(2025, 1, 1))
    db.session.commit()
    with pytest.raises(IntegrityError):
        f.member(community, person, joined=date(2025, 2, 1))
    db.session.rollback()


def test_when_two_adds_race_the_second_is_told_plainly_and_nothing_is_doubled(app, monkeypatch):
    community, person = f.community(), f.person()
    db.session.commit()
    operations.add_member(community, person, role="Member", joined_on=date(2026, 1, 10))
    # The second request read "not a member" before the first one wrote.
    real_scalar = db.session.scalar
    monkeypatch.setattr(
        db.session,
        "scalar",
        lambda statement, *a, **k: None if "membership" in str(statement) else real_scalar(statement, *a, **k),
    )
    with pytest.raises(operations.CommunityError, match="already a member"):
        operations.add_member(community, person, role="Member", joined_on=date(2026, 1, 10))
    monkeypatch.undo()
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
