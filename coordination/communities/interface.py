"""What the communities area offers other areas (its tables are in `models`)."""

from __future__ import annotations

from .queries import person_choices, recent_event_choices

__all__ = ["person_choices", "recent_event_choices"]
