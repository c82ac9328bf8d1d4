"""Assigning points to boroughs."""

import numpy as np
import pandas as pd
import shapely

from geo.postcodes import lookup_postcodes
from geo.spatial import assign_boroughs, assign_boroughs_frame


def test_postcode_locations_fall_in_the_borough_the_directory_gives(boundaries):
    frame = lookup_postcodes(["M1 1AD", "OL16 1AA", "BL1 1AA", "WN1 1YN", "SK1 3XE", "M33 5DL"])
    assigned = assign_boroughs(frame["latitude"], frame["longitude"], boundaries)
    assert assigned == frame["borough_code"].tolist()


def test_points_outside_the_ten_boroughs_get_none(boundaries):
    # Macclesfield, Liverpool, central London, and a missing location.
    assert assign_boroughs([53.26, 53.408, 51.5, np.nan], [-2.13, -2.978, -0.14, np.nan], boundaries) == [
        None,
        None,
        None,
        None,
    ]


def test_vectorised_assignment_agrees_with_a_point_by_point_check(boundaries):
    rng = np.random.default_rng(3)
    lat = rng.uniform(53.3, 53.7, 2000)
    lon = rng.uniform(-2.8, -1.9, 2000)
    fast = assign_boroughs(lat, lon, boundaries)
    slow = []
    for y, x in zip(lat, lon):
        point = shapely.Point(x, y)
        slow.append(next((c for c, g in zip(boundaries["code"], boundaries.geometry) if g.contains(point)), None))
    assert fast == slow


def test_a_frame_gains_a_borough_column(boundaries):
    frame = pd.DataFrame({"latitude": [53.4838, None], "longitude": [-2.2449, None]})
    out = assign_boroughs_frame(frame, boundaries)
    assert out["borough_code"].tolist() == ["E08000003", None]
    assert "borough_code" not in frame
