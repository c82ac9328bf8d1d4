"""Partners' protected figures are made once per moment, stored, and (on a server) made in the background."""

from __future__ import annotations

from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from coordination.engagement import protection, publication, queries
from coordination.engagement.models import EngagementPublication
from coordination.extensions import db
from tests.communities import factories as f
from tests.conftest import page
from tests.engagement.test_views import scene  # noqa: F401 (the same small scene)

ROCHDALE, MANCHESTER = "E08000005", "E08000003"
HIDDEN = ("fewer than 5", "not shown")


def _engage(scene, organisations) -> None:
    """Record these organisations as attending a new peer-support event today."""
    event = f.event(f.community(area=scene["peer"]), datetime.now().replace(microsecond=0))
    for org in organisations:
        f.attend(event, f.person(organisation=org))
    db.session.commit()


@pytest.fixture
def in_background(app):
    app.config["ENGAGEMENT_PUBLISH_IN_BACKGROUND"] = True
    yield
    publication.wait_for_builds()
    app.config["ENGAGEMENT_PUBLISH_IN_BACKGROUND"] = False


def _publications():
    db.session.expire_all()
    return db.session.scalars(select(EngagementPublication).order_by(EngagementPublication.id)).all()


def _engaged(html, name="Manchester") -> str:
    soup = BeautifulSoup(html, "html.parser")
    row = next(tr for tr in soup.select("#borough-figures tbody tr") if tr.th.get_text(strip=True) == name)
    headers = [th.get_text(" ", strip=True) for th in soup.select("#borough-figures thead th")]
    cells = [row.th, *row.select("td")]
    return cells[headers.index("Organisations engaged")].get_text(" ", strip=True)


def test_a_stored_publication_gives_back_exactly_the_protection_it_was_made_with(app, scene):
    periods = queries.periods()
    moment = protection.gather(periods)
    expected = protection.protect(moment, (ROCHDALE,))
    made = publication.build((ROCHDALE,))
    loaded = publication.current((ROCHDALE,))
    assert loaded.id == made and loaded.current
    assert loaded.protection.cells == expected.cells
    assert loaded.protection.primary == expected.primary and loaded.protection.secondary == expected.secondary
    assert loaded.moment.rows == moment.rows and loaded.moment.timeline == moment.timeline
    assert [p.key for p in loaded.moment.periods] == [p.key for p in periods]


def test_the_protection_is_made_once_per_moment_and_viewer_and_again_when_the_figures_change(signed_in, scene):
    client, _ = signed_in("partner")
    assert client.get("/engagement/").status_code == 200
    assert client.get("/engagement/figures.csv").status_code == 200
    assert client.get("/engagement/attendance").status_code == 200
    assert len(_publications()) == 1, "every page of one moment reads the same publication"
    _engage(scene, scene["manchester"][1:])
    assert client.get("/engagement/").status_code == 200
    made = _publications()
    assert len(made) == 2 and made[0].moment != made[1].moment
    assert all(p.state == publication.READY and p.seconds is not None for p in made)


def test_with_no_publication_yet_a_partner_is_told_the_figures_are_being_prepared(app, signed_in, scene, in_background):
    client, _ = signed_in("partner")
    response = client.get("/engagement/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    prepared = page(response)
    assert "being prepared" in prepared.h1.get_text()
    assert prepared.select_one("a.govuk-button")["href"].startswith("/engagement/")
    assert client.get("/engagement/figures.csv").status_code == 503, "no CSV of unprotected figures meanwhile"
    publication.wait_for_builds()
    ready = client.get("/engagement/")
    assert ready.status_code == 200
    note = page(ready).select_one("#figures-as-at").get_text(" ", strip=True)
    assert note.startswith("Figures as at") and "being prepared" not in note
    assert _engaged(ready.get_data(as_text=True)) in HIDDEN


def test_after_a_change_partners_see_the_last_protected_figures_labelled_until_the_new_ones_are_ready(
    app, signed_in, scene, in_background
):
    client, _ = signed_in("partner")
    client.get("/engagement/")
    publication.wait_for_builds()
    assert _engaged(client.get("/engagement/").get_data(as_text=True), "Rochdale") == "5"
    _engage(scene, [*scene["manchester"][1:], scene["rochdale"][5]])

    meanwhile = client.get("/engagement/")
    assert meanwhile.status_code == 200
    note = page(meanwhile).select_one("#figures-as-at").get_text(" ", strip=True)
    assert "Newer figures are being prepared" in note
    # The old moment's figures with the old moment's protection: never today's counts with yesterday's
    # hidden cells (Manchester had 1 engaged then, and still reads "fewer than 5").
    assert _engaged(meanwhile.get_data(as_text=True)) in HIDDEN
    assert _engaged(meanwhile.get_data(as_text=True), "Rochdale") == "5"

    publication.wait_for_builds()
    fresh = client.get("/engagement/")
    assert "being prepared" not in page(fresh).select_one("#figures-as-at").get_text()
    assert _engaged(fresh.get_data(as_text=True)) in HIDDEN  # now 2: still small
    assert _engaged(fresh.get_data(as_text=True), "Rochdale") == "6"
    assert db.session.scalar(select(func.count()).select_from(EngagementPublication)) == 2


def test_one_build_per_moment_however_many_requests_arrive(app, signed_in, scene, in_background):
    client, _ = signed_in("partner")
    for _ in range(5):
        client.get("/engagement/")
    publication.wait_for_builds()
    rows = _publications()
    assert len(rows) == 1 and rows[0].state == publication.READY


def test_a_failed_build_is_recorded_and_tried_again_later(app, signed_in, scene, in_background, monkeypatch):
    client, _ = signed_in("partner")

    def broken(*_args, **_kwargs):
        raise RuntimeError("The published figures are inconsistent")

    monkeypatch.setattr(protection, "protect", broken)
    assert client.get("/engagement/").status_code == 503
    publication.wait_for_builds()
    [failed] = _publications()
    assert failed.state == publication.FAILED and "inconsistent" in failed.message
    assert client.get("/engagement/").status_code == 503  # not retried at once
    publication.wait_for_builds()
    assert _publications()[0].state == publication.FAILED
    monkeypatch.undo()
    failed.started_at = failed.started_at - publication.RETRY_FAILED * 2
    db.session.commit()
    client.get("/engagement/")
    publication.wait_for_builds()
    assert _publications()[0].state == publication.READY


def test_the_command_line_publishes_for_every_partner_account(app, scene, signed_in):
    signed_in("partner")  # a partner account for Rochdale
    result = app.test_cli_runner().invoke(args=["engagement", "publish"])
    assert result.exit_code == 0, result.output
    assert "published for E08000005" in result.output
    assert [p.viewer for p in _publications()] == ["E08000005"]
    again = app.test_cli_runner().invoke(args=["engagement", "publish"])
    assert "already up to date for E08000005" in again.output
    assert len(_publications()) == 1


def test_the_coordinator_never_waits_for_a_publication(signed_in, scene, in_background):
    client, _ = signed_in("coordinator")
    response = client.get("/engagement/")
    assert response.status_code == 200
    assert page(response).select_one("#figures-as-at") is None
    assert _publications() == []
