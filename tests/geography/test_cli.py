"""`flask geo ...` commands."""

import json

import pytest

from tests.conftest import shared_file


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _objects(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_postcode_prints_one_json_object_per_postcode_and_exits_0_when_all_in_gm(runner):
    result = runner.invoke(args=["geo", "postcode", "m1 1ad", "OL16 1AA."])
    assert result.exit_code == 0, result.output
    first, second = _objects(result.output)
    assert list(first) == [
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
    assert first["postcode"] == "M1 1AD" and first["borough_name"] == "Manchester"
    assert first["latitude"] == pytest.approx(53.4838, abs=0.001)
    assert second["borough_code"] == "E08000005"


def test_postcode_exits_1_when_any_is_outside_gm_and_says_where(runner):
    result = runner.invoke(args=["geo", "postcode", "M1 1AD", "SK10 1AA"])
    assert result.exit_code == 1
    outside = _objects(result.output)[1]
    assert outside["borough_code"] is None and outside["district_code"] == "E06000049"
    assert outside["message"] == "SK10 1AA is outside Greater Manchester: Cheshire East"


def test_postcode_explains_malformed_and_unknown_postcodes(runner):
    result = runner.invoke(args=["geo", "postcode", "M1", "M1 1ZZ"])
    assert result.exit_code == 1
    malformed, unknown = _objects(result.output)
    assert malformed["valid"] is False and "too short" in malformed["message"]
    assert unknown["valid"] is True and unknown["found"] is False


def test_import_boundaries_validates_and_writes_both_files_to_the_configured_dir(runner, app, monkeypatch, tmp_path):
    source = shared_file("boundaries", "gm_local_authority_2023_generalised.geojson")
    monkeypatch.setitem(app.config, "BOUNDARIES_DIR", str(tmp_path))
    result = runner.invoke(args=["geo", "import-boundaries", str(source), "--code-field", "area_code"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "boundaries.geojson").exists() and (tmp_path / "boundaries-light.geojson").exists()
    from geo.boundaries import is_official

    assert is_official(tmp_path)


def test_import_boundaries_reports_a_wrong_code_field_without_a_traceback(runner, tmp_path):
    source = shared_file("boundaries", "gm_local_authority_2023_super_generalised.geojson")
    result = runner.invoke(
        args=["geo", "import-boundaries", str(source), "--code-field", "LAD23CD", "--target", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "no field called 'LAD23CD'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "boundaries.geojson").exists()


def test_build_boundaries_writes_to_the_target(runner, monkeypatch, tmp_path):
    import geo.boundaries as boundaries

    # The real build (about 8 s) is checked in tests/geo; here only the command's wiring.
    monkeypatch.setattr(boundaries, "build_from_postcodes", lambda: boundaries.load_boundaries())
    result = runner.invoke(args=["geo", "build-boundaries", "--target", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Wrote full boundaries" in result.output
    assert (tmp_path / "boundaries-light.geojson").exists()
