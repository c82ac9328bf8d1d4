"""Organisation records, the boroughs they operate in and their practice areas."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    DDL,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import TitledEnum
from ..extensions import db, not_modelled, value_enum
from ..terminology.interface import Concept
from ..timeutil import utcnow


class OrganisationType(TitledEnum):
    REGISTERED_CHARITY = "registered_charity", "Registered charity"
    CHARITABLE_COMPANY = "charitable_company", "Charitable company"
    CIC = "cic", "Community interest company (CIC)"
    COMMUNITY_GROUP = "community_group", "Community group"
    SOCIAL_ENTERPRISE = "social_enterprise", "Social enterprise"
    STATUTORY_BODY = "statutory_body", "Statutory body"
    OTHER = "other", "Other"


TYPE_TITLES = OrganisationType.titles()


class OrganisationStatus(str, enum.Enum):
    ACTIVE = "active"
    CLOSED = "closed"


class LocationStatus(str, enum.Enum):
    """Where the address put the organisation (a name is enough to be in the directory)."""

    LOCATED = "located"            # postcode found inside one of the ten boroughs
    OUTSIDE_GM = "outside_gm"      # postcode found, but outside Greater Manchester
    NO_POSTCODE = "no_postcode"    # none given
    UNKNOWN_POSTCODE = "unknown_postcode"  # given but not valid or not found
    PLACED = "placed"              # placed on the map by hand, without a postcode



organisation_practice_area = Table(
    "organisation_practice_area",
    db.metadata,
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("concept_id", ForeignKey("concept.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organisation(db.Model):
    """One organisation in the directory."""

    __tablename__ = "organisation"
    __table_args__ = (
        Index("ix_organisation_borough_status", "borough_code", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    normalised_name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    org_type: Mapped[OrganisationType] = mapped_column(value_enum(OrganisationType, "organisation_type"),
                                                      default=OrganisationType.OTHER)
    charity_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    company_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    borough_code: Mapped[str | None] = mapped_column(String(9), index=True)
    district_code: Mapped[str | None] = mapped_column(String(9))
    location_status: Mapped[LocationStatus] = mapped_column(value_enum(LocationStatus, "location_status"),
                                                            default=LocationStatus.NO_POSTCODE)
    status: Mapped[OrganisationStatus] = mapped_column(value_enum(OrganisationStatus, "organisation_status"),
                                                       default=OrganisationStatus.ACTIVE)
    last_checked_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set when this record was merged into another (it is then closed and kept for the audit trail).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))

    operates_in: Mapped[list[OrganisationBorough]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="OrganisationBorough.borough_code")
    practice_areas: Mapped[list[Concept]] = relationship(secondary=organisation_practice_area,
                                                         order_by=Concept.pref_label)

    @property
    def operates_in_codes(self) -> list[str]:
        return [link.borough_code for link in self.operates_in]

    @property
    def is_active(self) -> bool:
        return self.status == OrganisationStatus.ACTIVE

    def attention_reasons(self, today: date | None = None) -> list[str]:
        """Why this record needs a coordinator's attention (same rules as the 'needs attention' filter)."""
        from datetime import timedelta

        today = today or date.today()
        reasons = []
        if self.location_status in (LocationStatus.NO_POSTCODE, LocationStatus.UNKNOWN_POSTCODE):
            reasons.append("No location: the postcode is missing or was not found")
        if self.location_status == LocationStatus.OUTSIDE_GM and not self.operates_in:
            reasons.append("Based outside Greater Manchester and no borough it works in is recorded")
        if self.last_checked_on is None or self.last_checked_on < today - timedelta(days=ATTENTION_CHECK_DAYS):
            reasons.append("Details not checked in the last 12 months")
        if not (self.website or self.email or self.phone):
            reasons.append("No website, email or phone number")
        return reasons


ATTENTION_CHECK_DAYS = 365


class OrganisationBorough(db.Model):
    """A borough an organisation works in (may differ from where its address is)."""

    __tablename__ = "organisation_borough"
    __table_args__ = (UniqueConstraint("organisation_id", "borough_code", name="uq_organisation_borough"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    borough_code: Mapped[str] = mapped_column(String(9), index=True)
    organisation: Mapped[Organisation] = relationship(back_populates="operates_in")


class ApiToken(db.Model):
    """A bearer token the coordinator issues for read access to the open-data API (stored hashed)."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so a coordinator can tell tokens apart without the secret.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# Full-text search over name and description. SQLite: an FTS5 table kept in step by triggers;
# PostgreSQL: a GIN index on the same tsvector expression the search uses. Created by the
# migration and, for schemas built with create_all (tests), by these after_create events. The
# objects are not SQLAlchemy tables, so migrations ignore them (extensions.include_in_migrations).
SEARCH_INDEX_SQL = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS organisation_fts USING fts5(name, description, content='organisation', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS organisation_fts_ai AFTER INSERT ON organisation BEGIN "
        "INSERT INTO organisation_fts(rowid, name, description) VALUES (new.id, new.name, new.description); END",
        "CREATE TRIGGER IF NOT EXISTS organisation_fts_ad AFTER DELETE ON organisation BEGIN "
        "INSERT INTO organisation_fts(organisation_fts, rowid, name, description) "
        "VALUES ('delete', old.id, old.name, old.description); END",
        "CREATE TRIGGER IF NOT EXISTS organisation_fts_au AFTER UPDATE OF name, description ON organisation BEGIN "
        "INSERT INTO organisation_fts(organisation_fts, rowid, name, description) "
        "VALUES ('delete', old.id, old.name, old.description); "
        "INSERT INTO organisation_fts(rowid, name, description) VALUES (new.id, new.name, new.description); END",
        # Index rows written before the triggers existed (a no-op on an empty table).
        "INSERT INTO organisation_fts(organisation_fts) VALUES ('rebuild')",
    ],
    "postgresql": [
        "CREATE INDEX IF NOT EXISTS ix_organisation_search ON organisation USING gin "
        "(to_tsvector('english', coalesce(name, '') || ' ' || coalesce(description, '')))",
    ],
}
SEARCH_INDEX_DROP_SQL = {
    "sqlite": ["DROP TRIGGER IF EXISTS organisation_fts_ai", "DROP TRIGGER IF EXISTS organisation_fts_ad",
               "DROP TRIGGER IF EXISTS organisation_fts_au", "DROP TABLE IF EXISTS organisation_fts"],
    "postgresql": ["DROP INDEX IF EXISTS ix_organisation_search"],
}
NOT_MODELLED = ("organisation_fts", "ix_organisation_search")
not_modelled(*NOT_MODELLED)

for _dialect, _statements in SEARCH_INDEX_SQL.items():
    for _statement in _statements:
        event.listen(Organisation.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _statement in SEARCH_INDEX_DROP_SQL["sqlite"]:
    event.listen(Organisation.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
