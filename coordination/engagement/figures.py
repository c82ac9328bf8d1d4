"""The figures, defined once: their labels and how they are shown, through the disclosure module for partners.

The same presented rows feed the map tooltips and colours, the tables, the charts and the CSVs,
so a number can only ever appear one way.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import disclosure
from ..boroughs import borough_name
from .protection import fig
from .queries import ALL_AREAS, EVENT_TYPES, GM

SUPPRESSED = disclosure.SMALL_TEXT  # a count of 1 to 4, to partners
HIDDEN = disclosure.HIDDEN_TEXT  # hidden to protect a small count, or a rate or index built on a hidden count
EVENT_TYPE_TITLES = {
    "regular_meeting": "Regular meetings",
    "masterclass": "Masterclasses",
    "workshop": "Workshops",
    "roundtable": "Roundtables",
    "one_off": "One-off events",
}


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str  # count, percent, rate, index
    built_on: tuple[str, ...] = ()  # counts a derived figure is hidden with
    definition: str = ""


FIGURES = (
    Figure(
        "directory",
        "Organisations in the directory",
        "count",
        definition="Active organisations whose address is in the borough and that are tagged with the "
        "practice area (all active organisations for 'All practice areas').",
    ),
    Figure(
        "engaged",
        "Organisations engaged",
        "count",
        definition="Of those, organisations that had someone attend an event in the period, or had a member "
        "in a community of practice at any time in the period.",
    ),
    Figure(
        "engagement_rate",
        "Engagement rate",
        "percent",
        ("engaged", "directory"),
        "Organisations engaged divided by organisations in the directory.",
    ),
    Figure(
        "engaged_per_100k",
        "Engaged organisations per 100,000 residents",
        "rate",
        ("engaged",),
        "Organisations engaged divided by the borough's population (ONS 2021), times 100,000.",
    ),
    Figure(
        "gap_index",
        "Gap index",
        "index",
        ("engaged",),
        "The borough's share of Greater Manchester's engaged organisations (in the practice area) divided by "
        "its share of Greater Manchester's population. 1 means a fair share; below 1 means under-represented.",
    ),
    Figure(
        "gap_index_need",
        "Gap index weighted by need",
        "index",
        ("engaged",),
        "As the gap index, but the expected share is population times the IMD 2025 average score, so more "
        "deprived boroughs are expected to have more engaged organisations.",
    ),
    Figure(
        "new_reached",
        "New organisations reached",
        "count",
        definition="Organisations engaged in the period that had never engaged before it.",
    ),
    Figure(
        "never_engaged",
        "Never engaged",
        "count",
        definition="Organisations in the directory that have never engaged: the outreach list.",
    ),
    Figure(
        "lived_experience_people",
        "People with lived experience taking part",
        "count",
        definition="Different people taking part with lived experience or as carers who attended an event "
        "or were members in the period, counted in their own borough (else their "
        "organisation's) and under the practice area of the community.",
    ),
    *(
        Figure(
            f"attended_{t}",
            f"Attendance at {EVENT_TYPE_TITLES[t].lower()}",
            "count",
            definition=f"Attended records at {EVENT_TYPE_TITLES[t].lower()} in the period.",
        )
        for t in EVENT_TYPES
    ),
    Figure(
        "attended_total",
        "Attendance at all events",
        "count",
        definition="Attended records at every type of event in the period.",
    ),
)
BY_KEY = {f.key: f for f in FIGURES}
GAP_LEGEND = (
    "Gap index: a borough's share of Greater Manchester's engaged organisations divided by its share "
    "of the population. Below 1 means under-represented; above 1, over-represented."
)


def format_value(figure: Figure, value) -> str:
    """A figure's value as people read it."""
    if value is None:
        return "no data"
    if figure.kind == "count":
        return f"{int(value):,}"
    if figure.kind == "percent":
        return f"{value * 100:.0f}%"
    if figure.kind == "rate":
        return f"{value:,.1f}"
    return f"{value:.2f}"


def _cell(row: dict, figure: Figure, period_key: str, protection):
    """The protected cell of one figure of a row (everything shown when there is no protection)."""
    value = row.get(figure.key)
    if protection is None:
        return disclosure.Cell(value)
    code, area = row["borough_code"], row["concept_id"]
    if figure.kind == "count":
        return protection[fig(period_key, figure.key, code, area)]
    built_on = [protection[fig(period_key, k, code, area)] for k in figure.built_on]
    if figure.kind == "index" and code != GM:
        # A borough's share of Greater Manchester: with the borough's count, it would give the GM count.
        built_on.append(protection[fig(period_key, "engaged", GM, area)])
    return disclosure.derived(value, *built_on)


def present(row: dict, period_key: str = "", protection: disclosure.Protection | None = None) -> dict:
    """Add, for each figure, `<key>_cell` (a disclosure.Cell), `<key>_shown` (None when hidden) and
    `<key>_display` (text) to a row copy. Without a protection every figure is shown (the coordinator)."""
    shaped = dict(row)
    shaped["name"] = "Greater Manchester" if row["borough_code"] == GM else borough_name(row["borough_code"])
    shaped["population_display"] = f"{row['population']:,}"
    for figure in FIGURES:
        cell = _cell(row, figure, period_key, protection)
        shaped[f"{figure.key}_cell"] = cell
        shaped[f"{figure.key}_shown"] = cell.shown
        shaped[f"{figure.key}_display"] = cell.display(lambda v, f=figure: format_value(f, v))
    shaped["suppressed"] = any(shaped[f"{f.key}_cell"].hidden for f in FIGURES)
    return shaped


def present_all(rows: list[dict], period_key: str = "", protection: disclosure.Protection | None = None) -> list[dict]:
    """present() for every row of one period. A partner's protection (engagement.protection) covers every
    period at once and knows their own boroughs exactly; the coordinator passes none and sees every figure."""
    return [present(row, period_key, protection) for row in rows]


def for_area(rows: list[dict], concept_id: int = ALL_AREAS, include_gm: bool = True) -> list[dict]:
    """The rows of one practice area (boroughs by name, then Greater Manchester)."""
    chosen = [r for r in rows if r["concept_id"] == concept_id and (include_gm or r["borough_code"] != GM)]
    return sorted(chosen, key=lambda r: (r["borough_code"] == GM, r.get("name") or ""))


def for_borough(rows: list[dict], borough_code: str) -> list[dict]:
    """The rows of one borough, one per practice area."""
    return [r for r in rows if r["borough_code"] == borough_code]
