"""Engagement overview with the gap map, borough pages for partners, outreach lists and charts."""

from __future__ import annotations

import re
import unicodedata

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from geo.boroughs import BOROUGH_CODES

from .. import disclosure
from ..boroughs import borough_name
from ..caching import app_cache
from ..errors import being_prepared
from ..extensions import db
from ..organisations.interface import OrganisationFilters, ranked_ids
from ..params import whole_number
from ..permissions import Role, roles_required
from ..security import csp_nonce
from ..spreadsheet import csv_download
from ..terminology.interface import SpokenConcept, spoken_concepts
from ..versions import conditional_response
from . import charts, figures, gap_map, protection, publication, queries
from .figures import EVENT_TYPE_TITLES, FIGURES

bp = Blueprint("engagement", __name__, url_prefix="/engagement")
C, P = Role.COORDINATOR, Role.PARTNER
TABLE_FIGURES = (
    "directory",
    "engaged",
    "engagement_rate",
    "engaged_per_100k",
    "gap_index",
    "gap_index_need",
    "new_reached",
    "lived_experience_people",
)


def display_label(concept: SpokenConcept | None, borough_code: str | None = None) -> str:
    """The practice area's name as the borough speaks of it, when the terminology area offers that."""
    if concept is None:
        return "All practice areas"
    return concept.name(borough_code)


def _cache():
    """The engagement cache on the app: presented figures and the filled gap maps (gap_map.cache)."""
    return gap_map.cache()


def _suppress() -> bool:
    """Partners see small numbers suppressed; the coordinator sees them all."""
    return current_user.role == Role.PARTNER


def _visible_boroughs() -> list[str]:
    return list(BOROUGH_CODES) if current_user.role == Role.COORDINATOR else current_user.borough_codes


def _choices():
    """The period and practice area chosen in the query string (defaults: last 12 months, all areas)."""
    period = queries.find_period(request.args.get("period"))
    # The practice areas in use change only with the data: remembered per data version (two queries saved),
    # and their names per vocabulary version (two more).
    in_use = _cache().get_or_build(("in use", queries.data_version()), queries.concept_ids_in_use)
    named = spoken_concepts()
    concepts = {cid: named[cid] for cid in in_use if cid in named}
    area = request.args.get("area", "0")
    concept_id = whole_number(area) if whole_number(area) in concepts else queries.ALL_AREAS
    return period, concepts, concept_id


def _own() -> tuple[str, ...]:
    return tuple(current_user.borough_codes) if _suppress() else ()


@bp.context_processor
def _publication_context():
    """Partner pages say when their figures were made (and whether newer ones are on the way)."""
    return {"published": request.environ.get(_PUBLISHED)}


# Looked up once per request and kept on the request itself (not on `g`: an app context, and so `g`,
# can outlive one request when the caller pushed it, as scripts and tests do).
_PUBLISHED = "coordination.engagement.published"


class NotYetPublished(Exception):
    """A partner asked for figures before any protected publication of them exists (it is being made)."""


def _published() -> publication.Published | None:
    """The partner's protected publication of this moment (or the newest ready one while it is being
    made), looked up once per request; None for the coordinator, who sees the live figures."""
    if not _suppress():
        return None
    if _PUBLISHED not in request.environ:
        request.environ[_PUBLISHED] = publication.current(_own())
    if request.environ[_PUBLISHED] is None:
        raise NotYetPublished()
    return request.environ[_PUBLISHED]


@bp.errorhandler(NotYetPublished)
def _being_prepared(_error):
    return being_prepared("Engagement figures", "engagement", "small-numbers-fewer-than-5-and-not-shown")


def _moment() -> protection.Moment:
    """Every period's figures and the attendance timeline, as the partner's publication holds them."""
    return _published().moment


def _protection():
    """The partner's protection of everything they can see at this moment; None for the coordinator."""
    published = _published()
    return published.protection if published else None


def _figures(period) -> list[dict]:
    """Presented figures for this viewer and period, cached by data version (coordinator) or publication."""
    published = _published()
    if published is None:
        key = ("figures", queries.data_version(), period.key, period.start)
        return _cache().get_or_build(key, lambda: figures.present_all(queries.engagement_figures(period), period.key))
    if period.key not in published.moment.rows:
        raise NotYetPublished()  # made before this period existed (the year turned): wait for today's
    key = ("figures", "published", *published.key, period.key)
    return _cache().get_or_build(
        key, lambda: figures.present_all(published.moment.rows[period.key], period.key, published.protection)
    )


# Presented figures ("engagement-figures") and each period's markers ("engagement-organisations",
# shared by every role's and borough's map) are cached on the app by data version, apart from the
# gap-map cache, so borough pages and CSVs never load the map library.


def _area_options(concepts, borough_code=None):
    options = [(queries.ALL_AREAS, "All practice areas")]
    options += sorted(
        ((cid, display_label(c, borough_code)) for cid, c in concepts.items()), key=lambda o: o[1].lower()
    )
    return options


def gap_map_parts(period, concept_id: int, rows: list[dict], links: dict[str, str], suppress: bool) -> dict:
    """The gap map's parts for this request: the stored frame filled with these figures and markers (once
    per data version and choices, then cached). No folium here: gap_map draws the frame only when none
    is stored for the boundaries, tiles and code in use."""
    # The frame's name is the digest of what it is drawn from (boundaries, tiles, code): imported
    # boundaries give a new frame, so the map is filled again then too.
    key = (
        "map",
        queries.data_version(),
        gap_map.frame_path().name,
        period.key,
        period.start,
        concept_id,
        suppress,
        tuple(sorted(links)),
        tuple(current_user.borough_codes) if suppress else (),
        _published().key if suppress else None,
    )

    def build():
        points = app_cache("engagement-organisations", maxsize=8).get_or_build(
            ("points", queries.data_version(), period.key, period.start, concept_id),
            lambda: queries.map_points(period, concept_id=concept_id or None),
        )
        if suppress:
            # Markers name organisations: a partner sees them only in their own boroughs (counting
            # markers elsewhere would give every hidden count back). Other boroughs: shading only.
            points = points.in_boroughs(current_user.borough_codes)
        area_rows = figures.for_area(rows, concept_id, include_gm=False)
        return gap_map.parts(gap_map.frame(), area_rows, points, links)

    return gap_map.with_nonce(gap_map.cache().get_or_build(key, build), csp_nonce())


def _links(period) -> dict[str, str]:
    return {code: url_for("engagement.borough_page", code=code, period=period.key) for code in _visible_boroughs()}


@bp.get("/")
@roles_required(C, P)
def overview():
    period, concepts, concept_id = _choices()
    rows = _figures(period)
    area_rows = figures.for_area(rows, concept_id)
    links = _links(period)
    parts = gap_map_parts(period, concept_id, rows, links, _suppress())
    parts["script_url"] = url_for("engagement.gap_map_script", period=period.key, area=concept_id, v=parts["digest"])
    borough_rows = [r for r in area_rows if r["borough_code"] != queries.GM]
    gm = next(r for r in area_rows if r["borough_code"] == queries.GM)
    chart = charts.bar_chart(
        [(r["name"], r["gap_index_shown"], r["gap_index_display"]) for r in borough_rows],
        "Gap index by borough",
        "Each borough's gap index for "
        f"{display_label(concepts.get(concept_id))}; 1 is a fair share. The same figures are in the table below.",
        "gap-chart",
        reference=1.0,
        reference_label="1 = fair share",
    )
    return render_template(
        "engagement/overview.html",
        period=period,
        periods=queries.periods(),
        area_options=_area_options(concepts),
        concept_id=concept_id,
        area_label=display_label(concepts.get(concept_id)),
        rows=area_rows,
        gm=gm,
        parts=parts,
        links=links,
        chart=chart,
        figures=[figures.BY_KEY[k] for k in TABLE_FIGURES],
        suppress=_suppress(),
        own=_visible_boroughs(),
    )


@bp.get("/gap-map.js")
@roles_required(C, P)
def gap_map_script():
    """The gap map's script, apart from the page (half a megabyte of shapes and markers): the same map
    as the overview's for these choices and this person, kept by the browser and asked again with its
    ETag (304) until the map changes."""
    period, _, concept_id = _choices()
    parts = gap_map_parts(period, concept_id, _figures(period), _links(period), _suppress())
    return conditional_response(("gap map", parts["digest"]), lambda: parts["script_js"], "text/javascript")


@bp.get("/boroughs/<code>")
@roles_required(C, P)
def borough_page(code: str):
    if code not in BOROUGH_CODES:
        abort(404)
    if code not in _visible_boroughs():
        abort(403)
    period, concepts, _ = _choices()
    rows = _figures(period)
    gm_by_area = {r["concept_id"]: r for r in rows if r["borough_code"] == queries.GM}
    mine = sorted(
        figures.for_borough(rows, code),
        key=lambda r: (r["concept_id"] != queries.ALL_AREAS, display_label(concepts.get(r["concept_id"]), code)),
    )
    table = [
        {"label": display_label(concepts.get(r["concept_id"]), code), "row": r, "gm": gm_by_area[r["concept_id"]]}
        for r in mine
    ]
    chart = charts.bar_chart(
        [(_short(t["label"]), t["row"]["gap_index_shown"], t["row"]["gap_index_display"]) for t in table],
        f"Gap index by practice area in {borough_name(code)}",
        f"{borough_name(code)}'s gap index in each practice area; 1 is Greater Manchester's average. "
        "The same figures are in the table.",
        "borough-chart",
        reference=1.0,
        reference_label="1 = GM average",
        label_width=250,
    )
    return render_template(
        "engagement/borough.html",
        code=code,
        name=borough_name(code),
        period=period,
        periods=queries.periods(),
        table=table,
        chart=chart,
        suppress=_suppress(),
        figures=[figures.BY_KEY[k] for k in TABLE_FIGURES],
    )


def _short(label: str, limit: int = 34) -> str:
    """A chart label that fits; the table beside the chart has the full name."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _outreach_choices():
    period, concepts, concept_id = _choices()
    visible = _visible_boroughs()
    code = request.args.get("borough") or visible[0]
    if code not in BOROUGH_CODES:
        abort(404)
    if code not in visible:
        abort(403)
    return period, concepts, concept_id, code


def _directory_matches(concept: SpokenConcept | None, code: str) -> list[int]:
    """Organisations in the borough that the directory search finds for the practice area's words (any label)."""
    if concept is None:
        return []
    filters = OrganisationFilters(q=concept.pref_label, borough=code, status="any")
    return list(db.session.scalars(ranked_ids(filters)[0]))


def outreach_rows(period, concepts, concept_id, code) -> list[dict]:
    """Organisations in the borough and practice area (synonym-aware) that have never engaged."""
    concept = concepts.get(concept_id)
    return queries.organisation_engagement(
        period,
        concept_id=concept_id or None,
        borough_code=code,
        never_engaged=True,
        also_ids=_directory_matches(concept, code),
    )


@bp.get("/outreach")
@roles_required(C, P)
def outreach():
    period, concepts, concept_id, code = _outreach_choices()
    rows = outreach_rows(period, concepts, concept_id, code)
    return render_template(
        "engagement/outreach.html",
        rows=rows,
        code=code,
        name=borough_name(code),
        concept_id=concept_id,
        area_label=display_label(concepts.get(concept_id), code),
        area_options=_area_options(concepts, code),
        boroughs=_visible_boroughs(),
        period=period,
    )


@bp.get("/outreach.csv")
@roles_required(C, P)
def outreach_csv():
    period, concepts, concept_id, code = _outreach_choices()
    rows = outreach_rows(period, concepts, concept_id, code)
    filename = f"outreach-{_slug(borough_name(code))}-{_slug(display_label(concepts.get(concept_id), code))}.csv"
    return csv_download(
        filename,
        ["Organisation", "Borough", "Postcode", "Email", "Website"],
        (
            [
                row["name"],
                borough_name(row["borough_code"]),
                row["postcode"] or "",
                row["email"] or "",
                row["website"] or "",
            ]
            for row in rows
        ),
    )


def _slug(text: str) -> str:
    """Plain ASCII letters, digits and hyphens: practice-area names hold dashes, quotes and emoji that a
    download header cannot carry."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60] or "practice-area"


@bp.get("/figures.csv")
@roles_required(C, P)
def figures_csv():
    period, concepts, _ = _choices()
    rows = _figures(period)
    ordered = sorted(rows, key=lambda r: (r["concept_id"], r["borough_code"] == queries.GM, r["name"]))
    # Practice-area names are typed by people (local labels), so they are made safe like any typed text.
    return csv_download(
        f"engagement-{period.key}.csv",
        ["Borough", "Practice area", "Period", "Population"] + [f.label for f in FIGURES],
        (
            [row["name"], display_label(concepts.get(row["concept_id"])), period.label, row["population"]]
            + [row[f"{f.key}_display"] for f in FIGURES]
            for row in ordered
        ),
    )


@bp.get("/attendance")
@roles_required(C, P)
def attendance_chart():
    period = queries.find_period(request.args.get("period", "all"))
    guard = _protection()
    if guard and period.key not in _moment().rows:
        raise NotYetPublished()  # made before this period existed (the year turned): wait for today's
    timeline = _moment().timeline if guard else queries.attendance_over_time(queries.find_period("all"))
    quarters = protection.quarters_in(period, sorted({r["quarter"] for r in timeline}))
    rows = [r for r in timeline if r["quarter"] in quarters]
    types = [t for t in queries.EVENT_TYPES if any(r["event_type"] == t for r in rows)]
    attended = {(r["quarter"], r["event_type"]): r["attended"] for r in rows}

    def cell(q, t):
        return guard[protection.quarter_key(q, t)] if guard else disclosure.Cell(attended.get((q, t), 0))

    series = [(EVENT_TYPE_TITLES[t], [cell(q, t) for q in quarters]) for t in types]
    summary = []
    for t in types:
        events = sum(r["events"] for r in rows if r["event_type"] == t)
        total = (
            guard[protection.attendance_key(period.key, t)]
            if guard
            else disclosure.Cell(sum(r["attended"] for r in rows if r["event_type"] == t))
        )
        summary.append(
            {
                "title": EVENT_TYPE_TITLES[t],
                "events": events,
                "attended": total,
                "average": disclosure.ratio(total, disclosure.Cell(events)),
            }
        )
    chart = charts.stacked_columns(
        quarters,
        [(name, [c.shown for c in cells]) for name, cells in series],
        "Attendance over time by type of event",
        "People attending per quarter, stacked by type of event. The same figures are "
        "in the table below" + (" (hidden ones are not drawn)." if guard else "."),
        "attendance-chart",
    )
    return render_template(
        "engagement/attendance.html",
        period=period,
        periods=queries.periods(),
        chart=chart,
        quarters=quarters,
        series=series,
        summary=summary,
        suppress=_suppress(),
    )
