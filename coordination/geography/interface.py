"""What the geography area offers other areas: the boundaries in use and the page map to draw on."""

from __future__ import annotations

from .frames import frame_file, stored_frame
from .queries import (
    boundaries_version,
    cached_page_map,
    drawn_base,
    map_boundaries,
    new_page_map,
    page_maps,
    prepared_shapes,
)

__all__ = [
    "boundaries_version",
    "cached_page_map",
    "drawn_base",
    "frame_file",
    "map_boundaries",
    "new_page_map",
    "page_maps",
    "prepared_shapes",
    "stored_frame",
]
