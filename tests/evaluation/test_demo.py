"""The demo seed gives the impact report something to show."""

from __future__ import annotations

from coordination.evaluation import report
from coordination.evaluation.queries import Scope


def test_the_demo_seed_fills_the_report(app, create_user):
    from coordination import _import_optional
    from coordination.evaluation import demo as evaluation_demo

    create_user("coordinator", email="coordinator@example.org")
    for area in ("geography", "terminology", "organisations", "communities"):
        module = _import_optional(f"coordination.{area}.demo")
        if module is not None:
            module.seed(None)
    summary = evaluation_demo.seed(None)
    assert "responses" in summary and evaluation_demo.seed(None).endswith("nothing added")
    built = report.build(Scope(programme=evaluation_demo.PROGRAMME))
    assert built["responses"] > 100 and built["channels"]["paper"] == 4
    rows = {r["key"]: r for s in built["sections"] for r in s["rows"]}
    assert rows["outcome_any"]["n"] > 30 and rows["event_good"]["n"] > 5
    assert built["equality_records"] > 50 and built["themes"] and built["quotes"]
    assert report.protect(report.build(Scope(borough_code="E08000005")))["protected"]
