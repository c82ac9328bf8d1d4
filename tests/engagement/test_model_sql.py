"""Engagement's SQL names other areas' tables through their models, so a rename fails loudly."""

import pytest

from coordination.engagement import queries


def test_table_names_and_stored_values_come_from_the_models():
    sql = queries._model_sql("SELECT a.event_id FROM {attendance} a WHERE a.status = {attended} AND {later}")
    assert sql == "SELECT a.event_id FROM attendance a WHERE a.status = 'attended' AND {later}"


def test_a_column_the_model_does_not_have_fails_at_once():
    with pytest.raises(LookupError, match="reads o.postal_code, but table organisation has no column postal_code"):
        queries._model_sql("SELECT o.postal_code FROM {organisation} o")


def test_event_types_are_the_models_event_types():
    from coordination.communities.models import EventType

    assert tuple(kind.value for kind in EventType) == queries.EVENT_TYPES
