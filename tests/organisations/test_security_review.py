"""Security review for the directory: merges cannot make loops, and two merges of one record cannot both win."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from coordination.extensions import db
from coordination.organisations import operations
from coordination.organisations.models import Organisation, OrganisationStatus


def test_a_record_cannot_be_merged_into_one_that_was_itself_merged_away(app, create_organisation):
    first, second = create_organisation(name="First Group"), create_organisation(name="Second Group")
    operations.merge_organisations(second, first)
    with pytest.raises(operations.OrganisationError, match="merged into another record"):
        operations.merge_organisations(first, second)
    db.session.expire_all()
    assert db.session.get(Organisation, second.id).merged_into_id is None
    assert db.session.get(Organisation, second.id).status == OrganisationStatus.ACTIVE


def test_when_someone_else_merged_the_duplicate_first_the_second_merge_changes_nothing(app, create_organisation):
    keep, other, duplicate = (create_organisation(name=n) for n in ("Keep Group", "Other Group", "Duplicate Group"))
    duplicate_id, other_id, keep_id = duplicate.id, other.id, keep.id
    # Another coordinator's merge lands between this request reading the duplicate and writing.
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == duplicate_id)
        .values(merged_into_id=other_id, status=OrganisationStatus.CLOSED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    with pytest.raises(operations.OrganisationError, match="already been merged"):
        operations.merge_organisations(db.session.get(Organisation, keep_id), _stale(duplicate_id))
    db.session.expire_all()
    assert db.session.get(Organisation, duplicate_id).merged_into_id == other_id


def _stale(org_id: int) -> Organisation:
    """The record as this request read it before the other merge (merged_into_id still empty)."""
    org = db.session.get(Organisation, org_id)
    db.session.expire(org)
    _ = org.merged_into_id  # load
    from sqlalchemy.orm.attributes import set_committed_value

    set_committed_value(org, "merged_into_id", None)
    set_committed_value(org, "status", OrganisationStatus.ACTIVE)
    return org
