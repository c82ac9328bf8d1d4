"""Receipts are checked by content, limited in size and pixels, cleaned of metadata and stored under random names."""

import io

import pytest
from PIL import Image

from coordination.claims import operations as ops
from tests.claims.conftest import png_bytes

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_png_is_accepted_and_re_encoded(make_claim, app):
    claim = make_claim()
    receipt = ops.add_receipt(claim, actor=claim.claimant, data=png_bytes(), filename="../../etc/ticket.png")
    stored = ops.receipt_path(receipt)
    assert stored.parent.name == "receipts" and len(stored.name) == 32 and stored.exists()
    assert receipt.original_name == "ticket.png" and receipt.content_type == "image/png"
    assert not str(stored).startswith(str(app.static_folder))


def test_gps_and_camera_metadata_are_stripped_from_photos(make_claim):
    claim = make_claim()
    original = png_bytes(exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif()
    receipt = ops.add_receipt(claim, actor=claim.claimant, data=original, filename="photo.jpg")
    cleaned = Image.open(ops.receipt_path(receipt))
    assert cleaned.format == "JPEG" and not cleaned.getexif()


def test_a_pdf_is_accepted_as_it_is(make_claim):
    claim = make_claim()
    receipt = ops.add_receipt(claim, actor=claim.claimant, data=PDF, filename="bill.pdf")
    assert receipt.content_type == "application/pdf" and ops.receipt_path(receipt).read_bytes() == PDF


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"MZ\x90\x00 an executable pretending", "receipt.png", "must be a PDF, JPG or PNG"),
        (b"GIF89a" + b"\x00" * 30, "receipt.jpg", "must be a PDF, JPG or PNG"),
        (b"<html><script>alert(1)</script></html>", "receipt.pdf", "must be a PDF, JPG or PNG"),
        (b"", "receipt.png", "The file is empty"),
        (b"%PDF-1.4 but cut short", "receipt.pdf", "looks damaged"),
    ],
)
def test_files_that_are_not_receipts_are_refused_by_their_content(make_claim, data, name, message):
    claim = make_claim()
    with pytest.raises(ops.ClaimError, match=message):
        ops.add_receipt(claim, actor=claim.claimant, data=data, filename=name)
    assert not claim.receipts


def test_a_file_over_10_mb_is_refused(make_claim):
    claim = make_claim()
    with pytest.raises(ops.ClaimError, match="smaller than 10 MB"):
        ops.add_receipt(claim, actor=claim.claimant, data=PDF + b"0" * (10 * 1024 * 1024), filename="big.pdf")


def test_a_pixel_bomb_is_refused_before_it_is_decoded(make_claim):
    # A 20,000 × 20,000 PNG compresses to a small file but would need 1.2 GB to decode.
    image = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert len(out.getvalue()) < 10 * 1024 * 1024
    claim = make_claim()
    with pytest.raises(ops.ClaimError, match="too big"):
        ops.add_receipt(claim, actor=claim.claimant, data=out.getvalue(), filename="bomb.png")


def test_receipts_cannot_be_added_once_a_claim_is_sent(make_claim):
    claim = make_claim(state="submitted")
    with pytest.raises(ops.ClaimError, match="can no longer be changed"):
        ops.add_receipt(claim, actor=claim.claimant, data=png_bytes(), filename="late.png")
