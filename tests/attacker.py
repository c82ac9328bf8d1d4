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
    published: dict, relations: list[tuple[dict, str, float]], not_shown_low: float = 1.0, full: bool = True
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
        found.update(_ranges(shown_here, related, not_shown_low, full))
    return found


def _ranges(published: dict, relations: list, not_shown_low: float, full: bool = True) -> dict:
    """Least and greatest value of each hidden figure over one group, by linear programming.

    Every solution is a point the reader cannot rule out, so each one also shows values every other
    hidden figure can take. A figure already seen at 1 and at 4 ("fewer than 5"), or at two values
    ("not shown"), needs no programme of its own: its range is reported as what the points showed,
    which decides leaks() exactly as the full range would (full=False). The others get their own two
    programmes.
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


def leaks(published: dict, relations: list, truth: dict | None = None) -> list[str]:
    """Every way the published figures say more than "fewer than 5" / "not shown" (empty when safe)."""
    problems = []
    for key, (low, high) in ranges(published, relations, full=truth is not None).items():
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
