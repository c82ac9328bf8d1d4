"""Pricing a claim from the policy in force: one table of settings, one table of line rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..money import MoneyError, format_money, parse_pence, to_pounds
from .models import LineKind

# ---------------------------------------------------------------- the policy settings, declared once


@dataclass(frozen=True)
class Setting:
    """One policy setting: the form, the prefill, validation, pricing and the audit all read this."""

    name: str
    label: str
    unit: str  # "money" (pence, typed as £), "pence_per_mile", "miles", "working_days", "flag"
    default: int | bool
    minimum: int = 0
    maximum: int = 0

    @property
    def short_label(self) -> str:
        return self.label.split(" (")[0]

    def display(self, value) -> str:
        """The value as it is typed in the form (pounds for money, whole numbers otherwise)."""
        if self.unit == "flag":
            return "yes" if value else "no"
        return f"{to_pounds(value)}" if self.unit == "money" else str(value)

    def describe(self, value) -> str:
        """The value in plain words, for pages and the audit trail."""
        if self.unit == "flag":
            return "Yes" if value else "No"
        if self.unit == "money":
            return format_money(value)
        units = {"pence_per_mile": "p a mile", "miles": " miles", "working_days": " working days"}
        return f"{value:,}{units[self.unit]}"

    def parse(self, text: str | None) -> int:
        """A typed value as an integer within the bounds; ValueError with a plain message otherwise."""
        raw = (text or "").strip()
        if not raw:
            raise ValueError(f"Enter the {self.short_label.lower()}")
        if self.unit == "money":
            if not any(c.isdigit() for c in raw):
                raise ValueError(f"{self.short_label} must be a number, like {self.display(self.default)}")
            try:
                value = parse_pence(raw)
            except MoneyError as error:
                raise ValueError(f"{self.short_label}: {error}") from None
        else:
            if not raw.isdigit() or len(raw) > 9:
                raise ValueError(f"{self.short_label} must be a whole number, like {self.default}")
            value = int(raw)
        if not self.minimum <= value <= self.maximum:
            raise ValueError(
                f"{self.short_label} must be between {self.describe(self.minimum)} and {self.describe(self.maximum)}"
            )
        return value

    def check(self, value) -> None:
        """Refuse a value of the wrong kind or outside the bounds (operations call this for every save)."""
        if self.unit == "flag":
            if not isinstance(value, bool):
                raise ValueError(f"{self.short_label} must be yes or no")
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{self.short_label} must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(
                f"{self.short_label} must be between {self.describe(self.minimum)} and {self.describe(self.maximum)}"
            )


_POUNDS = 100
SETTINGS: tuple[Setting, ...] = (
    Setting("half_day_fee_pence", "Involvement fee for half a day (£)", "money", 5000, 0, 1000 * _POUNDS),
    Setting("full_day_fee_pence", "Involvement fee for a full day (£)", "money", 10000, 0, 1000 * _POUNDS),
    Setting("hourly_fee_pence", "Involvement fee per hour (£)", "money", 1250, 0, 200 * _POUNDS),
    Setting("car_pence_per_mile", "Car or van: pence a mile up to the threshold", "pence_per_mile", 45, 0, 200),
    Setting("car_pence_per_mile_after", "Car or van: pence a mile after the threshold", "pence_per_mile", 25, 0, 200),
    Setting("car_threshold_miles", "Car or van threshold (miles a tax year)", "miles", 10000, 0, 100_000),
    Setting("motorcycle_pence_per_mile", "Motorbike: pence a mile", "pence_per_mile", 24, 0, 200),
    Setting("bicycle_pence_per_mile", "Bicycle: pence a mile", "pence_per_mile", 20, 0, 200),
    Setting("passenger_pence_per_mile", "Each passenger: pence a mile", "pence_per_mile", 5, 0, 200),
    Setting("taxi_cap_pence", "Taxi limit per item (£)", "money", 5000, 0, 10_000 * _POUNDS),
    Setting("accommodation_cap_pence", "Overnight stay limit per item (£)", "money", 12000, 0, 10_000 * _POUNDS),
    Setting("replacement_care_cap_pence", "Replacement care limit per item (£)", "money", 15000, 0, 10_000 * _POUNDS),
    Setting("support_worker_cap_pence", "Support worker limit per item (£)", "money", 15000, 0, 10_000 * _POUNDS),
    Setting("interpreter_cap_pence", "Interpreter limit per item (£)", "money", 30000, 0, 10_000 * _POUNDS),
    Setting("subsistence_cap_pence", "Food and drink limit per item (£)", "money", 1500, 0, 10_000 * _POUNDS),
    Setting(
        "benefits_threshold_pence",
        "Remind contributors about benefits when paid more than this in fees in a tax year (£)",
        "money",
        50000,
        0,
        100_000 * _POUNDS,
    ),
    Setting(
        "target_working_days", "Prompt payment target (working days from sending to payment)", "working_days", 10, 1, 60
    ),
    Setting("approver_may_pay", "Allow the person who approved a claim to also mark it paid", "flag", False),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}
DEFAULT_RATES = {setting.name: setting.default for setting in SETTINGS}


def describe_setting(name: str, value) -> str:
    """A policy value in plain words ('£50.00', '45p a mile'); unknown names are shown as they are."""
    setting = SETTINGS_BY_NAME.get(name)
    return setting.describe(value) if setting and value is not None else str(value)


# ---------------------------------------------------------------- tax years


def tax_year_start(day: date) -> date:
    """The 6 April on or before this day (UK tax years run 6 April to 5 April)."""
    start = date(day.year, 4, 6)
    return start if day >= start else date(day.year - 1, 4, 6)


def tax_year_label(day: date) -> str:
    """'2026 to 2027'."""
    start = tax_year_start(day)
    return f"{start.year} to {start.year + 1}"


# ---------------------------------------------------------------- pricing lines from the table


def _pence(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Priced:
    amount_pence: int
    note: str


def _miles_text(hundredths: int) -> str:
    value = (Decimal(hundredths) / 100).normalize()
    return f"{value:f} mile{'' if value == 1 else 's'}"


def price_car(hundredths: int, passengers: int, policy, miles_before_hundredths: int) -> Priced:
    """Car miles: the higher rate until the contributor's tax-year total passes the threshold, then the lower."""
    threshold = policy.car_threshold_miles * 100
    at_high = max(0, min(hundredths, threshold - miles_before_hundredths))
    at_low = hundredths - at_high
    amount = (
        Decimal(at_high) * policy.car_pence_per_mile
        + Decimal(at_low) * policy.car_pence_per_mile_after
        + Decimal(hundredths) * passengers * policy.passenger_pence_per_mile
    ) / 100
    parts = []
    if at_high:
        parts.append(f"{_miles_text(at_high)} at {policy.car_pence_per_mile}p")
    if at_low:
        parts.append(f"{_miles_text(at_low)} at {policy.car_pence_per_mile_after}p")
    if passengers:
        parts.append(
            f"{passengers} passenger{'s' if passengers > 1 else ''} at {policy.passenger_pence_per_mile}p a mile"
        )
    return Priced(_pence(amount), ", ".join(parts) or "0 miles")


@dataclass(frozen=True)
class LineRule:
    """How one kind of line is priced: 'fee' (quantity × rate), 'miles' (miles × pence), 'car', or 'cost' (capped)."""

    style: str
    setting: str | None = None  # the rate or cap in SETTINGS; None for at cost without a cap
    unit_text: str = ""


LINE_RULES: dict[LineKind, LineRule] = {
    LineKind.HALF_DAY_FEE: LineRule("fee", "half_day_fee_pence"),
    LineKind.FULL_DAY_FEE: LineRule("fee", "full_day_fee_pence"),
    LineKind.HOURLY_FEE: LineRule("fee", "hourly_fee_pence", " hours"),
    LineKind.CAR_MILES: LineRule("car"),
    LineKind.MOTORCYCLE_MILES: LineRule("miles", "motorcycle_pence_per_mile"),
    LineKind.BICYCLE_MILES: LineRule("miles", "bicycle_pence_per_mile"),
    LineKind.PUBLIC_TRANSPORT: LineRule("cost"),
    LineKind.TAXI: LineRule("cost", "taxi_cap_pence"),
    LineKind.ACCOMMODATION: LineRule("cost", "accommodation_cap_pence"),
    LineKind.REPLACEMENT_CARE: LineRule("cost", "replacement_care_cap_pence"),
    LineKind.SUPPORT_WORKER: LineRule("cost", "support_worker_cap_pence"),
    LineKind.INTERPRETER: LineRule("cost", "interpreter_cap_pence"),
    LineKind.SUBSISTENCE: LineRule("cost", "subsistence_cap_pence"),
}
assert set(LINE_RULES) == set(LineKind), "every kind of line needs a pricing rule"
assert all(rule.setting is None or rule.setting in SETTINGS_BY_NAME for rule in LINE_RULES.values())


def price_line(
    kind: LineKind,
    hundredths: int,
    passengers: int,
    cost_pence: int | None,
    policy,
    car_miles_before_hundredths: int = 0,
) -> Priced:
    """The amount for one line from the policy; typed costs are only ever used up to the cap."""
    rule = LINE_RULES[kind]
    rate = getattr(policy, rule.setting) if rule.setting else None
    quantity = Decimal(hundredths) / 100
    if rule.style == "fee":
        return Priced(_pence(quantity * rate), f"{quantity.normalize():f}{rule.unit_text} × {format_money(rate)}")
    if rule.style == "car":
        return price_car(hundredths, passengers, policy, car_miles_before_hundredths)
    if rule.style == "miles":
        return Priced(_pence(quantity * rate), f"{_miles_text(hundredths)} at {rate}p")
    cost = cost_pence or 0
    if rate is not None and cost > rate:
        return Priced(rate, f"{format_money(cost)} asked, up to the limit of {format_money(rate)}")
    return Priced(cost, "at cost")
