"""Issue 15: a full disk on upload gives a clear message and stores nothing, not half a receipt."""

from __future__ import annotations

import builtins
import errno
from datetime import date, timedelta
from pathlib import Path

import pytest

from coordination.claims import operations as ops
from coordination.claims.models import Receipt
from coordination.extensions import db
from tests.claims.conftest import png_bytes
from tests.conftest import error_messages, page, sign_in


def _disk_fills_after(monkeypatch, allowed: int):
    """Writes to the receipts folder fail with ENOSPC after `allowed` bytes, as a full disk does."""
    real_open = builtins.open

    class Filling:
        def __init__(self, handle):
            self.handle, self.written = handle, 0

        def write(self, data):
            if self.written + len(data) > allowed:
                self.handle.write(data[: max(allowed - self.written, 0)])
                raise OSError(errno.ENOSPC, "No space left on device")
            self.written += len(data)
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    def fake_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        return Filling(handle) if "receipts" in str(file) and "w" in mode else handle

    monkeypatch.setattr(builtins, "open", fake_open)


def test_a_full_disk_stores_no_partial_file_and_no_row(app, make_claim, monkeypatch):
    claim = make_claim()
    folder = Path(app.config["UPLOAD_FOLDER"]) / "receipts"
    before = set(folder.iterdir()) if folder.exists() else set()
    _disk_fills_after(monkeypatch, 100)
    with pytest.raises(ops.ClaimError, match="run out of storage space. Nothing was stored"):
        ops.add_receipt(claim, actor=claim.claimant, data=png_bytes(), filename="ticket.png")
    # Before: write_bytes left a truncated file behind under the receipts folder.
    assert set(folder.iterdir()) == before
    assert db.session.query(Receipt).count() == 0


def test_the_claim_page_says_so_and_keeps_what_was_typed(app, make_claim, create_user, monkeypatch):
    jo = create_user("contributor")
    claim = make_claim(jo)
    client = app.test_client()
    sign_in(client, jo)
    _disk_fills_after(monkeypatch, 100)
    day = date.today() - timedelta(days=2)
    import io

    response = client.post(
        f"/claims/{claim.id}/edit",
        data={
            "activity_description": "Kept despite the disk",
            "activity_date": [str(day.day), str(day.month), str(day.year)],
            "receipt": (io.BytesIO(png_bytes()), "ticket.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    soup = page(response)
    assert any("run out of storage space" in m for m in error_messages(soup))
    assert soup.select_one("#activity_description")["value"] == "Kept despite the disk"
