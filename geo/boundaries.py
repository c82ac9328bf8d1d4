"""Borough boundaries: build them from postcode centroids, import official ones, load them."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.boroughs import BOROUGH_CODES, DATA_DIR, district_names
from geo.sources import boundaries_source, is_official  # noqa: F401 - read without geopandas (geo.sources)

BOUNDARIES_FILE = "boundaries.geojson"
LIGHT_FILE = "boundaries-light.geojson"
BRITISH_GRID = "EPSG:27700"
WGS84 = "EPSG:4326"

# Greater Manchester's extent on the British National Grid (metres), with a margin
# wide enough that every GM postcode's Voronoi cell is closed by a neighbour's.
_GM_BOX = (351_000, 381_000, 407_000, 422_000)
_MARGIN = 15_000

_AREA_LETTERS = "BCDFHLMOPSW"

# Simplification tolerances in metres.  The full file keeps the shape within about
# one street of the Voronoi edge; the light file is for drawing at city zoom.
FULL_TOLERANCE = 25.0
LIGHT_TOLERANCE = 150.0
LIGHT_DECIMALS = 4  # 1e-4 degrees is about 7 m east-west and 11 m north-south here.

# Pieces and holes smaller than this come from single misplaced postcodes, not
# from real exclaves (GM boroughs have none of that size).
_SLIVER_AREA = 1_000_000.0  # m², i.e. 1 km²

MIN_AREA_KM2 = 20.0
MAX_AREA_KM2 = 300.0


class BoundaryError(ValueError):
    """Boundary data that cannot be used, with a message saying why."""


# --------------------------------------------------------------------------- build


def _in_box(directory: pd.DataFrame) -> pd.DataFrame:
    """Keep directory rows within the margin around GM that have a district."""
    xmin, ymin, xmax, ymax = _GM_BOX
    # Plain numpy for the box test: the directory has a million-row string index
    # that makes every pandas operation on it slow.
    east = directory["easting"].to_numpy()
    north = directory["northing"].to_numpy()
    in_box = (east >= xmin - _MARGIN) & (east <= xmax + _MARGIN) & (north >= ymin - _MARGIN) & (north <= ymax + _MARGIN)
    frame = directory[in_box].dropna(subset=["district_code"])
    # Northern Ireland rows use the Irish Grid: their numbers can land in GM's box.
    return frame[~frame.index.str.startswith("BT")]


def _postcode_points(directory: pd.DataFrame) -> pd.DataFrame:
    """Reduce the directory to one row per distinct location with its majority district."""
    frame = _in_box(directory).reset_index(drop=True)
    # Many postcodes share one grid reference; Voronoi needs distinct sites, and
    # where they disagree the commonest district is the best guess for that spot.
    counts = frame.groupby(["easting", "northing", "district_code"], observed=True).size()
    counts = counts.reset_index(name="n").sort_values("n", ascending=False)
    return counts.drop_duplicates(["easting", "northing"]).reset_index(drop=True)


def _tidy(geometry, sliver_area: float):
    """Drop sliver pieces and fill sliver holes of one borough polygon."""
    parts = [p for p in shapely.get_parts(geometry) if p.area >= sliver_area]
    if not parts:
        parts = [max(shapely.get_parts(geometry), key=lambda p: p.area)]
    tidied = []
    for part in parts:
        holes = [ring for ring in part.interiors if shapely.Polygon(ring).area >= sliver_area]
        tidied.append(shapely.Polygon(part.exterior, holes))
    return shapely.MultiPolygon(tidied) if len(tidied) > 1 else tidied[0]


def build_from_postcodes(directory: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Build the ten borough polygons (EPSG:27700) from postcode centroids by Voronoi."""
    if directory is None:
        from geo.postcodes import directory_frame

        # Every postcode area within the box starts with one of these letters
        # (BL BB BD CH CW DE FY HD HX L LS M OL PR S SK ST WA WF WN …); loading
        # only them halves the build time.
        # Filtered per letter before joining, so no million-row frame is ever concatenated.
        directory = pd.concat([_in_box(directory_frame(letter)) for letter in _AREA_LETTERS])
    points = _postcode_points(directory)
    sites = shapely.points(points["easting"].to_numpy(), points["northing"].to_numpy())
    xmin, ymin, xmax, ymax = _GM_BOX
    frame = shapely.box(xmin - 2 * _MARGIN, ymin - 2 * _MARGIN, xmax + 2 * _MARGIN, ymax + 2 * _MARGIN)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=frame, ordered=True))
    districts = points["district_code"].to_numpy()

    geometries = {}
    for code in BOROUGH_CODES:
        mine = cells[districts == code]
        # Voronoi cells tile the plane edge to edge, so the faster coverage union is exact.
        geometries[code] = shapely.coverage_union_all(mine)
    geometries = {code: _tidy(geom, _SLIVER_AREA) for code, geom in geometries.items()}
    # Filling a hole in one borough must remove the same ground from whoever held it.
    for code in BOROUGH_CODES:
        others = shapely.union_all([g for c, g in geometries.items() if c != code])
        geometries[code] = shapely.make_valid(shapely.difference(geometries[code], others, grid_size=0.01))
        geometries[code] = _only_polygons(geometries[code])

    names = district_names()
    gdf = gpd.GeoDataFrame(
        {"code": list(geometries), "name": [names[c] for c in geometries]},
        geometry=list(geometries.values()),
        crs=BRITISH_GRID,
    )
    return gdf


def _only_polygons(geometry):
    polygons = [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon) and p.area > 0]
    if len(polygons) == 1:
        return polygons[0]
    return shapely.MultiPolygon(polygons)


def _simplify(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify in metres while keeping shared edges shared (no slivers or gaps)."""
    projected = gdf.to_crs(BRITISH_GRID)
    geoms = projected.geometry.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, tolerance)
    except shapely.errors.GEOSException:
        # Imported boundaries may not form a clean coverage; simplify each on its own.
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
    simplified = shapely.make_valid(simplified)
    out = projected.copy()
    out.geometry = [_only_polygons(g) for g in simplified]
    return out


def _round_coordinates(value, decimals: int):
    if isinstance(value, float):
        return round(value, decimals)
    if isinstance(value, list):
        return [_round_coordinates(v, decimals) for v in value]
    return value


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path, decimals: int, source: str) -> None:
    """Write code,name features in WGS84 with rounded coordinates (RFC 7946 order)."""
    wgs = gdf.to_crs(WGS84)
    features = []
    for code, name, geom in zip(wgs["code"], wgs["name"], wgs.geometry):
        geometry = json.loads(shapely.to_geojson(geom))
        geometry["coordinates"] = _round_coordinates(geometry["coordinates"], decimals)
        features.append({"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry})
    # "source" is a GeoJSON foreign member: readers ignore it, pages use it to say
    # whether the boundaries are official or derived.
    collection = {"type": "FeatureCollection", "source": source, "features": features}
    path.write_text(json.dumps(collection, separators=(",", ":")), encoding="utf-8")


BUILT_SOURCE = "derived from ONS postcode directory centroids"


def write_boundaries(gdf: gpd.GeoDataFrame, target_dir: Path | str, source: str = BUILT_SOURCE) -> dict[str, Path]:
    """Write the full and light boundary files into target_dir; return their paths."""
    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    paths = {"full": target / BOUNDARIES_FILE, "light": target / LIGHT_FILE}
    _write_geojson(_simplify(gdf, FULL_TOLERANCE), paths["full"], decimals=5, source=source)
    _write_geojson(_simplify(gdf, LIGHT_TOLERANCE), paths["light"], decimals=LIGHT_DECIMALS, source=source)
    return paths


def build_boundaries(target_dir: Path | str = DATA_DIR) -> dict[str, Path]:
    """Build boundaries from the postcode directory and write both files; return their paths."""
    return write_boundaries(build_from_postcodes(), target_dir)


# --------------------------------------------------------------------------- import


def validate_boundaries(gdf: gpd.GeoDataFrame, code_field: str) -> gpd.GeoDataFrame:
    """Check imported boundaries and return them as code,name in EPSG:27700, or raise BoundaryError."""
    if code_field not in gdf.columns:
        fields = ", ".join(c for c in gdf.columns if c != gdf.geometry.name) or "none"
        raise BoundaryError(f"The file has no field called {code_field!r}. Its fields are: {fields}")
    if gdf.crs is None:
        raise BoundaryError("The file does not say which coordinate reference system it uses")
    codes = gdf[code_field].astype("string").str.strip()
    wanted = set(BOROUGH_CODES)
    present = set(codes.dropna())
    missing = sorted(wanted - present)
    if len(missing) == len(wanted):
        examples = ", ".join(sorted(present)[:3]) or "nothing"
        raise BoundaryError(
            f"None of the values in {code_field!r} is a borough code (E08000001 to E08000010); "
            f"it holds values like {examples}. Check this is a local authority district file "
            "and that the code field is right"
        )
    if missing:
        names = district_names()
        listed = ", ".join(f"{c} ({names[c]})" for c in missing)
        raise BoundaryError(f"The file is missing {len(missing)} of the ten boroughs: {listed}")
    # Other districts are ignored rather than refused: national files hold every district.
    in_gm = codes.isin(wanted)
    chosen = gdf[in_gm.fillna(False).to_numpy()].copy()
    chosen["code"] = codes[in_gm.fillna(False)].to_numpy()
    duplicated = sorted(set(chosen["code"][chosen["code"].duplicated()]))
    if duplicated:
        # Several rows per borough (e.g. one per island) are merged, not refused.
        chosen = chosen.dissolve(by="code", as_index=False)
    empty = sorted(chosen.loc[chosen.geometry.is_empty | chosen.geometry.isna(), "code"])
    if empty:
        raise BoundaryError(f"These boroughs have no geometry: {', '.join(empty)}")
    if chosen.crs.is_geographic:
        west, south, east, north = chosen.total_bounds
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise BoundaryError(
                f"The coordinates are not longitudes and latitudes, but the file says it uses "
                f"{chosen.crs.to_string()}. Check the file's coordinate system"
            )
    chosen = chosen.to_crs(BRITISH_GRID)
    west, south, east, north = chosen.total_bounds
    gx0, gy0, gx1, gy1 = _GM_BOX
    if east < gx0 - _MARGIN or west > gx1 + _MARGIN or north < gy0 - _MARGIN or south > gy1 + _MARGIN:
        raise BoundaryError(
            "These boundaries are not in Greater Manchester once reprojected. Check the file's coordinate system"
        )
    invalid = ~chosen.geometry.is_valid
    if invalid.any():
        repaired = shapely.make_valid(chosen.geometry[invalid].to_numpy())
        chosen.loc[invalid, chosen.geometry.name] = [_only_polygons(g) for g in repaired]
        still = sorted(chosen.loc[~chosen.geometry.is_valid | chosen.geometry.is_empty, "code"])
        if still:
            raise BoundaryError(f"These boroughs have broken shapes that could not be repaired: {', '.join(still)}")
    if not all(t in ("Polygon", "MultiPolygon") for t in chosen.geometry.geom_type):
        kinds = sorted(set(chosen.geometry.geom_type))
        raise BoundaryError(f"Borough boundaries must be polygons, but the file has {', '.join(kinds)}")
    areas = chosen.geometry.area / 1e6
    odd = [
        f"{code} ({area:,.1f} km²)"
        for code, area in zip(chosen["code"], areas)
        if not MIN_AREA_KM2 <= area <= MAX_AREA_KM2
    ]
    if odd:
        raise BoundaryError(
            f"Borough areas should be between {MIN_AREA_KM2:.0f} and {MAX_AREA_KM2:.0f} km², "
            f"but these are not: {', '.join(odd)}. Check the file's coordinate system and code field"
        )
    names = district_names()
    chosen["name"] = chosen["code"].map(names)
    return chosen[["code", "name", chosen.geometry.name]].sort_values("code").reset_index(drop=True)


def import_boundaries(path: Path | str, code_field: str, target_dir: Path | str = DATA_DIR) -> dict[str, Path]:
    """Read official boundaries (GeoJSON/GeoPackage/Shapefile, any CRS), validate, and write both files."""
    source = Path(path)
    if not source.exists():
        raise BoundaryError(f"There is no file at {source}")
    try:
        gdf = gpd.read_file(source)
    except Exception as error:  # pyogrio raises several types for unreadable files
        raise BoundaryError(f"Could not read {source.name} as GeoJSON, GeoPackage or Shapefile: {error}") from error
    checked = validate_boundaries(gdf, code_field)
    return write_boundaries(checked, target_dir, source=f"imported from {source.name}")


# --------------------------------------------------------------------------- load


def load_boundaries(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load a boundary file as a GeoDataFrame in EPSG:4326 with code and name columns."""
    source = Path(path) if path is not None else DATA_DIR / BOUNDARIES_FILE
    if source.is_dir():
        source = source / BOUNDARIES_FILE
    gdf = gpd.read_file(source)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    return gdf.to_crs(WGS84)[["code", "name", "geometry"]]


def light_boundaries_path(directory: Path | str | None = None) -> Path:
    """Return the path of the light (map) boundary file in a boundaries directory."""
    return Path(directory if directory is not None else DATA_DIR) / LIGHT_FILE


def iou_by_code(ours: gpd.GeoDataFrame, reference: gpd.GeoDataFrame, reference_code_field: str) -> dict[str, float]:
    """Return intersection-over-union per borough code between two boundary sets (in metres)."""
    a = ours.to_crs(BRITISH_GRID).set_index("code").geometry
    b = reference.to_crs(BRITISH_GRID).set_index(reference_code_field).geometry
    scores = {}
    for code in BOROUGH_CODES:
        inter = shapely.intersection(a[code], b[code]).area
        union = shapely.union(a[code], b[code]).area
        scores[code] = float(inter / union) if union else 0.0
    return scores
