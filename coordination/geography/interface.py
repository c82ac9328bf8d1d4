"""What the geography area offers other areas: the boundaries in use and the page map to draw on."""
from __future__ import annotations

from .queries import boundaries_version, map_boundaries, new_page_map

__all__ = ["boundaries_version", "map_boundaries", "new_page_map"]
