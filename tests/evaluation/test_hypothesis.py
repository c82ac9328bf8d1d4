"""Over random answer sets: every percentage is count ÷ respondents, and every interval holds its estimate."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.evaluation import report
from coordination.evaluation.models import QuestionnaireKind
from coordination.evaluation.queries import Scope
from coordination.evaluation.stats import wilson
from tests.evaluation.helpers import equality_record, respond, survey_round

_programme = itertools.count(1)
ANSWER = st.sampled_from(["yes", "partly", "no", None])
RESPONSE = st.fixed_dictionaries({f"outcome_{w}": ANSWER for w in ("knowledge", "skills", "confidence", "motivation")})


def _all_rows(built):
    yield from (row for section in built["sections"] for row in section["rows"])
    yield from built["equality_headline"]
    yield from (row for breakdown in built["equality_breakdowns"] for row in breakdown["rows"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    answers=st.lists(RESPONSE, max_size=25),
    sexes=st.lists(st.sampled_from(["female", "male", "prefer_not_to_say"]), max_size=12),
    expected=st.integers(min_value=1, max_value=60),
)
def test_every_percentage_is_count_over_respondents_with_an_interval_around_it(app, answers, sexes, expected):
    programme = f"Random {next(_programme)}"
    round_ = survey_round(QuestionnaireKind.INVOLVEMENT_OUTCOMES, programme=programme, expected_count=expected)
    for answer in answers:
        answer = {k: v for k, v in answer.items() if v is not None}
        if answer:
            respond(round_, answer)
    for sex in sexes:
        equality_record(round_, sex=sex)
    built = report.build(Scope(programme=programme))
    for row in _all_rows(built):
        if row["n"] == 0:
            assert row["percent"] is None and row["low"] is None
            continue
        assert 0 <= row["count"] <= row["n"]
        assert row["percent"] == row["count"] / row["n"]
        assert 0 <= row["low"] <= row["percent"] <= row["high"] <= 1
    knowledge = next(r for r in built["sections"][0]["rows"] if r["key"] == "outcome_knowledge")
    assert knowledge["n"] == sum(1 for a in answers if a["outcome_knowledge"])
    assert knowledge["count"] == sum(1 for a in answers if a["outcome_knowledge"] == "yes")
    if knowledge["n"]:
        assert knowledge["response_rate"] == knowledge["n"] / expected
    # What a partner sees never shows a count of 1 to 4, nor a percentage resting on one.
    for row in _all_rows(report.protect(built)):
        assert row["count"] is None or not 1 <= row["count"] <= 4
        if row["percent"] is not None:
            assert row["count"] is not None and row["n"] is not None and not 1 <= row["n"] - row["count"] <= 4


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=1, max_value=10_000), data=st.data())
def test_wilson_intervals_contain_the_estimate_and_stay_in_range(n, data):
    count = data.draw(st.integers(min_value=0, max_value=n))
    low, high = wilson(count, n)
    assert 0 <= low <= count / n <= high <= 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    yes=st.integers(min_value=0, max_value=9),
    partly=st.integers(min_value=0, max_value=9),
    no=st.integers(min_value=0, max_value=9),
)
def test_the_public_version_never_lets_a_small_count_be_worked_out(app, yes, partly, no):
    """Brute force over what the public CSV shows for one question: yes, yes-or-partly and n."""
    from tests.evaluation.attack import assert_no_small_count_is_pinned, seen

    programme = f"Public random {next(_programme)}"
    round_ = survey_round(QuestionnaireKind.INVOLVEMENT_OUTCOMES, programme=programme)
    for answer in ["yes"] * yes + ["partly"] * partly + ["no"] * no:
        respond(round_, {"outcome_knowledge": answer})
    shown = report.public(report.build(Scope(programme=programme)))
    rows = {row["key"]: report.display(row) for row in shown["sections"][0]["rows"]}
    published = [
        (("yes",), seen(rows["outcome_knowledge"]["count"])),
        (("yes", "partly"), seen(rows["outcome_knowledge_partly"]["count"])),
        (("yes", "partly", "no"), seen(rows["outcome_knowledge"]["n"])),
    ]
    assert_no_small_count_is_pinned(["yes", "partly", "no"], published, {"yes": yes, "partly": partly, "no": no})
    responses = shown["responses"]
    assert responses is None or not 1 <= responses <= 4
