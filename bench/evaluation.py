"""Benchmark: the impact report at Greater Manchester scale, cold, cached, and the naive way.

Seeds a GM-scale evaluation into a throwaway SQLite database under /tmp: three programmes, a round of each
ready-made questionnaire per programme and borough (90 rounds), thousands of responses with their answers,
three in four with equality monitoring, themes tagged on the written answers. Then prints, for the
coordinator's GM-wide report, its protected (public) version and Bolton's partner view this financial year:

* cold: the figures built from the database (responses, answers and themes read as plain rows in four queries)
  and, for the public and partner versions, the joint disclosure control over everything published at this
  moment (every borough's partner view for every financial year offered, and the public version);
* cached: the same figures again at the same data version (coordination/caching.py, keyed by
  coordination/versions.py's change counters): one primary-key read of the counters and a dictionary look-up;
* naive: what a first cut does on every request: each response's answers, themes and questionnaire version
  loaded one response at a time (lazy loading, N+1 queries), then the same arithmetic and the report's
  protection on its own (not the joint one: so "naive" here does less protecting than "cold");

and the ratios. No assertions: the figures are for people to read.

    .venv/bin/python bench/evaluation.py [--responses 6000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-evaluation-", dir="/tmp"))
os.environ.setdefault("INSTANCE_PATH", str(WORK))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.db'}"
os.environ["TILE_URL"] = ""

PROGRAMMES = ("Peer support", "Care and support planning", "Lived experience leadership")


def seed(responses: int) -> str:
    """Rounds, responses (with answers), equality records and tagged themes: GM scale."""
    from datetime import timedelta

    from sqlalchemy import select

    from coordination.boroughs import BOROUGH_CODES
    from coordination.evaluation import demo, operations
    from coordination.evaluation.models import EqualityRecord, Questionnaire, QuestionnaireKind
    from coordination.extensions import db
    from coordination.timeutil import utcnow

    rng = random.Random(12)
    operations.ensure_ready_made()
    by_kind = {q.kind: q for q in db.session.scalars(select(Questionnaire))}
    rounds = []
    for programme in PROGRAMMES:
        for code in BOROUGH_CODES:
            for kind in (
                QuestionnaireKind.EVENT_FEEDBACK,
                QuestionnaireKind.INVOLVEMENT_OUTCOMES,
                QuestionnaireKind.ORGANISATION_CHANGE,
            ):
                rounds.append(
                    operations.open_round(
                        by_kind[kind],
                        title=f"{programme}: {kind.value} ({code})",
                        programme=programme,
                        borough_code=code,
                        expected_count=rng.randint(40, 120),
                    )
                )
    now = utcnow()
    for i in range(responses):
        survey_round = rounds[i % len(rounds)]
        kind = survey_round.questionnaire.kind
        if kind == QuestionnaireKind.EVENT_FEEDBACK:
            answers = {"overall": rng.choice([5, 5, 4, 4, 3]), "understanding": rng.choice([5, 4, 4, 3])}
        elif kind == QuestionnaireKind.INVOLVEMENT_OUTCOMES:
            answers = {
                f"outcome_{w}": rng.choices(["yes", "partly", "no"], weights=[62, 25, 13])[0]
                for w in ("knowledge", "skills", "confidence", "motivation")
            } | demo._ratings(rng)
        else:
            answers = {
                "practice_developed": rng.choice(["yes", "partly", "no"]),
                "change_created": rng.choice(["yes", "partly", "no"]),
                "embedding": rng.choice(["strategy", "under_the_radar", "not_yet", "not_sure"]),
                "barriers": rng.choice(demo.BARRIERS) if rng.random() < 0.6 else None,
                "enablers": rng.choice(demo.ENABLERS) if rng.random() < 0.6 else None,
            }
        demo._respond(survey_round, answers, rng, now, paper=False, actor=None, quote=rng.random() < 0.3)
        if i % 500 == 499:
            db.session.commit()
    records = demo._equality(rng, rounds, responses)
    demo._themes(None)
    for record in db.session.scalars(select(EqualityRecord)):
        record.month = (now.date() - timedelta(days=rng.randint(1, 700))).replace(day=1)
    db.session.commit()
    return f"{len(rounds)} rounds, {responses:,} responses, {records:,} equality records"


def naive_build(scope):
    """The report built as a first cut would: response objects fetched, then each one's questionnaire version,
    answers and their themes loaded lazily as the loop touches them (N+1 queries)."""
    from sqlalchemy import select

    from coordination.evaluation import queries, report
    from coordination.evaluation.models import Response
    from coordination.extensions import db

    def lazy_rows(scope, rounds):
        chosen = queries._responses_query(scope, rounds, Response.id)
        query = select(Response).where(Response.id.in_(chosen)).order_by(Response.id)
        return [
            queries.ResponseRow(
                response.id,
                response.version.questions,
                response.channel.value,
                response.borough_code,
                response.quote_consent,
                [
                    queries.AnswerRow(a.question_key, a.choice, a.number, a.text, [t.name for t in a.themes])
                    for a in response.answers
                ],
            )
            for response in db.session.scalars(query)
        ]

    original = queries.response_rows
    queries.response_rows = lazy_rows
    try:
        db.session.expire_all()
        return report.build(scope)
    finally:
        queries.response_rows = original


def timed(function):
    from flask import g

    g.pop("_data_versions", None)  # as in a new request: the change counters are read again
    started, cpu = time.perf_counter(), time.process_time()
    value = function()
    return value, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=6000, help="responses to seed (default 6,000)")
    args = parser.parse_args()

    from coordination import create_app
    from coordination.extensions import db

    app = create_app("development")
    with app.app_context(), app.test_request_context():
        from coordination.evaluation import report
        from coordination.evaluation.queries import Scope

        db.create_all()
        started = time.perf_counter()
        print(f"seeded {seed(args.responses)} in {time.perf_counter() - started:.0f} s (database {WORK})")
        scope = Scope()
        print("Greater Manchester, all programmes, all time:")
        from coordination.caching import app_cache
        from coordination.evaluation import periods, protection

        partner = protection.partner_scope("E08000001", periods.partner_periods()[0])
        partner.boroughs = ("E08000001",)
        for view in ("coordinator", "public", "partner"):
            app_cache("evaluation-report", maxsize=64).clear()  # cold: nothing built yet
            db.session.expire_all()
            chosen = partner if view == "partner" else scope
            built, cold, cold_cpu = timed(lambda v=view, c=chosen: report.figures(c, v))
            _, cached, _ = timed(lambda v=view, c=chosen: report.figures(c, v))
            protect = report.protect if view != "coordinator" else (lambda r: r)
            _, naive, naive_cpu = timed(lambda p=protect, c=chosen: p(naive_build(c)))
            print(
                f"  {view:<11} {built['responses']:,} responses: cold {cold * 1000:,.0f} ms ({cold_cpu * 1000:,.0f} ms "
                f"CPU); cached {cached * 1000:,.2f} ms; naive {naive * 1000:,.0f} ms ({naive_cpu * 1000:,.0f} ms CPU)"
            )
            print(
                f"  {'':<11} ratio naive / cold {naive / cold:,.1f}x ({naive_cpu / cold_cpu:,.1f}x CPU); "
                f"cold / cached {cold / cached:,.0f}x"
            )
        # A new answer changes the counters: the next look is cold again (and correct).
        from coordination.evaluation import demo
        from coordination.evaluation.models import SurveyRound

        survey_round = db.session.scalar(db.select(SurveyRound).limit(1))
        demo._respond(survey_round, {"overall": 5}, random.Random(1), demo.utcnow(), paper=False, actor=None)
        db.session.commit()
        rebuilt, after, _ = timed(lambda: report.figures(scope))
        print(f"  after one new answer: {rebuilt['responses']:,} responses, rebuilt in {after * 1000:,.0f} ms")
        # The partner's view after that answer: every partner view is built again, but only the views whose counts
        # changed are protected again (a lone view's protection is remembered by its counts). The public version
        # worked out above is live in no moment here (it was a preview), so the partner views stand alone.
        _, again, again_cpu = timed(lambda: report.figures(partner, "partner"))
        print(f"  partner view after it: {again * 1000:,.0f} ms ({again_cpu * 1000:,.0f} ms CPU)")
        # A live public version for Greater Manchester over this financial year links the year's ten partner views
        # with it: they are protected as one group, with each borough known exactly in turn.
        from coordination.evaluation import operations

        year = periods.partner_periods()[0]
        operations.publish_report(
            Scope(start=year.start, end=year.end, period_key=year.key, period_label=year.label), title="GM this year"
        )
        _, linked, linked_cpu = timed(lambda: report.figures(partner, "partner"))
        print(
            f"  partner view beside a public GM version of the year: {linked * 1000:,.0f} ms "
            f"({linked_cpu * 1000:,.0f} ms CPU)"
        )


if __name__ == "__main__":
    main()
