"""Claim factories: a contributor's draft with the 'done when' items, and a claim moved to any state."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest


@pytest.fixture
def quick_user():
    """Factory: quick_user(role) -> User without a password (no slow password hashing; cannot sign in)."""
    import itertools

    from coordination.accounts.operations import create_user

    counter = itertools.count(1)

    def factory(role: str = "contributor", **overrides):
        n = next(counter)
        values = {"email": f"quick-{role}{n}@example.org", "name": f"Quick {role.title()} {n}", "role": role}
        if role == "partner":
            values["boroughs"] = ["E08000005"]
        return create_user(**(values | overrides))

    return factory


@pytest.fixture
def make_claim(quick_user):
    """Factory: make_claim(claimant=None, state='draft', when=None) -> Claim.

    The claim has a half-day fee, 23 car miles and care."""
    from coordination.claims import operations as ops

    def factory(claimant=None, state: str = "draft", when: date | None = None, approver=None, payer=None):
        claimant = claimant or quick_user("contributor")
        claim = ops.create_claim(
            claimant,
            actor=claimant,
            activity_description="Carers' group meeting",
            activity_date=when or date.today() - timedelta(days=3),
        )
        ops.add_line(claim, actor=claimant, kind="half_day_fee")
        ops.add_line(claim, actor=claimant, kind="car_miles", quantity="23")
        ops.add_line(
            claim,
            actor=claimant,
            kind="replacement_care",
            cost="30.00",
            agreed_by="Amira Hussain",
            agreed_on=claim.activity_date - timedelta(days=7),
        )
        if state == "draft":
            return claim
        if state == "withdrawn":
            return ops.withdraw_claim(claim, actor=claimant)
        ops.submit_claim(claim, actor=claimant, declared=True)
        if state == "submitted":
            return claim
        approver = approver or quick_user("coordinator")
        if state == "queried":
            return ops.query_claim(claim, actor=approver, question="Which bus did you take?")
        if state == "rejected":
            return ops.reject_claim(claim, actor=approver, reason="Not one of our activities")
        # Several factory claims share a date, so the "more than a day of fees" warning is acknowledged here.
        ops.approve_claim(claim, actor=approver, acknowledged=True)
        if state == "approved":
            return claim
        return ops.pay_claim(claim, actor=payer or quick_user("finance"))

    return factory


def png_bytes(size=(40, 30), exif_gps: bool = False) -> bytes:
    """A small PNG, or a JPEG carrying GPS metadata when exif_gps is set."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "CameraMaker"
        exif[0x8825] = {1: "N", 2: (53.0, 36.0, 0.0)}
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "PNG")
    return out.getvalue()
