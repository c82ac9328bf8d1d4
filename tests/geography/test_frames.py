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


def test_a_child_that_takes_too_long_is_stopped():
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    started = time.monotonic()
    assert frames._ended_well(pid, 0.2) is False
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped
