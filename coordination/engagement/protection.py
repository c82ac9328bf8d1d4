"""Which engagement figures a partner may see: one protection per moment (data version) and viewer.

A partner can download every period's figures (the tables, map, charts and CSV of each period) and
the attendance timeline, so the figures of every period are protected together, with every linear
relation a reader could use between them (docs/engagement.md, "Small numbers"):

* the Greater Manchester row is the sum of the ten boroughs, for every figure, area and period;
* attendance at all events is the sum of the five types; a practice area's attendance adds up to no
  more than "all practice areas", and a practice area's organisations are no more than all of them;
* new organisations reached ≤ engaged; engaged + never engaged ≤ in the directory (equal over all
  time, when nobody has engaged with a date still to come); over all time, new = engaged;
* in the directory and never engaged do not depend on the period (the same figure in every period);
  engaged and people in any period ≤ all time; counts that add up over time (new organisations
  reached, attendance) summed over the calendar years are ≤ all time, and the last 12 months ≤
  this year + last year;
* the attendance page's per-type totals are the sums of its quarters, and Greater Manchester's
  attendance in a period is no more than the quarters covering it.

The partner's own boroughs are known to them exactly (their outreach lists name those organisations).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from geo.boroughs import BOROUGH_CODES

from .. import disclosure
from ..disclosure import Relation
from .queries import ALL_AREAS, EVENT_TYPES, GM, Period

ORGANISATION_COUNTS = ("directory", "engaged", "new_reached", "never_engaged")
ATTENDED = tuple(f"attended_{t}" for t in EVENT_TYPES)
COUNTS = (*ORGANISATION_COUNTS, "lived_experience_people", *ATTENDED, "attended_total")
SAME_IN_EVERY_PERIOD = ("directory", "never_engaged")
ADD_UP_OVER_TIME = ("new_reached", *ATTENDED, "attended_total")
AREA_SUMS = (*ATTENDED, "attended_total")  # Σ practice areas ≤ all practice areas
AREA_SUBSETS = (*ORGANISATION_COUNTS, "lived_experience_people")  # each practice area ≤ all


@dataclass
class Moment:
    """Everything a partner could download at one moment: every period's figure rows and the timeline."""

    periods: list[Period]
    rows: dict[str, list[dict]]  # period key -> engagement_figures(period)
    timeline: list[dict]  # attendance_over_time(all time): quarter, event_type, events, attended


def fig(period_key: str, measure: str, borough: str, concept_id: int) -> tuple:
    """The key of one published count. Figures that do not depend on the period (in the directory,
    never engaged) have one key for every period: they are one figure, shown or hidden everywhere."""
    if measure in SAME_IN_EVERY_PERIOD:
        period_key = "all"
    return ("fig", period_key, measure, borough, concept_id)


def quarter_key(quarter: str, event_type: str) -> tuple:
    return ("quarter", quarter, event_type)


def attendance_key(period_key: str, event_type: str) -> tuple:
    return ("attendance", period_key, event_type)


def quarters_in(period: Period, quarters: list[str]) -> list[str]:
    """The quarters (labelled "2026 Q1") that overlap the period."""
    chosen = []
    for quarter in quarters:
        year, first_month = int(quarter[:4]), 3 * (int(quarter[-1]) - 1) + 1
        start = date(year, first_month, 1)
        end = date(year + 1, 1, 1) if first_month == 10 else date(year, first_month + 3, 1)
        if start < period.end and period.start < end:
            chosen.append(quarter)
    return chosen


def problem(moment: Moment) -> tuple[dict, list[Relation], dict]:
    """The values, relations and costs of everything published at this moment."""
    values: dict = {}
    relations: list[Relation] = []
    cost: dict = {}
    boroughs = list(BOROUGH_CODES)
    by_key = {p.key: p for p in moment.periods}
    for period in moment.periods:
        rows = moment.rows[period.key]
        areas = sorted({r["concept_id"] for r in rows})
        index = {(r["borough_code"], r["concept_id"]): r for r in rows}
        for (code, area), row in index.items():
            for measure in COUNTS:
                values[fig(period.key, measure, code, area)] = int(row[measure])
        total_weight = 10 * sum(int(r["directory"]) + int(r["attended_total"]) for r in rows) + 10
        for area in areas:
            for measure in COUNTS:
                key = fig(period.key, measure, GM, area)
                cost[key] = values[key] + total_weight  # hide a borough before the GM row
                relations.append(Relation.total(key, [fig(period.key, measure, b, area) for b in boroughs]))
            for code in [*boroughs, GM]:

                def at(measure, key=period.key, code=code, area=area):
                    return fig(key, measure, code, area)

                relations.append(Relation.total(at("attended_total"), [at(m) for m in ATTENDED]))
                relations.append(Relation.at_most(at("new_reached"), at("engaged")))
                row = index[(code, area)]
                if period.key == "all" and row["engaged"] + row["never_engaged"] == row["directory"]:
                    relations.append(Relation.difference(at("never_engaged"), at("directory"), at("engaged")))
                else:
                    relations.append(
                        Relation(((at("engaged"), 1), (at("never_engaged"), 1), (at("directory"), -1)), 0, "<=")
                    )
                if period.key == "all" and row["new_reached"] == row["engaged"]:
                    relations.append(Relation.same(at("new_reached"), at("engaged")))
                if area != ALL_AREAS:
                    for measure in AREA_SUBSETS:
                        relations.append(Relation.at_most(at(measure), fig(period.key, measure, code, ALL_AREAS)))
        for code in [*boroughs, GM]:
            for measure in AREA_SUMS:
                parts = [fig(period.key, measure, code, a) for a in areas if a != ALL_AREAS]
                if parts:
                    relations.append(Relation.sum_at_most(parts, fig(period.key, measure, code, ALL_AREAS)))
    relations += _across_periods(moment, values, by_key)
    relations += _timeline(moment, values, cost)
    return values, list(dict.fromkeys(relations)), cost  # (period-free figures repeat some relations)


def _across_periods(moment: Moment, values: dict, by_key: dict) -> list[Relation]:
    relations = []
    if "all" not in by_key:
        return relations
    years = [p for p in moment.periods if p.key.isdigit()]
    keys = {k[2:] for k in values if k[0] == "fig" and k[1] == "all"}
    for measure, code, area in sorted(keys, key=repr):

        def at(period_key, measure=measure, code=code, area=area):
            return fig(period_key, measure, code, area)

        others = [p.key for p in moment.periods if p.key != "all" and at(p.key) in values]
        if measure in SAME_IN_EVERY_PERIOD:
            continue  # one key already (fig)
        relations += [Relation.at_most(at(k), at("all")) for k in others]
        if measure in ADD_UP_OVER_TIME:
            present = [p.key for p in years if at(p.key) in values]
            if len(present) > 1:
                relations.append(Relation.sum_at_most([at(k) for k in present], at("all")))
            twelve = by_key.get("12m")
            if twelve and at("12m") in values:
                covering = [p.key for p in years if p.start < twelve.end and twelve.start < p.end]
                if len(covering) == 2:
                    relations.append(Relation(((at("12m"), 1), *((at(k), -1) for k in covering)), 0, "<="))
    return relations


def _timeline(moment: Moment, values: dict, cost: dict) -> list[Relation]:
    """The attendance page: quarter × type counts and, for each period, per-type sums of its quarters."""
    relations = []
    quarters = sorted({r["quarter"] for r in moment.timeline})
    cell = {(r["quarter"], r["event_type"]): int(r["attended"]) for r in moment.timeline}
    for quarter in quarters:
        for event_type in EVENT_TYPES:
            values[quarter_key(quarter, event_type)] = cell.get((quarter, event_type), 0)
    weight = 10 * sum(cell.values()) + 10
    for period in moment.periods:
        chosen = quarters_in(period, quarters)
        for event_type in EVENT_TYPES:
            key = attendance_key(period.key, event_type)
            values[key] = sum(cell.get((q, event_type), 0) for q in chosen)
            cost[key] = values[key] + weight
            relations.append(Relation.total(key, [quarter_key(q, event_type) for q in chosen]))
            gm = fig(period.key, f"attended_{event_type}", GM, ALL_AREAS)
            if gm in values:
                relations.append(Relation.at_most(gm, key))
        gm_total = fig(period.key, "attended_total", GM, ALL_AREAS)
        if gm_total in values:
            relations.append(
                Relation(((gm_total, 1), *((attendance_key(period.key, t), -1) for t in EVENT_TYPES)), 0, "<=")
            )
    return relations


def protect(moment: Moment, own: tuple[str, ...]) -> disclosure.Protection:
    """The protection of everything published at this moment, for a viewer who knows `own` boroughs."""
    values, relations, cost = problem(moment)
    exact = {k for k in values if k[0] == "fig" and k[3] in own}
    return disclosure.protect(values, relations, exact=exact, cost=cost)


def gather(periods: list[Period]) -> Moment:
    """Every period's figures and the all-time attendance timeline, as published at this moment."""
    from .queries import attendance_over_time, engagement_figures

    everything = next((p for p in periods if p.key == "all"), periods[-1])
    return Moment(list(periods), {p.key: engagement_figures(p) for p in periods}, attendance_over_time(everything))
