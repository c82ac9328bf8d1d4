"""Map frames drawn apart: in a forked child that stores the file, with the worker's own drawing as the fallback."""

import os
import time

import pytest

from coordination.geography import frames

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="drawing apart needs fork")


def test_a_frame_drawn_in_a_child_is_stored_and_read_back_and_the_worker_never_draws_it(app, tmp_path):
    marks = tmp_path / "drawn-by"

    def draw():
        marks.write_text(str(os.getpid()))  # the drawing process says who it is
        return {"header": "<p>h</p>", "script": "var x = 1;"}

    with app.test_request_context():
        frame = frames.stored_frame("test-frame", ("a",), draw)
        assert frame == {"header": "<p>h</p>", "script": "var x = 1;"}
        assert int(marks.read_text()) != os.getpid()
        assert frames.frame_file("test-frame", ("a",)).exists()
        marks.unlink()
        frames.stored_frame("test-frame", ("a",), draw)  # read again: not drawn again
        assert not marks.exists()


def test_a_child_that_fails_leaves_the_drawing_to_the_worker(app, tmp_path):
    def draw():
        if os.getpid() != parent:
            raise RuntimeError("no map libraries in this child")
        return {"script": "drawn here"}

    parent = os.getpid()
    with app.test_request_context():
        assert frames.stored_frame("test-frame", ("b",), draw) == {"script": "drawn here"}
        assert frames.frame_file("test-frame", ("b",)).exists()  # and stored by the worker for the others


def test_work_apart_that_takes_too_long_is_stopped_and_left_to_the_worker():
    from coordination.apart import NotApart, run_apart

    started = time.monotonic()
    with pytest.raises(NotApart):
        run_apart(lambda: time.sleep(30), seconds=0.3)
    assert time.monotonic() - started < 5  # stopped (and reaped), not waited for


def test_work_apart_sends_its_result_back_and_loads_nothing_here():
    import sys

    from coordination.apart import run_apart

    def work():
        import colorsys  # a module this process has not loaded: it stays in the child

        return {"pid": os.getpid(), "big": "x" * 3_000_000, "value": colorsys.rgb_to_hsv(1, 0, 0)}

    sys.modules.pop("colorsys", None)
    result = run_apart(work)
    assert result["pid"] != os.getpid() and len(result["big"]) == 3_000_000 and result["value"] == (0.0, 1.0, 1)
    assert "colorsys" not in sys.modules
