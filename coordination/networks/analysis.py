"""Network measures on plain data: ties between people, rolled up to organisations and boroughs.

Nothing here touches the database or Flask: queries.py gathers the evidence and hands it over as
tuples, so the measures can be checked against small hand-drawn networks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the graph libraries load with the first network page, not with every worker
    import networkx as nx

# Attending the same event only counts as a tie when the event is small enough to meet everyone.
SMALL_EVENT_MAX = 30
# A derived tie's weight: 1 in a group of up to this many others, then shared out (a big group weighs less).
FULL_WEIGHT_GROUP = 4
# Two people count as connected once their evidence adds up to this weight: an introduction or a first
# meeting at once, sharing small groups after a few meetings, a big community alone hardly ever.
TIE_THRESHOLD = 1.0


@dataclass(frozen=True)
class PersonInfo:
    """What the measures need to know about a person."""

    borough: str | None
    organisation_id: int | None
    sector: str | None


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence that two people know each other (a < b)."""

    a: int
    b: int
    on: date
    source: str
    weight: float = 1.0
    introduced_by: int | None = None


@dataclass
class Tie:
    """Everything we know of one pair of people: since when, how strongly, and how."""

    a: int
    b: int
    since: date
    weight: float = 0.0
    sources: set[str] = field(default_factory=set)
    introduced_by: set[int] = field(default_factory=set)


def pair(x: int, y: int) -> tuple[int, int]:
    """The pair in storage order (lower id first)."""
    return (x, y) if x < y else (y, x)


def group_weight(size: int) -> float:
    """Weight of a tie derived from sharing a group of `size` people: large groups weigh less."""
    others = max(size - 1, 1)
    return min(1.0, FULL_WEIGHT_GROUP / others)


def event_evidence(events: Iterable[tuple[date, list[int]]], max_size: int = SMALL_EVENT_MAX) -> Iterator[Evidence]:
    """Ties between everyone who attended the same small event, weighted by its size."""
    for on, people in events:
        people = sorted(set(people))
        if len(people) < 2 or len(people) > max_size:
            continue
        weight = group_weight(len(people))
        for a, b in combinations(people, 2):
            yield Evidence(a, b, on, "small_event", weight)


def community_evidence(memberships: Iterable[tuple[int, int, date, date | None]]) -> Iterator[Evidence]:
    """Ties between members of the same community whose memberships overlapped (from the later joining)."""
    by_community: dict[int, list[tuple[int, date, date | None]]] = defaultdict(list)
    for community_id, person_id, joined, left in memberships:
        by_community[community_id].append((person_id, joined, left))
    for members in by_community.values():
        weight = group_weight(len({m[0] for m in members}))
        members.sort(key=lambda m: m[1])
        for i, (p, _joined_p, left_p) in enumerate(members):
            for q, joined_q, _left_q in members[i + 1 :]:
                # Sorted by joining date, so q joined no earlier than p: they overlap if p had not left by then.
                if p == q or (left_p is not None and left_p < joined_q):
                    continue
                a, b = pair(p, q)
                yield Evidence(a, b, joined_q, "community", weight)


def aggregate(
    evidence: Iterable[Evidence], excluded: set[int] = frozenset(), threshold: float = TIE_THRESHOLD
) -> dict[tuple[int, int], Tie]:
    """One tie per pair whose evidence adds up to `threshold`, dated from the day it did.

    Evidence is taken in date order, so a pair who shared a few small meetings are connected from
    the meeting that made the weight up, not from the first one.
    """
    ties: dict[tuple[int, int], Tie] = {}
    pending: dict[tuple[int, int], Tie] = {}
    for item in sorted(evidence, key=lambda e: e.on):
        if item.a in excluded or item.b in excluded or item.a == item.b:
            continue
        key = (item.a, item.b)
        tie = ties.get(key) or pending.get(key)
        if tie is None:
            tie = pending[key] = Tie(item.a, item.b, item.on)
        tie.weight += item.weight
        tie.sources.add(item.source)
        if item.introduced_by is not None and item.introduced_by not in excluded:
            tie.introduced_by.add(item.introduced_by)
        if key in pending and tie.weight >= threshold - 1e-9:
            tie.since = item.on
            ties[key] = pending.pop(key)
    return ties


def crosses(tie: Tie, people: dict[int, PersonInfo], attribute: str) -> bool | None:
    """Whether the tie joins different boroughs (or sectors); None when either side is unknown."""
    left, right = people.get(tie.a), people.get(tie.b)
    x, y = getattr(left, attribute, None), getattr(right, attribute, None)
    if x is None or y is None:
        return None
    return x != y


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_label(quarter: tuple[int, int]) -> str:
    return f"{quarter[0]} Q{quarter[1]}"


def quarter_bounds(quarter: tuple[int, int]) -> tuple[date, date]:
    """First and last day of a quarter."""
    year, q = quarter
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def quarters_between(first: date, last: date) -> list[tuple[int, int]]:
    quarters, current = [], quarter_of(first)
    while current <= quarter_of(last):
        quarters.append(current)
        current = (current[0] + current[1] // 4, current[1] % 4 + 1)
    return quarters


@dataclass
class QuarterFigures:
    """The network as it stood at the end of one quarter, and what the quarter added."""

    quarter: tuple[int, int]
    people: int = 0
    organisations: int = 0
    ties: int = 0
    new_ties: int = 0
    cross_borough: int = 0
    new_cross_borough: int = 0
    cross_sector: int = 0
    new_cross_sector: int = 0
    components: int = 0
    isolates: int = 0
    largest_component: int = 0

    @property
    def label(self) -> str:
        return quarter_label(self.quarter)

    def share(self, part: str) -> float | None:
        """Share of ties (or of new ties, for 'new_…') that cross, as a fraction."""
        whole = self.new_ties if part.startswith("new_") else self.ties
        return getattr(self, part) / whole if whole else None


class _Components:
    """Union-find over people, so components can be counted as ties arrive in date order."""

    def __init__(self):
        self.parent: dict[int, int] = {}
        self.size: dict[int, int] = {}
        self.count = 0
        self.largest = 0

    def add(self, node: int) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.size[node] = 1
            self.count += 1
            self.largest = max(self.largest, 1)

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return
        if self.size[rx] < self.size[ry]:
            rx, ry = ry, rx
        self.parent[ry] = rx
        self.size[rx] += self.size[ry]
        self.largest = max(self.largest, self.size[rx])
        self.count -= 1


def quarterly(
    ties: dict[tuple[int, int], Tie],
    people: dict[int, PersonInfo],
    first_seen: dict[int, date],
    quarters: list[tuple[int, int]],
) -> list[QuarterFigures]:
    """Figures for each quarter, cumulative ("who knows whom by then") with that quarter's new ties.

    People are in the network from the day they first took part (joined a community, attended,
    or were introduced); an isolate is someone in the network with no tie yet.
    """
    if not quarters:
        return []
    arrivals = sorted((day, person) for person, day in first_seen.items())
    ordered = sorted(ties.values(), key=lambda t: t.since)
    components, degree = _Components(), defaultdict(int)
    organisations: set[int] = set()
    isolates = 0
    results, total = [], QuarterFigures(quarters[0])
    i = j = 0
    for quarter in quarters:
        _, end = quarter_bounds(quarter)
        figures = QuarterFigures(quarter)
        while i < len(arrivals) and arrivals[i][0] <= end:
            person = arrivals[i][1]
            if person not in components.parent:
                isolates += 1
            components.add(person)
            info = people.get(person)
            if info and info.organisation_id is not None:
                organisations.add(info.organisation_id)
            i += 1
        while j < len(ordered) and ordered[j].since <= end:
            tie = ordered[j]
            for person in (tie.a, tie.b):
                if person not in components.parent:
                    isolates += 1
                components.add(person)
                info = people.get(person)
                if info and info.organisation_id is not None:
                    organisations.add(info.organisation_id)
                if degree[person] == 0:
                    isolates -= 1
                degree[person] += 1
            components.union(tie.a, tie.b)
            figures.new_ties += 1
            if crosses(tie, people, "borough"):
                figures.new_cross_borough += 1
            if crosses(tie, people, "sector"):
                figures.new_cross_sector += 1
            j += 1
        total.ties += figures.new_ties
        total.cross_borough += figures.new_cross_borough
        total.cross_sector += figures.new_cross_sector
        figures.ties, figures.cross_borough, figures.cross_sector = total.ties, total.cross_borough, total.cross_sector
        figures.people = len(components.parent)
        figures.organisations = len(organisations)
        figures.components = components.count
        figures.isolates = isolates
        figures.largest_component = components.largest
        results.append(figures)
    return results


def graph(ties: dict[tuple[int, int], Tie], until: date | None = None, since: date | None = None) -> nx.Graph:
    """The people graph of ties formed in [since, until]."""
    import networkx as nx

    g = nx.Graph()
    for tie in ties.values():
        if (until is None or tie.since <= until) and (since is None or tie.since >= since):
            g.add_edge(tie.a, tie.b, weight=tie.weight)
    return g


def _betweenness(g: nx.Graph) -> dict:
    """Exact betweenness of every node (rustworkx: networkx needed 35x the time even when sampling)."""
    import rustworkx as rx

    if g.number_of_nodes() <= 2:
        return {node: 0.0 for node in g}
    nodes = list(g.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    fast = rx.PyGraph(multigraph=False)
    fast.add_nodes_from(nodes)
    fast.add_edges_from_no_data([(index[a], index[b]) for a, b in g.edges])
    scores = rx.betweenness_centrality(fast, normalized=True)
    return {nodes[i]: float(score) for i, score in scores.items()}


@dataclass(frozen=True)
class Bridge:
    """A person or organisation whose ties reach across boroughs, ranked by betweenness."""

    ident: int
    betweenness: float
    boroughs: tuple[str, ...]
    ties: int
    introductions: int = 0


def person_bridges(
    ties: dict[tuple[int, int], Tie], people: dict[int, PersonInfo], until: date | None = None, top: int = 10
) -> list[Bridge]:
    """People who connect boroughs: ties reaching two or more boroughs, highest betweenness first.

    Introducers count too: someone who introduced people from different boroughs made those ties possible.
    """
    g = graph(ties, until)
    centrality = _betweenness(g)
    introduced: dict[int, int] = defaultdict(int)
    introduced_boroughs: dict[int, set[str]] = defaultdict(set)
    for tie in ties.values():
        if until is not None and tie.since > until:
            continue
        for introducer in tie.introduced_by:
            introduced[introducer] += 1
            for person in (tie.a, tie.b):
                borough = getattr(people.get(person), "borough", None)
                if borough:
                    introduced_boroughs[introducer].add(borough)
    candidates = set(g.nodes) | set(introduced)
    bridges = []
    for person in candidates:
        reach = {getattr(people.get(other), "borough", None) for other in g.adj.get(person, {})}
        reach |= introduced_boroughs[person]
        own = getattr(people.get(person), "borough", None)
        reach |= {own}
        reach.discard(None)
        if len(reach) < 2:
            continue
        bridges.append(
            Bridge(
                person,
                centrality.get(person, 0.0),
                tuple(sorted(reach)),
                g.degree(person) if person in g else 0,
                introduced[person],
            )
        )
    bridges.sort(key=lambda b: (-b.betweenness, -b.introductions, -len(b.boroughs), b.ident))
    return bridges[:top]


def organisation_graph(
    ties: dict[tuple[int, int], Tie], people: dict[int, PersonInfo], until: date | None = None
) -> nx.Graph:
    """Ties between people rolled up to their organisations (weights summed; ties inside one organisation dropped)."""
    import networkx as nx

    g = nx.Graph()
    for tie in ties.values():
        if until is not None and tie.since > until:
            continue
        x = getattr(people.get(tie.a), "organisation_id", None)
        y = getattr(people.get(tie.b), "organisation_id", None)
        if x is None or y is None or x == y:
            continue
        if g.has_edge(x, y):
            g[x][y]["weight"] += tie.weight
            g[x][y]["ties"] += 1
        else:
            g.add_edge(x, y, weight=tie.weight, ties=1)
    return g


def organisation_bridges(
    ties: dict[tuple[int, int], Tie],
    people: dict[int, PersonInfo],
    organisation_boroughs: dict[int, str | None],
    until: date | None = None,
    top: int = 10,
) -> list[Bridge]:
    """Organisations whose people's ties reach two or more boroughs, highest betweenness first."""
    g = organisation_graph(ties, people, until)
    centrality = _betweenness(g)
    bridges = []
    for org in g.nodes:
        reach = {organisation_boroughs.get(other) for other in g[org]} | {organisation_boroughs.get(org)}
        reach.discard(None)
        if len(reach) >= 2:
            bridges.append(
                Bridge(org, centrality.get(org, 0.0), tuple(sorted(reach)), sum(d["ties"] for d in g[org].values()))
            )
    bridges.sort(key=lambda b: (-b.betweenness, -len(b.boroughs), b.ident))
    return bridges[:top]


def borough_matrix(
    ties: dict[tuple[int, int], Tie],
    people: dict[int, PersonInfo],
    boroughs: Iterable[str],
    since: date | None = None,
    until: date | None = None,
) -> dict[tuple[str, str], int]:
    """Ties formed in [since, until] between each pair of boroughs, as an upper triangle (b1 <= b2)."""
    codes = sorted(boroughs)
    matrix = {(x, y): 0 for i, x in enumerate(codes) for y in codes[i:]}
    for tie in ties.values():
        if (since is not None and tie.since < since) or (until is not None and tie.since > until):
            continue
        x = getattr(people.get(tie.a), "borough", None)
        y = getattr(people.get(tie.b), "borough", None)
        if x is None or y is None:
            continue
        key = (x, y) if x <= y else (y, x)
        if key in matrix:
            matrix[key] += 1
    return matrix


def ego(person: int, ties: dict[tuple[int, int], Tie]) -> list[tuple[int, Tie]]:
    """A person's ties (the other person and the tie), oldest first."""
    mine = [((tie.b if tie.a == person else tie.a), tie) for tie in ties.values() if person in (tie.a, tie.b)]
    return sorted(mine, key=lambda item: (item[1].since, item[0]))


def growth(dates: Iterable[date], quarters: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """(quarter label, new in the quarter, cumulative) for a list of tie dates."""
    by_quarter: dict[tuple[int, int], int] = defaultdict(int)
    for day in dates:
        by_quarter[quarter_of(day)] += 1
    rows, running = [], 0
    for quarter in quarters:
        running += by_quarter.get(quarter, 0)
        rows.append((quarter_label(quarter), by_quarter.get(quarter, 0), running))
    return rows
