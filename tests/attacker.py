"""An independent attacker for disclosure tests: what can a reader work out from what is published?

It shares no code with coordination/disclosure.py. It takes the published figures (a value, or
"fewer than 5", or "not shown"), every linear relation the reader knows between them, and for each
hidden figure solves one linear programme over *all* hidden figures at once for its least and
greatest possible value (scipy's HiGHS), with "fewer than 5" meaning 1..4 and "not shown" meaning
at least 1 (zeros are always shown; the service promises nothing more about a "not shown" figure).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import linprog

SMALL, NOT_SHOWN = "fewer than 5", "not shown"


def ranges(
    published: dict,
    relations: list[tuple[dict, str, float]],
    not_shown_low: float = 1.0,
    full: bool = True,
    point: dict | None = None,
) -> dict:
    """{hidden key: (least, greatest)} given published {key: int | SMALL | NOT_SHOWN} and relations
    ({key: coefficient}, "==" or "<=", constant). Hidden figures that share no relation are solved
    apart (the answer is the same; it is only quicker)."""
    hidden = [k for k, v in published.items() if v in (SMALL, NOT_SHOWN)]
    parent = {k: k for k in hidden}

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    for terms, _, _ in relations:
        inside = [k for k in terms if k in parent]
        for other in inside[1:]:
            parent[find(other)] = find(inside[0])
    groups = {}
    for k in hidden:
        groups.setdefault(find(k), set()).add(k)
    found = {}
    for members in groups.values():
        shown_here = {k: v for k, v in published.items() if k not in parent or k in members}
        related = [r for r in relations if any(k in members for k in r[0])]
        found.update(_ranges(shown_here, related, not_shown_low, full, point))
    return found


def _ranges(published: dict, relations: list, not_shown_low: float, full: bool = True, point=None) -> dict:
    """Least and greatest value of each hidden figure over one group, by linear programming.

    Every solution is a point the reader cannot rule out, so each one also shows values every other
    hidden figure can take. A figure already seen at 1 and at 4 ("fewer than 5"), or at two values
    ("not shown"), needs no programme of its own: its range is reported as what the points showed,
    which decides leaks() exactly as the full range would (full=False). The others get their own two
    programmes.

    point: the true figures, when the test knows them (the coordinator sees every one). Then a
    figure is first moved over its neighbours only, every other figure held at its true value; each
    solution is checked against every relation before it counts as a point.
    """
    from scipy import sparse

    hidden = [k for k, v in published.items() if v in (SMALL, NOT_SHOWN)]
    if not hidden:
        return {}
    position = {k: n for n, k in enumerate(hidden)}
    eq, eq_b, ub, ub_b = [], [], [], []
    for terms, op, constant in relations:
        row = {}
        rhs = float(constant)
        for key, coef in terms.items():
            value = published[key]
            if key in position:
                row[position[key]] = row.get(position[key], 0) + coef
            else:
                rhs -= coef * value
        row = {p: c for p, c in row.items() if c}
        if not row:
            continue
        (eq if op == "==" else ub).append(row)
        (eq_b if op == "==" else ub_b).append(rhs)

    def matrix(rows):
        data = [(r, p, c) for r, row in enumerate(rows) for p, c in row.items()]
        return sparse.csr_matrix(
            ([c for _, _, c in data], ([r for r, _, _ in data], [p for _, p, _ in data])),
            shape=(len(rows), len(hidden)),
        )

    bounds = [(1, 4) if published[k] == SMALL else (not_shown_low, None) for k in hidden]
    args = {"bounds": bounds, "method": "highs"}
    if eq:
        args.update(A_eq=matrix(eq), b_eq=np.array(eq_b))
    if ub:
        args.update(A_ub=matrix(ub), b_ub=np.array(ub_b))
    least = np.full(len(hidden), math.inf)
    most = np.full(len(hidden), -math.inf)

    def solve(c):
        result = linprog(c, **args)
        assert result.status in (0, 3), f"published figures are inconsistent: {result.message}"
        if result.status == 0:
            np.minimum(least, result.x, out=least)
            np.maximum(most, result.x, out=most)
        return result

    def settled(n):
        if published[hidden[n]] == SMALL:
            return least[n] <= 1 + 1e-9 and most[n] >= 4 - 1e-9
        return most[n] - least[n] >= 0.5

    if not full:  # points first: push every unsettled figure up together, then down, while that settles many
        for _ in range(6):
            open_ = [n for n in range(len(hidden)) if not settled(n)]
            if not open_:
                break
            c = np.zeros(len(hidden))
            c[open_] = 1
            solve(c), solve(-c)
            if sum(not settled(n) for n in open_) > 0.75 * len(open_):
                break
    if not full and point is not None:
        _local_points(hidden, eq, eq_b, ub, ub_b, bounds, matrix, point, settled, least, most)
    found = {}
    for key in hidden:
        n = position[key]
        if not full and settled(n):
            found[key] = (float(least[n]), float(most[n]))
            continue
        c = np.zeros(len(hidden))
        c[n] = 1
        low, high = solve(c), solve(-c)
        found[key] = (low.fun if low.status == 0 else -math.inf, -high.fun if high.status == 0 else math.inf)
    return found


def _local_points(hidden, eq, eq_b, ub, ub_b, bounds, matrix, point, settled, least, most):
    """Points found by moving each unsettled figure and its neighbours (within 2, 4, 8 relations) from the
    true figures; every point is checked against all relations and bounds before it is used."""
    t = np.array([float(point[k]) for k in hidden])
    a_eq, a_ub = (matrix(eq) if eq else None), (matrix(ub) if ub else None)
    b_eq, b_ub = np.array(eq_b), np.array(ub_b)
    low = np.array([b[0] for b in bounds], dtype=float)
    high = np.array([math.inf if b[1] is None else b[1] for b in bounds], dtype=float)

    def feasible(x):
        ok = bool(np.all(x >= low - 1e-7) and np.all(x <= high + 1e-7))
        if a_eq is not None:
            ok = ok and bool(np.all(np.abs(a_eq @ x - b_eq) <= 1e-6))
        if a_ub is not None:
            ok = ok and bool(np.all(a_ub @ x <= b_ub + 1e-6))
        return ok

    assert feasible(t), "the true figures do not satisfy the relations"
    rows_of = [[] for _ in hidden]
    for kind, rows in ((0, eq), (1, ub)):
        for r, row in enumerate(rows):
            for p in row:
                rows_of[p].append((kind, r))
    for n in range(len(hidden)):
        for hops in (2, 4, 8):
            if settled(n):
                break
            chosen, frontier = {n}, [n]
            for _ in range(hops):
                frontier = [q for p in frontier for kind, r in rows_of[p] for q in (eq, ub)[kind][r] if q not in chosen]
                chosen.update(frontier)
            if len(chosen) > 400:  # as big as the whole group: its own programmes will do
                break
            cells = sorted(chosen)
            local = {p: i for i, p in enumerate(cells)}
            touched = {(kind, r) for p in cells for kind, r in rows_of[p]}
            parts = {0: ([], []), 1: ([], [])}
            for kind, r in sorted(touched):
                row = (eq, ub)[kind][r]
                rhs = (eq_b, ub_b)[kind][r] - sum(c * t[p] for p, c in row.items() if p not in local)
                line = np.zeros(len(cells))
                for p, c in row.items():
                    if p in local:
                        line[local[p]] = c
                parts[kind][0].append(line)
                parts[kind][1].append(rhs)
            args = {"bounds": [bounds[p] for p in cells], "method": "highs"}
            if parts[0][0]:
                args.update(A_eq=np.array(parts[0][0]), b_eq=np.array(parts[0][1]))
            if parts[1][0]:
                args.update(A_ub=np.array(parts[1][0]), b_ub=np.array(parts[1][1]))
            for sign in (1.0, -1.0):
                c = np.zeros(len(cells))
                c[local[n]] = sign
                result = linprog(c, **args)
                if result.status != 0:
                    continue
                x = t.copy()
                x[cells] = result.x
                if feasible(x):
                    np.minimum(least, x, out=least)
                    np.maximum(most, x, out=most)


def leaks(published: dict, relations: list, truth: dict | None = None, point: dict | None = None) -> list[str]:
    """Every way the published figures say more than "fewer than 5" / "not shown" (empty when safe)."""
    problems = []
    for key, (low, high) in ranges(published, relations, full=truth is not None, point=point).items():
        if published[key] == SMALL:
            if low > 1 + 1e-6 or high < 4 - 1e-6:
                problems.append(f"{key!r} is 'fewer than 5' but must be within [{low:g}, {high:g}]")
        elif high - low < 0.5:
            problems.append(f"{key!r} is 'not shown' but must be {low:g}")
        if truth is not None and not (low - 1e-6 <= truth[key] <= high + 1e-6):
            problems.append(f"{key!r} true value {truth[key]} outside derived [{low:g}, {high:g}]")
    return problems


def integer_values(published: dict, relations: list, key, cap: int = 40) -> set[int]:
    """Exact integer values `key` can take (enumerates; only for a handful of hidden figures)."""
    hidden = [k for k, v in published.items() if v in (SMALL, NOT_SHOWN)]
    choices = [range(1, 5) if published[k] == SMALL else range(1, cap + 1) for k in hidden]
    possible = set()
    for combo in itertools.product(*choices):
        values = {**published, **dict(zip(hidden, combo))}
        if all(_holds(values, terms, op, constant) for terms, op, constant in relations):
            possible.add(values[key])
    return possible


def _holds(values, terms, op, constant) -> bool:
    total = sum(coef * values[k] for k, coef in terms.items())
    return total == constant if op == "==" else total <= constant
