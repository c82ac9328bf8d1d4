"""Money: integer pence in the database, Decimal pounds in Python, never float."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")


def to_pence(pounds: Decimal | int | str) -> int:
    """Convert pounds (Decimal, int or a typed string like '£12.50') to whole pence, rounding half up."""
    if isinstance(pounds, str):
        cleaned = pounds.strip().replace("£", "").replace(",", "")
        try:
            pounds = Decimal(cleaned)
        except InvalidOperation as exc:
            raise ValueError(f"'{pounds}' is not an amount of money") from exc
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
