"""Concepts (practice areas) with national and local labels."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Concept(db.Model):
    """A practice area, e.g. supported self-management; pref_label is the national preferred term."""

    __tablename__ = "concept"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uri: Mapped[str] = mapped_column(String(255), unique=True)
    pref_label: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
