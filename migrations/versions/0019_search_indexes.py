"""Directory: a borough's listing in name order, types tested in the listing indexes, a search's columns read from an index

Revision ID: 0019_search_indexes
Revises: 0010_engagement_publication
Create Date: 2026-11-30 04:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_search_indexes'
down_revision = '0010_engagement_publication'
branch_labels = None
depends_on = None


def upgrade():
    # Plain index statements (no batch): the table is not rebuilt, so its full-text triggers stay as they are.
    op.drop_index('ix_organisation_borough_status', table_name='organisation')
    op.create_index(
        'ix_organisation_borough_status_name',
        'organisation',
        ['borough_code', 'status', 'name', 'id', 'org_type'],
        unique=False,
    )
    op.create_index(
        'ix_organisation_search_columns', 'organisation', ['id', 'status', 'borough_code', 'name'], unique=False
    )
    op.drop_index('ix_organisation_status_name', table_name='organisation')
    op.create_index('ix_organisation_status_name', 'organisation', ['status', 'name', 'id', 'org_type'], unique=False)


def downgrade():
    op.drop_index('ix_organisation_status_name', table_name='organisation')
    op.create_index('ix_organisation_status_name', 'organisation', ['status', 'name', 'id'], unique=False)
    op.drop_index('ix_organisation_search_columns', table_name='organisation')
    op.drop_index('ix_organisation_borough_status_name', table_name='organisation')
    op.create_index('ix_organisation_borough_status', 'organisation', ['borough_code', 'status'], unique=False)
