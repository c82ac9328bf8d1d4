"""`flask evaluation ready-made` and `flask evaluation purge-drafts`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from coordination.evaluation import operations
from coordination.evaluation.models import Questionnaire, QuestionnaireKind, ResponseDraft
from coordination.extensions import db
from tests.evaluation.helpers import survey_round


def test_the_commands_add_questionnaires_and_remove_old_unfinished_answers(app):
    runner = app.test_cli_runner()
    assert "Added 3" in runner.invoke(args=["evaluation", "ready-made"]).output
    assert "already present" in runner.invoke(args=["evaluation", "ready-made"]).output
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 3
    round_ = survey_round(QuestionnaireKind.EVENT_FEEDBACK)
    old, _ = operations.start_draft(round_)
    operations.start_draft(round_)
    old.updated_at = old.updated_at - timedelta(days=20)
    db.session.commit()
    assert "Removed 1" in runner.invoke(args=["evaluation", "purge-drafts"]).output
    assert db.session.scalar(select(func.count()).select_from(ResponseDraft)) == 1
