"""What partners see of the engagement figures: one protected publication per moment and viewer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class EngagementPublication(db.Model):
    """Every period's figures as a partner may see them at one moment (data version and periods), with
    the cells small-number protection hides. Built once per moment and viewer, in the background, and
    read by every worker; a partner sees the newest ready one, labelled with when it was made."""

    __tablename__ = "engagement_publication"
    __table_args__ = (UniqueConstraint("viewer", "moment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    viewer: Mapped[str] = mapped_column(String(200))  # the partner's own boroughs, sorted, comma-separated
    moment: Mapped[str] = mapped_column(String(64))  # fingerprint of the data version and the periods
    state: Mapped[str] = mapped_column(String(20))  # building, ready or failed
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    built_at: Mapped[datetime | None] = mapped_column(DateTime)
    seconds: Mapped[float | None] = mapped_column(Float)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib-compressed JSON (see publication.py)
    message: Mapped[str | None] = mapped_column(Text)
