"""Borough boundaries: accuracy of the derived files, import validation, loading."""

import json

import geopandas as gpd
import pytest
import shapely

from geo.boroughs import BOROUGH_CODES, DATA_DIR
from geo.boundaries import (
    BOUNDARIES_FILE,
    LIGHT_FILE,
    BoundaryError,
    import_boundaries,
    iou_by_code,
    load_boundaries,
    validate_boundaries,
)


def test_committed_boundaries_have_the_ten_boroughs_in_wgs84(boundaries):
    assert list(boundaries["code"]) == list(BOROUGH_CODES)
    assert boundaries.crs.to_epsg() == 4326
    assert boundaries.geometry.is_valid.all()
    assert set(boundaries.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    assert list(boundaries.columns) == ["code", "name", "geometry"]


def test_derived_boundary_files_stay_small():
    total = sum((DATA_DIR / name).stat().st_size for name in (BOUNDARIES_FILE, LIGHT_FILE))
    assert total < 1_500_000


def test_light_boundaries_round_coordinates_to_four_decimals():
    text = (DATA_DIR / LIGHT_FILE).read_text()
    coordinates = json.loads(text)["features"][0]["geometry"]["coordinates"][0]
    assert all(len(repr(value).split(".")[-1]) <= 4 for point in coordinates for value in point)


def test_boroughs_do_not_overlap(boundaries):
    projected = boundaries.to_crs(27700).geometry.to_numpy()
    overlap = sum(shapely.intersection(projected[i], projected[j]).area for i in range(10) for j in range(i + 1, 10))
    assert overlap < 10_000  # m²: shared edges only, not shared ground


@pytest.mark.parametrize("filename", [BOUNDARIES_FILE, LIGHT_FILE])
def test_derived_boundaries_match_the_official_ones_closely(filename, official_boundaries):
    ours = load_boundaries(DATA_DIR / filename)
    scores = iou_by_code(ours, official_boundaries, "area_code")
    worst = min(scores, key=scores.get)
    assert scores[worst] >= 0.85, f"{worst} IoU {scores[worst]:.3f}"
    assert sum(scores.values()) / len(scores) >= 0.92


def test_official_boundaries_import_and_become_loadable(official_generalised_path, tmp_path):
    paths = import_boundaries(official_generalised_path, "area_code", tmp_path)
    loaded = load_boundaries(paths["full"])
    assert list(loaded["code"]) == list(BOROUGH_CODES)
    assert loaded.loc[loaded["code"] == "E08000003", "name"].item() == "Manchester"
    assert load_boundaries(paths["light"]).crs.to_epsg() == 4326


def test_import_reads_a_geopackage_in_british_national_grid(boundaries, tmp_path):
    source = tmp_path / "boroughs.gpkg"
    boundaries.rename(columns={"code": "LAD23CD"}).to_crs(27700).to_file(source)
    paths = import_boundaries(source, "LAD23CD", tmp_path / "out")
    assert load_boundaries(paths["full"])["code"].tolist() == list(BOROUGH_CODES)


def test_import_ignores_districts_beyond_the_ten(boundaries, tmp_path):
    extra = boundaries.iloc[[0]].copy()
    extra["code"] = "E06000049"
    source = tmp_path / "with-extra.geojson"
    gpd.GeoDataFrame([*boundaries.to_dict("records"), *extra.to_dict("records")], crs=4326).to_file(source)
    paths = import_boundaries(source, "code", tmp_path / "out")
    assert len(load_boundaries(paths["full"])) == 10


def test_import_names_the_missing_boroughs(boundaries):
    with pytest.raises(
        BoundaryError, match=r"missing 2 of the ten boroughs: E08000004 \(Oldham\), E08000009 \(Trafford\)"
    ):
        validate_boundaries(boundaries[~boundaries["code"].isin(["E08000004", "E08000009"])], "code")


def test_import_explains_a_file_with_no_borough_codes_at_all(boundaries):
    wards = boundaries.assign(code=[f"E0501107{n}" for n in range(10)])
    with pytest.raises(
        BoundaryError, match=r"None of the values in 'code' is a borough code .* like E05011070, E05011071, E05011072"
    ):
        validate_boundaries(wards, "code")


def test_import_lists_the_fields_when_the_code_field_is_wrong(boundaries):
    with pytest.raises(BoundaryError, match=r"no field called 'LAD23CD'. Its fields are: code, name"):
        validate_boundaries(boundaries, "LAD23CD")


def test_import_refuses_metres_labelled_as_degrees(boundaries):
    wrong = boundaries.to_crs(27700).set_crs(4326, allow_override=True)
    with pytest.raises(BoundaryError, match="not longitudes and latitudes"):
        validate_boundaries(wrong, "code")


def test_import_refuses_boundaries_that_are_somewhere_else(boundaries):
    elsewhere = boundaries.to_crs(27700).translate(xoff=200_000)
    moved = boundaries.to_crs(27700).set_geometry(elsewhere)
    with pytest.raises(BoundaryError, match="not in Greater Manchester"):
        validate_boundaries(moved, "code")


def test_import_refuses_implausible_borough_areas(boundaries):
    projected = boundaries.to_crs(27700)
    shrunk = projected.set_geometry(projected.geometry.scale(0.2, 0.2, origin="centroid"))
    with pytest.raises(
        BoundaryError, match=r"areas should be between 20 and 300 km², but these are not: E08000001 \(5\.\d km²\)"
    ):
        validate_boundaries(shrunk, "code")


def test_import_repairs_a_self_intersecting_shape(boundaries):
    broken = boundaries.copy()
    x0, y0, x1, y1 = broken.geometry.iloc[2].bounds
    # A bow-tie over Manchester's box: invalid, but repairable into two triangles.
    broken.loc[2, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    checked = validate_boundaries(broken, "code")
    assert checked.geometry.is_valid.all()


def test_import_refuses_points(boundaries):
    pointy = boundaries.to_crs(27700)
    pointy.geometry = pointy.geometry.centroid
    with pytest.raises(BoundaryError):
        validate_boundaries(pointy, "code")


def test_import_explains_a_file_that_is_not_there(tmp_path):
    with pytest.raises(BoundaryError, match="There is no file"):
        import_boundaries(tmp_path / "nope.geojson", "code", tmp_path)


def test_import_explains_a_file_it_cannot_read(tmp_path):
    junk = tmp_path / "junk.geojson"
    junk.write_text("this is not geojson")
    with pytest.raises(BoundaryError, match="Could not read junk.geojson"):
        import_boundaries(junk, "code", tmp_path)


def test_building_from_postcodes_reproduces_the_committed_boundaries(boundaries):
    # The one slow test here (about 8 s): it proves the committed files come from the code.
    from geo.boundaries import build_from_postcodes

    built = build_from_postcodes()
    scores = iou_by_code(built, boundaries, "code")
    assert min(scores.values()) > 0.99
