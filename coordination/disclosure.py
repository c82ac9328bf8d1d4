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
  part is at most 3. So "not shown" promises nothing about size.) A small cell must still range
  over the whole of 1 to 4 and a "not shown" cell must not be pinned to one value; the audit decides
  that exactly (witness points from linear programmes, see _Auditor). Cells are added greedily (the
  relation that gives a cell away first, equations before inequalities, interior cells before
  totals, smallest values first, ties in input order) and the check repeats until it passes, so the
  same inputs always give the same hidden cells.

Nothing here knows about Flask requests: it takes plain mappings and returns plain objects, and
``init_app`` only registers the ``protected`` template filter.
"""

from __future__ import annotations

import math
import threading
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
    auditor = _Auditor(values, relations, threshold)
    rounds = 0
    while True:
        rounds += 1
        found, causes = auditor.failures(primary, secondary)
        failing = {k: how for k, how in found.items() if k not in unprotectable}
        if not failing:
            break
        added, relabelled, stuck = set(), set(), []
        for key in sorted(failing, key=order.__getitem__):
            choice = _candidate(
                key, values, relations, by_cell, primary, secondary | added, exact, cost, order, causes.get(key)
            )
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


def _candidate(key, values, relations, by_cell, primary, secondary, exact, cost, order, cause=None):
    """The cheapest shown, non-zero, not-known cell to hide next to `key`: first in the relation that
    gives it away (`cause`, when one relation alone does), then in its equations before its
    inequalities, fewest hidden companions first (those are the ones that narrow it)."""
    hidden = primary | secondary

    def hideable(k):
        return k not in hidden and k not in exact and values[k] > 0

    def price(k):
        return (cost.get(k, values[k]), order[k])

    ranked = sorted(
        by_cell.get(key, []),
        key=lambda n: (n != cause, relations[n].op != "==", sum(k in hidden for k in relations[n].cells()), n),
    )
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


class _Auditor:
    """The exact audit of protect(), fast because what it proves is never proved again.

    A hidden cell passes when the reader's range for it still contains 1 and threshold − 1 (a small
    cell) or more than one value (a "not shown" cell). The range is shown by *witness points*:
    assignments of every hidden cell that satisfy every relation, with shown cells at their published
    values. Three facts make this quick and keep it exact:

    * The true values are such a point, and a point found while fewer cells were hidden is still one
      when more are (a newly hidden cell keeps its true value, which lies within its new bounds; a
      relabelled cell's bounds only widen). So each cell remembers the least and greatest value it
      has taken in any point found, and a cell proved safe once is never audited again.
    * A point found by a linear programme over a few hidden cells, with every other cell held at its
      true value, is a point of the whole problem. So most cells are proved safe by two programmes
      over each connected group pushing every open cell up and down together, or by small ones over a
      cell's neighbours (up to two equations away); only a cell that fails those gets a programme
      over its whole connected group, which is the attacker's own calculation.
    * A reader who uses just one relation, knowing of the other hidden cells only what their labels
      say, can narrow a cell at most as far as one who uses them all. So a cell that one relation
      narrows fails for certain, found without any programme, with that relation as the cause.
    """

    def __init__(self, values, relations, threshold):
        self.keys = list(values)
        self.index = {k: i for i, k in enumerate(self.keys)}
        self.truth = [float(values[k]) for k in self.keys]
        self.threshold = threshold
        self.relations = []  # (cells, coefficients, constant, is an equality)
        self.by_cell = [[] for _ in self.keys]
        for n, relation in enumerate(relations):
            terms: dict[int, int] = {}
            for key, coef in relation.terms:
                if coef:
                    i = self.index[key]
                    terms[i] = terms.get(i, 0) + coef
            terms = {i: c for i, c in terms.items() if c}
            self.relations.append((tuple(terms), tuple(terms.values()), float(relation.constant), relation.op == "=="))
            for i in terms:
                self.by_cell[i].append(n)
        self.slack = [
            constant - sum(c * self.truth[j] for j, c in zip(cells, coefs))
            for cells, coefs, constant, _ in self.relations
        ]
        self.least = np.array(self.truth)  # the least and greatest value each cell has taken in a witness point
        self.most = np.array(self.truth)
        # The relations as arrays (compressed rows: relation n's cells are cells[ptr[n]:ptr[n + 1]]), so a
        # programme over some cells is cut out of them without a Python loop over every term.
        lengths = [len(r[0]) for r in self.relations]
        self.ptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        self.rel_cells = np.fromiter((j for r in self.relations for j in r[0]), dtype=np.int64, count=self.ptr[-1])
        self.rel_coefs = np.fromiter((c for r in self.relations for c in r[1]), dtype=float, count=self.ptr[-1])
        self.rel_constant = np.array([r[2] for r in self.relations], dtype=float)
        self.rel_equality = np.array([r[3] for r in self.relations], dtype=bool)
        self.truth_array = np.array(self.truth)
        self.cap = 10.0 * (sum(self.truth) + len(self.keys) * threshold + 10)
        self.programmes = 0
        self.status: list[int] = []

    # What the labels say: 0 shown (its value), 1 "fewer than 5" (1..threshold−1), 2 "not shown" (≥ 1).
    def _bounds(self, i):
        s = self.status[i]
        if s == 0:
            return self.truth[i], self.truth[i]
        if s == 1:
            return 1.0, float(self.threshold - 1)
        return NOT_SHOWN_LEAST, math.inf

    def _safe(self, i) -> bool:
        if self.status[i] == 1:
            return self.least[i] <= 1 + _EPS and self.most[i] >= self.threshold - 1 - _EPS
        return self.most[i] - self.least[i] >= 0.5

    def _verdict(self, i, low, high):
        if self.status[i] == 1:
            if low > 1 + _EPS:
                return "low"
            if high < self.threshold - 1 - _EPS:
                return "high"
            return None
        return "pinned" if high - low < 0.5 else None

    def failures(self, primary, secondary) -> tuple[dict, dict]:
        """{key: "low" | "high" | "pinned"} for every hidden cell a reader can narrow, and for those found
        by one relation, {key: index of that relation}."""
        self.status = [0] * len(self.keys)
        for key in primary:
            self.status[self.index[key]] = 1
        for key in secondary:
            self.status[self.index[key]] = 2
        open_cells = [i for i in range(len(self.keys)) if self.status[i] and not self._safe(i)]
        failing, causes, hard = {}, {}, []
        for i in open_cells:
            for n in self.by_cell[i]:
                how = self._verdict(i, *self._one_relation(i, n))
                if how:
                    failing[self.keys[i]], causes[self.keys[i]] = how, n
                    break
            else:
                hard.append(i)
        if hard:  # relations taken together, by interval propagation (still a weaker reader than the real one)
            bounds = self._propagate({n for i in hard for j in self._around(i, 1) for n in self.by_cell[j]})
            still = []
            for i in hard:
                how = self._verdict(i, *bounds.get(i, self._bounds(i)))
                if how:
                    failing[self.keys[i]] = how
                else:
                    still.append(i)
            hard = still
        for _ in range(4):  # many cells to prove: two programmes over each group first, while they settle many
            hard = [i for i in hard if not self._safe(i)]
            if len(hard) <= 8:
                break
            done: set = set()
            for i in hard:
                if i not in done:
                    group = self._around(i, None)
                    done.update(group)
                    self._extremes([j for j in group if self.status[j] and not self._safe(j)], group)
            if sum(not self._safe(i) for i in hard) > 0.75 * len(hard):
                break
        for i in hard:
            if self._safe(i):
                continue
            for reach in (2, None):  # a programme over its neighbours and theirs, then over its whole group
                cells = self._around(i, reach)
                low, high = self._range(i, cells)
                if self._safe(i):
                    break
                if reach is not None:
                    # The same neighbours with only their own relations, every other hidden cell known
                    # by its label alone: a weaker reader, so a failure here is a failure.
                    how = self._verdict(i, *self._range(i, cells, relaxed=True))
                    if how:
                        failing[self.keys[i]] = how
                        break
            else:
                if how := self._verdict(i, low, high):
                    failing[self.keys[i]] = how
        return failing, causes

    def _propagate(self, relation_ids, sweeps: int = 12) -> dict:
        """Bounds of the hidden cells in these relations, tightened relation by relation from their labels."""
        bounds: dict[int, tuple[float, float]] = {}
        order = sorted(relation_ids)
        for _ in range(sweeps):
            changed = False
            for n in order:
                cells, coefs, constant, equality = self.relations[n]
                spans = []
                low_sum = high_sum = 0.0
                low_inf = high_inf = 0
                for j, c in zip(cells, coefs):
                    lo, hi = bounds.get(j) or self._bounds(j)
                    a, b = (c * lo, c * hi) if c > 0 else (c * hi, c * lo)
                    spans.append((j, c, lo, hi, a, b))
                    if a == -math.inf:
                        low_inf += 1
                    else:
                        low_sum += a
                    if b == math.inf:
                        high_inf += 1
                    else:
                        high_sum += b
                for j, c, lo, hi, a, b in spans:
                    if not self.status[j]:
                        continue
                    rest_low = -math.inf if low_inf - (a == -math.inf) else low_sum - (0 if a == -math.inf else a)
                    rest_high = math.inf if high_inf - (b == math.inf) else high_sum - (0 if b == math.inf else b)
                    top = constant - rest_low
                    bottom = constant - rest_high if equality else -math.inf
                    new = (max(lo, bottom / c), min(hi, top / c)) if c > 0 else (max(lo, top / c), min(hi, bottom / c))
                    if new[0] > lo + _EPS or new[1] < hi - _EPS:
                        bounds[j] = new
                        changed = True
            if not changed:
                break
        return bounds

    def _one_relation(self, i, n):
        """The range of cell i from relation n alone, the other cells known only by their labels."""
        cells, coefs, constant, equality = self.relations[n]
        rest_low = rest_high = 0.0
        a = 0
        for j, c in zip(cells, coefs):
            if j == i:
                a = c
                continue
            lo, hi = self._bounds(j)
            if c > 0:
                rest_low += c * lo
                rest_high += c * hi
            else:
                rest_low += c * hi
                rest_high += c * lo
        lo, hi = self._bounds(i)
        top = constant - rest_low  # a·x ≤ top, and for an equality a·x ≥ constant − rest_high
        bottom = constant - rest_high if equality else -math.inf
        if a > 0:
            return max(lo, bottom / a), min(hi, top / a)
        return max(lo, top / a), min(hi, bottom / a)

    def _around(self, i, reach):
        """Hidden cells within `reach` equations of cell i (None: its whole connected group, through
        inequalities too). Inequalities still bind the cells chosen, with every other cell at its value."""
        seen, frontier, steps = {i}, [i], 0
        while frontier and (reach is None or steps < reach):
            steps += 1
            nxt = []
            for k in frontier:
                for n in self.by_cell[k]:
                    if reach is not None and not self.relations[n][3] and self.slack[n] >= 2 * self.threshold:
                        continue
                    for j in self.relations[n][0]:
                        if j not in seen and self.status[j]:
                            seen.add(j)
                            nxt.append(j)
            frontier = nxt
        return sorted(seen)

    def _extremes(self, targets, cells):
        """Two witness points over these cells: one with the targets as high as they go together, one as
        low (most targets are settled by them at once, before any programme of their own)."""
        self._range(None, cells, targets=targets)

    def _range(self, i, cells, relaxed=False, targets=None):
        """The least and greatest value of cell i over the cells given, all others at their true values;
        every point found is recorded as a witness for every cell in it.

        relaxed: only the relations of the cells given, the other hidden cells in them free within their
        labels (a range at least as wide as the attacker's; its points prove nothing)."""
        chosen = dict.fromkeys(n for j in cells for n in self.by_cell[j])
        if relaxed:
            cells = list(dict.fromkeys([*cells, *(j for n in chosen for j in self.relations[n][0] if self.status[j])]))
        m = len(cells)
        relation_ids = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
        starts, lengths = self.ptr[relation_ids], self.ptr[relation_ids + 1] - self.ptr[relation_ids]
        entry_rows = np.repeat(np.arange(len(relation_ids)), lengths)
        entries = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) + np.arange(lengths.sum())
        entry_cells, entry_coefs = self.rel_cells[entries], self.rel_coefs[entries]
        where = np.full(len(self.keys), -1, dtype=np.int64)
        cell_ids = np.asarray(cells, dtype=np.int64)
        where[cell_ids] = np.arange(m)
        columns = where[entry_cells]
        inside = columns >= 0
        outside = ~inside
        # Cells outside the programme are held at their true values: they move to the constant side.
        constant = self.rel_constant[relation_ids] - np.bincount(
            entry_rows[outside],
            weights=entry_coefs[outside] * self.truth_array[entry_cells[outside]],
            minlength=len(relation_ids),
        )
        status = np.asarray(self.status, dtype=np.int8)[cell_ids]
        truth = self.truth_array[cell_ids]
        column_lower = np.where(status == 0, truth, np.where(status == 1, 1.0, NOT_SHOWN_LEAST))
        column_upper = np.where(status == 0, truth, np.where(status == 1, float(self.threshold - 1), self.cap))
        programme = _Programme(
            m,
            entry_rows[inside],
            columns[inside],
            entry_coefs[inside],
            np.where(self.rel_equality[relation_ids], constant, -math.inf),
            constant,
            column_lower,
            column_upper,
        )
        found = []
        for sign in (1.0, -1.0):
            objective = np.zeros(m)
            if targets is not None:
                objective[where[list(targets)]] = sign
            else:
                objective[where[i]] = sign
            self.programmes += 1
            solution = programme.minimise(objective)
            if not relaxed:
                self.least[cell_ids] = np.minimum(self.least[cell_ids], solution)  # cells are distinct
                self.most[cell_ids] = np.maximum(self.most[cell_ids], solution)
            if i is None:
                continue
            found.append(float(solution[where[i]]))
            if relaxed:
                continue
            if self._safe(i):
                break
        if i is None:
            return None
        if relaxed:
            return found[0], (math.inf if found[1] >= self.cap / 2 else found[1])
        low = found[0]
        high = found[1] if len(found) > 1 else self.most[i]
        return min(low, self.least[i]), max(high, self.most[i])


class _Programme:
    """One linear programme (rows lower ≤ A·x ≤ upper, columns within their bounds) solved by HiGHS for
    one objective after another: the second starts from the first one's basis. HiGHS is called directly
    (highspy) because scipy's `linprog` spent more time checking and converting its inputs than HiGHS
    took to solve these small programmes (bench/disclosure.py)."""

    _solver = threading.local()  # one HiGHS instance per thread, reused

    def __init__(self, m, rows, cols, data, lower, upper, column_lower, column_upper):
        import highspy
        from highspy import _core

        if getattr(self._solver, "highs", None) is None:
            # The solver itself, without highspy's Python wrapper: the wrapper only adds callbacks we do
            # not use, and setting them up prints HiGHS's banner to standard output (into the server's
            # log) once per process, before output_flag can be turned off. tests/test_disclosure.py checks.
            highs = _core._Highs()
            highs.setOptionValue("output_flag", False)
            # Small programmes, many of them: presolve and extra threads cost more than they save
            # (measured on the GM-scale problem of bench/disclosure.py).
            highs.setOptionValue("presolve", "off")
            highs.setOptionValue("threads", 1)
            self._solver.highs = highs
        self.highs = self._solver.highs
        self.m = m
        rows, cols = np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32)
        order = np.lexsort((rows, cols))  # column by column (HiGHS's compressed-column form)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m, len(upper)
        lp.col_lower_ = np.asarray(column_lower, dtype=float)
        lp.col_upper_ = np.asarray(column_upper, dtype=float)
        lp.row_lower_ = np.asarray(lower, dtype=float)
        lp.row_upper_ = np.asarray(upper, dtype=float)
        lp.col_cost_ = np.zeros(m)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.searchsorted(cols[order], np.arange(m + 1)).astype(np.int32)
        lp.a_matrix_.index_ = rows[order]
        lp.a_matrix_.value_ = np.asarray(data, dtype=float)[order]
        self.lp = lp
        self.passed = False
        self.columns = np.arange(m, dtype=np.int32)
        self.optimal = highspy.HighsModelStatus.kOptimal

    def minimise(self, objective) -> np.ndarray:
        """The point found for this objective (every column)."""
        if not self.passed:
            self.lp.col_cost_ = np.asarray(objective, dtype=float)
            self.highs.passModel(self.lp)
            self.passed = True
        else:
            self.highs.changeColsCost(self.m, self.columns, np.asarray(objective, dtype=float))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != self.optimal:
            raise RuntimeError(f"The published figures are inconsistent: {self.highs.modelStatusToString(status)}")
        return np.asarray(self.highs.getSolution().col_value)


def linked(keys: Iterable[Key], links: Iterable[Iterable[Key]]) -> Callable[[Key], Key]:
    """Join the keys that appear together in any one link (union-find); find(key) names its group (the
    same key for every member). Keys in a link that are not among `keys` are ignored."""
    parent = {k: k for k in keys}

    def find(key):
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for link in links:
        inside = [k for k in link if k in parent]
        for other in inside[1:]:
            parent[find(other)] = find(inside[0])
    return find


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
    find = linked(hidden, (terms for terms, _, _ in reduced))
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
