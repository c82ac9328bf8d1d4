"""Factories for directory tests."""

from __future__ import annotations

import itertools

import pytest

_numbers = itertools.count(1)


@pytest.fixture
def create_organisation(app):
    """Factory: create_organisation(**fields) -> Organisation, through the real operation."""
    from coordination.organisations.operations import create_organisation as make

    def factory(**overrides):
        n = next(_numbers)
        data = {
            "name": f"Test Organisation {n}",
            "org_type": "community_group",
            "postcode": "",
            "email": f"hello{n}@example.org",
        }
        data.update(overrides)
        return make(data)

    return factory


@pytest.fixture
def create_concept(app):
    """Factory: create_concept(label) -> Concept."""
    from coordination.extensions import db
    from coordination.terminology.models import Concept

    def factory(label: str):
        concept = Concept(uri=f"https://example.org/concepts/{next(_numbers)}", pref_label=label)
        db.session.add(concept)
        db.session.commit()
        return concept

    return factory
