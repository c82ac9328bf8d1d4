"""An attacker's arithmetic, independent of coordination/disclosure.py: every set of counts consistent with what a
page or CSV shows (exact sums, "fewer than 5" = 1 to 4, "not shown" = at least 1), found by brute force."""

from __future__ import annotations

import itertools


def seen(text: str):
    """What a reader learns from one cell: an exact number, 'small' (1 to 4) or 'hidden' (at least 1)."""
    text = text.replace(",", "")
    if text == "fewer than 5":
        return "small"
    if text == "not shown":
        return "hidden"
    return int(text)


def feasible(parts: list[str], published: list[tuple[tuple[str, ...], object]], limit: int = 40):
    """Every assignment of counts to `parts` consistent with the published sums (brute force)."""
    for values in itertools.product(range(limit + 1), repeat=len(parts)):
        counts = dict(zip(parts, values))
        ok = True
        for summed, shown in published:
            total = sum(counts[p] for p in summed)
            if (
                (shown == "small" and not 1 <= total <= 4)
                or (shown == "hidden" and total < 1)
                or (isinstance(shown, int) and total != shown)
            ):
                ok = False
                break
        if ok:
            yield counts


def assert_no_small_count_is_pinned(parts, published, truth):
    solutions = list(feasible(parts, published))
    assert truth in solutions  # the attacker's model is right
    for summed, shown in published:
        real = sum(truth[p] for p in summed)
        if 1 <= real <= 4:
            possible = {sum(s[p] for p in summed) for s in solutions}
            assert shown in ("small", "hidden"), f"{summed} = {real} shown"
            assert len(possible) > 1, f"{summed} pinned to {possible}"
    for part in parts:  # and no single answer's count of 1 to 4 either
        if 1 <= truth[part] <= 4:
            assert len({s[part] for s in solutions}) > 1, f"{part} pinned"
