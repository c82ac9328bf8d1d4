"""What the organisation search and every page showing a concept call: query expansion and local names.

Contract with the organisations search:

* `expand_query(q) -> (phrases, concept_ids, also)`: phrases to look for in organisations' text (the
  typed text first, then every label of every concept the text names, plus their spaced, hyphenated
  and joined forms so a plain substring pre-filter catches "self care", "self-care" and "selfcare");
  the ids of those concepts (organisations tagged with them match too); and the labels to show as
  "also searched for" (national, other and agreed local names; never hidden ones).
* `record_zero_result(q)`: count a search that found nothing (words only, no person).
* `display_label(concept, borough_code=None)`: speaking locally (see docs/terminology.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..versions import VOCABULARY_TABLES, VersionedCache, data_version
from .matching import PhraseIndex, mentions, normalise, tokens, variants
from .models import Concept, ConceptLabel, LabelKind, LabelStatus


def _searchable_labels(concept: Concept) -> list[ConceptLabel | str]:
    """National name, other names, hidden names and agreed local names (proposed ones wait for agreement)."""
    labels: list = [concept.pref_label]
    labels += [label for label in concept.labels if label.kind != LabelKind.LOCAL or label.status == LabelStatus.AGREED]
    return labels


def _text(label) -> str:
    return label if isinstance(label, str) else label.text


def matching_concepts(q: str) -> list[Concept]:
    """Concepts the typed text names: it equals one of their labels, or contains one as whole words."""
    key = normalise(q)
    if not key:
        return []
    concepts = list(db.session.scalars(select(Concept).order_by(Concept.pref_label)))
    if not concepts:
        return []
    keys = {concept.id: {normalise(_text(label)) for label in _searchable_labels(concept)} for concept in concepts}
    found = PhraseIndex(set().union(*keys.values())).found_in(tokens(q)) | {key}
    return [concept for concept in concepts if keys[concept.id] & found]


def concept_keys() -> dict[str, int]:
    """Every searchable label, normalised, to its concept id (for matching many cells at once)."""
    keys: dict[str, int] = {}
    for concept in db.session.scalars(select(Concept).order_by(Concept.id)):
        for label in _searchable_labels(concept):
            keys.setdefault(normalise(_text(label)), concept.id)
    return keys


def resolve_concept(text: str) -> Concept | None:
    """The concept one of whose searchable labels is exactly this text (for importers: 'self-care' → SSM)."""
    key = normalise(text)
    if not key:
        return None
    for concept in db.session.scalars(select(Concept).order_by(Concept.id)):
        if any(normalise(_text(label)) == key for label in _searchable_labels(concept)):
            return concept
    return None


def expand_query(q: str) -> tuple[list[str], list[int], list[str]]:
    """(phrases to search for, ids of concepts named, labels to show as 'also searched for')."""
    q = " ".join((q or "").split())
    if not q:
        return [q], [], []
    concepts = matching_concepts(q)
    typed_key = normalise(q)
    phrases, seen_phrases = [q], {q.casefold()}
    also, seen_keys = [], {typed_key}
    for concept in concepts:
        for label in _searchable_labels(concept):
            text = _text(label)
            for form in [text] + variants(text):
                if form.casefold() not in seen_phrases:
                    seen_phrases.add(form.casefold())
                    phrases.append(form)
            hidden = not isinstance(label, str) and label.kind == LabelKind.HIDDEN
            if not hidden and normalise(text) not in seen_keys:
                seen_keys.add(normalise(text))
                also.append(text)
    return phrases, [concept.id for concept in concepts], also


def record_zero_result(q: str) -> None:
    """Count a search that found nothing, so the coordinator can add its words as a label."""
    from .operations import record_unfound

    record_unfound(q)


def find_organisation_ids(q: str, base=None) -> list[int]:
    """Reference search over the contract: tagged with a named concept, or name/description uses a phrase.

    A plain substring pre-filter in SQL, then the normaliser decides whole-word phrase matches.
    `base` may be a select of Organisation to narrow (for example to a borough).
    """
    from .interface import tagged_records

    phrases, concept_ids, _ = expand_query(q)
    if not normalise(q):
        return []
    forms = sorted({form for phrase in phrases for form in variants(phrase)})
    patterns = [f"%{form.replace('%', '').replace('_', '')}%" for form in forms]
    rows = tagged_records().candidates(patterns, concept_ids, base)
    index = PhraseIndex(normalise(phrase) for phrase in phrases)
    return [row[0] for row in rows if row[3] or mentions(f"{row[1]} . {row[2] or ''}", phrases, index)]


def _lower_first(text: str) -> str:
    """'Supported self-management' → 'supported self-management' (acronyms such as 'NHS' kept)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def display_label(concept: Concept | None, borough_code: str | None = None) -> str:
    """'Self-care (supported self-management)' where a local name is agreed; else the national name.

    In a borough's context the borough's agreed name comes first, else Greater Manchester's; with no
    borough the service is speaking to Greater Manchester, so its agreed name is used too.
    """
    if concept is None:
        return ""
    local = (concept.local_label(borough_code) if borough_code else None) or concept.local_label(None)
    if local is None or normalise(local.text) == normalise(concept.pref_label):
        return _upper_first(concept.pref_label)
    return f"{_upper_first(local.text)} ({_lower_first(concept.pref_label)})"


@dataclass(frozen=True)
class SpokenConcept:
    """A practice area's names: the national one, and display_label's for Greater Manchester and each borough."""

    id: int
    pref_label: str
    spoken: dict  # {borough code or None: display label}; a borough without a name of its own is absent

    def name(self, borough_code: str | None = None) -> str:
        """display_label(concept, borough_code), without reading the vocabulary."""
        return self.spoken.get(borough_code) or self.spoken[None]


def spoken_concepts() -> dict[int, SpokenConcept]:
    """Every practice area's names in the order of their national names (the database's), remembered per
    vocabulary version: two reads after the vocabulary changes, none otherwise (pages that only name
    practice areas need not load concepts and labels)."""
    from geo.boroughs import BOROUGH_CODES

    def build():
        concepts = {}
        for concept in db.session.scalars(select(Concept).order_by(Concept.pref_label)):
            everywhere = display_label(concept)
            spoken = {None: everywhere}
            for code in BOROUGH_CODES:
                local = display_label(concept, code)
                if local != everywhere:
                    spoken[code] = local
            concepts[concept.id] = SpokenConcept(concept.id, concept.pref_label, spoken)
        return concepts

    return _SPOKEN.get_or_build(data_version(VOCABULARY_TABLES), build)


_SPOKEN = VersionedCache(size=4)
