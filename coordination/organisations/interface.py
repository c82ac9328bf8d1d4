"""What the directory offers other areas (import these from here, never from its other modules).

* `Organisation`, `OrganisationStatus`, `organisation_practice_area` are in `models` (tables are shared
  for foreign keys and read-only joins);
* `OrganisationFilters`, `ranked_ids(filters)` – the directory search, for lists built on it (outreach);

and what it gives the terminology area: the organisations tagged with practice areas
(`terminology.interface.TaggedRecords`), registered when this module is imported (the app factory
imports every area's interface).
"""

from __future__ import annotations

from ..terminology.interface import TaggedRecords, register_tagged_records
from .queries import OrganisationFilters, organisation_texts, ranked_ids, tagged_counts, text_candidates

__all__ = ["OrganisationFilters", "ranked_ids"]

register_tagged_records(
    TaggedRecords(tagged_counts=tagged_counts, texts=organisation_texts, candidates=text_candidates)
)
