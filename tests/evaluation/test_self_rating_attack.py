"""The before-and-after self-rating averages, attacked.

Each person who rated themselves before and after moved by −4 to +4 points (1 to 5): those rated higher by 1 to 4,
the others by 0 to −4. So an average change, with its n, bounds how many rated themselves higher: +1.6 over 10 people
is a total of +16, which needs at least 4 of them. Beside "fewer than 5" for that count, it gave the count away.
The averages are now shown only when the count they bound is shown too (and, as before, only with their n).

Across views (a public version beside the boroughs' partner versions) the averages add up exactly as their counts
do (a view's total of ratings = the sum over the pieces it is made of), and each view shows its averages only where
its own counts are shown, so subtracting views gives a hidden group's total of ratings only where it would give
the hidden count itself, which the joint protection prevents (docs/evaluation.md, privacy).
"""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select

from coordination.evaluation import periods, report
from coordination.evaluation.models import PublishedReport
from coordination.evaluation.protection import partner_scope
from coordination.evaluation.queries import Scope
from coordination.extensions import db
from geo.boroughs import BOROUGH_CODES
from tests.conftest import page, sign_in
from tests.evaluation.helpers import respond, survey_round

BOLTON, BURY = "E08000001", "E08000002"


def _rate(round_, pairs):
    for before, after in pairs:
        respond(round_, {"outcome_confidence": "yes", "before_confidence": before, "after_confidence": after})


def _higher_consistent_with(n: int, change_text: str | None) -> set[int]:
    """Every count of 'rated higher' from 1 to 4 that the shown n and average change (as printed) allow."""
    possible = set()
    for higher in range(1, 5):
        low, high = higher * 1 + (n - higher) * -4, higher * 4  # the least and greatest total change
        if change_text is None or any(f"{total / n:+.1f}" == change_text for total in range(low, high + 1)):
            possible.add(higher)
    return possible


@pytest.fixture
def four_rose(app):
    """Ten people rated themselves before and after: 4 went from 1 to 5, 6 stayed at 3."""
    round_ = survey_round(programme="Ratings")
    _rate(round_, [(1, 5)] * 4 + [(3, 3)] * 6)
    return Scope(programme="Ratings")


def test_the_averages_beside_a_small_hidden_count_give_it_away(four_rose):
    """The attack is real: with the averages of the unprotected figures, the hidden 'fewer than 5' is pinned."""
    built = report.build(four_rose)
    assert built["self_rating"]["n"] == 10 and f"{built['self_rating']['change']:+.1f}" == "+1.6"
    assert _higher_consistent_with(10, "+1.6") == {4}


def test_protected_figures_hide_the_averages_when_the_count_they_bound_is_hidden(four_rose):
    shown = report.protect(report.build(four_rose))
    rating = shown["self_rating"]
    assert rating["improved"]["count"] is None and rating["improved"]["count_hidden"] == "fewer than 5"
    assert rating["n"] == 10  # n stays: 4 + 6 with both hidden still lets "higher" be anything from 1 to 4
    assert rating["before"] is None and rating["after"] is None and rating["change"] is None
    assert rating["averages_hidden"]
    assert _higher_consistent_with(rating["n"], None) == {1, 2, 3, 4}


def test_the_averages_are_shown_when_their_counts_are(app):
    round_ = survey_round(programme="Plenty")
    _rate(round_, [(2, 4)] * 6 + [(3, 3)] * 6)
    rating = report.protect(report.build(Scope(programme="Plenty")))["self_rating"]
    assert rating["improved"]["count"] == 6 and rating["n"] == 12
    assert rating["before"] == pytest.approx(2.5) and rating["after"] == pytest.approx(3.5)
    assert rating["change"] == pytest.approx(1.0)


def test_the_partner_page_says_why_the_averages_are_not_shown(signed_in, create_user, app):
    period = periods.partner_periods()[0]
    round_ = survey_round(title="Bolton ratings", borough_code=BOLTON)
    _rate(round_, [(1, 5)] * 4 + [(3, 3)] * 6)
    query = "&".join(f"{k}={v}" for k, v in periods.args_for(period).items())
    client, _ = signed_in("coordinator")
    coordinator = page(client.get(f"/evaluation/report?{query}&borough={BOLTON}"))
    assert "+1.6" in coordinator.select_one("#self-rating").get_text()
    g.pop("_login_user", None)  # the test's app context outlives requests: forget the coordinator
    partner = app.test_client()
    sign_in(partner, create_user("partner", boroughs=[BOLTON]))
    soup = page(partner.get(f"/evaluation/report?{query}"))
    g.pop("_login_user", None)
    shown = soup.select_one("#self-rating").get_text(" ", strip=True)
    assert "Average change" not in shown and "+1.6" not in shown
    assert "Not shown, to protect small numbers" in shown and "fewer than 5" in shown


def test_across_views_an_average_is_only_shown_where_its_counts_are(signed_in, app):
    """Bolton's ratings are few (3 people), Bury's many, and the public version covers Greater Manchester: in
    every view anyone sees, an average is shown only where its n and its 'rated higher' count are, so the views
    add up for the averages' totals no further than for the counts the joint protection already keeps."""
    period = periods.partner_periods()[0]
    bolton = survey_round(title="Bolton ratings", borough_code=BOLTON)
    _rate(bolton, [(1, 5)] * 2 + [(2, 2)])
    bury = survey_round(title="Bury ratings", borough_code=BURY)
    _rate(bury, [(2, 4)] * 7 + [(3, 3)] * 6)
    client, _ = signed_in("coordinator")
    query = "&".join(f"{k}={v}" for k, v in periods.args_for(period).items())
    assert client.post(f"/evaluation/report/publish?{query}", data={"title": "GM"}).status_code == 302
    published = db.session.scalar(select(PublishedReport).order_by(PublishedReport.id.desc()))
    views = {b: report.figures(partner_scope(b, period), "partner") for b in BOROUGH_CODES}
    views["public"] = report.published_figures(published)
    assert views[BOLTON]["self_rating"]["before"] is None  # 3 people: hidden with their n
    for name, figures in views.items():
        rating = figures["self_rating"]
        if rating["before"] is not None:
            assert rating["n"] is not None and rating["improved"]["count"] is not None, name
    # Greater Manchester − Bury would be Bolton's ratings: the public averages are hidden with the counts.
    public = views["public"]["self_rating"]
    assert public["before"] is None or views[BURY]["self_rating"]["before"] is None
