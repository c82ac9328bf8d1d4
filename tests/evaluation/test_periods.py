"""The report's periods: financial years and quarters by name, or dates typed in GOV.UK's three boxes."""

from __future__ import annotations

from datetime import date, datetime

from coordination.evaluation import periods
from tests.conftest import page
from tests.evaluation.helpers import respond, survey_round

TODAY = date(2026, 11, 29)


def test_named_periods_are_financial_years_and_their_quarters():
    named = {p.key: p for p in periods.named_periods(TODAY)}
    assert named["fy2026"].start == date(2026, 4, 1) and named["fy2026"].end == date(2027, 3, 31)
    assert named["fy2026"].label == "Financial year 2026 to 2027"
    q3 = named["fy2026q3"]
    assert (q3.start, q3.end) == (date(2026, 10, 1), date(2026, 12, 31))
    assert q3.label == "October to December 2026 (quarter 3 of 2026 to 2027)"
    assert "fy2026q4" not in named  # January 2027 has not started yet
    q4 = named["fy2025q4"]
    assert (q4.start, q4.end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert named["12m"].start == date(2025, 11, 30) and named["12m"].end == TODAY
    assert periods.named_periods(TODAY)[0].key == "all"
    # Older years are found by key although the list stops at four back.
    assert periods.find("fy2015q2", TODAY).start == date(2015, 7, 1)
    assert periods.find("fy20x", TODAY) is None and periods.find("nonsense", TODAY) is None


def test_financial_year_of_a_day():
    assert periods.financial_year(date(2026, 3, 31)) == 2025
    assert periods.financial_year(date(2026, 4, 1)) == 2026


def _choice(**args):
    return periods.chosen(args, TODAY)


def test_typed_dates_are_checked_with_clear_messages_and_kept():
    good = _choice(period="custom", **{"start-day": "1", "start-month": "4", "start-year": "2026"})
    assert not good.errors and good.period.start == date(2026, 4, 1) and good.period.end is None
    assert good.period.label == "1 April 2026 to today"
    cases = {
        ("31", "2", "2026"): "The start date must be a real date, like 27 3 2026",
        ("", "2", "2026"): "The start date must include a day",
        ("1", "", ""): "The start date must include a month and a year",
        ("1", "Feb", "2026"): "The start date must be in numbers, like 27 3 2026",
        ("1", "2", "26"): "The start date: the year must have 4 numbers, like 2026",
    }
    for (day, month, year), message in cases.items():
        choice = _choice(period="custom", **{"start-day": day, "start-month": month, "start-year": year})
        assert choice.errors == {"start": message}
        assert choice.typed["start-day"] == day and choice.typed["start-month"] == month  # nothing typed lost
    backwards = _choice(
        period="custom",
        **{
            "start-day": "2",
            "start-month": "5",
            "start-year": "2026",
            "end-day": "1",
            "end-month": "5",
            "end-year": "2026",
        },
    )
    assert backwards.errors == {"end": "The end date must be the same as or after the start date"}
    assert _choice(period="custom").errors == {"start": "Enter a start date, an end date or both"}
    future = _choice(period="custom", **{"start-day": "1", "start-month": "1", "start-year": "2030"})
    assert future.errors == {"start": "The start date must be today or in the past"}


def test_old_links_with_iso_dates_still_work():
    choice = _choice(start="2026-04-01", end="2026-06-30")
    assert (choice.period.start, choice.period.end, choice.key) == (date(2026, 4, 1), date(2026, 6, 30), "custom")
    assert _choice(start="2026-13-01").errors == {"start": "The start date must be a real date, like 27 3 2026"}


def test_the_report_filters_by_a_named_quarter_and_explains_bad_dates(signed_in, app):
    round_ = survey_round(programme="Periods")
    respond(round_, {"outcome_knowledge": "yes"}, when=datetime(2025, 5, 2, 10))
    respond(round_, {"outcome_knowledge": "no"}, when=datetime(2025, 11, 2, 10))
    client, _ = signed_in("coordinator")
    soup = page(client.get("/evaluation/report?programme=Periods&period=fy2025q1"))
    assert soup.select_one("#report-scope").get_text(" ", strip=True).startswith("1 response")
    assert soup.select_one("#period option[selected]")["value"] == "fy2025q1"
    assert "period=fy2025q1" in soup.find("a", string="Download the figures (CSV)")["href"]

    response = client.get(
        "/evaluation/report?programme=Periods&period=custom&start-day=31&start-month=2&start-year=2025"
    )
    assert response.status_code == 400
    soup = page(response)
    summary = soup.select_one(".govuk-error-summary")
    assert "The start date must be a real date" in summary.get_text()
    assert summary.select_one("a")["href"] == "#start-day"
    assert soup.select_one("#start-day")["value"] == "31" and soup.select_one("#start-month")["value"] == "2"
    assert soup.select_one("#report-scope") is None  # no figures for a period that could not be read
    assert soup.title.get_text().startswith("Error:")

    custom = page(
        client.get(
            "/evaluation/report?programme=Periods&period=custom&start-day=1&start-month=10&start-year=2025"
            "&end-day=30&end-month=11&end-year=2025"
        )
    )
    assert custom.select_one("#report-scope").get_text(" ", strip=True).startswith("1 response")
    assert custom.select_one("#start-day")["value"] == "1"


def test_partners_choose_financial_years_only(signed_in, app):
    client, _ = signed_in("partner")
    soup = page(client.get("/evaluation/report?period=custom&start-day=1&start-month=1&start-year=2020"))
    assert not soup.select("#start-day")
    offered = [o["value"] for o in soup.select("#period option")]
    assert offered and all(v.startswith("fy") and len(v) == 6 for v in offered)  # no quarters, 12 months, all time
    assert soup.select_one("#period option[selected]")["value"] == offered[0]  # the current financial year
    # A quarter asked for by hand is not given: a year and its quarters could be subtracted.
    soup = page(client.get("/evaluation/report?period=fy2025q1"))
    assert soup.select_one("#period option[selected]")["value"] == offered[0]
    assert "2020" not in soup.select_one("#report-scope").get_text()
