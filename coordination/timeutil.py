"""Time helpers: the service stores naive UTC datetimes and shows UK local time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Current time as naive UTC (what every DateTime column holds)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_uk(value: datetime | None) -> datetime | None:
    """Convert a naive UTC datetime to UK local time for display."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(UK)
