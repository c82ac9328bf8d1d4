"""Issue 15: what a signed-out browser can store through the claim form rescue is small, short-lived,
rate limited, and the answer does not show which claims exist."""

from __future__ import annotations

import json
from datetime import timedelta

from coordination.claims.models import FormStash
from coordination.extensions import db
from tests.conftest import page, sign_in


def _stored_bytes() -> int:
    return sum(len(json.dumps(s.data).encode()) for s in db.session.query(FormStash))


def test_twenty_anonymous_posts_from_one_browser_keep_one_small_stash(app, make_claim):
    claim = make_claim()
    client = app.test_client()
    app.config["ANONYMOUS_FORM_RATE_LIMIT"] = "100 per hour"
    try:
        for _ in range(20):
            fields = {
                name: "z" * 300_000
                for name in (
                    "activity_description",
                    "description",
                    "agreed_by",
                    "hours",
                    "miles",
                    "cost",
                    "passengers",
                    "kind",
                )
            }
            assert client.post(f"/claims/{claim.id}/edit", data=fields).status_code == 302
    finally:
        app.config["ANONYMOUS_FORM_RATE_LIMIT"] = "10 per hour"
    db.session.expire_all()
    # Before: 20 posts stored 6 MB, one row each.
    assert db.session.query(FormStash).count() == 1
    assert _stored_bytes() <= app.config["FORM_STASH_MAX_BYTES"]


def test_anonymous_posts_are_rate_limited_per_address(app, make_claim):
    claim = make_claim()
    statuses = [
        app.test_client().post(f"/claims/{claim.id}/edit", data={"activity_description": "x"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429
    assert db.session.query(FormStash).count() == 10


def test_the_answer_is_the_same_for_a_claim_that_exists_and_one_that_does_not(app, make_claim):
    claim = make_claim()
    answers = []
    for claim_id in (claim.id, claim.id + 1000):
        response = app.test_client().post(f"/claims/{claim_id}/edit", data={"activity_description": "x"})
        cookie = response.headers.get("Set-Cookie", "")
        answers.append(
            (
                response.status_code,
                response.headers["Location"].replace(str(claim_id), "ID"),
                "claims_stash=" in cookie,
                "Max-Age=43200" in cookie,
            )
        )
    # Before: an unknown claim got no cookie, a known one did.
    assert answers[0] == answers[1] == (302, "/sign-in?next=%2Fclaims%2FID%2Fedit", True, True)
    assert db.session.query(FormStash).count() == 1  # only the real claim's


def test_a_stash_older_than_the_limit_is_not_brought_back(app, make_claim, create_user):
    jo = create_user("contributor")
    claim = make_claim(jo)
    client = app.test_client()
    client.post(f"/claims/{claim.id}/edit", data={"activity_description": "Typed long ago"})
    stash = db.session.query(FormStash).one()
    stash.created_at -= timedelta(hours=app.config["FORM_STASH_HOURS"] + 1)
    db.session.commit()
    sign_in(client, jo)
    soup = page(client.get(f"/claims/{claim.id}/edit"))
    assert "we kept what you typed" not in soup.get_text()
    assert db.session.query(FormStash).count() == 0


def test_a_signed_in_contributor_is_not_held_to_the_anonymous_limit(app, make_claim, create_user):
    jo = create_user("contributor")
    claim = make_claim(jo)
    client = app.test_client()
    sign_in(client, jo)
    statuses = {
        client.post(
            f"/claims/{claim.id}/edit", data={"activity_description": "Meeting", "activity_date-day": "1"}
        ).status_code
        for _ in range(12)
    }
    assert 429 not in statuses
