"""Claims as they are lived: fees and expenses apart, the payment choice kept on each claim, claimants without
accounts, receipts on their items, dismissable notices, who changed a claim, gap-free batch references per year,
and the email outbox

Revision ID: 0014_claims_as_lived
Revises: 0015_operations
Create Date: 2026-11-29 19:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0014_claims_as_lived'
down_revision = '0015_operations'
branch_labels = None
depends_on = None

PREFERENCES = ('fee_and_expenses', 'expenses_only', 'decline_fee', 'voucher')
FEE_KINDS = "('half_day_fee', 'full_day_fee', 'hourly_fee')"


def _preference():
    # The type already exists on PostgreSQL (claimant_profile uses it).
    return sa.Enum(*PREFERENCES, name='payment_preference').with_variant(
        postgresql.ENUM(*PREFERENCES, name='payment_preference', create_type=False), 'postgresql')


def upgrade():
    op.create_table('email_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_outbox'))
    )
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_outbox_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('payment_batch_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_payment_batch_counter'))
    )
    op.create_table('person_payment_profile',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('payment_preference', _preference(), nullable=False),
    sa.Column('payee_reference', sa.String(length=60), nullable=True),
    sa.Column('access_needs', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_payment_profile_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_person_payment_profile'))
    )
    op.create_table('claim_change',
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_change_claim_id_claim'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_claim_change_user_id_user_account')),
    sa.PrimaryKeyConstraint('claim_id', 'user_id', name=op.f('pk_claim_change'))
    )
    # Who already changed each claim, from the audit log (the last time it is read for this).
    op.execute("INSERT INTO claim_change (claim_id, user_id, first_at) "
               "SELECT claim.id, audit_entry.actor_id, MIN(audit_entry.at) FROM audit_entry "
               "JOIN claim ON claim.id = CAST(audit_entry.entity_id AS INTEGER) "
               "WHERE audit_entry.entity_type = 'Claim' AND audit_entry.actor_id IS NOT NULL AND audit_entry.action IN "
               "('claims.activity_saved', 'claims.line_added', 'claims.line_removed', 'claims.receipt_added') "
               "GROUP BY claim.id, audit_entry.actor_id")

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('fee_pence', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('expenses_pence', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('payment_preference', _preference(), nullable=True))

    # Fees and expenses apart on every claim, and the payment choice for claims already sent (from the profile;
    # the demo's and early claims had no other record of it).
    op.execute(f"UPDATE claim SET fee_pence = COALESCE((SELECT SUM(amount_pence) FROM claim_line "
               f"WHERE claim_line.claim_id = claim.id AND claim_line.kind IN {FEE_KINDS}), 0)")
    op.execute("UPDATE claim SET expenses_pence = total_pence - fee_pence")
    op.execute("UPDATE claim SET payment_preference = COALESCE((SELECT payment_preference FROM claimant_profile "
               "WHERE claimant_profile.user_id = claim.claimant_id), 'fee_and_expenses') "
               "WHERE state NOT IN ('draft', 'withdrawn')")
    # Old claims sent under "expenses only" or "decline" could not hold fee lines (they were refused), so the
    # check below holds; claims the profile contradicts keep their money as fee and expenses.
    op.execute("UPDATE claim SET payment_preference = 'fee_and_expenses' WHERE fee_pence > 0 "
               "AND payment_preference IN ('expenses_only', 'decline_fee')")

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.alter_column('fee_pence', server_default=None)
        batch_op.alter_column('expenses_pence', server_default=None)
        batch_op.alter_column('claimant_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f('ix_claim_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_claim_person_id_person'), 'person', ['person_id'], ['id'],
                                    ondelete='RESTRICT')
        batch_op.create_check_constraint('has_claimant', 'claimant_id IS NOT NULL OR person_id IS NOT NULL')
        batch_op.create_check_constraint(
            'lines_add_up', 'fee_pence >= 0 AND expenses_pence >= 0 AND fee_pence + expenses_pence = total_pence')
        batch_op.create_check_constraint(
            'no_fee_when_declined', "payment_preference IS NULL OR payment_preference IN ('fee_and_expenses', "
            "'voucher') OR fee_pence = 0")
        batch_op.create_check_constraint(
            'sent_has_preference', "state IN ('draft', 'withdrawn') OR payment_preference IS NOT NULL")

    with op.batch_alter_table('claim_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dismissed_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('claim_receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_claim_receipt_line_id'), ['line_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_claim_receipt_line_id_claim_line'), 'claim_line', ['line_id'],
                                    ['id'], ondelete='SET NULL')

    # Batch references become PB-<year>-<number>, numbered without gaps within each year (in order of creation).
    with op.batch_alter_table('payment_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, created_at FROM payment_batch ORDER BY id")).all()
    counters: dict[int, int] = {}
    for batch_id, created_at in rows:
        year = int(str(created_at)[:4])
        counters[year] = counters.get(year, 0) + 1
        bind.execute(sa.text("UPDATE payment_batch SET year = :year, number = :number WHERE id = :id"),
                     {"year": year, "number": counters[year], "id": batch_id})
    for year, last in counters.items():
        bind.execute(sa.text("INSERT INTO payment_batch_counter (year, last_number) VALUES (:year, :last)"),
                     {"year": year, "last": last})
    with op.batch_alter_table('payment_batch', schema=None) as batch_op:
        batch_op.alter_column('year', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_payment_batch_year_number', ['year', 'number'])


def downgrade():
    with op.batch_alter_table('payment_batch', schema=None) as batch_op:
        batch_op.drop_constraint('uq_payment_batch_year_number', type_='unique')
        batch_op.drop_column('number')
        batch_op.drop_column('year')

    with op.batch_alter_table('claim_receipt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_claim_receipt_line_id_claim_line'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_claim_receipt_line_id'))
        batch_op.drop_column('line_id')

    with op.batch_alter_table('claim_notification', schema=None) as batch_op:
        batch_op.drop_column('dismissed_at')

    op.execute("DELETE FROM claim WHERE claimant_id IS NULL")
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_constraint('sent_has_preference', type_='check')
        batch_op.drop_constraint('no_fee_when_declined', type_='check')
        batch_op.drop_constraint('lines_add_up', type_='check')
        batch_op.drop_constraint('has_claimant', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_claim_person_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_claim_person_id'))
        batch_op.alter_column('claimant_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('payment_preference')
        batch_op.drop_column('expenses_pence')
        batch_op.drop_column('fee_pence')
        batch_op.drop_column('person_id')

    op.drop_table('claim_change')
    op.drop_table('person_payment_profile')
    op.drop_table('payment_batch_counter')
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_outbox_sent_at'))
        batch_op.drop_index(batch_op.f('ix_email_outbox_created_at'))
    op.drop_table('email_outbox')
