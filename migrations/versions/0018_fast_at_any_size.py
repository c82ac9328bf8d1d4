"""Fast at any size: one change counter per table (kept by triggers) and an index for the directory's order

Revision ID: 0018_fast_at_any_size
Revises: 0012_evaluation
Create Date: 2026-11-29 19:40:00

"""
from alembic import op
import sqlalchemy as sa

from coordination.organisations.models import SEARCH_INDEX_SQL
from coordination.versions import drop_trigger_sql, trigger_sql


# revision identifiers, used by Alembic.
revision = '0018_fast_at_any_size'
down_revision = '0012_evaluation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_version',
                    sa.Column('table_name', sa.String(length=64), nullable=False),
                    sa.Column('version', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_data_version')))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_status_name', ['status', 'name', 'id'], unique=False)
    for statement in trigger_sql(op.get_bind().dialect.name):
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        # A stored tsvector column replaces the expression index (ranking no longer re-parses each match).
        for statement in SEARCH_INDEX_SQL["postgresql"]:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_organisation_search_document")
        op.execute("ALTER TABLE organisation DROP COLUMN IF EXISTS search_document")
        op.execute("CREATE INDEX IF NOT EXISTS ix_organisation_search ON organisation USING gin "
                   "(to_tsvector('english', coalesce(name, '') || ' ' || coalesce(description, '')))")
    for statement in drop_trigger_sql(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_status_name')
    op.drop_table('data_version')
