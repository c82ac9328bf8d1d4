"""Borough names and choices for forms, from the geography library's facts."""

from __future__ import annotations

from geo.boroughs import BOROUGH_CODES
from geo.boroughs import borough_name as _geo_borough_name


def borough_choices() -> list[tuple[str, str]]:
    """(code, name) pairs in alphabetical order for form fields."""
    return sorted(((code, _geo_borough_name(code)) for code in BOROUGH_CODES), key=lambda item: item[1])


def borough_name(code: str | None) -> str:
    """The borough's name, or the code itself when unknown."""
    return _geo_borough_name(code) or (code or "")
