"""Assign many points to boroughs at once (vectorised point-in-polygon)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def assign_boroughs(latitudes, longitudes, boundaries: gpd.GeoDataFrame) -> list[str | None]:
    """Return the borough code containing each (lat, lon) point, or None outside the boroughs."""
    lat = np.asarray(latitudes, dtype="float64")
    lon = np.asarray(longitudes, dtype="float64")
    if lat.shape != lon.shape:
        raise ValueError("latitudes and longitudes must have the same length")
    result = np.full(lat.shape, None, dtype=object)
    known = ~(np.isnan(lat) | np.isnan(lon))
    if not known.any():
        return result.tolist()
    # Boundaries are stored in WGS84 and tests of containment are topological,
    # so no reprojection is needed; x is longitude.
    wgs = boundaries.to_crs("EPSG:4326") if boundaries.crs and boundaries.crs.to_epsg() != 4326 else boundaries
    codes = wgs["code"].to_numpy()
    geoms = wgs.geometry.to_numpy()
    shapely.prepare(geoms)
    xs, ys = lon[known], lat[known]
    found = np.full(xs.shape, None, dtype=object)
    # Boroughs do not overlap, so the first match wins; points already matched are
    # skipped, which keeps the work close to one containment test per point.
    pending = np.ones(xs.shape, dtype=bool)
    for code, geom in zip(codes, geoms):
        if not pending.any():
            break
        idx = np.flatnonzero(pending)
        hit = shapely.contains_xy(geom, xs[idx], ys[idx])
        found[idx[hit]] = code
        pending[idx[hit]] = False
    result[known] = found
    return result.tolist()


def assign_boroughs_frame(frame, boundaries: gpd.GeoDataFrame, lat="latitude", lon="longitude", column="borough_code"):
    """Return a copy of a DataFrame with a borough code column from its latitude/longitude columns."""
    out = frame.copy()
    lat_values = np.asarray(out[lat].astype("float64"))
    lon_values = np.asarray(out[lon].astype("float64"))
    # object dtype keeps None (pandas 3 would otherwise infer strings and use NaN).
    out[column] = pd.Series(assign_boroughs(lat_values, lon_values, boundaries), index=out.index, dtype="object")
    return out
