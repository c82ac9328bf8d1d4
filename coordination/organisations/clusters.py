"""Server-side clusters for the directory map: one view costs the same at 1,750 or 117,500 organisations.

The located organisations matching a set of filters are read once per data version (ids, coordinates
and safe names, as arrays), then grouped on a grid in Web Mercator space, one grid per zoom level,
built the first time that zoom is asked for. A view asks for one zoom and a bounding box and gets back
at most a few hundred clusters; from DETAIL_ZOOM in, organisations come individually, grouped only
when they share an address point, so every one can be reached.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

CELL_PIXELS = 60  # a cluster gathers what falls within a 60-pixel square on screen
TILE_PIXELS = 256
MAX_ZOOM = 19
DETAIL_ZOOM = 16  # from here in, organisations are shown one by one
MAX_PLACES = 2000  # a view at detail zoom never returns more address points than this
GM_BOUNDS = (-2.75, 53.32, -1.90, 53.69)  # west, south, east, north: where an unusable bbox falls back to


def _mercator(lat, lon):
    """Longitude/latitude (numpy arrays) to Web Mercator x, y in [0, 1)."""
    import numpy as np

    lat = np.clip(lat, -85.0511, 85.0511)
    x = (lon + 180.0) / 360.0
    sin = np.sin(np.radians(lat))
    y = 0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)
    return x, y


@dataclass
class Layer:
    """The located organisations for one set of filters, and the grids built from them so far.

    Names are not read with the coordinates: a view shows a few hundred at most, so they are looked up
    for the organisations a view shows (`labels`, given to view()) and remembered here for the next view.
    """

    ids: object  # numpy int64
    lat: object  # numpy float64
    lon: object
    names: dict = field(default_factory=dict)  # id -> safe label, filled as views show them
    x: object = None
    y: object = None
    grids: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        if self.x is None:
            self.x, self.y = _mercator(self.lat, self.lon)

    @classmethod
    def from_rows(cls, rows) -> Layer:
        """From [[lat, lon, id, label], …] (the download's rows)."""
        import numpy as np

        rows = list(rows)
        return cls(
            ids=np.array([r[2] for r in rows], dtype=np.int64),
            lat=np.array([r[0] for r in rows], dtype=np.float64),
            lon=np.array([r[1] for r in rows], dtype=np.float64),
            names={r[2]: r[3] for r in rows},
        )

    def _labels(self, indices, labels) -> list[str]:
        """The label of each organisation at these positions, reading only those not yet known."""
        wanted = [int(self.ids[i]) for i in indices]
        with self.lock:
            missing = [oid for oid in wanted if oid not in self.names]
        if missing:
            found = labels(missing) if labels is not None else {}
            with self.lock:
                self.names.update(found)
        return [self.names.get(oid, "") for oid in wanted]

    def grid(self, zoom: int) -> dict:
        """Clusters at this zoom: centre, count, bounds and one member (built once, then reused)."""
        with self.lock:
            if zoom in self.grids:
                return self.grids[zoom]
        import numpy as np

        cells = TILE_PIXELS * (2**zoom) / CELL_PIXELS
        cx = np.floor(self.x * cells).astype(np.int64)
        cy = np.floor(self.y * cells).astype(np.int64)
        keys = cx * (int(cells) + 2) + cy
        unique, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
        grid = {
            "count": counts,
            "lat": np.bincount(inverse, weights=self.lat) / counts,
            "lon": np.bincount(inverse, weights=self.lon) / counts,
            "south": np.full(len(unique), 90.0),
            "north": np.full(len(unique), -90.0),
            "west": np.full(len(unique), 180.0),
            "east": np.full(len(unique), -180.0),
            "first": first,
        }
        np.minimum.at(grid["south"], inverse, self.lat)
        np.maximum.at(grid["north"], inverse, self.lat)
        np.minimum.at(grid["west"], inverse, self.lon)
        np.maximum.at(grid["east"], inverse, self.lon)
        with self.lock:
            self.grids[zoom] = grid
        return grid

    def view(self, zoom: int, bbox: tuple[float, float, float, float], labels=None) -> dict:
        """What one map view needs: clusters (or individual organisations from DETAIL_ZOOM in) in the box.

        labels: ids -> {id: safe label} for the organisations shown that this layer has not named yet.
        """
        import numpy as np

        west, south, east, north = bbox
        # A margin of half the box, so markers just outside the edge are there when the person pans a little.
        pad_x, pad_y = (east - west) / 2, (north - south) / 2
        west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
        if zoom >= DETAIL_ZOOM:
            inside = np.flatnonzero((self.lat >= south) & (self.lat <= north) & (self.lon >= west) & (self.lon <= east))
            places: OrderedDict = OrderedDict()
            for index in inside[np.lexsort((self.ids[inside],))]:
                key = (round(float(self.lat[index]), 5), round(float(self.lon[index]), 5))
                if key not in places and len(places) >= MAX_PLACES:
                    continue
                places.setdefault(key, []).append(int(index))
            shown = [index for members in places.values() for index in members]
            named = dict(zip(shown, self._labels(shown, labels)))
            for members in places.values():
                members[:] = [[int(self.ids[index]), named[index]] for index in members]
            return {
                "zoom": zoom,
                "detail": True,
                "total": int(len(inside)),
                "clusters": [],
                "places": [[lat, lon, members] for (lat, lon), members in places.items()],
                "truncated": len(places) >= MAX_PLACES,
            }
        grid = self.grid(zoom)
        lat, lon = grid["lat"], grid["lon"]
        inside = np.flatnonzero((lat >= south) & (lat <= north) & (lon >= west) & (lon <= east))
        clusters, places = [], []
        single = [int(grid["first"][index]) for index in inside if grid["count"][index] == 1]
        named = dict(zip(single, self._labels(single, labels)))
        for index in inside:
            count = int(grid["count"][index])
            if count == 1:
                member = int(grid["first"][index])
                places.append(
                    [
                        round(float(self.lat[member]), 5),
                        round(float(self.lon[member]), 5),
                        [[int(self.ids[member]), named[member]]],
                    ]
                )
            else:
                clusters.append(
                    [
                        round(float(lat[index]), 5),
                        round(float(lon[index]), 5),
                        count,
                        [round(float(grid[side][index]), 5) for side in ("south", "west", "north", "east")],
                    ]
                )
        return {
            "zoom": zoom,
            "detail": False,
            "total": int(grid["count"][inside].sum()) if len(inside) else 0,
            "clusters": clusters,
            "places": places,
            "truncated": False,
        }


def parse_view(zoom_text: str | None, bbox_text: str | None) -> tuple[int, tuple[float, float, float, float]]:
    """(zoom, (west, south, east, north)) from query text; anything unusable falls back to all of Greater Manchester."""
    try:
        zoom = int(zoom_text or 10)
    except ValueError:
        zoom = 10
    zoom = max(0, min(zoom, MAX_ZOOM))
    try:
        west, south, east, north = (float(part) for part in (bbox_text or "").split(","))
    except ValueError:
        return zoom, GM_BOUNDS
    values = (west, south, east, north)
    if not all(math.isfinite(v) for v in values) or west >= east or south >= north:
        return zoom, GM_BOUNDS
    return zoom, (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))
