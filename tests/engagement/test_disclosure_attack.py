"""The attacker: a partner downloads everything they can see at one moment and does the arithmetic.

Independent of coordination/disclosure.py and coordination/engagement/protection.py: it reads only
what the pages and CSVs publish (through the test client, as a partner), writes down every linear
relation a reader knows between those figures, and asks tests/attacker.py (linear programming) how
far each hidden figure can be narrowed. A "fewer than 5" must still range over 1 to 4; a "not shown"
must not be pinned. Hypothesis generates engagement data full of small counts.
"""

import csv
import io
import os
import re
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import g
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from coordination.communities.models import EventType
from coordination.engagement import gap_map, queries
from coordination.engagement.figures import FIGURES
from coordination.extensions import db
from coordination.timeutil import utcnow
from tests import attacker
from tests.communities import factories as f
from tests.conftest import page, sign_in
from tests.engagement.pages import overview_with_map

PASSWORD = "demo-password-123"
ROCHDALE, MANCHESTER, OLDHAM, BURY = "E08000005", "E08000003", "E08000004", "E08000002"
BOROUGHS = (ROCHDALE, MANCHESTER, OLDHAM, BURY)
LABEL = {figure.label: figure.key for figure in FIGURES}
COUNTS = [figure.key for figure in FIGURES if figure.kind == "count"]
TYPES = [
    "attended_regular_meeting",
    "attended_masterclass",
    "attended_workshop",
    "attended_roundtable",
    "attended_one_off",
]
TITLES = {
    "Regular meetings": "regular_meeting",
    "Masterclasses": "masterclass",
    "Workshops": "workshop",
    "Roundtables": "roundtable",
    "One-off events": "one_off",
}


def value(textual: str):
    textual = textual.strip()
    if textual in (attacker.SMALL, attacker.NOT_SHOWN):
        return textual
    return int(textual.replace(",", ""))


# --------------------------------------------------------------------------- what the partner downloads


def download(client) -> tuple[dict, list[dict]]:
    """Every count the partner can see at this moment, keyed by what it is, and the CSV rows."""
    published, rows = {}, []
    for period in queries.periods():
        response = client.get(f"/engagement/figures.csv?period={period.key}")
        assert response.status_code == 200
        for row in csv.DictReader(io.StringIO(response.get_data(as_text=True))):
            row["period"] = period.key
            rows.append(row)
            for label, key in LABEL.items():
                if key in COUNTS:
                    published[("fig", period.key, key, row["Borough"], row["Practice area"])] = value(row[label])
        soup = page(client.get(f"/engagement/attendance?period={period.key}"))
        for tr in soup.select("#attendance-summary tbody tr"):
            cells = [td.get_text(strip=True) for td in tr.select("td")]
            if len(cells) == 3:
                published[("page", period.key, TITLES[tr.th.get_text(strip=True)])] = value(cells[1])
        table = soup.select_one("#attendance-table")
        if table:
            names = [TITLES[th.get_text(strip=True)] for th in table.select("thead th")[1:]]
            for tr in table.select("tbody tr"):
                for name, td in zip(names, tr.select("td")):
                    published[("quarter", tr.th.get_text(strip=True), name)] = value(td.get_text())
    return published, rows


def relations_between(published: dict) -> list:
    """Every linear relation a reader of the engagement guide knows between the published counts."""
    relations = []
    figs = {k[1:] for k in published if k[0] == "fig"}
    periods = sorted({k[0] for k in figs})
    areas = sorted({k[3] for k in figs})
    boroughs = sorted({k[2] for k in figs} - {"Greater Manchester"})
    all_areas = "All practice areas"

    def at(period, measure, borough, area):
        return ("fig", period, measure, borough, area)

    def le(left: dict, right: dict):
        terms = dict(left)
        for k, c in right.items():
            terms[k] = terms.get(k, 0) - c
        relations.append((terms, "<=", 0))

    for period in periods:
        for area in areas:
            for measure in COUNTS:
                relations.append(
                    (
                        {
                            at(period, measure, "Greater Manchester", area): 1,
                            **{at(period, measure, b, area): -1 for b in boroughs},
                        },
                        "==",
                        0,
                    )
                )
            for borough in [*boroughs, "Greater Manchester"]:

                def c(measure, period=period, borough=borough, area=area):
                    return at(period, measure, borough, area)

                relations.append(({c("attended_total"): 1, **{c(t): -1 for t in TYPES}}, "==", 0))
                le({c("new_reached"): 1}, {c("engaged"): 1})
                le({c("engaged"): 1, c("never_engaged"): 1}, {c("directory"): 1})
                if period == "all":  # nothing in the generated data is dated in the future
                    relations.append(({c("never_engaged"): 1, c("engaged"): 1, c("directory"): -1}, "==", 0))
                    relations.append(({c("new_reached"): 1, c("engaged"): -1}, "==", 0))
                if area != all_areas:
                    for measure in ("directory", "engaged", "new_reached", "never_engaged", "lived_experience_people"):
                        le({c(measure): 1}, {at(period, measure, borough, all_areas): 1})
        for borough in [*boroughs, "Greater Manchester"]:
            for measure in [*TYPES, "attended_total"]:
                le(
                    {at(period, measure, borough, a): 1 for a in areas if a != all_areas},
                    {at(period, measure, borough, all_areas): 1},
                )
    years = [p for p in periods if p.isdigit()]
    this_year = str(utcnow().year)
    for measure in COUNTS:
        for borough in [*boroughs, "Greater Manchester"]:
            for area in areas:
                for period in periods:
                    if period == "all":
                        continue
                    if measure in ("directory", "never_engaged"):
                        relations.append(
                            ({at(period, measure, borough, area): 1, at("all", measure, borough, area): -1}, "==", 0)
                        )
                    else:
                        le({at(period, measure, borough, area): 1}, {at("all", measure, borough, area): 1})
                if measure in ("new_reached", *TYPES, "attended_total"):
                    le({at(y, measure, borough, area): 1 for y in years}, {at("all", measure, borough, area): 1})
                    le(
                        {at("12m", measure, borough, area): 1},
                        {
                            at(this_year, measure, borough, area): 1,
                            at(str(int(this_year) - 1), measure, borough, area): 1,
                        },
                    )
    # The attendance page: per-type totals are sums of its quarters; GM's located attendance is within them.
    quarters = sorted({k[1] for k in published if k[0] == "quarter"})
    for period in periods:
        chosen = [q for q in quarters if _overlaps(q, period)]
        for event_type in TITLES.values():
            total = ("page", period, event_type)
            if total in published:
                relations.append(
                    (
                        {
                            total: 1,
                            **{
                                ("quarter", q, event_type): -1
                                for q in chosen
                                if ("quarter", q, event_type) in published
                            },
                        },
                        "==",
                        0,
                    )
                )
                le({at(period, f"attended_{event_type}", "Greater Manchester", all_areas): 1}, {total: 1})
            else:
                le({at(period, f"attended_{event_type}", "Greater Manchester", all_areas): 1}, {})
    return [r for r in relations if all(k in published for k in r[0])]


def _overlaps(quarter: str, period_key: str) -> bool:
    period = queries.find_period(period_key)
    year, first_month = int(quarter[:4]), 3 * (int(quarter[-1]) - 1) + 1
    start = date(year, first_month, 1)
    end = date(year + 1, 1, 1) if first_month == 10 else date(year, first_month + 3, 1)
    return start < period.end and period.start < end


def derived_figures_hide_with_their_counts(rows: list[dict]) -> list[str]:
    """A rate or index shown beside a hidden count would give the count back (population is public)."""
    problems = []
    hidden = (attacker.SMALL, attacker.NOT_SHOWN)
    gm = {(r["period"], r["Practice area"]): r for r in rows if r["Borough"] == "Greater Manchester"}
    for row in rows:
        engaged_hidden = row["Organisations engaged"] in hidden
        gm_hidden = gm[(row["period"], row["Practice area"])]["Organisations engaged"] in hidden
        for label in (
            "Engaged organisations per 100,000 residents",
            "Gap index",
            "Gap index weighted by need",
            "Engagement rate",
        ):
            if (engaged_hidden or (gm_hidden and "Gap" in label)) and row[label] not in (attacker.NOT_SHOWN,):
                problems.append(f"{row['period']} {row['Borough']} {row['Practice area']}: {label} {row[label]}")
        if row["Organisations in the directory"] in hidden and row["Engagement rate"] != attacker.NOT_SHOWN:
            problems.append(f"{row['Borough']}: engagement rate beside a hidden directory count")
    return problems


def every_view_agrees_and_markers_stay_home(client, rows: list[dict]) -> list[str]:
    """The table and the map payload say what the CSV says; markers only in the partner's borough."""
    problems = []
    by = {(r["period"], r["Borough"], r["Practice area"]): r for r in rows}
    for period in ("12m", "all"):
        html = overview_with_map(client, f"/engagement/?period={period}")
        soup = BeautifulSoup(html, "html.parser")
        for tr in soup.select("#borough-figures tbody tr"):
            name = tr.th.get_text(strip=True)
            csv_row = by[(period, name, "All practice areas")]
            for td in tr.select("td"):
                label = next(fi.label for fi in FIGURES if fi.key == td["data-figure"])
                if td.get_text(strip=True) != csv_row[label]:
                    problems.append(f"{period} {name} {label}: table {td.get_text(strip=True)} csv {csv_row[label]}")
        for match in re.finditer(r'"properties": \{[^{}]*"name": "([^"]+)"[^{}]*"engaged_display": "([^"]+)"', html):
            if by[(period, match.group(1), "All practice areas")]["Organisations engaged"] != match.group(2):
                problems.append(f"map {match.group(1)} {match.group(2)}")
        own = by[(period, "Rochdale", "All practice areas")]
        shown = sum(int(n.replace(",", "")) for n in re.findall(r"ngaged in this period \(([\d,]+)\)", html))
        if shown > int(own["Organisations in the directory"].replace(",", "")):
            problems.append(f"{period}: {shown} markers but Rochdale has {own['Organisations in the directory']}")
    return problems


def attack(client, truth: dict | None = None) -> list[str]:
    """Everything one partner can work out. truth (what the coordinator downloads) only speeds the
    attacker up: true figures are a starting point for its programmes, never a shortcut to a verdict."""
    published, rows = download(client)
    if truth is not None:  # (the demo always has small numbers: a download without any was not the partner's)
        assert any(v in (attacker.SMALL, attacker.NOT_SHOWN) for v in published.values()), "nothing hidden"
    problems = attacker.leaks(published, relations_between(published), point=truth)
    problems += derived_figures_hide_with_their_counts(rows)
    problems += every_view_agrees_and_markers_stay_home(client, rows)
    return problems


# --------------------------------------------------------------------------- generated data


def _empty_tables():
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            from coordination.audit import AUDIT_GUARD_SQL

            connection.execute(text("DROP TRIGGER IF EXISTS audit_entry_no_delete"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
            connection.execute(text(AUDIT_GUARD_SQL["sqlite"][1]))


organisations = st.lists(
    st.tuples(st.sampled_from(range(len(BOROUGHS))), st.sampled_from([(), (0,), (1,), (0, 1)])), min_size=1, max_size=9
)
events = st.lists(
    st.tuples(
        st.sampled_from([EventType.REGULAR_MEETING, EventType.MASTERCLASS, EventType.WORKSHOP]),
        st.integers(1, 700),
        st.sampled_from([None, 0, 1]),
    ),
    min_size=0,
    max_size=4,
)
attendance = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 8), st.booleans()), min_size=0, max_size=14)
memberships = st.lists(st.tuples(st.integers(0, 8), st.integers(30, 900), st.sampled_from([None, 10, 200])), max_size=3)


def build(orgs, event_rows, attendance_rows, membership_rows):
    concepts = [f.concept("peer support"), f.concept("social prescribing")]
    made = [f.organisation(f"Org {n}", BOROUGHS[b], [concepts[a] for a in tags]) for n, (b, tags) in enumerate(orgs)]
    communities = [
        f.community("Peer", area=concepts[0]),
        f.community("Social", area=concepts[1]),
        f.community("General"),
    ]
    today = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
    held = [
        f.event(communities[2 if c is None else c], today - timedelta(days=days), kind) for kind, days, c in event_rows
    ]
    for event_index, org_index, lived in attendance_rows:
        if held and made:
            organisation = made[org_index % len(made)]
            f.attend(held[event_index % len(held)], f.person(organisation=organisation, lived_experience=lived))
    for org_index, days, left in membership_rows:
        organisation = made[org_index % len(made)]
        joined = today.date() - timedelta(days=days)
        f.member(
            communities[org_index % 2],
            f.person(organisation=organisation),
            joined=joined,
            left=joined + timedelta(days=left) if left and left < days else None,
        )
    db.session.commit()


@pytest.mark.filterwarnings("ignore")
@settings(
    max_examples=int(os.environ.get("ATTACK_EXAMPLES", "6")),
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # (shrinking a page-level failure takes ages)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(organisations, events, attendance, memberships)
def test_a_partner_can_work_out_no_hidden_figure_from_everything_they_can_download(
    app, client, create_user, orgs, event_rows, attendance_rows, membership_rows
):
    _empty_tables()
    gap_map.cache().clear()
    build(orgs, event_rows, attendance_rows, membership_rows)
    sign_in(client, create_user("partner"))
    problems = attack(client)
    assert problems == [], "\n".join(problems[:20])


def test_the_attacker_does_break_primary_suppression_alone(app):
    # The attacker is not toothless: with only "fewer than 5" applied, subtraction finds the count.
    published = {
        ("fig", "all", "engaged", "Greater Manchester", "All practice areas"): 9,
        ("fig", "all", "engaged", "Oldham", "All practice areas"): attacker.SMALL,
        ("fig", "all", "engaged", "Rochdale", "All practice areas"): 6,
    }
    problems = attacker.leaks(published, relations_between(published))
    assert problems and "Oldham" in problems[0]


@pytest.mark.slow  # about 40 s: the seed, the protection, both downloads and the attacker's programmes
def test_the_demo_data_gives_nothing_away(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed"], env={"DEMO_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    from coordination.accounts.models import User

    coordinator = app.test_client()
    sign_in(coordinator, db.session.scalar(db.select(User).where(User.email == "coordinator@example.org")), PASSWORD)
    truth, _ = download(coordinator)
    g.pop("_login_user", None)  # the test's app context outlives requests: forget the coordinator
    partner = db.session.scalar(db.select(User).where(User.email == "partner.rochdale@example.org"))
    sign_in(client, partner, PASSWORD)
    gap_map.cache().clear()
    problems = attack(client, truth)
    assert problems == [], "\n".join(problems[:20])
