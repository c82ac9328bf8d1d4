"""Fixtures for the terminology tests: the starting vocabulary and organisations to find."""

import pytest

from coordination.extensions import db


@pytest.fixture
def vocabulary(app):
    """The seeded starting vocabulary, as {national name: Concept}."""
    from coordination.terminology import demo
    from coordination.terminology.models import Concept

    demo.seed(None)
    return {concept.pref_label: concept for concept in db.session.scalars(db.select(Concept))}


@pytest.fixture
def create_organisation(app):
    """Factory: create_organisation(name, description=..., borough_code=..., practice_areas=[...],
    operates_in=[...])."""
    from coordination.organisations.models import Organisation, OrganisationBorough

    def factory(
        name: str,
        description: str | None = None,
        borough_code: str | None = "E08000003",
        practice_areas=(),
        operates_in=(),
        commit: bool = True,
    ):
        organisation = Organisation(
            name=name,
            normalised_name=name.casefold(),
            description=description,
            borough_code=borough_code,
            practice_areas=list(practice_areas),
            operates_in=[OrganisationBorough(borough_code=code) for code in operates_in],
        )
        db.session.add(organisation)
        if commit:
            db.session.commit()
        return organisation

    return factory
