"""At most one current membership per person and community

Revision ID: 0009_membership_current
Revises: 0008_claim_events
Create Date: 2026-11-26 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_membership_current'
down_revision = '0008_claim_events'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index('uq_membership_current', ['community_id', 'person_id'], unique=True,
                              sqlite_where=sa.text('left_on IS NULL'), postgresql_where=sa.text('left_on IS NULL'))


def downgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index('uq_membership_current')
