"""Whole numbers from query strings and forms, read safely (no errors on odd input)."""

from __future__ import annotations

# The largest id or page number the databases hold in an INTEGER column; bigger values match nothing.
MAX_INTEGER = 2**31 - 1


def whole_number(text, default=None, maximum: int = MAX_INTEGER):
    """A positive whole number typed in ASCII digits, capped at maximum, else default.

    str.isdigit() also accepts digits such as "²" that int() refuses, so only 0-9 count here.
    """
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text or not text.isascii() or not text.isdigit():
        return default
    value = int(text)
    if value < 1:
        return default
    return min(value, maximum)


# Pages beyond this are empty anyway; the cap keeps OFFSET inside every database's integer range.
MAX_PAGE = 1_000_000


from werkzeug.routing import IntegerConverter  # noqa: E402


class BoundedIntegerConverter(IntegerConverter):
    """<int:…> in URLs: ids beyond the databases' INTEGER range are page-not-found, not an overflow error."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INTEGER, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
