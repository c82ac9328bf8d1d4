"""Read side: concept lists, links, unfound searches, and the evidence report on local words."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from .matching import PhraseIndex, normalise, tokens
from .models import Concept, ConceptLabel, ConceptRelation, RelationKind, UnfoundSearch

# A label "clearly" beats the national name in a borough when at least this many organisations use it
# and it is used at least this many times as often.
EVIDENCE_MINIMUM = 3
EVIDENCE_RATIO = 2


def list_concepts() -> list[Concept]:
    """Every concept, by national name."""
    return list(db.session.scalars(select(Concept).order_by(func.lower(Concept.pref_label))))


def get_concept_or_404(concept_id: int) -> Concept:
    """One concept or a 404 page."""
    return db.get_or_404(Concept, concept_id)


def get_label_or_404(label_id: int) -> ConceptLabel:
    """One label or a 404 page."""
    return db.get_or_404(ConceptLabel, label_id)


def get_relation_or_404(relation_id: int) -> ConceptRelation:
    """One link or a 404 page."""
    return db.get_or_404(ConceptRelation, relation_id)


def get_unfound_or_404(unfound_id: int) -> UnfoundSearch:
    """One unfound search or a 404 page."""
    return db.get_or_404(UnfoundSearch, unfound_id)


def tagged_counts() -> dict[int, int]:
    """How many organisations are tagged with each concept."""
    from .interface import tagged_records

    return tagged_records().tagged_counts()


@dataclass
class Links:
    broader: list[tuple[ConceptRelation, Concept]] = field(default_factory=list)
    narrower: list[tuple[ConceptRelation, Concept]] = field(default_factory=list)
    related: list[tuple[ConceptRelation, Concept]] = field(default_factory=list)


def links_of(concept: Concept) -> Links:
    """The concept's broader, narrower and related concepts, each with the link row (for removing it)."""
    links = Links()
    rows = db.session.scalars(
        select(ConceptRelation).where(
            (ConceptRelation.source_id == concept.id) | (ConceptRelation.target_id == concept.id)
        )
    )
    for relation in rows:
        outward = relation.source_id == concept.id
        other = relation.target if outward else relation.source
        if relation.kind == RelationKind.RELATED:
            links.related.append((relation, other))
        elif outward:
            links.broader.append((relation, other))
        else:
            links.narrower.append((relation, other))
    for group in (links.broader, links.narrower, links.related):
        group.sort(key=lambda pair: pair[1].pref_label.casefold())
    return links


def unfound_searches(limit: int = 200) -> list[UnfoundSearch]:
    """Searches that found nothing, most often first."""
    return list(
        db.session.scalars(
            select(UnfoundSearch).order_by(UnfoundSearch.count.desc(), UnfoundSearch.last_seen_at.desc()).limit(limit)
        )
    )


# ---------------------------------------------------------------- evidence for local terms


@dataclass
class LabelUsage:
    text: str
    kind: str  # "national", "alt", "local", "hidden"
    organisations: int


@dataclass
class ConceptEvidence:
    concept: Concept
    borough_code: str
    organisations: int  # organisations in the borough whose description uses any label
    usage: list[LabelUsage]
    suggestion: LabelUsage | None

    @property
    def national(self) -> LabelUsage:
        return next(u for u in self.usage if u.kind == "national")


def _labels_for_evidence(concept: Concept) -> list[tuple[str, str, str]]:
    """(text, kind, key) per distinct key: national first; proposed local labels count too."""
    rows, seen = [(concept.pref_label, "national", normalise(concept.pref_label))], set()
    seen.add(rows[0][2])
    for label in concept.labels:
        if label.normalised not in seen:
            seen.add(label.normalised)
            rows.append((label.text, label.kind.value, label.normalised))
    return rows


def organisation_texts(borough_codes: list[str] | None = None):
    """(borough code, description) for every active organisation and every borough it is in.

    An organisation counts in the borough of its address and in each borough it says it operates in.
    """
    from .interface import tagged_records

    return tagged_records().texts(borough_codes)


def evidence_report(borough_codes: list[str] | None = None) -> dict[str, list[ConceptEvidence]]:
    """Per borough, per concept: how many organisations' descriptions use each label, with a suggestion.

    Each description is split into words once and its runs of words looked up in one index of every
    label key, so the cost grows with the words in the descriptions, not descriptions × labels.
    """
    concepts = list_concepts()
    labels = {concept.id: _labels_for_evidence(concept) for concept in concepts}
    keys = {key for rows in labels.values() for _, _, key in rows}
    if not keys:
        return {}
    index = PhraseIndex(keys)
    counts: dict[tuple[str, str], int] = defaultdict(int)  # (borough, key) -> organisations
    any_counts: dict[tuple[str, int], int] = defaultdict(int)  # (borough, concept) -> organisations
    concept_keys = {concept.id: {key for _, _, key in labels[concept.id]} for concept in concepts}
    for codes, description in organisation_texts(borough_codes):
        found = index.found_in(tokens(description))
        if not found:
            continue
        for code in codes:
            for key in found:
                counts[code, key] += 1
            for concept_id, ckeys in concept_keys.items():
                if found & ckeys:
                    any_counts[code, concept_id] += 1
    boroughs = sorted({code for code, _ in counts} | set(borough_codes or []))
    report: dict[str, list[ConceptEvidence]] = {}
    for code in boroughs:
        rows = []
        for concept in concepts:
            usage = [LabelUsage(text, kind, counts.get((code, key), 0)) for text, kind, key in labels[concept.id]]
            national = usage[0]
            best = max((u for u in usage[1:] if u.kind != "hidden"), key=lambda u: u.organisations, default=None)
            suggestion = None
            if (
                best is not None
                and best.organisations >= EVIDENCE_MINIMUM
                and best.organisations >= EVIDENCE_RATIO * max(national.organisations, 1)
                and not _already_local(concept, code, best.text)
            ):
                suggestion = best
            rows.append(
                ConceptEvidence(
                    concept,
                    code,
                    any_counts.get((code, concept.id), 0),
                    sorted(usage, key=lambda u: (-u.organisations, u.text.casefold())),
                    suggestion,
                )
            )
        report[code] = rows
    return report


def _already_local(concept: Concept, borough_code: str, text: str) -> bool:
    """The suggested word is already this borough's (or Greater Manchester's) agreed local name."""
    key = normalise(text)
    label = concept.local_label(borough_code) or concept.local_label(None)
    return label is not None and label.normalised == key


def label_kind_title(kind: str) -> str:
    """Plain-English name of a kind of label for the report."""
    return {"national": "National name", "alt": "Other name", "local": "Local name", "hidden": "Hidden name"}.get(
        kind, kind
    )
