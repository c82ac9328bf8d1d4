"""Evaluation: published (public) impact reports, and change counters on the evaluation tables for the report cache

Revision ID: 0012_public_impact_report
Revises: 0014_claims_as_lived
Create Date: 2026-11-29 22:50:00

"""
from alembic import op
import sqlalchemy as sa

from coordination.versions import EVALUATION_TABLES, trigger_sql


# revision identifiers, used by Alembic.
revision = '0012_public_impact_report'
down_revision = '0014_claims_as_lived'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_published_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('programme', sa.String(length=200), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('borough_code', sa.String(length=9), nullable=True),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('period_label', sa.String(length=120), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_evaluation_published_report_community_id_community'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_evaluation_published_report_published_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user_account.id'], name=op.f('fk_evaluation_published_report_revoked_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_published_report')),
    sa.UniqueConstraint('token', name=op.f('uq_evaluation_published_report_token'))
    )
    # The impact report's cache keys on these tables' change counters (coordination/versions.py).
    for statement in trigger_sql(op.get_bind().dialect.name, EVALUATION_TABLES):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in EVALUATION_TABLES:
            for verb in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{verb}")
    else:
        for table in EVALUATION_TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS data_version_{table} ON "{table}"')
    op.execute(sa.text("DELETE FROM data_version WHERE table_name IN :names").bindparams(
        sa.bindparam("names", value=list(EVALUATION_TABLES), expanding=True)))
    op.drop_table('evaluation_published_report')
