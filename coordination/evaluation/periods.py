"""The impact report's periods: named ones (financial years, their quarters, the last 12 months, all time) as the
rest of the service offers, or the coordinator's own dates typed in GOV.UK's three-box date pattern.

`chosen(args, today)` reads a query string and returns the period with any errors and what was typed, so a bad
date is explained beside its boxes and nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ..timeutil import utcnow

CUSTOM = "custom"
ALL = "all"
YEARS_BACK = 4  # financial years offered before the current one


@dataclass(frozen=True)
class ReportPeriod:
    """Days from start to end, both included (None: open at that side)."""

    key: str
    label: str
    start: date | None
    end: date | None
    group: str = ""


def financial_year(day: date) -> int:
    """The year a UK financial year (1 April to 31 March) starts in."""
    return day.year if day.month >= 4 else day.year - 1


def _fy(year: int) -> ReportPeriod:
    return ReportPeriod(
        f"fy{year}", f"Financial year {year} to {year + 1}", date(year, 4, 1), date(year + 1, 3, 31), "Financial years"
    )


_QUARTER_MONTHS = ((4, 6, "April to June"), (7, 9, "July to September"), (10, 12, "October to December"))


def _quarter(year: int, number: int) -> ReportPeriod:
    """Quarter 1 to 4 of the financial year starting in `year`."""
    if number == 4:
        start, end, months, calendar_year = date(year + 1, 1, 1), date(year + 1, 3, 31), "January to March", year + 1
    else:
        first, last, months = _QUARTER_MONTHS[number - 1]
        start = date(year, first, 1)
        end = (date(year, last, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        calendar_year = year
    return ReportPeriod(
        f"fy{year}q{number}",
        f"{months} {calendar_year} (quarter {number} of {year} to {year + 1})",
        start,
        end,
        "Quarters",
    )


def named_periods(today: date | None = None) -> list[ReportPeriod]:
    """All time, the last 12 months, this and the last financial year's quarters (so far), and financial years."""
    today = today or utcnow().date()
    current = financial_year(today)
    periods = [
        ReportPeriod(ALL, "All time", None, None),
        ReportPeriod("12m", "The last 12 months", today - timedelta(days=364), today),
    ]
    for year in (current, current - 1):
        for number in range(4, 0, -1):
            quarter = _quarter(year, number)
            if quarter.start <= today:
                periods.append(quarter)
    periods += [_fy(year) for year in range(current, current - YEARS_BACK - 1, -1)]
    return periods


def partner_periods(today: date | None = None) -> list[ReportPeriod]:
    """What a partner may choose: financial years only. They never overlap, so no two of a partner's reports can
    be subtracted to reveal a small count (a year and its quarters, or all time and the years, could)."""
    return [p for p in named_periods(today) if p.group == "Financial years"]


def find(key: str | None, today: date | None = None) -> ReportPeriod | None:
    """A named period by key, including financial years and quarters older than the list offers."""
    key = (key or "").strip()
    for period in named_periods(today):
        if period.key == key:
            return period
    if key.startswith("fy") and key[2:6].isdigit() and 1990 <= int(key[2:6]) <= 2100:
        year = int(key[2:6])
        if len(key) == 6:
            return _fy(year)
        if len(key) == 8 and key[6] == "q" and key[7] in "1234":
            return _quarter(year, int(key[7]))
    return None


@dataclass
class Choice:
    """What the filter chose: the period, the errors by field, and the boxes as typed."""

    period: ReportPeriod
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.period.key


def _typed_date(args, name: str, words: str) -> tuple[date | None, str | None, dict[str, str]]:
    """One GOV.UK date (name-day, name-month, name-year): the date, an error message, and the boxes as typed."""
    parts = {part: (args.get(f"{name}-{part}") or "").strip()[:10] for part in ("day", "month", "year")}
    typed = {f"{name}-{part}": value for part, value in parts.items()}
    if not any(parts.values()):
        iso = (args.get(name) or "").strip()  # links and bookmarks may carry an ISO date
        if iso:
            try:
                day = date.fromisoformat(iso)
                return (
                    day,
                    None,
                    {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)},
                )
            except ValueError:
                return None, f"{words} must be a real date, like 27 3 2026", typed
        return None, None, typed
    missing = [part for part in ("day", "month", "year") if not parts[part]]
    if missing:
        return None, f"{words} must include a {' and a '.join(missing)}", typed
    if not all(value.isdigit() for value in parts.values()):
        return None, f"{words} must be in numbers, like 27 3 2026", typed
    if len(parts["year"]) != 4:
        return None, f"{words}: the year must have 4 numbers, like 2026", typed
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])), None, typed
    except ValueError:
        return None, f"{words} must be a real date, like 27 3 2026", typed


def chosen(args, today: date | None = None) -> Choice:
    """The period a query string asks for. Unknown keys fall back to all time; typed dates are checked."""
    today = today or utcnow().date()
    key = (args.get("period") or "").strip()
    has_dates = any(args.get(f"{n}-{p}") for n in ("start", "end") for p in ("day", "month", "year")) or any(
        args.get(n) for n in ("start", "end")
    )
    if key != CUSTOM and not (not key and has_dates):
        return Choice(find(key, today) or named_periods(today)[0])
    start, start_error, typed = _typed_date(args, "start", "The start date")
    end, end_error, typed_end = _typed_date(args, "end", "The end date")
    typed.update(typed_end)
    errors = {}
    if start_error:
        errors["start"] = start_error
    if end_error:
        errors["end"] = end_error
    if not errors and start and end and end < start:
        errors["end"] = "The end date must be the same as or after the start date"
    if not errors and start and start > today:
        errors["start"] = "The start date must be today or in the past"
    if not errors and not start and not end:
        errors["start"] = "Enter a start date, an end date or both"
    if errors:
        return Choice(named_periods(today)[0], errors, typed)
    label = f"{_text(start) if start else 'The start'} to {_text(end) if end else 'today'}"
    return Choice(ReportPeriod(CUSTOM, label, start, end), {}, typed)


def _text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def args_for(period: ReportPeriod) -> dict:
    """The query-string arguments that choose this period again (for the CSV link and publishing)."""
    if period.key == ALL:
        return {}
    if period.key != CUSTOM:
        return {"period": period.key}
    found = {"period": CUSTOM}
    if period.start:
        found["start"] = period.start.isoformat()
    if period.end:
        found["end"] = period.end.isoformat()
    return found
