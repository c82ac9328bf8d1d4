"""Map frames: slots filled with script-safe JSON, and colour classes without the drawing libraries."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geo import colours
from geo.frames import Raw, fill, script_json, slot, slots


def test_a_slot_is_filled_with_its_values_json_wherever_it_stands():
    text = f'var a = {json.dumps(slot("links"))}; f({{"x": {json.dumps(slot("p0.name"))}}});'
    assert slots(text) == {"links", "p0.name"}
    filled = fill(text, {"links": {"E1": "/b/E1"}, "p0.name": "Bury"})
    assert filled == 'var a = {"E1": "/b/E1"}; f({"x": "Bury"});'


def test_a_slot_without_a_value_is_an_error_not_a_mark_left_in_the_page():
    with pytest.raises(KeyError, match="markers"):
        fill(json.dumps(slot("markers")), {})


@pytest.mark.parametrize("name", ["", "a b", 'x"', "a/b", "é"])
def test_slot_names_are_plain(name):
    with pytest.raises(ValueError):
        slot(name)


@pytest.mark.parametrize("text", ["</script><script>alert(1)</script>", "<!--", "a'b&c", "\u2028"])
def test_filled_values_cannot_end_the_script_and_read_back_the_same(text):
    written = fill(json.dumps(slot("v")), {"v": text})
    assert "<" not in written and ">" not in written and "'" not in written and "&" not in written
    assert json.loads(written) == text == json.loads(script_json(text))


def test_raw_values_go_in_as_written():
    assert fill(json.dumps(slot("m")), {"m": Raw("[[53.5, -2.3, 1]]")}) == "[[53.5, -2.3, 1]]"


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, np.float32("nan")])
def test_missing_values_are_no_data(value):
    assert colours.missing(value)
    assert colours.class_colour(value, np.array([0.0, 1.0]), [(0.0, 1.0, "#000000")]) == colours.NO_DATA_COLOUR


def test_pandas_missing_values_are_no_data_too():
    pd = pytest.importorskip("pandas")
    assert colours.missing(pd.NA) and colours.missing(pd.NaT)
    assert not colours.missing(0) and not colours.missing("0") and not math.isnan(1.5)


def test_colour_classes_need_neither_pandas_nor_folium():
    code = (
        "import sys; from geo import colours, frames;"
        "colours.colour_classes([0.5, 1.0, None, 1.5], bins=6, scale='diverging', centre=1.0);"
        "print(sorted(m for m in ('pandas', 'folium', 'geopandas', 'shapely') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"
