"""Map frames: a map drawn once with named slots where each request's data goes, filled in without folium.

A builder puts `slot(name)` wherever a value will go (a layer's figures, a fill colour, a legend, the
markers' rows); every such place in folium's output is a JSON value, so the slot is written as the JSON
string `"__geo_slot_<name>__"`. `fill` then swaps each slot for its value's JSON in one pass over the
rendered text. Drawing needs folium, pandas and geopandas (geo.maps); filling needs only this module.
"""

from __future__ import annotations

import json
import re

import numpy as np

from geo.safe_text import safe_text

_SLOT = "__geo_slot_{}__"
_SLOT_REF = re.compile(r'"__geo_slot_([A-Za-z0-9_.:-]+?)__"')
_NAME = re.compile(r"[A-Za-z0-9_.:-]+")


def slot(name: str) -> str:
    """The mark a builder puts where a value will be filled in (letters, digits and _ . : - in the name)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"a slot's name is letters, digits and _ . : - only: {name!r}")
    return _SLOT.format(name)


def slots(text: str) -> set[str]:
    """The names of the slots a rendered frame leaves to be filled."""
    return set(_SLOT_REF.findall(text))


def script_json(value) -> str:
    """JSON for a value inside a <script> element, as folium's templates write it (Jinja's tojson).

    `<`, `>`, `&` and `'` become \\u escapes, so no text can end the script or start markup; the value
    JavaScript reads is the same.
    """
    return (
        json.dumps(value)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


class Raw(str):
    """A value's JSON already written, safe inside a <script> (made with script_json, or only numbers)."""


def fill(text: str, values: dict[str, object]) -> str:
    """The frame's text with every slot replaced by its value's JSON; a slot without a value is an error."""
    encoded = {name: value if isinstance(value, Raw) else script_json(value) for name, value in values.items()}

    def value_for(match: re.Match) -> str:
        try:
            return encoded[match.group(1)]
        except KeyError:
            raise KeyError(f"no value for the map frame's slot {match.group(1)!r}") from None

    return _SLOT_REF.sub(value_for, text)


def display_properties(items) -> dict:
    """A feature's properties as safe display values: text escaped, NaN as None, numpy numbers as plain ones."""
    props = {}
    for key, value in items:
        if isinstance(value, str):
            props[key] = safe_text(value)
        elif value is None or (isinstance(value, float) and np.isnan(value)):
            props[key] = None
        elif isinstance(value, np.integer):
            props[key] = int(value)
        elif isinstance(value, np.floating):
            props[key] = float(value)
        else:
            props[key] = value
    return props
