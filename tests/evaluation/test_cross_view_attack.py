"""Differencing across viewers: the public Greater Manchester report beside every borough partner's version.

The attacker here reads only CSVs people can download: the public version's (signed out) and each borough
partner's for the same financial year. It knows Greater Manchester's count is the boroughs' counts plus those
of people who gave no borough (at least 0), that a count is at most its n and "yes" at most "yes or partly",
and, playing the partner of one borough, that borough's true figures exactly. For every hidden figure of any
view it solves two linear programmes (scipy's HiGHS, no code shared with coordination/disclosure.py) for the
least and greatest value it can have: a "fewer than 5" must still range over 1 to 4, a "not shown" must not be
pinned. Before the joint protection, "Greater Manchester − the other boroughs" gave a hidden count away.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from flask import g
from scipy.optimize import linprog
from sqlalchemy import select

from coordination.evaluation import periods, report
from coordination.evaluation.models import PublishedReport
from coordination.evaluation.queries import Scope
from coordination.extensions import db
from geo.boroughs import BOROUGH_CODES
from tests.conftest import sign_in
from tests.evaluation.helpers import equality_record, respond, survey_round

BOLTON, BURY, WIGAN = "E08000001", "E08000002", "E08000010"
SMALL, NOT_SHOWN = "fewer than 5", "not shown"


def _parse(text: str):
    text = text.replace(",", "")
    return text if text in (SMALL, NOT_SHOWN) else int(text)


def _csv(response) -> dict:
    """{(section, figure): (count, n)} from an impact-report CSV."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    found, section = {}, ""
    for row in rows[1:]:
        section = row[0] or section
        if not row[1] or row[1] == "Religions and beliefs named" or section == "Barriers and enablers":
            continue
        found[(section, row[1])] = (_parse(row[2]), _parse(row[3]) if row[3] else None)
    return found


@pytest.fixture
def tempting(app, create_user):
    """This financial year's answers in three boroughs and with no borough: small cells everywhere."""
    create_user("coordinator")
    plan = {
        BOLTON: {"yes": 3, "partly": 0, "no": 6},  # Bolton's "yes" is 3: GM − the others would give it away
        BURY: {"yes": 7, "partly": 2, "no": 5},
        WIGAN: {"yes": 9, "partly": 6, "no": 1},
        None: {"yes": 0, "partly": 0, "no": 2},  # two people gave no borough
    }
    for borough, answers in plan.items():
        round_ = survey_round(title=f"Round {borough}", borough_code=borough, expected_count=40)
        for answer, number in answers.items():
            for _ in range(number):
                respond(round_, {"outcome_knowledge": answer, "outcome_skills": "yes"})
        for i in range(sum(answers.values())):
            equality_record(round_, carer="up_to_9" if i < 2 else "no", sex="female" if i % 3 else "male")
    return plan


def _downloads(app, create_user, period_key: str) -> tuple[dict, dict]:
    """The public CSV and every borough partner's CSV for the financial year."""
    coordinator = app.test_client()
    sign_in(coordinator, create_user("coordinator"))
    response = coordinator.post(f"/evaluation/report/publish?period={period_key}", data={"title": "GM"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    published = db.session.scalar(select(PublishedReport).order_by(PublishedReport.id.desc()))
    public = _csv(app.test_client().get(f"/impact/{published.token}.csv"))
    partners = {}
    for borough in BOROUGH_CODES:
        g.pop("_login_user", None)  # the test's app context outlives requests: forget the last user
        client = app.test_client()
        sign_in(client, create_user("partner", boroughs=[borough]))
        partners[borough] = _csv(client.get(f"/evaluation/report.csv?period={period_key}"))
    g.pop("_login_user", None)
    return public, partners


def _attack(public: dict, partners: dict, truth: dict, own: str | None) -> list[str]:
    """Every hidden figure the attacker can narrow, with the views combined and `own` borough known exactly."""
    views = {"GM": public, **partners}
    known, bounds = {}, {}
    for view, figures in views.items():
        for figure, (count, n) in figures.items():
            for what, shown in (("count", count), ("n", n)):
                if shown is None:
                    continue
                key = (view, figure, what)
                if view == own:
                    known[key] = truth[view][figure][what]
                elif isinstance(shown, int):
                    known[key] = shown
                else:
                    bounds[key] = (1, 4) if shown == SMALL else (1, None)
    relations = []  # ({key: coefficient}, "==" or "<=")
    for figure, (count, n) in public.items():
        for what, shown in (("count", count), ("n", n)):
            if shown is None:
                continue
            rest = ("rest", figure, what)
            bounds[rest] = (0, None)  # people with no borough: unknown, at least 0
            terms = {("GM", figure, what): 1, rest: -1}
            terms.update({(b, figure, what): -1 for b in partners if (figure in partners[b])})
            relations.append((terms, "=="))
    for view, figures in views.items():
        for figure, (_, n) in figures.items():
            if n is not None:
                relations.append(({(view, figure, "count"): 1, (view, figure, "n"): -1}, "<="))
        for (section, label), _ in figures.items():
            if label.endswith(" increased"):
                wider = (section, f"{label} at least in part")
                if wider in figures:
                    relations.append(({(view, (section, label), "count"): 1, (view, wider, "count"): -1}, "<="))
                    relations.append(({(view, (section, label), "n"): 1, (view, wider, "n"): -1}, "=="))
    unknown = list(bounds)
    position = {k: i for i, k in enumerate(unknown)}
    eq, eq_b, ub, ub_b = [], [], [], []
    for terms, op in relations:
        row, rhs = np.zeros(len(unknown)), 0.0
        for key, coef in terms.items():
            if key in position:
                row[position[key]] += coef
            else:
                rhs -= coef * known[key]
        if not row.any():
            continue
        (eq if op == "==" else ub).append(row)
        (eq_b if op == "==" else ub_b).append(rhs)
    args = {"bounds": [bounds[k] for k in unknown], "method": "highs"}
    if eq:
        args.update(A_eq=np.array(eq), b_eq=np.array(eq_b))
    if ub:
        args.update(A_ub=np.array(ub), b_ub=np.array(ub_b))
    leaks = []
    for key in unknown:
        if key[0] == "rest":
            continue
        c = np.zeros(len(unknown))
        c[position[key]] = 1
        low = linprog(c, **args)
        high = linprog(-c, **args)
        assert low.status == 0, f"the attacker's model is wrong: {low.message}"
        least, most = low.fun, (-high.fun if high.status == 0 else math.inf)
        if bounds[key] == (1, 4) and (least > 1 + 1e-6 or most < 4 - 1e-6):
            leaks.append(f"{key} is 'fewer than 5' but within [{least:g}, {most:g}] (as the {own} partner)")
        elif bounds[key] == (1, None) and most - least < 0.5:
            leaks.append(f"{key} is 'not shown' but must be {least:g} (as the {own} partner)")
    return leaks


def _truth(period) -> dict:
    """The coordinator's figures for every borough: what a partner is assumed to know of their own."""
    truth = {}
    for borough in BOROUGH_CODES:
        built = report.build(Scope(borough_code=borough, start=period.start, end=period.end))
        figures = {}
        for section in built["sections"]:
            for row in section["rows"]:
                figures[(section["title"], row["label"])] = {"count": row["count"], "n": row["n"]}
        for row in built["equality_headline"]:
            figures[("Who took part", row["label"])] = {"count": row["count"], "n": row["n"]}
        for breakdown in built["equality_breakdowns"]:
            for row in breakdown["rows"]:
                figures[(f"Who took part: {breakdown['title']}", row["label"])] = {"count": row["count"], "n": row["n"]}
        figures[("Responses", "Responses in this report")] = {"count": built["responses"], "n": None}
        truth[borough] = figures
    return truth


def test_no_hidden_count_is_narrowed_by_the_public_report_beside_any_partner_view(app, create_user, tempting):
    period = periods.partner_periods()[0]
    public, partners = _downloads(app, create_user, period.key)
    # The tempting cell itself: Bolton's "yes" is hidden from Bolton's partner and GM's count is protected too.
    knowledge = ("What taking part changed for people", "Knowledge increased")
    assert partners[BOLTON][knowledge][0] == SMALL
    assert public[knowledge][0] in (SMALL, NOT_SHOWN) or any(
        partners[b][knowledge][0] in (SMALL, NOT_SHOWN) for b in (BURY, WIGAN)
    )
    truth = _truth(period)
    problems = _attack(public, partners, truth, None)
    for own in (BOLTON, BURY, WIGAN):
        problems += _attack(public, partners, truth, own)
    assert problems == []


def test_the_same_figure_is_hidden_the_same_way_for_every_viewer(app, create_user, tempting):
    """One protection per moment: a partner for Bolton and Bury sees Bolton exactly as a Bolton-only partner does."""
    period = periods.partner_periods()[0]
    _, partners = _downloads(app, create_user, period.key)
    client = app.test_client()
    sign_in(client, create_user("partner", boroughs=[BOLTON, BURY]))
    both = _csv(client.get(f"/evaluation/report.csv?period={period.key}&borough={BOLTON}"))
    g.pop("_login_user", None)
    assert both == partners[BOLTON]
    assert both[("What taking part changed for people", "Knowledge increased")][0] == SMALL


def test_partner_views_alone_are_protected_together(app, tempting):
    """Partners comparing notes (Bolton + Bury + Wigan views) learn nothing either: the pieces add up."""
    period = periods.partner_periods()[0]
    protection = report.moment_protection()
    bolton = ("partner", BOLTON, period.key)
    assert protection[(bolton, "g", "outcome_knowledge", "yes")].reason == "small"


def test_public_versions_of_every_shape_are_protected_with_the_partner_views(app, create_user):
    """A programme over all time (pieces inside each borough and year), one borough's programme in one year
    (inside a partner view) and last year's Greater Manchester (the sum of partner views, all empty): the
    moment's pieces add up, and an independent solver finds no hidden cell narrowed under its relations."""
    from coordination.evaluation import protection
    from tests import attacker

    create_user("coordinator")
    alpha_bolton = survey_round(title="Alpha Bolton", programme="Alpha", borough_code=BOLTON)
    alpha_bury = survey_round(title="Alpha Bury", programme="Alpha", borough_code=BURY)
    beta = survey_round(title="Beta Wigan", programme="Beta", borough_code=WIGAN)
    for round_, answers in ((alpha_bolton, ["yes"] * 2 + ["no"] * 7), (alpha_bury, ["yes"] * 8 + ["partly"] * 3)):
        for answer in answers:
            respond(round_, {"outcome_knowledge": answer})
        equality_record(round_, carer="no", sex="female")
    for answer in ["yes"] * 6 + ["no"] * 3:
        respond(beta, {"outcome_knowledge": answer})
    this_year, last_year = periods.partner_periods()[:2]
    coordinator = app.test_client()
    sign_in(coordinator, create_user("coordinator"))
    for query in (
        "programme=Alpha",
        f"programme=Beta&borough={WIGAN}&period={this_year.key}",
        f"period={last_year.key}",
    ):
        response = coordinator.post(f"/evaluation/report/publish?{query}", data={"title": query})
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    g.pop("_login_user", None)
    published = db.session.scalars(select(PublishedReport)).all()
    assert len(published) == 3
    for item in published:
        assert app.test_client().get(f"/impact/{item.token}.csv").status_code == 200

    public = {p.id: report.queries.scope_of(p) for p in published}
    moment = protection.gather(periods.partner_periods(), public, lambda s: report.figures(s, "coordinator"))
    kinds = {view[0] for view in moment.views}
    assert {"partner", "public", "piece"} <= kinds  # Alpha's pieces in Bolton and Bury this year
    values, relations, _, unseen = protection.problem(moment)
    assert all(v >= 0 for v in values.values())
    result = report.moment_protection()
    shown = {
        k: (attacker.SMALL if result[k].reason == "small" else attacker.NOT_SHOWN) if result[k].hidden else values[k]
        for k in values
        if values[k] or result[k].hidden
    }
    zero = {k for k in values if k not in shown}
    related = [
        ({k: c for k, c in r.terms if k not in zero}, r.op, r.constant)
        for r in relations
        if any(k not in zero for k, _ in r.terms)
    ]
    assert attacker.leaks(shown, related, truth=values) == []
    bolton = ("partner", BOLTON, this_year.key)
    assert result[(bolton, "g", "outcome_knowledge", "yes")].reason == "small"
    assert unseen and all(result[k].hidden for k in unseen if values[k])
