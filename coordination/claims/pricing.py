"""Pricing a claim from the policy in force: fees, HMRC mileage with the tax-year switch, capped costs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..money import format_money
from .models import AT_COST_KINDS, ClaimPolicy, LineKind

DEFAULT_RATES = {
    "half_day_fee_pence": 5000, "full_day_fee_pence": 10000, "hourly_fee_pence": 1250,
    "car_pence_per_mile": 45, "car_pence_per_mile_after": 25, "car_threshold_miles": 10000,
    "motorcycle_pence_per_mile": 24, "bicycle_pence_per_mile": 20, "passenger_pence_per_mile": 5,
    "taxi_cap_pence": 5000, "accommodation_cap_pence": 12000, "replacement_care_cap_pence": 15000,
    "support_worker_cap_pence": 15000, "interpreter_cap_pence": 30000, "subsistence_cap_pence": 1500,
    "benefits_threshold_pence": 50000, "target_working_days": 10, "approver_may_pay": False,
}


def tax_year_start(day: date) -> date:
    """The 6 April on or before this day (UK tax years run 6 April to 5 April)."""
    start = date(day.year, 4, 6)
    return start if day >= start else date(day.year - 1, 4, 6)


def tax_year_label(day: date) -> str:
    """'2026 to 2027'."""
    start = tax_year_start(day)
    return f"{start.year} to {start.year + 1}"


def _pence(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Priced:
    amount_pence: int
    note: str


def _miles_text(hundredths: int) -> str:
    value = (Decimal(hundredths) / 100).normalize()
    return f"{value:f} mile{'' if value == 1 else 's'}"


def price_car(hundredths: int, passengers: int, policy: ClaimPolicy, miles_before_hundredths: int) -> Priced:
    """Car miles: the higher rate until the contributor's tax-year total passes the threshold, then the lower."""
    threshold = policy.car_threshold_miles * 100
    at_high = max(0, min(hundredths, threshold - miles_before_hundredths))
    at_low = hundredths - at_high
    amount = (Decimal(at_high) * policy.car_pence_per_mile + Decimal(at_low) * policy.car_pence_per_mile_after
              + Decimal(hundredths) * passengers * policy.passenger_pence_per_mile) / 100
    parts = []
    if at_high:
        parts.append(f"{_miles_text(at_high)} at {policy.car_pence_per_mile}p")
    if at_low:
        parts.append(f"{_miles_text(at_low)} at {policy.car_pence_per_mile_after}p")
    if passengers:
        parts.append(f"{passengers} passenger{'s' if passengers > 1 else ''} at {policy.passenger_pence_per_mile}p a mile")
    return Priced(_pence(amount), ", ".join(parts) or "0 miles")


def price_line(kind: LineKind, hundredths: int, passengers: int, cost_pence: int | None, policy: ClaimPolicy,
               car_miles_before_hundredths: int = 0) -> Priced:
    """The amount for one line from the policy; typed costs are only ever used up to the cap."""
    quantity = Decimal(hundredths) / 100
    if kind == LineKind.HALF_DAY_FEE:
        return Priced(_pence(quantity * policy.half_day_fee_pence), f"{quantity.normalize():f} × {format_money(policy.half_day_fee_pence)}")
    if kind == LineKind.FULL_DAY_FEE:
        return Priced(_pence(quantity * policy.full_day_fee_pence), f"{quantity.normalize():f} × {format_money(policy.full_day_fee_pence)}")
    if kind == LineKind.HOURLY_FEE:
        return Priced(_pence(quantity * policy.hourly_fee_pence), f"{quantity.normalize():f} hours × {format_money(policy.hourly_fee_pence)}")
    if kind == LineKind.CAR_MILES:
        return price_car(hundredths, passengers, policy, car_miles_before_hundredths)
    if kind == LineKind.MOTORCYCLE_MILES:
        return Priced(_pence(quantity * policy.motorcycle_pence_per_mile), f"{_miles_text(hundredths)} at {policy.motorcycle_pence_per_mile}p")
    if kind == LineKind.BICYCLE_MILES:
        return Priced(_pence(quantity * policy.bicycle_pence_per_mile), f"{_miles_text(hundredths)} at {policy.bicycle_pence_per_mile}p")
    assert kind in AT_COST_KINDS
    cost = cost_pence or 0
    cap = policy.cap_for(kind)
    if cap is not None and cost > cap:
        return Priced(cap, f"{format_money(cost)} asked, up to the limit of {format_money(cap)}")
    return Priced(cost, "at cost")
