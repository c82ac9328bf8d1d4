"""Which impact-report figures partners and the public may see: one protection per moment (data version).

Everything published at one moment is protected together, so that no two views can be set side by side to
work out a count that either hides (docs/evaluation.md, "Everything published at once"):

* every borough partner's view, one per borough and financial year a partner may choose (every borough
  counts, whether or not it has a partner account yet: accounts come and go, the figures stay published);
* every live public version (`/impact/…`) that is not withheld, and on the publish page the one previewed.

A public version for Greater Manchester over a financial year is the ten boroughs' versions plus the answers
with no borough, so "Greater Manchester − my borough" is no longer the other nine boroughs' total in the
clear. The relations, per count (and per figure built by adding counts):

* inside each view: a question's n = Σ its answers, "yes or partly" = yes + partly, a theme's total = Σ its
  boroughs, responses = Σ channels, n + "prefer not to say" ≤ people who gave equality answers;
* across views, through the *pieces* they share: each public version's answers inside one borough and one
  financial year form a piece, so a public version = Σ its pieces + what lies outside every partner view
  (answers with no borough, or outside the financial years offered), and a borough partner's view = Σ the
  pieces inside it + what no public version covers. Pieces that are not themselves a view are never shown
  to anyone, and count as unknowns (at least 1 when not 0), which the protection also keeps from being
  worked out: a count of 1 to 4 left over between two views is a count of people too.

A partner is assumed to know their own borough exactly (a stronger reader than they are: they see it
protected), and every reader is assumed to know everything any view shows, so partners comparing notes
learn nothing more either. The hidden cells are one set for everyone: the same figure is shown or hidden
in every view it appears in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.boroughs import BOROUGH_CODES

from .. import disclosure
from ..caching import app_cache
from ..disclosure import TOTAL, Relation
from . import queries
from .models import Channel

PARTNER, PUBLIC, PIECE, REST = "partner", "public", "piece", "rest"
RESPONSES, EQUALITY = "responses", "equality"  # the two sets of people a count is made of
MAX_PASSES = 6


# --------------------------------------------------------------------------- one view's counts


def counts(report: dict) -> tuple[dict, list[Relation], dict]:
    """One report's published counts, the relations between them and what hiding each costs (keys are names).

    Names: ("g", group, answer), ("g", group, TOTAL) (the question's n) and ("g", group, ("sum", answers)) for
    figures adding answers; ("prefer", category); ("theme", theme, borough or "") and ("theme", theme, TOTAL);
    ("channel", channel), ("responses",) and ("records",) (people who gave equality answers).
    """
    values: dict = {}
    relations: list[Relation] = []
    heavy = report["responses"] + report["equality_records"] + 1
    cost: dict = {}
    sums: dict[str, set[tuple[str, ...]]] = {}
    for row in rows_of(report):
        if len(row["parts"]) > 1:
            sums.setdefault(row["group"], set()).add(tuple(sorted(row["parts"])))
    for group, parts in report["groups"].items():
        names = [("g", group, part) for part in parts]
        values.update({("g", group, part): int(count) for part, count in parts.items()})
        values[("g", group, TOTAL)] = sum(parts.values())
        cost[("g", group, TOTAL)] = values[("g", group, TOTAL)] + 2 * heavy
        relations.append(Relation.total(("g", group, TOTAL), names))
        for combination in sorted(sums.get(group, ())):
            key = ("g", group, ("sum", combination))
            values[key] = sum(parts.get(p, 0) for p in combination)
            cost[key] = values[key] + heavy
            relations.append(Relation.total(key, [("g", group, p) for p in combination]))
    values[("records",)] = int(report["equality_records"])
    cost[("records",)] = values[("records",)] + 2 * heavy
    for breakdown in report["equality_breakdowns"]:
        key = ("prefer", breakdown["key"])
        values[key] = int(breakdown["prefer_not"])
        n = ("g", f"equality.{breakdown['key']}", TOTAL)
        relations.append(Relation(((n, 1), (key, 1), (("records",), -1)), 0, "<="))
    for theme in report["themes"]:
        cells = [("theme", theme["name"], b) for b in report["theme_boroughs"]]
        values.update(
            {("theme", theme["name"], b): int(theme["by_borough"].get(b, 0)) for b in report["theme_boroughs"]}
        )
        values[("theme", theme["name"], TOTAL)] = int(theme["total"])
        cost[("theme", theme["name"], TOTAL)] = int(theme["total"]) + heavy
        relations.append(Relation.total(("theme", theme["name"], TOTAL), cells))
    channels = [("channel", c.value) for c in Channel]
    values.update({("channel", c.value): int(report["channels"].get(c.value, 0)) for c in Channel})
    values[("responses",)] = int(report["responses"])
    cost[("responses",)] = values[("responses",)] + 2 * heavy
    relations.append(Relation.total(("responses",), channels))
    return values, relations, cost


def rows_of(report: dict) -> list[dict]:
    """Every figure row of a report (sections, equality headline and breakdowns, self-rating)."""
    return (
        [r for s in report["sections"] for r in s["rows"]]
        + report["equality_headline"]
        + [r for b in report["equality_breakdowns"] for r in b["rows"]]
        + [report["self_rating"]["improved"]]
    )


def family(name: tuple) -> str:
    """Which people a count is made of: responses, or equality records (kept apart, by month)."""
    if name[0] == "records" or name[0] == "prefer" or (name[0] == "g" and name[1].startswith("equality.")):
        return EQUALITY
    return RESPONSES


def standalone(report: dict) -> disclosure.Protection:
    """One report protected on its own (a view that is not part of any moment, such as an empty one)."""
    values, relations, cost = counts(report)
    return disclosure.protect(values, relations, cost=cost)


# --------------------------------------------------------------------------- the moment


def partner_scope(borough: str, period) -> queries.Scope:
    """The scope a partner sees for one of their boroughs and one financial year."""
    return queries.Scope(
        borough_code=borough, start=period.start, end=period.end, period_key=period.key, period_label=period.label
    )


def partner_view(scope: queries.Scope, periods: list) -> tuple | None:
    """The moment's view id of a partner's scope, or None when the scope is not one a moment covers."""
    if scope.programme or scope.community_id or scope.questionnaire_id or scope.borough_code not in BOROUGH_CODES:
        return None
    for period in periods:
        if (period.start, period.end) == (scope.start, scope.end):
            return (PARTNER, scope.borough_code, period.key)
    return None


def _inside(scope: queries.Scope, borough: str, period) -> str | queries.Scope | None:
    """How a public scope meets one partner view: "all" (it covers the whole view), "within" (the view covers
    the whole scope), a Scope for the piece they share, or None when they share nothing."""
    if scope.borough_code and scope.borough_code != borough:
        return None
    start = period.start if scope.start is None else max(scope.start, period.start)
    end = period.end if scope.end is None else min(scope.end, period.end)
    if start > end:
        return None
    unfiltered = not (scope.programme or scope.community_id or scope.questionnaire_id)
    if unfiltered and (start, end) == (period.start, period.end):
        return "all"
    if scope.borough_code == borough and (scope.start, scope.end) == (start, end):
        return "within"
    return queries.Scope(
        programme=scope.programme,
        community_id=scope.community_id,
        questionnaire_id=scope.questionnaire_id,
        borough_code=borough,
        start=start,
        end=end,
    )


@dataclass
class Moment:
    """Every view published at one moment, the unpublished pieces between them, and how they add up."""

    views: dict = field(default_factory=dict)  # view id -> unprotected report
    published: set = field(default_factory=set)  # ids of views someone sees (the rest are unknowns)
    links: list = field(default_factory=list)  # (family, whole view id, [part view ids])
    same: list = field(default_factory=list)  # (family, view id, the identical view id)


def gather(periods: list, public: dict, build) -> Moment:
    """The moment's views: partner views for every borough and period, and the public scopes {id: Scope}
    (pairwise without shared answers, or with all of them: that is what publishing and withholding ensure).
    `build(scope)` gives a scope's unprotected report."""
    moment = Moment()
    for borough in BOROUGH_CODES:
        for period in periods:
            view = (PARTNER, borough, period.key)
            moment.views[view] = build(partner_scope(borough, period))
            moment.published.add(view)
    first: dict = {RESPONSES: {}, EQUALITY: {}}  # the first public view of each set of people
    for pid, scope in public.items():
        view = (PUBLIC, pid)
        moment.views[view] = build(scope)
        moment.published.add(view)
        people = dict(zip((RESPONSES, EQUALITY), queries.respondents(scope)))
        own = {}
        for fam in (RESPONSES, EQUALITY):
            if people[fam] in first[fam]:
                moment.same.append((fam, view, first[fam][people[fam]]))
            else:
                first[fam][people[fam]] = view
                own[fam] = True
        if not own:
            continue
        parts = []
        for borough in BOROUGH_CODES:
            for period in periods:
                partner = (PARTNER, borough, period.key)
                meeting = _inside(scope, borough, period)
                if meeting is None:
                    continue
                if meeting == "within":
                    for fam in own:
                        moment.links.append((fam, partner, [view]))
                    parts = None
                    break
                piece = partner if meeting == "all" else (PIECE, pid, borough, period.key)
                if meeting != "all":
                    moment.views[piece] = build(meeting)
                parts.append(piece)
                for fam in own:
                    moment.links.append((fam, partner, [piece]))
            if parts is None:
                break
        if parts:
            for fam in own:
                moment.links.append((fam, view, parts))
    _merge_links(moment)
    return moment


def _merge_links(moment: Moment) -> None:
    """One link per whole and family: a partner view = Σ every public piece inside it (+ the rest)."""
    merged: dict = {}
    covered = {(fam, whole) for fam, whole, parts in moment.links if whole in parts}  # one public view is all of it
    for fam, whole, parts in moment.links:
        if (fam, whole) not in covered:
            merged.setdefault((fam, whole), []).extend(parts)
    moment.links = [(fam, whole, parts) for (fam, whole), parts in merged.items()]


def problem(moment: Moment) -> tuple[dict, list[Relation], dict, set]:
    """The values, relations and costs of everything at this moment, and the cells nobody sees."""
    values: dict = {}
    relations: list[Relation] = []
    cost: dict = {}
    names_of: dict = {}
    weight = 1 + sum(r["responses"] + r["equality_records"] for r in moment.views.values())
    for view, built in moment.views.items():
        own_values, own_relations, own_cost = counts(built)
        names_of[view] = own_values
        for name, value in own_values.items():
            values[(view, *name)] = value
            # Public figures are what funders read: hide a borough's figure before the public one.
            cost[(view, *name)] = own_cost.get(name, value) + (3 * weight if view[0] == PUBLIC else 0)
        for relation in own_relations:
            relations.append(
                Relation(tuple(((view, *k), c) for k, c in relation.terms), relation.constant, relation.op)
            )
    for fam, whole, parts in moment.links:
        rest = (REST, *whole)
        names = {n for v in (whole, *parts) for n in names_of[v] if family(n) == fam}
        for name in sorted(names, key=repr):
            left = names_of[whole].get(name, 0) - sum(names_of[p].get(name, 0) for p in parts)
            if left < 0:
                raise RuntimeError(f"Impact report pieces add up to more than their whole: {whole} {name}")
            terms = [((p, *name), -1) for p in parts if name in names_of[p]]
            if left:
                values[(rest, *name)] = left
                terms.append(((rest, *name), -1))
            if name in names_of[whole]:
                terms.append(((whole, *name), 1))
                relations.append(Relation(tuple(terms), 0))
    for fam, view, other in moment.same:
        for name in names_of[view]:
            if family(name) == fam and name in names_of[other]:
                relations.append(Relation.same((view, *name), (other, *name)))
    unseen = {k for k in values if k[0] not in moment.published}
    return values, relations, cost, unseen


def components(moment: Moment) -> list[list]:
    """The views in groups that share no relation with one another: each group is protected on its own.

    Without public versions every partner view is a group of one (nothing links one borough's figures to
    another's), so the moment costs one small protection per view rather than one over everything.
    """
    find = disclosure.linked(
        moment.views,
        [*((whole, *parts) for _, whole, parts in moment.links), *((view, other) for _, view, other in moment.same)],
    )
    groups: dict = {}
    for view in moment.views:
        groups.setdefault(find(view), []).append(view)
    return list(groups.values())


def protect(moment: Moment) -> disclosure.Protection:
    """One set of hidden cells for every view, safe against a reader who knows every shown figure and, for
    each borough in turn, that borough's figures exactly (a partner's own borough).

    Each group of linked views is protected on its own. Hiding more never helps a reader, so within a group the
    set only grows: a protection with no borough known, then one per borough of the group known (keeping
    everything already hidden), until a whole pass adds nothing.
    """
    results = []
    for views in components(moment):
        part = Moment(
            {v: moment.views[v] for v in views},
            moment.published & set(views),
            [link for link in moment.links if link[1] in views],
            [same for same in moment.same if same[1] in views],
        )
        results.append(_protect_group(part))
    cells: dict = {}
    for result in results:
        cells.update(result.cells)
    return disclosure.Protection(
        cells,
        frozenset().union(*(r.primary for r in results)),
        frozenset().union(*(r.secondary for r in results)),
        frozenset().union(*(r.unprotectable for r in results)),
        max((r.rounds for r in results), default=0),
    )


def _protect_group(moment: Moment) -> disclosure.Protection:
    if len(moment.views) == 1 and moment.published == set(moment.views):
        ((view, built),) = moment.views.items()
        return _prefixed(_alone(built), view)  # no other view to combine it with
    values, relations, cost, unseen = problem(moment)
    boroughs = sorted({view[1] for view in moment.views if view[0] == PARTNER})
    own = {b: {k for k in values if k[0][0] == PARTNER and k[0][1] == b} for b in boroughs}
    hidden: set = set()
    for _ in range(MAX_PASSES):
        result = disclosure.protect(values, relations, cost=cost, hide=hidden | unseen)
        before = hidden | (result.hidden - unseen)
        hidden = set(before)
        for borough in boroughs:
            # Knowing a borough exactly only tells the reader its hidden cells, so only the hidden cells linked to
            # them (through relations over hidden cells) can be narrowed: check those groups, not everything.
            part_values, part_relations = _touching(values, relations, result.hidden | hidden, own[borough])
            if not part_relations:
                continue
            known = disclosure.protect(
                part_values,
                part_relations,
                exact=own[borough],
                cost=cost,
                hide=(hidden | unseen) & part_values.keys(),
            )
            hidden |= known.hidden - unseen
        if hidden == before:
            return result
    return disclosure.protect(values, relations, cost=cost, hide=hidden | unseen)


def _alone(built: dict) -> disclosure.Protection:
    """One view protected on its own, remembered by its counts: after a new answer, only the views whose counts
    changed are worked out again (the others' protections are the same, whatever the data version)."""
    values, relations, cost = counts(built)
    key = ("alone", tuple(values.items()))
    return app_cache("evaluation-protection", maxsize=512).get_or_build(
        key, lambda: disclosure.protect(values, relations, cost=cost)
    )


def _prefixed(result: disclosure.Protection, view: tuple) -> disclosure.Protection:
    def named(keys):
        return frozenset((view, *k) for k in keys)

    return disclosure.Protection(
        {(view, *k): cell for k, cell in result.cells.items()},
        named(result.primary),
        named(result.secondary),
        named(result.unprotectable),
        result.rounds,
    )


def _touching(values: dict, relations: list[Relation], hidden: set, cells: set) -> tuple[dict, list[Relation]]:
    """The relations (and the counts in them) of the groups of hidden cells that contain any of `cells`: every
    relation naming a hidden cell of such a group, whose other cells are hidden in the same group or shown."""
    hidden = {k for k in hidden if values.get(k)}
    find = disclosure.linked(hidden, (relation.cells() for relation in relations))
    # A group made only of these cells is simply known to this reader: nothing else in it to protect.
    roots = {find(k) for k in cells if k in hidden} & {find(k) for k in hidden if k not in cells}
    if not roots:
        return {}, []
    chosen = [r for r in relations if any(k in hidden and find(k) in roots for k in r.cells())]
    keys = {k for r in chosen for k in r.cells()}
    return {k: v for k, v in values.items() if k in keys}, chosen


def cells_for(protection: disclosure.Protection, view: tuple):
    """A look-up of one view's cells by name."""
    return lambda name: protection[(view, *name)]
