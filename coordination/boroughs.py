"""Borough names and choices for forms, from the geography library's facts."""
from __future__ import annotations

# Until the geography library lands this is the single list; it is replaced by geo.boroughs.
_BOROUGHS = {
    "E08000001": "Bolton", "E08000002": "Bury", "E08000003": "Manchester", "E08000004": "Oldham",
    "E08000005": "Rochdale", "E08000006": "Salford", "E08000007": "Stockport", "E08000008": "Tameside",
    "E08000009": "Trafford", "E08000010": "Wigan",
}


def borough_choices() -> list[tuple[str, str]]:
    """(code, name) pairs in alphabetical order for form fields."""
    return sorted(_BOROUGHS.items(), key=lambda item: item[1])


def borough_name(code: str | None) -> str:
    """The borough's name, or the code itself when unknown."""
    return _BOROUGHS.get(code or "", code or "")
