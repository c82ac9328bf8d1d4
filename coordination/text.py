"""One input policy for every form, search box, CSV cell and import.

PostgreSQL cannot store the NUL character in text, and XML 1.0 (and so every export a partner's tools
might read) cannot carry the other C0 control characters, lone surrogates or the non-characters
U+FFFE/U+FFFF. SQLite would store them all, so without one rule the same input works on one database and
fails with a 500 on the other. The rule: forms refuse such characters with a message naming the field;
search boxes and query strings drop them (a search for "a\\x00b" is a search for "ab"); imports report the
row or term. Tab, line feed and carriage return are ordinary text. Line and paragraph separators (U+2028,
U+2029, U+0085) are storable everywhere and are kept: exports must carry them (see terminology/skos.py).
"""

from __future__ import annotations

import re
import unicodedata

from flask import Request
from werkzeug.utils import cached_property

UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def unstorable_characters(value: str) -> list[str]:
    """The distinct characters in value that the policy refuses, in order of first appearance."""
    seen: list[str] = []
    for match in UNSTORABLE.finditer(value or ""):
        if match.group() not in seen:
            seen.append(match.group())
    return seen


def describe(character: str) -> str:
    """'U+0000 (NUL)'-style name of a character for messages."""
    code = f"U+{ord(character):04X}"
    names = {
        "\x00": "NUL",
        "\x0c": "form feed",
        "\x1b": "escape",
        "\x0b": "vertical tab",
        "\x1e": "record separator",
        "\x1f": "unit separator",
        "\x08": "backspace",
    }
    name = names.get(character) or unicodedata.name(character, "").lower()
    if not name and 0xD800 <= ord(character) <= 0xDFFF:
        name = "unpaired surrogate"
    return f"{code} ({name})" if name else f"{code} (a control character)"


def problem(label: str, value: str) -> str | None:
    """The house message for a value the policy refuses, or None when it is fine."""
    found = unstorable_characters(value)
    if not found:
        return None
    named = ", ".join(describe(c) for c in found[:3])
    return (
        f"{label} contains a character that cannot be saved: {named}. It is usually invisible and "
        "comes from copying text out of another program; remove it and try again"
    )


def clean(value: str) -> str:
    """Drop the refused characters (for search boxes, query strings and other harmless places)."""
    return UNSTORABLE.sub("", value) if value else value


class CleanRequest(Request):
    """Query-string values are search boxes, filters and page numbers: refused characters are dropped."""

    @cached_property
    def args(self):
        from urllib.parse import parse_qsl

        return self.parameter_storage_class(
            (clean(key), clean(value))
            for key, value in parse_qsl(self.query_string.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        )
