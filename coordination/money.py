"""Money: integer pence in the database, Decimal pounds in Python, never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")

# Pounds as people type them: '12', '12.5', '12.50', '£1,234.50'. Commas only between groups of three.
_AMOUNT = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<pence>[0-9]*))?")


class MoneyError(ValueError):
    """A typed amount that is not money, with a message that says what to change."""


def parse_pence(text: str) -> int:
    """Strictly read a typed amount ('£12.50', '1,234') as pence: at most 2 decimal places, no stray separators."""
    original = text
    cleaned = (text or "").strip()
    if cleaned.startswith("£"):
        cleaned = cleaned[1:].strip()
    if not cleaned:
        raise MoneyError("Enter an amount of money, like 12.50")
    if cleaned.startswith("-"):
        raise MoneyError("Enter an amount of 0 or more, without a minus sign")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        if "," in cleaned and re.fullmatch(r"[0-9,]+(\.[0-9]*)?", cleaned):
            raise MoneyError(
                f"'{original.strip()}' has a comma in the wrong place. Use commas only between "
                "thousands, like 1,234.50, or leave them out"
            )
        raise MoneyError(f"'{original.strip()}' is not an amount of money. Enter numbers only, like 12.50")
    pence_text = match.group("pence")
    if pence_text is not None:
        if pence_text == "":
            raise MoneyError(
                f"'{original.strip()}' ends with a point. Enter the pence too, like 12.50, or leave the point out"
            )
        if len(pence_text) > 2:
            raise MoneyError(
                f"'{original.strip()}' has more than 2 numbers after the point. Enter pounds and pence, like 12.50"
            )
    whole = int(match.group("whole").replace(",", ""))
    return whole * 100 + int((pence_text or "0").ljust(2, "0"))


def to_pence(pounds: Decimal | int | str) -> int:
    """Pounds as whole pence: typed strings are read strictly (parse_pence); Decimals are rounded half up."""
    if isinstance(pounds, str):
        return parse_pence(pounds)
    if isinstance(pounds, float):
        raise TypeError("money must not be a float")
    return int((Decimal(pounds) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_pounds(pence: int | None) -> Decimal:
    """Convert whole pence to Decimal pounds."""
    return (Decimal(pence or 0) / 100).quantize(PENNY)


def format_money(pence: int | None) -> str:
    """Show pence as '£1,234.50'."""
    value = to_pounds(pence)
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"
