"""Organisation records, the boroughs they operate in and their practice areas."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    DDL,
    JSON,
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

    LOCATED = "located"  # postcode found inside one of the ten boroughs
    OUTSIDE_GM = "outside_gm"  # postcode found, but outside Greater Manchester
    NO_POSTCODE = "no_postcode"  # none given
    UNKNOWN_POSTCODE = "unknown_postcode"  # given but not valid or not found
    PLACED = "placed"  # placed on the map by hand, without a postcode


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
        # A borough's listing in name order without sorting (status and type tested in the index).
        Index("ix_organisation_borough_status_name", "borough_code", "status", "name", "id", "org_type"),
        # Serves the directory's default order (active records by name) without sorting, and its count
        # (by type too: the type is tested in the index, not in each record).
        Index("ix_organisation_status_name", "status", "name", "id", "org_type"),
        # What a search reads about each match (status and borough to filter, name to order), without
        # reading the whole record: on SQLite named with INDEXED BY (queries.SEARCH_COLUMNS_INDEX).
        Index("ix_organisation_search_columns", "id", "status", "borough_code", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    normalised_name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    org_type: Mapped[OrganisationType] = mapped_column(
        value_enum(OrganisationType, "organisation_type"), default=OrganisationType.OTHER
    )
    # The type as a register or file wrote it, when that is not one of ours ("Previously excepted").
    org_type_text: Mapped[str | None] = mapped_column(String(120))
    # When a regulator registered it (from the Charity Commission register).
    registered_on: Mapped[date | None] = mapped_column(Date)
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
    location_status: Mapped[LocationStatus] = mapped_column(
        value_enum(LocationStatus, "location_status"), default=LocationStatus.NO_POSTCODE
    )
    status: Mapped[OrganisationStatus] = mapped_column(
        value_enum(OrganisationStatus, "organisation_status"), default=OrganisationStatus.ACTIVE
    )
    last_checked_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set when this record was merged into another (it is then closed and kept for the audit trail).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))

    operates_in: Mapped[list[OrganisationBorough]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="OrganisationBorough.borough_code"
    )
    practice_areas: Mapped[list[Concept]] = relationship(
        secondary=organisation_practice_area, order_by=Concept.pref_label
    )

    @property
    def operates_in_codes(self) -> list[str]:
        return [link.borough_code for link in self.operates_in]

    @property
    def is_active(self) -> bool:
        return self.status == OrganisationStatus.ACTIVE

    def attention_reasons(self, today: date | None = None) -> list[str]:
        """Why this record needs a coordinator's attention (same rules as the 'needs attention' filter)."""
        return attention_reasons(
            self.location_status,
            bool(self.operates_in),
            self.last_checked_on,
            bool(self.website or self.email or self.phone),
            today,
        )


def attention_reasons(
    location_status: LocationStatus,
    operates_somewhere: bool,
    last_checked_on: date | None,
    contactable: bool,
    today: date | None = None,
) -> list[str]:
    """The 'needs attention' rules for one record's facts (for records and for the directory's light rows)."""
    from datetime import timedelta

    today = today or date.today()
    reasons = []
    if location_status in (LocationStatus.NO_POSTCODE, LocationStatus.UNKNOWN_POSTCODE):
        reasons.append("No location: the postcode is missing or was not found")
    if location_status == LocationStatus.OUTSIDE_GM and not operates_somewhere:
        reasons.append("Based outside Greater Manchester and no borough it works in is recorded")
    if last_checked_on is None or last_checked_on < today - timedelta(days=ATTENTION_CHECK_DAYS):
        reasons.append("Details not checked in the last 12 months")
    if not contactable:
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


class ImportStatus(TitledEnum):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Stopped: nothing was changed"
    UNDONE = "undone", "Undone"


class OrganisationImport(db.Model):
    """One run of the import: its progress while it runs, then its counts, report and what it changed."""

    __tablename__ = "organisation_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(255), default="")
    file_format: Mapped[str] = mapped_column(String(40), default="csv")
    status: Mapped[ImportStatus] = mapped_column(
        value_enum(ImportStatus, "organisation_import_status"), default=ImportStatus.QUEUED
    )
    phase: Mapped[str] = mapped_column(String(80), default="")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    # What to run: stored file names, column mapping, boroughs (so the background step needs nothing else).
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    report: Mapped[list] = mapped_column(JSON, default=list)
    refused_rows: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class OrganisationImportChange(db.Model):
    """A record an import created or changed, with the old values, so the import can be undone."""

    __tablename__ = "organisation_import_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("organisation_import.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(10))  # created | updated
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)


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
# PostgreSQL: a stored, generated tsvector column (name weighted A, description B) with a GIN index, so
# matching and ranking read the stored vector instead of parsing each matched row's text again. Created by the
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
        "ALTER TABLE organisation ADD COLUMN IF NOT EXISTS search_document tsvector GENERATED ALWAYS AS "
        "(setweight(to_tsvector('english', coalesce(name, '')), 'A') || "
        "setweight(to_tsvector('english', coalesce(description, '')), 'B')) STORED",
        "CREATE INDEX IF NOT EXISTS ix_organisation_search_document ON organisation USING gin (search_document)",
        # The expression index of 0005, replaced by the column's.
        "DROP INDEX IF EXISTS ix_organisation_search",
    ],
}
SEARCH_INDEX_DROP_SQL = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS organisation_fts_ai",
        "DROP TRIGGER IF EXISTS organisation_fts_ad",
        "DROP TRIGGER IF EXISTS organisation_fts_au",
        "DROP TABLE IF EXISTS organisation_fts",
    ],
    "postgresql": [
        "DROP INDEX IF EXISTS ix_organisation_search_document",
        "ALTER TABLE organisation DROP COLUMN IF EXISTS search_document",
        "DROP INDEX IF EXISTS ix_organisation_search",
    ],
}
NOT_MODELLED = ("organisation_fts", "ix_organisation_search", "search_document")
not_modelled(*NOT_MODELLED)

for _dialect, _statements in SEARCH_INDEX_SQL.items():
    for _statement in _statements:
        event.listen(Organisation.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _statement in SEARCH_INDEX_DROP_SQL["sqlite"]:
    event.listen(Organisation.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
