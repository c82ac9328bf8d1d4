"""What the terminology area offers other areas, and the one thing it asks of them.

Offers (import these from here, never from the area's other modules):

* `Concept` – the practice-area model, for foreign keys and relationships;
* `expand_query(q)`, `display_label(concept, borough_code)`, `record_zero_result(q)`, `concept_keys()`,
  `resolve_concept(text)` – see `search.py` for the contract with the directory search;
* `normalise(text)` – the key two texts share when they mean the same words;
* `spoken_concepts()` – every practice area's names (`SpokenConcept`: national, and as Greater Manchester
  and each borough say it), remembered per vocabulary version, for pages that only name practice areas.

Asks: the records people tag with practice areas (the directory's organisations). Terminology counts
them before a practice area is removed, reads their descriptions for the evidence report and searches
them in its reference search, but imports no other area: the area that keeps the records registers a
`TaggedRecords` with `register_tagged_records(...)` when it is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .matching import normalise
from .models import Concept
from .search import (
    SpokenConcept,
    concept_keys,
    display_label,
    expand_query,
    record_zero_result,
    resolve_concept,
    spoken_concepts,
)

__all__ = [
    "Concept",
    "SpokenConcept",
    "TaggedRecords",
    "concept_keys",
    "display_label",
    "expand_query",
    "normalise",
    "record_zero_result",
    "register_tagged_records",
    "resolve_concept",
    "spoken_concepts",
    "tagged_records",
]


@dataclass(frozen=True)
class TaggedRecords:
    """How terminology reads the records tagged with practice areas (registered by the area keeping them)."""

    # {concept id: number of records tagged with it}
    tagged_counts: Callable[[], dict[int, int]]
    # (borough codes, description) for every active record with a description, limited to these boroughs
    texts: Callable[[list[str] | None], Iterable[tuple[set[str], str]]]
    # (id, name, description, tagged with one of concept_ids) for records that are tagged with one of
    # concept_ids or whose name or description contains one of the SQL LIKE patterns; `base` narrows
    candidates: Callable[[list[str], list[int], object | None], list[tuple[int, str, str | None, bool]]]


_registered: list[TaggedRecords] = []


def register_tagged_records(records: TaggedRecords) -> None:
    """Called once by the area that keeps the tagged records (the directory)."""
    _registered[:] = [records]


def tagged_records() -> TaggedRecords:
    """The registered records; an app without the directory has none to count."""
    if not _registered:
        raise RuntimeError(
            "No area has registered the records tagged with practice areas "
            "(coordination.organisations registers them when it is imported)"
        )
    return _registered[0]
