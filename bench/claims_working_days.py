"""Benchmark: working days from sending to payment for many claims (the dashboard's inner loop).

Compares the cumulative-index count used by coordination.claims.queries with counting day by day.
Run: .venv/bin/python bench/claims_working_days.py
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coordination.claims import queries  # noqa: E402


def main(claims: int = 20_000) -> None:
    rng = random.Random(6)
    pairs = []
    for _ in range(claims):
        start = date(2021, 4, 6) + timedelta(days=rng.randrange(0, 5 * 365))
        pairs.append((start, start + timedelta(days=rng.randrange(0, 60))))
    queries.bank_holidays()
    started = time.perf_counter()
    queries._working_day_index()
    build = time.perf_counter() - started
    started = time.perf_counter()
    fast = [queries.working_days_between(a, b) for a, b in pairs]
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    slow = [queries.working_days_between_naive(a, b) for a, b in pairs]
    naive = time.perf_counter() - started
    assert fast == slow
    print(f"{claims:,} claims (0-60 days each, 2021-2026)")
    print(f"  index build (once per process): {build * 1000:8.1f} ms")
    print(f"  indexed count:                  {indexed * 1000:8.1f} ms")
    print(f"  day-by-day count (naive):       {naive * 1000:8.1f} ms")
    print(f"  ratio naive / indexed:          {naive / indexed:8.1f}x")


if __name__ == "__main__":
    main()
