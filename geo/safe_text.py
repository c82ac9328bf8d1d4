"""Make user-typed text safe to show in map popups, tooltips and GeoJSON properties."""

from __future__ import annotations

import re

# Folium 0.20 places Popup and Tooltip text inside JavaScript template literals
# (`...`), and GeoJsonTooltip/GeoJsonPopup and Leaflet's bindTooltip put
# property strings into innerHTML.  So the text must be inert in three
# languages at once:
#   * HTML: & < > " ' would start markup or break out of an attribute;
#   * JS template literal: a backtick ends the literal, "${" starts code,
#     and a backslash starts an escape sequence;
#   * the surrounding <script>: "</script>" would end the script element.
# Replacing each with a numeric character reference covers all three: none of
# the characters survive, and the browser shows them literally when the HTML
# is parsed.  Newlines become <br> would be markup, so they become spaces.
_REPLACEMENTS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "`": "&#96;",
    "$": "&#36;",
    "\\": "&#92;",
    "{": "&#123;",
    "}": "&#125;",
}
_TABLE = str.maketrans(_REPLACEMENTS)
_CONTROL = re.compile("[\x00-\x1f\x7f\u2028\u2029]")


def safe_text(value: object, max_length: int | None = 500) -> str:
    """Return text that displays literally in a map popup, tooltip or GeoJSON property (never runs)."""
    if value is None:
        return ""
    text = str(value)
    # Control characters (other than the whitespace we fold) have no business in a
    # label and some, like U+2028, end JavaScript lines in older engines.
    # (One regular expression: a character-by-character loop cost a second on a 17,500-point map.)
    text = _CONTROL.sub(" ", text)
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text.translate(_TABLE)


def safe_properties(properties: dict, fields=None) -> dict:
    """Return a copy of a properties dict with every string value passed through safe_text."""
    chosen = properties if fields is None else {k: properties.get(k) for k in fields}
    return {key: safe_text(value) if isinstance(value, str) else value for key, value in chosen.items()}
