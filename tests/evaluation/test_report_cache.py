"""The report's figures are cached on the app by the data version of the tables they read: a second look is a
look-up, and any change to an answer, equality record, comparator, theme or round is seen at once."""

from __future__ import annotations

from coordination.caching import app_cache
from coordination.evaluation import operations, report
from coordination.evaluation.queries import Scope
from coordination.extensions import db
from tests.evaluation.helpers import equality_record, respond, survey_round


def _cache():
    return app_cache("evaluation-report", maxsize=64)


def test_a_second_look_is_served_from_the_cache(app):
    round_ = survey_round(programme="Cached")
    respond(round_, {"outcome_knowledge": "yes"})
    first = report.figures(Scope(programme="Cached"))
    misses, hits = _cache().misses, _cache().hits
    again = report.figures(Scope(programme="Cached"))
    assert again is first
    assert (_cache().misses, _cache().hits) == (misses, hits + 1)
    # Each viewer's version is its own entry: a partner never gets the coordinator's figures.
    assert report.figures(Scope(programme="Cached"), "public")["protected"] is True
    assert first["protected"] is False


def test_every_change_the_report_reads_is_seen_at_once(app):
    round_ = survey_round(programme="Fresh")
    respond(round_, {"outcome_knowledge": "yes"})
    scope = Scope(programme="Fresh")
    assert report.figures(scope)["responses"] == 1

    respond(round_, {"outcome_knowledge": "no"})
    assert report.figures(scope)["responses"] == 2

    equality_record(round_, sex="female")
    assert report.figures(scope)["equality_records"] == 1

    operations.add_comparator(
        measure="women", name="Sector workforce", percent="67", source="Survey 2025", source_url=None
    )
    women = next(r for r in report.figures(scope)["equality_headline"] if r["key"] == "women")
    assert [c["name"] for c in women["comparators"]][-1] == "Sector workforce"

    round_.expected_count = 10
    db.session.commit()
    assert report.figures(scope)["expected"] == 10


def test_the_cached_report_holds_no_database_objects(app):
    round_ = survey_round(programme="Plain")
    respond(round_, {"outcome_knowledge": "yes"})
    built = report.figures(Scope(programme="Plain"))
    db.session.expunge_all()  # a later request's session: nothing in the cached figures may need the old one
    assert built["rounds"] == 1
    assert isinstance(built["sections"][0]["rows"][0], dict)
