"""An attacker with everything a partner sees on the borough connections page learns nothing hidden."""

from __future__ import annotations

import math
from datetime import date
from types import SimpleNamespace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from coordination.networks import analysis, queries
from coordination.permissions import Role
from geo.boroughs import BOROUGH_CODES

PAIRS = [(x, y) for i, x in enumerate(BOROUGH_CODES) for y in BOROUGH_CODES[i:]]
YEAR = 2026


def _network(counts: dict) -> SimpleNamespace:
    """A network with `counts[(x, y)]` ties made in YEAR between fresh people in boroughs x and y."""
    ties, people, n = {}, {}, 0
    for (x, y), count in counts.items():
        for _ in range(count):
            a, b = n + 1, n + 2
            n += 2
            people[a], people[b] = analysis.PersonInfo(x, None, None), analysis.PersonInfo(y, None, None)
            ties[(a, b)] = analysis.Tie(a, b, date(YEAR, 6, 1), 1.0, {"introduction"})
    return SimpleNamespace(ties=ties, people=people)


def _attack(table, own: str, counts: dict) -> list[str]:
    """Least and greatest value of every hidden or unpublished count, from the published figures alone.

    The attacker knows every shown figure, that "fewer than 5" is 1 to 4 and "not shown" at least 1,
    and how the totals are made; pairs of other boroughs are not published, so they are only >= 0.
    """
    totals = {
        ("across", code): ([p for p in PAIRS if code in p and p[0] != p[1]], table.across[code])
        for code in BOROUGH_CODES
    }
    totals[("total",)] = (PAIRS, table.total)
    totals[("total_across",)] = ([p for p in PAIRS if p[0] != p[1]], table.total_across)
    unknown = [p for p in PAIRS if table.cells[p].hidden] + [k for k, (_, cell) in totals.items() if cell.hidden]
    position = {k: i for i, k in enumerate(unknown)}

    def bound(key):
        cell = totals[key][1] if key in totals else table.cells[key]
        if key not in totals and own not in key:
            return (0, None)
        return (1, 4) if cell.reason == "small" else (1, None)

    rows, rhs = [], []
    for key, (parts, cell) in totals.items():
        # sum(parts) - total = 0, with the known figures moved to the right-hand side.
        row, known = np.zeros(len(unknown)), 0.0
        if key in position:
            row[position[key]] -= 1
        else:
            known -= cell.value
        for p in parts:
            if p in position:
                row[position[p]] += 1
            else:
                known += table.cells[p].value
        rows.append(row)
        rhs.append(-known)
    bounds = [bound(k) for k in unknown]
    truth = dict(counts)
    for key, (parts, _) in totals.items():
        truth[key] = sum(counts.get(p, 0) for p in parts)
    problems = []
    for key in unknown:
        c = np.zeros(len(unknown))
        c[position[key]] = 1
        low = linprog(c, bounds=bounds, method="highs", A_eq=np.array(rows), b_eq=np.array(rhs))
        high = linprog(-c, bounds=bounds, method="highs", A_eq=np.array(rows), b_eq=np.array(rhs))
        assert low.status in (0, 3) and high.status in (0, 3), low.message
        least = low.fun if low.status == 0 else -math.inf
        greatest = -high.fun if high.status == 0 else math.inf
        value = truth.get(key, 0)
        cell = totals[key][1] if key in totals else table.cells[key]
        # "fewer than 5" must keep its promise, and so must a small count we never publish; a "not
        # shown" figure promises nothing about its size (see coordination/disclosure.py) but must not be pinned.
        must_span = 1 <= value <= 4 and (cell.reason == "small" or (key not in totals and own not in key))
        if must_span and (least > 1 + 1e-6 or greatest < 4 - 1e-6):
            problems.append(f"{key} = {value} narrowed to [{least}, {greatest}]")
        if value >= 1 and greatest - least < 1e-6:
            problems.append(f"{key} = {value} pinned")
    return problems


small_counts = st.dictionaries(st.sampled_from(PAIRS), st.integers(0, 9), max_size=30)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(counts=small_counts, own=st.sampled_from(BOROUGH_CODES))
def test_no_hidden_count_can_be_worked_out_from_the_partners_page(app, counts, own):
    partner = SimpleNamespace(role=Role.PARTNER, borough_codes=[own])
    table = queries.protected_matrix(_network(counts), YEAR, partner)
    for p in PAIRS:
        cell = table.cells[p]
        if own in p:
            assert cell.value == counts.get(p, 0), "a partner sees their own borough exactly"
        else:
            assert cell.hidden, "pairs of other boroughs are not published to partners"
    assert _attack(table, own, counts) == []
