"""The starting vocabulary (seeded once, then edited in the browser) and its demo local labels."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from . import operations
from .models import Concept, LabelKind, LabelStatus

# (national preferred name, definition, other names, hidden names)
STARTING_VOCABULARY = [
    (
        "Peer support",
        "People with shared lived experience supporting each other, one to one or in groups.",
        ["peer mentoring", "peer-led groups", "lived experience support"],
        ["peer suport"],
    ),
    (
        "Supported self-management",
        "Helping people build the knowledge, skills and confidence to manage their own health and care.",
        ["self-care", "self-management support", "supported self-care"],
        ["self mgmt", "self managment"],
    ),
    (
        "Care and support planning",
        "A conversation that agrees what matters to the person and the support they need, written down as their plan.",
        ["personalised care planning", "person-centred care planning"],
        [],
    ),
    (
        "Person-centred information and helplines",
        "Information, advice and helplines shaped around what people need to know and how they like to hear it.",
        ["information and advice", "helplines"],
        [],
    ),
    (
        "Engaging people in shaping health and care",
        "Involving people and communities in designing, running and checking health and care services.",
        ["co-production", "involvement", "patient and public voice"],
        ["PPV"],
    ),
    (
        "Demonstrating impact",
        "Showing the difference work makes: measuring, evaluating and telling the story.",
        ["impact measurement", "evaluation", "social return on investment"],
        ["SROI"],
    ),
    (
        "Social prescribing",
        "Connecting people to community groups and services for practical and emotional support.",
        ["community referral", "link workers"],
        [],
    ),
]
RELATED = [("Supported self-management", "Care and support planning"), ("Social prescribing", "Peer support")]
GM_LOCAL = (
    "Supported self-management",
    "self-care",
    "Greater Manchester VCSE Leadership Group",
    "Used far more widely than the national term in Greater Manchester; the community of practice named "
    "with the national term drew fewer local groups.",
)
BOROUGH_PROPOSAL = (
    "Social prescribing",
    "community connectors",
    "E08000005",
    "Rochdale CVS",
    "Rochdale's link workers are known locally as community connectors.",
)


def seed(scale: str | None = None) -> str | None:
    """Seed the starting vocabulary once (existing concepts are left as they are)."""
    if db.session.scalar(select(Concept.id).limit(1)) is not None:
        return "vocabulary already present; left unchanged"
    concepts = {}
    for pref, definition, alts, hidden in STARTING_VOCABULARY:
        concept = operations.create_concept(pref_label=pref, definition=definition, commit=False)
        concepts[pref] = concept
        for text in alts:
            operations.add_label(concept, kind=LabelKind.ALT, text=text, commit=False)
        for text in hidden:
            operations.add_label(concept, kind=LabelKind.HIDDEN, text=text, commit=False)
    for a, b in RELATED:
        operations.add_relation(concepts[a], concepts[b], "related", commit=False)
    pref, text, who, evidence = GM_LOCAL
    operations.add_label(
        concepts[pref],
        kind=LabelKind.LOCAL,
        text=text,
        status=LabelStatus.AGREED,
        proposed_by=who,
        evidence=evidence,
        proposed_on=date(2026, 9, 1),
        commit=False,
    )
    pref, text, borough, who, evidence = BOROUGH_PROPOSAL
    operations.add_label(
        concepts[pref],
        kind=LabelKind.LOCAL,
        text=text,
        borough_code=borough,
        status=LabelStatus.PROPOSED,
        proposed_by=who,
        evidence=evidence,
        proposed_on=date(2026, 10, 14),
        commit=False,
    )
    db.session.commit()
    return f"{len(concepts)} practice areas with their other names; GM local name 'self-care' agreed"
