"""Facts about the ten Greater Manchester boroughs and names of nearby districts."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "boroughs"
FACTS_CSV = DATA_DIR / "boroughs.csv"
DISTRICTS_CSV = DATA_DIR / "districts.csv"

# The ten metropolitan boroughs, in ONS code order.  Kept as a literal (not
# read from the csv) so a damaged data file cannot silently change what counts
# as "in Greater Manchester".
BOROUGH_CODES: tuple[str, ...] = tuple(f"E08{n:06d}" for n in range(1, 11))

FACT_COLUMNS = (
    "code",
    "name",
    "population",
    "imd_rank",
    "imd_score",
    "imd_share_most_deprived_10pc",
)


@lru_cache(maxsize=1)
def _facts() -> pd.DataFrame:
    import pandas as pd  # here, not at the top: a worker serving ordinary pages never needs pandas

    frame = pd.read_csv(
        FACTS_CSV,
        dtype={
            "code": "string",
            "name": "string",
            "population": "int64",
            "imd_rank": "int64",
            "imd_score": "float64",
            "imd_share_most_deprived_10pc": "float64",
        },
    )
    missing = set(BOROUGH_CODES) - set(frame["code"])
    if missing:
        raise ValueError(f"{FACTS_CSV} lacks borough codes: {', '.join(sorted(missing))}")
    return frame


def load_facts() -> pd.DataFrame:
    """Return the borough facts table (one row per borough), as a fresh copy."""
    # A copy, because callers add columns for maps and the cache must stay clean.
    return _facts().copy()


def facts_by_code() -> dict[str, dict]:
    """Return the borough facts as a dict of plain dicts keyed by ONS code."""
    return {row["code"]: dict(row) for row in _fact_rows()}


@lru_cache(maxsize=1)
def _fact_rows() -> tuple[dict, ...]:
    """The facts as plain rows read with the csv module (no pandas), with the same types as load_facts."""
    types = {"population": int, "imd_rank": int, "imd_score": float, "imd_share_most_deprived_10pc": float}
    with FACTS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = [
            {key: types.get(key, str)(value) for key, value in row.items() if key in FACT_COLUMNS}
            for row in csv.DictReader(handle)
        ]
    missing = set(BOROUGH_CODES) - {row["code"] for row in rows}
    if missing:
        raise ValueError(f"{FACTS_CSV} lacks borough codes: {', '.join(sorted(missing))}")
    return tuple(rows)


def is_borough(code: str | None) -> bool:
    """Say whether an ONS district code is one of the ten GM boroughs."""
    return code in BOROUGH_CODES


@lru_cache(maxsize=1)
def district_names() -> dict[str, str]:
    """Return ONS district code to name for GM and the districts around it."""
    with DISTRICTS_CSV.open(newline="", encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def borough_name(code: str | None) -> str | None:
    """Return the name of a GM borough, or None if the code is not one of the ten."""
    if not is_borough(code):
        return None
    return district_names()[code]


def district_name(code: str | None) -> str | None:
    """Return a readable name for any district code ("district E06000047" if unknown)."""
    if not code:
        return None
    return district_names().get(code, f"district {code}")
