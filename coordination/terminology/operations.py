"""Every change to the vocabulary: concepts, labels, links, and the unfound-search counter."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..errors import OperationError
from ..extensions import db
from ..timeutil import utcnow
from .matching import normalise
from .models import GM_AREA, Concept, ConceptLabel, ConceptRelation, LabelKind, LabelStatus, RelationKind, UnfoundSearch

SCHEME_URI = "https://gm-vcse.example.org/concepts"
MAX_LABEL = 200


class TerminologyError(OperationError):
    """A change to the vocabulary that cannot be made, with a message for the person."""


def slugify(text: str) -> str:
    """'Supported self-management' → 'supported-self-management'."""
    return re.sub(r"[^a-z0-9]+", "-", (text or "").casefold()).strip("-")[:80] or "concept"


def concept_uri(slug: str) -> str:
    """The stable URI of a concept in our scheme."""
    return f"{SCHEME_URI}/{slug}"


def _check_text(text: str, what: str = "The label") -> str:
    text = " ".join((text or "").split())
    if not text:
        raise TerminologyError(f"Enter {what.lower()}")
    if len(text) > MAX_LABEL:
        raise TerminologyError(f"{what} must be {MAX_LABEL} characters or fewer")
    if not normalise(text):
        raise TerminologyError(f"{what} must contain letters or numbers")
    return text


def concept_using(key: str, exclude_id: int | None = None) -> Concept | None:
    """Another concept whose national label, other name or hidden label has this key."""
    query = select(Concept).where(Concept.id != (exclude_id or 0))
    for concept in db.session.scalars(query):
        if normalise(concept.pref_label) == key:
            return concept
    label = db.session.scalar(
        select(ConceptLabel)
        .where(
            ConceptLabel.normalised == key,
            ConceptLabel.kind != LabelKind.LOCAL,
            ConceptLabel.concept_id != (exclude_id or 0),
        )
        .limit(1)
    )
    return label.concept if label else None


def create_concept(
    *, pref_label: str, definition: str | None = None, uri: str | None = None, actor=None, commit: bool = True
) -> Concept:
    """Add a concept with its national preferred label; its URI comes from the label unless given."""
    pref_label = _check_text(pref_label, "The national name")
    clash = concept_using(normalise(pref_label))
    if clash is not None:
        raise TerminologyError(f"‘{pref_label}’ is already a name of ‘{clash.pref_label}’")
    if uri is None:
        slug, n = slugify(pref_label), 1
        uri = concept_uri(slug)
        while db.session.scalar(select(Concept.id).where(Concept.uri == uri)):
            n += 1
            uri = concept_uri(f"{slug}-{n}")
    concept = Concept(uri=uri, pref_label=pref_label, definition=(definition or "").strip() or None)
    db.session.add(concept)
    db.session.flush()
    audit.record("terminology.concept_created", concept, after={"uri": uri, "pref_label": pref_label}, actor=actor)
    if commit:
        db.session.commit()
    return concept


def update_concept(concept: Concept, *, pref_label: str, definition: str | None, actor=None) -> None:
    """Change a concept's national preferred label or definition."""
    pref_label = _check_text(pref_label, "The national name")
    clash = concept_using(normalise(pref_label), exclude_id=concept.id)
    if clash is not None:
        raise TerminologyError(f"‘{pref_label}’ is already a name of ‘{clash.pref_label}’")
    before = {"pref_label": concept.pref_label, "definition": concept.definition}
    concept.pref_label = pref_label
    concept.definition = (definition or "").strip() or None
    audit.record(
        "terminology.concept_updated",
        concept,
        before=before,
        after={"pref_label": pref_label, "definition": concept.definition},
        actor=actor,
    )
    db.session.commit()


def delete_concept(concept: Concept, actor=None) -> None:
    """Remove a practice area that no organisation is tagged with (its names and links go with it)."""
    from .interface import tagged_records

    tagged = tagged_records().tagged_counts().get(concept.id, 0)
    if tagged:
        raise TerminologyError(
            f"{tagged:,} organisation{'s are' if tagged != 1 else ' is'} tagged with "
            f"‘{concept.pref_label}’: move {'them' if tagged != 1 else 'it'} to another "
            "practice area first, or add this one's names to another practice area"
        )
    audit.record(
        "terminology.concept_deleted",
        concept,
        actor=actor,
        before={
            "uri": concept.uri,
            "pref_label": concept.pref_label,
            "labels": [label.text for label in concept.labels],
        },
    )
    db.session.execute(
        delete(ConceptRelation).where(
            (ConceptRelation.source_id == concept.id) | (ConceptRelation.target_id == concept.id)
        )
    )
    db.session.delete(concept)
    db.session.commit()


def add_label(
    concept: Concept,
    *,
    kind: LabelKind | str,
    text: str,
    borough_code: str | None = None,
    status: LabelStatus | str = LabelStatus.AGREED,
    proposed_by: str | None = None,
    evidence: str | None = None,
    proposed_on: date | None = None,
    actor=None,
    commit: bool = True,
) -> ConceptLabel:
    """Give a concept another label; an agreed local label replaces the area's previous agreed one."""
    kind, status = LabelKind(kind), LabelStatus(status)
    text = _check_text(text)
    key = normalise(text)
    if kind != LabelKind.LOCAL:
        borough_code, status = None, LabelStatus.AGREED
        if key == normalise(concept.pref_label):
            raise TerminologyError(f"‘{text}’ is already the national name of this practice area")
    area = borough_code or GM_AREA
    clash = concept_using(key, exclude_id=concept.id)
    if clash is not None:
        raise TerminologyError(f"‘{text}’ is already a name of ‘{clash.pref_label}’, so searches would mix them up")
    for label in concept.labels:
        if label.kind == kind and label.area == area and label.normalised == key:
            raise TerminologyError(f"‘{text}’ is already a label of this practice area")
    if status == LabelStatus.AGREED and kind == LabelKind.LOCAL:
        _demote_local_labels(concept.id, area)
    label = ConceptLabel(
        concept=concept,
        kind=kind,
        text=text,
        normalised=key,
        borough_code=borough_code,
        area=area,
        status=status,
        proposed_by=(proposed_by or "").strip() or None,
        evidence=(evidence or "").strip() or None,
        proposed_on=proposed_on or (date.today() if kind == LabelKind.LOCAL else None),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(label)
    db.session.flush()
    audit.record(
        "terminology.label_added",
        label,
        actor=actor,
        after={
            "concept": concept.uri,
            "kind": kind.value,
            "text": text,
            "area": area,
            "status": status.value,
            "proposed_by": label.proposed_by,
            "evidence": label.evidence,
        },
    )
    if commit:
        db.session.commit()
    return label


def _demote_local_labels(concept_id: int, area: str, keep_id: int | None = None) -> None:
    """Only one agreed local preferred label per area: earlier ones go back to proposed."""
    db.session.execute(
        update(ConceptLabel)
        .where(
            ConceptLabel.concept_id == concept_id,
            ConceptLabel.kind == LabelKind.LOCAL,
            ConceptLabel.area == area,
            ConceptLabel.id != (keep_id or 0),
            ConceptLabel.status == LabelStatus.AGREED,
        )
        .values(status=LabelStatus.PROPOSED)
        .execution_options(synchronize_session="fetch")
    )


def agree_label(label: ConceptLabel, actor=None) -> None:
    """Mark a proposed local label agreed (once, even if two people click at the same moment)."""
    if label.kind != LabelKind.LOCAL:
        raise TerminologyError("Only local preferred names are proposed and agreed")
    changed = db.session.execute(
        update(ConceptLabel)
        .where(ConceptLabel.id == label.id, ConceptLabel.status == LabelStatus.PROPOSED)
        .values(status=LabelStatus.AGREED)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise TerminologyError(f"‘{label.text}’ was already agreed")
    _demote_local_labels(label.concept_id, label.area, keep_id=label.id)
    audit.record(
        "terminology.label_agreed", label, before={"status": "proposed"}, after={"status": "agreed"}, actor=actor
    )
    db.session.commit()
    db.session.expire_all()


def delete_label(label: ConceptLabel, actor=None) -> None:
    """Remove a label."""
    before = {
        "concept": label.concept.uri,
        "kind": label.kind.value,
        "text": label.text,
        "area": label.area,
        "status": label.status.value,
    }
    audit.record("terminology.label_deleted", label, before=before, actor=actor)
    db.session.delete(label)
    db.session.commit()


def _broader_ids(concept_id: int) -> set[int]:
    """Every concept above this one (to stop loops such as A broader B broader A)."""
    seen: set[int] = set()
    frontier = {concept_id}
    while frontier:
        above = set(
            db.session.scalars(
                select(ConceptRelation.target_id).where(
                    ConceptRelation.source_id.in_(frontier), ConceptRelation.kind == RelationKind.BROADER
                )
            )
        )
        frontier = above - seen
        seen |= above
    return seen


def add_relation(concept: Concept, other: Concept, kind: str, actor=None, commit: bool = True) -> ConceptRelation:
    """Link two concepts: kind 'broader' (other is broader), 'narrower' (other is narrower) or 'related'."""
    if kind not in ("broader", "narrower", "related"):
        raise TerminologyError("Choose how the practice areas are linked")
    if concept.id == other.id:
        raise TerminologyError("A practice area cannot be linked to itself")
    source, target = (other, concept) if kind == "narrower" else (concept, other)
    relation_kind = RelationKind.RELATED if kind == "related" else RelationKind.BROADER
    existing = select(ConceptRelation.id).where(
        ConceptRelation.kind == relation_kind,
        ((ConceptRelation.source_id == source.id) & (ConceptRelation.target_id == target.id))
        | ((ConceptRelation.source_id == target.id) & (ConceptRelation.target_id == source.id)),
    )
    if db.session.scalar(existing):
        raise TerminologyError(f"‘{concept.pref_label}’ and ‘{other.pref_label}’ are already linked that way")
    if relation_kind == RelationKind.BROADER and source.id in _broader_ids(target.id):
        raise TerminologyError(f"‘{target.pref_label}’ is already narrower than ‘{source.pref_label}’")
    relation = ConceptRelation(source_id=source.id, target_id=target.id, kind=relation_kind)
    db.session.add(relation)
    db.session.flush()
    audit.record(
        "terminology.link_added",
        relation,
        actor=actor,
        after={"source": source.uri, "target": target.uri, "kind": relation_kind.value},
    )
    if commit:
        db.session.commit()
    return relation


def delete_relation(relation: ConceptRelation, actor=None) -> None:
    """Remove a link between two concepts."""
    audit.record(
        "terminology.link_deleted",
        relation,
        actor=actor,
        before={"source": relation.source.uri, "target": relation.target.uri, "kind": relation.kind.value},
    )
    db.session.delete(relation)
    db.session.commit()


def unfound_words(query: str) -> str:
    """The words of a search worth keeping: anything with a digit or @ is dropped (postcodes, phones, emails)."""
    kept = [part for part in (query or "").split() if not any(ch.isdigit() or ch == "@" for ch in part)]
    words = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", " ".join(kept).casefold())
    return " ".join(words)[:MAX_LABEL].strip()


def record_unfound(query: str) -> UnfoundSearch | None:
    """Count a search that found nothing (no person, only the words); commits on its own."""
    words = unfound_words(query)
    key = normalise(words)[:MAX_LABEL]
    if not key:
        return None
    now = utcnow()
    for _ in range(2):  # a second try covers two first-time searches racing to insert
        changed = db.session.execute(
            update(UnfoundSearch)
            .where(UnfoundSearch.normalised == key)
            .values(count=UnfoundSearch.count + 1, last_seen_at=now)
        ).rowcount
        if not changed:
            try:
                with db.session.begin_nested():
                    db.session.add(
                        UnfoundSearch(normalised=key, words=words, count=1, first_seen_at=now, last_seen_at=now)
                    )
            except IntegrityError:
                continue
        db.session.commit()
        return db.session.scalar(select(UnfoundSearch).where(UnfoundSearch.normalised == key))
    return None


def add_unfound_as_label(unfound: UnfoundSearch, concept: Concept, kind: LabelKind | str, actor=None) -> ConceptLabel:
    """One click: make an unfound search a label of a concept, and clear it from the list."""
    kind = LabelKind(kind)
    if kind == LabelKind.LOCAL:
        raise TerminologyError("Add a local preferred name from the practice area's page, with its evidence")
    label = add_label(
        concept,
        kind=kind,
        text=unfound.words,
        actor=actor,
        commit=False,
        evidence=f"Searched for {unfound.count} time{'s' if unfound.count != 1 else ''} with no results",
    )
    db.session.execute(delete(UnfoundSearch).where(UnfoundSearch.id == unfound.id))
    db.session.commit()
    return label


def dismiss_unfound(unfound: UnfoundSearch, actor=None) -> None:
    """Remove an unfound search that is not a practice area (a typo of a name, say)."""
    audit.record(
        "terminology.unfound_dismissed", unfound, before={"words": unfound.words, "count": unfound.count}, actor=actor
    )
    db.session.delete(unfound)
    db.session.commit()
