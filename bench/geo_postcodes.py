"""Postcode lookup speed: cold and warm single lookups, and a bulk lookup of 20,000 postcodes.

Run: .venv/bin/python bench/geo_postcodes.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import postcodes  # noqa: E402


def main() -> None:
    start = time.perf_counter()
    postcodes.lookup_postcode("M1 1AD")
    cold = time.perf_counter() - start
    print(f"cold single lookup (loads the M file): {cold * 1000:8.1f} ms")

    samples = []
    for text in ["M1 1AE", "m60 1la", "M33 5DL", "M5 4WT", "M1 1ZZ"] * 200:
        start = time.perf_counter()
        postcodes.lookup_postcode(text)
        samples.append(time.perf_counter() - start)
    print(
        f"warm single lookup, median of {len(samples)}: {statistics.median(samples) * 1e6:8.1f} µs"
        f"  (95th percentile {sorted(samples)[int(len(samples) * 0.95)] * 1e6:.1f} µs)"
    )

    # 20,000 real postcodes from the GM letters, typed untidily, with some junk mixed in.
    directory = postcodes.directory_frame("MBOSW")
    sample = directory.sample(19_800, random_state=1).index.to_list()
    typed = [pc.lower() if i % 3 == 0 else pc[:-3] + "  " + pc[-3:] for i, pc in enumerate(sample)]
    typed += ["M1", "not a postcode", "M1 1ZZ", ""] * 50
    start = time.perf_counter()
    frame = postcodes.lookup_postcodes(typed)
    bulk = time.perf_counter() - start
    print(
        f"bulk lookup of {len(typed):,} postcodes (letters already loaded): {bulk:6.2f} s"
        f"  ({bulk / len(typed) * 1e6:.1f} µs each)"
    )
    print(f"  found {int(frame['found'].sum()):,}, in Greater Manchester {int(frame['borough_code'].notna().sum()):,}")

    postcodes._letter_frame.cache_clear()
    start = time.perf_counter()
    postcodes.lookup_postcodes(typed)
    print(
        f"bulk lookup of {len(typed):,} postcodes including loading 5 letter files: "
        f"{time.perf_counter() - start:6.2f} s"
    )


if __name__ == "__main__":
    main()
