"""Import runs (progress, report, undo), the type as a register wrote it, and the registration date

Revision ID: 0011_organisation_imports
Revises: 0018_fast_at_any_size
Create Date: 2026-11-29 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_organisation_imports'
down_revision = '0018_fast_at_any_size'
branch_labels = None
depends_on = None

STATUSES = ('queued', 'running', 'finished', 'failed', 'undone')


def upgrade():
    op.create_table('organisation_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('file_format', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum(*STATUSES, name='organisation_import_status'), nullable=False),
    sa.Column('phase', sa.String(length=80), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('refused_rows', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                            name=op.f('fk_organisation_import_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['user_account.id'],
                            name=op.f('fk_organisation_import_undone_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_import'))
    )
    op.create_table('organisation_import_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['organisation_import.id'],
                            name=op.f('fk_organisation_import_change_import_id_organisation_import'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_import_change'))
    )
    with op.batch_alter_table('organisation_import_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_import_change_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_import_change_organisation_id'), ['organisation_id'],
                              unique=False)
    # Plain ADD COLUMN (not a batch copy of the table), so SQLite keeps the full-text search triggers.
    op.add_column('organisation', sa.Column('org_type_text', sa.String(length=120), nullable=True))
    op.add_column('organisation', sa.Column('registered_on', sa.Date(), nullable=True))


def downgrade():
    op.drop_column('organisation', 'registered_on')
    op.drop_column('organisation', 'org_type_text')
    with op.batch_alter_table('organisation_import_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_import_change_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_organisation_import_change_import_id'))
    op.drop_table('organisation_import_change')
    op.drop_table('organisation_import')
    sa.Enum(name='organisation_import_status').drop(op.get_bind(), checkfirst=True)
