"""Small-number protection (statistical disclosure control) for every figure a non-coordinator sees.

One mechanism for every table, chart, map and CSV: give it the counts, the linear relations a reader
can use between them (totals, complements, "this is at most that") and the cells the reader already
knows exactly (a partner's own borough); it says which cells to hide and why.

* **Primary suppression**: a count of 1 to 4 (``THRESHOLD`` − 1) is hidden as "fewer than 5".
  Zero is shown: it identifies nobody.
* **Secondary suppression**: further non-zero cells are hidden as "not shown" until no hidden cell
  can be narrowed by arithmetic. The reader is assumed to know every shown figure, every relation,
  that a "fewer than 5" cell is 1 to 4 and that a "not shown" cell is not zero. (Most "not shown"
  cells are 5 or more, but not all: when a total of "fewer than 5" is made of several small parts,
  the total itself is shown as "not shown", because "fewer than 5" on it would tell the reader each
  part is at most 3. So "not shown" promises nothing about size.) For each hidden
  cell the smallest and largest values consistent with all of that are found (exactly for a single
  relation, by linear programming with HiGHS otherwise); a small cell must still range over the
  whole of 1 to 4 and a "not shown" cell must not be pinned to one value. Cells are added greedily
  (smallest values first, interior cells before totals, ties in input order) and the check repeats
  until it passes, so the same inputs always give the same hidden cells.

Nothing here knows about Flask requests: it takes plain mappings and returns plain objects, and
``init_app`` only registers the ``protected`` template filter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from markupsafe import Markup, escape

THRESHOLD = 5
SMALL = "small"  # primary: a count of 1 to 4
SECONDARY = "secondary"  # hidden so that a small count cannot be worked out
DERIVED = "derived"  # a rate or index built on a hidden count
SMALL_TEXT = "fewer than 5"
HIDDEN_TEXT = "not shown"
TEXT = {SMALL: SMALL_TEXT, SECONDARY: HIDDEN_TEXT, DERIVED: HIDDEN_TEXT}
_EPS = 1e-6
# What a reader may assume of a "not shown" cell: only that it is not zero (zeros are always shown).
# Most are 5 or more, but a small total over small parts is shown as "not shown" too (see protect()).
NOT_SHOWN_LEAST = 1.0

Key = Hashable


class _Total:
    """The key of a margin in a table (row total, column total, grand total)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TOTAL"

    def __reduce__(self):
        return "TOTAL"


TOTAL = _Total()


@dataclass(frozen=True)
class Relation:
    """A linear relation between cells the reader can rely on: Σ coefficient × cell (== or <=) constant."""

    terms: tuple[tuple[Key, int], ...]
    constant: int = 0
    op: str = "=="

    def __post_init__(self):
        if self.op not in ("==", "<="):
            raise ValueError(f"A relation is '==' or '<=', not {self.op!r}")

    @classmethod
    def total(cls, total: Key, parts: Iterable[Key]) -> Relation:
        """total = Σ parts (a row or column total, the Greater Manchester row)."""
        return cls(((total, 1), *((p, -1) for p in parts)))

    @classmethod
    def difference(cls, result: Key, minuend: Key, subtrahend: Key) -> Relation:
        """result = minuend − subtrahend (a complement: never engaged = in the directory − engaged)."""
        return cls(((result, 1), (minuend, -1), (subtrahend, 1)))

    @classmethod
    def at_most(cls, smaller: Key, larger: Key) -> Relation:
        """smaller ≤ larger (engaged ≤ in the directory; one practice area ≤ all practice areas)."""
        return cls(((smaller, 1), (larger, -1)), 0, "<=")

    @classmethod
    def sum_at_most(cls, parts: Iterable[Key], larger: Key) -> Relation:
        """Σ parts ≤ larger (for example the calendar years inside "all time")."""
        return cls(((larger, -1), *((p, 1) for p in parts)), 0, "<=")

    @classmethod
    def same(cls, a: Key, b: Key) -> Relation:
        """a = b (the same figure published twice, for example in two periods)."""
        return cls(((a, 1), (b, -1)))

    def cells(self) -> tuple[Key, ...]:
        cached = self.__dict__.get("_cells")
        if cached is None:
            cached = tuple(k for k, c in self.terms if c)
            object.__setattr__(self, "_cells", cached)
        return cached


@dataclass(frozen=True)
class Cell:
    """A protected figure: the value when shown, or None with the reason it is hidden."""

    value: int | float | None
    reason: str | None = None

    @property
    def hidden(self) -> bool:
        return self.reason is not None

    @property
    def shown(self) -> int | float | None:
        """The value, or None when hidden (what charts and map colours use)."""
        return None if self.hidden else self.value

    def display(self, fmt: str | Callable = "{:,}", missing: str = "no data") -> str:
        """Text for people: the formatted value, "fewer than 5", "not shown", or `missing` for no value."""
        if self.hidden:
            return TEXT[self.reason]
        if self.value is None:
            return missing
        return fmt(self.value) if callable(fmt) else fmt.format(self.value)

    def __str__(self) -> str:
        return self.display()


SHOWN_ZERO = Cell(0)


def shown(value) -> Cell:
    """A figure shown as it is (the coordinator's view, or a figure with no small numbers in it)."""
    return Cell(value)


@dataclass
class Protection:
    """The outcome of protect(): every cell shown or hidden, with the reason."""

    cells: dict[Key, Cell]
    primary: frozenset
    secondary: frozenset
    unprotectable: frozenset = field(default_factory=frozenset)
    rounds: int = 0

    def __getitem__(self, key: Key) -> Cell:
        return self.cells[key]

    def __contains__(self, key: Key) -> bool:
        return key in self.cells

    def get(self, key: Key, default: Cell | None = None) -> Cell | None:
        return self.cells.get(key, default)

    @property
    def hidden(self) -> frozenset:
        return self.primary | self.secondary

    def derived(self, value, *keys: Key) -> Cell:
        """A rate, percentage, per-100k value or index built on `keys`: hidden whenever any of them is."""
        return derived(value, *(self.cells[k] for k in keys))


def derived(value, *built_on: Cell) -> Cell:
    """A figure computed from other protected cells: shown only when every one of them is shown."""
    if any(cell.hidden for cell in built_on):
        return Cell(None, DERIVED)
    return Cell(value)


def ratio(numerator: Cell, denominator: Cell, scale: float = 1.0) -> Cell:
    """numerator ÷ denominator × scale, hidden when either is; None (no data) when the denominator is 0."""
    if numerator.hidden or denominator.hidden:
        return Cell(None, DERIVED)
    if not denominator.value:
        return Cell(None)
    return Cell(numerator.value * scale / denominator.value)


def percentage(part: Cell, whole: Cell) -> Cell:
    """part as a percentage of whole (0–100), hidden when either is."""
    return ratio(part, whole, 100.0)


def per_100k(count: Cell, population: int) -> Cell:
    """count per 100,000 residents (the population is public), hidden with the count."""
    return ratio(count, Cell(population), 100_000.0)


def index(share: Cell, of_total: Cell, expected_share: float) -> Cell:
    """(share ÷ of_total) ÷ expected_share, such as the gap index; hidden when either count is."""
    if share.hidden or of_total.hidden:
        return Cell(None, DERIVED)
    if not of_total.value or not expected_share:
        return Cell(None)
    return Cell(share.value / of_total.value / expected_share)


# --- the solver -----------------------------------------------------------------------------------------


def protect(
    values: Mapping[Key, int],
    relations: Sequence[Relation] = (),
    exact: Iterable[Key] = (),
    cost: Mapping[Key, float] | None = None,
    threshold: int = THRESHOLD,
    hide: Iterable[Key] = (),
) -> Protection:
    """Decide which counts to hide so that none of 1..threshold−1 can be narrowed by arithmetic.

    values: every published count (non-negative integers), in a stable order (ties are broken by it).
    relations: every linear relation a reader knows between them. exact: cells the reader may see
    exactly (never hidden; they count as known). cost: what hiding a cell loses (default its value);
    the cheapest candidates are hidden first. hide: cells already hidden elsewhere for the same
    moment (kept hidden as "not shown" when not small), so several views stay consistent.
    """
    order = {key: n for n, key in enumerate(values)}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"Counts must be whole numbers of 0 or more; {key!r} is {value!r}")
    for relation in relations:
        for key, _ in relation.terms:
            if key not in order:
                raise KeyError(f"A relation names {key!r}, which is not among the values")
    exact = _known_to_viewer(values, relations, {k for k in exact if k in order})
    primary = {k for k, v in values.items() if 1 <= v < threshold and k not in exact}
    secondary = {k for k in hide if k in order and k not in primary and k not in exact and values[k] > 0}
    cost = cost or {}
    by_cell: dict[Key, list[int]] = {}
    for n, relation in enumerate(relations):
        for key in relation.cells():
            by_cell.setdefault(key, []).append(n)

    unprotectable: set = set()
    memo: dict = {}  # a group of hidden cells solved once is not solved again in later rounds
    rounds = 0
    while True:
        rounds += 1
        failing = {
            k: how
            for k, how in _audit(values, relations, primary, secondary, threshold, memo).items()
            if k not in unprotectable
        }
        if not failing:
            break
        added, relabelled, stuck = set(), set(), []
        for key in sorted(failing, key=order.__getitem__):
            choice = _candidate(key, values, relations, by_cell, primary, secondary | added, exact, cost, order)
            if choice is None:
                stuck.append(key)
            else:
                added.add(choice)
        for key in stuck if not added else ():  # what was added may free them: look again first
            # Nothing shown is left to hide: the small cells around it give it away (a total of
            # "fewer than 5" over two small parts says each part is at most 3, and the total at
            # least 2). Show a small cell (the margin, usually) as "not shown" instead, which
            # promises nothing about its size.
            choice = _relabel(key, failing[key], relations, by_cell, primary, cost, values, order)
            if choice is None:
                unprotectable.add(key)
            else:
                relabelled.add(choice)
        primary -= relabelled
        secondary |= added | relabelled
        if not added and not relabelled:
            break

    cells = {
        key: (Cell(None, SMALL) if key in primary else Cell(None, SECONDARY) if key in secondary else Cell(int(value)))
        for key, value in values.items()
    }
    return Protection(cells, frozenset(primary), frozenset(secondary), frozenset(unprotectable), rounds)


def _known_to_viewer(values, relations, exact: set) -> frozenset:
    """The cells the viewer may see exactly, plus those they can work out from them and the zeros
    (a Greater Manchester total when every other borough is 0): hiding those would protect nothing."""
    if not exact:
        return frozenset()
    known = set(exact)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            if relation.op != "==":
                continue
            unknown = [k for k in relation.cells() if k not in known and values[k] != 0]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return frozenset(known)


def _candidate(key, values, relations, by_cell, primary, secondary, exact, cost, order):
    """The cheapest shown, non-zero, not-known cell to hide next to `key`, looking first in the
    relations where `key` has the fewest hidden companions (those are the ones that give it away)."""
    hidden = primary | secondary

    def hideable(k):
        return k not in hidden and k not in exact and values[k] > 0

    def price(k):
        return (cost.get(k, values[k]), order[k])

    ranked = sorted(by_cell.get(key, []), key=lambda n: (sum(k in hidden for k in relations[n].cells()), n))
    for n in ranked:
        options = [k for k in relations[n].cells() if hideable(k)]
        if options:
            return min(options, key=price)
    # No direct companion left: look one relation further out (cells linked to the hidden cells
    # that share a relation with this one).
    seen = {key}
    frontier = [k for n in by_cell.get(key, []) for k in relations[n].cells() if k in hidden]
    for _ in range(1):  # further out rarely helps and costs a walk over the whole group
        if not frontier:
            break
        nxt = []
        for k in frontier:
            if k in seen:
                continue
            seen.add(k)
            options = [o for n in by_cell.get(k, []) for o in relations[n].cells() if hideable(o)]
            if options:
                return min(options, key=price)
            nxt += [o for n in by_cell.get(k, []) for o in relations[n].cells() if o in hidden]
        frontier = nxt
    return None


def _relabel(key, how, relations, by_cell, primary, cost, values, order):
    """The small cell to show as "not shown" so that `key` is protected.

    A small cell held *up* (at least 2) is a total over other hidden cells: relabel it. One held
    *down* (at most 3) sits under a small total: walk up the relations (to cells on the other side
    of the equation from it, through cells already "not shown") and relabel the nearest small one,
    the dearest (margins first) when there are several.
    """
    if key in primary and how != "high":
        return key
    seen, frontier = {key}, [key]
    while frontier:
        found, nxt = [], []
        for k in frontier:
            for n in by_cell.get(k, []):
                relation = relations[n]
                sign = next(c for t, c in relation.terms if t == k) > 0
                for other, coef in relation.terms:
                    if other in seen or not coef or (coef > 0) == sign:
                        continue
                    seen.add(other)
                    (found if other in primary else nxt).append(other)
        if found:
            return max(found, key=lambda k: (cost.get(k, values[k]), -order[k]))
        frontier = [k for k in nxt if values[k] > 0]
    return key if key in primary else None


def _audit(values, relations, primary, secondary, threshold, memo=None) -> dict:
    """Hidden cells a reader could narrow, each with "low" (a small cell's least value is above 1),
    "high" (its greatest is below threshold − 1) or "pinned" (a "not shown" cell has one value).

    Per independent group: one relation is solved exactly; otherwise bounds are first tightened by
    propagation (cheap, and any failure it finds is real), then two linear programmes (maximise and
    minimise the sum of the group) give points that certify most cells at once, and only the cells
    they leave open get a programme of their own.
    """
    hidden = primary | secondary
    if not hidden:
        return {}
    failing = {}
    for members, rels in _groups(values, relations, hidden):
        bounds = {k: (1.0, float(threshold - 1)) if k in primary else (NOT_SHOWN_LEAST, math.inf) for k in members}
        signature = (frozenset(bounds.items()), len(rels))
        if memo is not None and signature in memo:
            failing.update(memo[signature])
            continue
        found = _group_failures(members, rels, bounds, primary, values, threshold)
        if memo is not None:
            memo[signature] = found
        failing.update(found)
    return failing


def _check(key, low, high, primary, threshold):
    if key in primary:
        if low > 1 + _EPS:
            return "low"
        if high < threshold - 1 - _EPS:
            return "high"
        return None
    return "pinned" if high - low < 0.5 else None


def _group_failures(members, rels, bounds, primary, values, threshold) -> dict:
    if not rels:
        return {}
    if len(rels) == 1:
        ranges = _single_relation(*rels[0], bounds)
        return {k: how for k in members if (how := _check(k, *ranges[k], primary, threshold))}
    tightened = _propagate(rels, bounds)
    found = {k: how for k in members if (how := _check(k, *tightened[k], primary, threshold))}
    if found:
        return found
    members = sorted(members, key=list(values).index) if len(members) < 50 else members
    open_cells = list(members)
    for _ in range(6):  # each pair of programmes usually settles most of what is still open
        high_point, low_point = _extreme_points(members, rels, bounds, open_cells)
        position = {k: n for n, k in enumerate(members)}
        still = []
        for k in open_cells:
            n = position[k]
            if k in primary:
                if high_point[n] < threshold - 1 - _EPS or low_point[n] > 1 + _EPS:
                    still.append(k)
            elif abs(high_point[n] - low_point[n]) < 0.5 and abs(high_point[n] - values[k]) < 0.5:
                still.append(k)
        if not still:
            return {}
        progress = len(still) < len(open_cells)
        open_cells = still
        if not progress:
            break
    # The rest one by one (in small batches), stopping at the first failures: the caller fixes those
    # and audits again anyway, so finding every failure at once would be wasted work.
    for start in range(0, len(open_cells), 8):
        batch = open_cells[start : start + 8]
        ranges = _linear_programme(members, rels, bounds, only=batch)
        found = {k: how for k in batch if (how := _check(k, *ranges[k], primary, threshold))}
        if found:
            return found
    return {}


def _groups(values, relations, hidden):
    """The relations reduced to their hidden cells (shown ones become constants), split into
    independent groups: [(members, [(terms, constant, op), …]), …]."""
    reduced = []
    for relation in relations:
        terms = {}
        constant = relation.constant
        for key, coef in relation.terms:
            if not coef:
                continue
            if key in hidden:
                terms[key] = terms.get(key, 0) + coef
            else:
                constant -= coef * values[key]
        terms = {k: c for k, c in terms.items() if c}
        if terms:
            reduced.append((terms, constant, relation.op))
    parent = {k: k for k in hidden}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for terms, _, _ in reduced:
        first, *rest = list(terms)
        for other in rest:
            parent[find(other)] = find(first)
    groups: dict[Key, list] = {}
    for k in hidden:
        groups.setdefault(find(k), []).append(k)
    group_relations: dict[Key, list] = {}
    for item in reduced:
        group_relations.setdefault(find(next(iter(item[0]))), []).append(item)
    return [(members, group_relations.get(root, [])) for root, members in groups.items()]


def hidden_ranges(
    values: Mapping[Key, int],
    relations: Sequence[Relation],
    hidden: Iterable[Key],
    small: Iterable[Key],
    threshold: int = THRESHOLD,
) -> dict[Key, tuple[float, float]]:
    """For each hidden cell, the least and greatest value a reader can derive from everything shown
    (exactly: one relation solved directly, larger groups by linear programming)."""
    hidden, small = set(hidden), set(small)
    ranges = {}
    for members, rels in _groups(values, relations, hidden):
        bounds = {k: (1.0, float(threshold - 1)) if k in small else (NOT_SHOWN_LEAST, math.inf) for k in members}
        if not rels:
            ranges.update(bounds)
        elif len(rels) == 1:
            ranges.update(_single_relation(*rels[0], bounds))
        else:
            ranges.update(_linear_programme(members, rels, bounds))
    return ranges


def _propagate(rels, bounds, sweeps: int = 30) -> dict:
    """Bounds tightened relation by relation until nothing changes (an outer bound of the true ranges)."""
    current = dict(bounds)
    for _ in range(sweeps):
        changed = False
        for terms, constant, op in rels:
            local = {k: current[k] for k in terms}
            for k, (lo, hi) in _single_relation(terms, constant, op, local).items():
                old_lo, old_hi = current[k]
                if lo > old_lo + _EPS or hi < old_hi - _EPS:
                    current[k] = (max(lo, old_lo), min(hi, old_hi))
                    changed = True
        if not changed:
            break
    return current


def _extreme_points(members, rels, bounds, targets):
    """Two feasible points: one maximising the sum of the targets, one minimising it."""
    from scipy.optimize import linprog  # scipy loads with the first audit that needs it

    index = {k: i for i, k in enumerate(members)}
    a_eq, b_eq, a_ub, b_ub, cap = _matrices(members, index, rels, bounds)
    kwargs = {"bounds": [(bounds[k][0], min(bounds[k][1], cap)) for k in members], "method": "highs"}
    if a_eq.shape[0]:
        kwargs.update(A_eq=a_eq, b_eq=b_eq)
    if a_ub.shape[0]:
        kwargs.update(A_ub=a_ub, b_ub=b_ub)
    ones = np.zeros(len(members))
    ones[[index[k] for k in targets]] = 1.0
    high, low = linprog(-ones, **kwargs), linprog(ones, **kwargs)
    if high.status != 0 or low.status != 0:
        raise RuntimeError(f"The published figures are inconsistent: {high.message} {low.message}")
    return high.x, low.x


def _matrices(members, index, rels, bounds):
    from scipy import sparse

    n = len(members)
    finite = [abs(c) for _, c, _ in rels] + [b for k in members for b in bounds[k] if b != math.inf]
    cap = 10.0 * (sum(finite) + n * THRESHOLD + 10)

    def matrix(op):
        rows, cols, data, rhs = [], [], [], []
        for terms, constant, o in rels:
            if o != op:
                continue
            for k, a in terms.items():
                rows.append(len(rhs))
                cols.append(index[k])
                data.append(a)
            rhs.append(constant)
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(rhs), n)), np.array(rhs, dtype=float)

    a_eq, b_eq = matrix("==")
    a_ub, b_ub = matrix("<=")
    return a_eq, b_eq, a_ub, b_ub, cap


def _single_relation(terms, constant, op, bounds):
    """Exact ranges for one relation Σ a·x (== or <=) c with each x in its bounds."""

    def span(k):
        a, (lo, hi) = terms[k], bounds[k]
        return (a * lo, a * hi) if a > 0 else (a * hi, a * lo)

    spans = {k: span(k) for k in terms}
    # Sums of the finite ends, and how many ends are infinite, so "the rest" never computes ∞ − ∞.
    low_finite = sum(s[0] for s in spans.values() if s[0] != -math.inf)
    low_infinite = sum(s[0] == -math.inf for s in spans.values())
    high_finite = sum(s[1] for s in spans.values() if s[1] != math.inf)
    high_infinite = sum(s[1] == math.inf for s in spans.values())
    result = {}
    for k, (lo, hi) in bounds.items():
        a = terms.get(k)
        if a is None:
            result[k] = (lo, hi)
            continue
        own_low, own_high = spans[k]
        rest_low = (
            -math.inf
            if low_infinite - (own_low == -math.inf)
            else low_finite - (own_low if own_low != -math.inf else 0)
        )
        rest_high = (
            math.inf
            if high_infinite - (own_high == math.inf)
            else high_finite - (own_high if own_high != math.inf else 0)
        )
        # a·x = c − rest (equality) or a·x ≤ c − rest (inequality)
        ax_high = constant - rest_low
        ax_low = constant - rest_high if op == "==" else -math.inf
        if a > 0:
            result[k] = (max(lo, ax_low / a), min(hi, ax_high / a))
        else:
            result[k] = (max(lo, ax_high / a), min(hi, ax_low / a))
    return result


def _linear_programme(members, rels, bounds, only=None):
    """min and max of each member (or of those in `only`) under all the group's relations, in one
    HiGHS call.

    Every min and every max is its own copy of the group's variables (a block-diagonal programme),
    so the optimum of the sum of their objectives is each one's optimum: one call instead of 2n.
    Unbounded maxima are capped at a value no count can reach and reported as infinite.
    """
    # scipy loads here, on the first audit that needs a programme: a worker serving ordinary pages
    # (which use this module's template filter) never pays its 40-odd MB.
    from scipy import sparse
    from scipy.optimize import linprog

    n = len(members)
    index = {k: i for i, k in enumerate(members)}
    targets = list(only) if only is not None else list(members)
    a_eq, b_eq, a_ub, b_ub, cap = _matrices(members, index, rels, bounds)
    blocks = 2 * len(targets)
    objective = np.zeros(blocks * n)
    for t, k in enumerate(targets):
        objective[2 * t * n + index[k]] = 1.0  # block 2t minimises target t
        objective[(2 * t + 1) * n + index[k]] = -1.0  # block 2t+1 maximises it
    lows = [bounds[k][0] for k in members] * blocks
    highs = [min(bounds[k][1], cap) for k in members] * blocks
    kwargs = {"bounds": np.array([lows, highs]).T, "method": "highs"}
    if a_eq.shape[0]:
        kwargs.update(A_eq=sparse.block_diag([a_eq] * blocks, format="csr"), b_eq=np.tile(b_eq, blocks))
    if a_ub.shape[0]:
        kwargs.update(A_ub=sparse.block_diag([a_ub] * blocks, format="csr"), b_ub=np.tile(b_ub, blocks))
    solution = linprog(objective, **kwargs)
    if solution.status != 0:
        raise RuntimeError(f"The published figures are inconsistent: {solution.message}")
    x = solution.x
    result = {}
    for t, k in enumerate(targets):
        low, high = x[2 * t * n + index[k]], x[(2 * t + 1) * n + index[k]]
        result[k] = (low, math.inf if high >= cap / 2 else high)  # only unbounded cells get near the cap
    return result


# --- tables and breakdowns -----------------------------------------------------------------------------


@dataclass
class TableProtection:
    """A protected rows × columns table; margins are keyed with TOTAL."""

    protection: Protection
    rows: list
    columns: list

    def cell(self, row, column) -> Cell:
        return self.protection[(row, column)]

    def row_total(self, row) -> Cell:
        return self.protection[(row, TOTAL)]

    def column_total(self, column) -> Cell:
        return self.protection[(TOTAL, column)]

    def grand_total(self) -> Cell:
        return self.protection[(TOTAL, TOTAL)]

    @property
    def hidden(self) -> frozenset:
        return self.protection.hidden

    @property
    def secondary(self) -> frozenset:
        return self.protection.secondary


def table_problem(
    counts: Mapping,
    row_totals: Mapping | None = None,
    column_totals: Mapping | None = None,
    grand_total: int | None = None,
    name: Hashable | None = None,
) -> tuple[dict, list[Relation], dict]:
    """The values, relations and costs of one table, keyed (row, column) – or (name, row, column) when
    named, so several tables can go into one protect() call with relations between them.

    counts: {row: {column: count}}. Margins are included when given; a margin may itself be known
    from elsewhere (pass it anyway: it is then part of the relations the reader has).
    """

    def key(r, c):
        return (name, r, c) if name is not None else (r, c)

    rows = list(counts)
    columns = list(dict.fromkeys(c for r in rows for c in counts[r]))
    values, relations, cost = {}, [], {}
    for r in rows:
        for c in columns:
            values[key(r, c)] = int(counts[r].get(c, 0))
    if row_totals is not None:
        for r in rows:
            values[key(r, TOTAL)] = int(row_totals[r])
            relations.append(Relation.total(key(r, TOTAL), [key(r, c) for c in columns]))
    if column_totals is not None:
        for c in columns:
            values[key(TOTAL, c)] = int(column_totals[c])
            relations.append(Relation.total(key(TOTAL, c), [key(r, c) for r in rows]))
    if grand_total is not None:
        values[key(TOTAL, TOTAL)] = int(grand_total)
        if column_totals is not None:
            relations.append(Relation.total(key(TOTAL, TOTAL), [key(TOTAL, c) for c in columns]))
        if row_totals is not None:
            relations.append(Relation.total(key(TOTAL, TOTAL), [key(r, TOTAL) for r in rows]))
        if row_totals is None and column_totals is None:
            relations.append(Relation.total(key(TOTAL, TOTAL), [key(r, c) for r in rows for c in columns]))
    # Hiding a total costs more than hiding any one cell: readers use totals most.
    heavy = sum(values.values()) + 1
    for k, v in values.items():
        if TOTAL in k[-2:]:
            cost[k] = v + heavy
    return values, relations, cost


def protect_table(
    counts: Mapping,
    row_totals: Mapping | None = None,
    column_totals: Mapping | None = None,
    grand_total: int | None = None,
    exact: Iterable = (),
    links: Sequence[Relation] = (),
    extra: Mapping | None = None,
    threshold: int = THRESHOLD,
) -> TableProtection:
    """Protect a rows × columns table of counts with the margins as published.

    exact: (row, column) cells the viewer may see exactly (for example every cell of their own borough's
    row: pass them all, margins included). links: further relations the reader knows, naming
    (row, column) keys or keys of `extra` (other published counts, such as a complement table's cells).
    """
    values, relations, cost = table_problem(counts, row_totals, column_totals, grand_total)
    values.update(extra or {})
    protection = protect(values, [*relations, *links], exact=exact, cost=cost, threshold=threshold)
    rows = list(counts)
    columns = list(dict.fromkeys(c for r in rows for c in counts[r]))
    return TableProtection(protection, rows, columns)


def exact_rows(rows: Iterable, columns: Iterable, totals: bool = True) -> set:
    """Every (row, column) key of the given rows, with their row totals (a partner's own boroughs)."""
    cols = [*columns, TOTAL] if totals else list(columns)
    return {(r, c) for r in rows for c in cols}


def protect_breakdown(
    counts: Mapping[Key, int], total: int | None = None, exact: bool = False, threshold: int = THRESHOLD
) -> Protection:
    """A one-way breakdown (yes / partly / no of n respondents): categories plus their total (key TOTAL).

    The total is included in the relations whether or not it equals the sum of the categories shown;
    pass total=None when it is not published.
    """
    values = {k: int(v) for k, v in counts.items()}
    relations = []
    cost = {}
    if total is not None:
        values[TOTAL] = int(total)
        relations.append(Relation.total(TOTAL, list(counts)))
        cost[TOTAL] = int(total) + sum(values.values()) + 1
    return protect(values, relations, exact=values.keys() if exact else (), cost=cost, threshold=threshold)


# --- templates -----------------------------------------------------------------------------------------


def format_protected(cell, fmt: str = "{:,}", missing: str = "no data") -> Markup:
    """The `protected` template filter: a Cell as text, hidden ones marked so people and styles can tell."""
    if not isinstance(cell, Cell):
        cell = Cell(cell)
    if cell.hidden:
        return Markup('<span class="app-protected" data-reason="{}">{}</span>').format(cell.reason, TEXT[cell.reason])
    return Markup(escape(cell.display(fmt, missing)))


def init_app(app) -> None:
    """Register the `protected` filter (``{{ cell | protected }}``, ``{{ rate | protected("{:.0%}") }}``)."""
    app.add_template_filter(format_protected, "protected")
