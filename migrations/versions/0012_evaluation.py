"""Evaluation: questionnaires and versions, survey rounds and personal links, responses and drafts,
equality records (apart from responses), comparators and barrier/enabler themes

Revision ID: 0012_evaluation
Revises: 0013_networks
Create Date: 2026-11-29 19:29:18.495829

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_evaluation'
down_revision = '0013_networks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_comparator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('percent >= 0 AND percent <= 100', name=op.f('ck_evaluation_comparator_percent_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_comparator'))
    )
    with op.batch_alter_table('evaluation_comparator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_comparator_measure'), ['measure'], unique=False)

    op.create_table('evaluation_theme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('barrier', 'enabler', 'either', name='theme_kind'), nullable=False),
    sa.Column('words', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_theme')),
    sa.UniqueConstraint('name', name=op.f('uq_evaluation_theme_name'))
    )
    op.create_table('questionnaire',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('event_feedback', 'involvement_outcomes', 'organisation_change', 'other', name='questionnaire_kind'), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire')),
    sa.UniqueConstraint('name', name=op.f('uq_questionnaire_name'))
    )
    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('intro', sa.Text(), nullable=True),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_questionnaire_version_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_questionnaire_version_questionnaire_id_questionnaire'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version')),
    sa.UniqueConstraint('questionnaire_id', 'number', name='uq_questionnaire_version_number')
    )
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_version_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('survey_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('programme', sa.String(length=120), nullable=True),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('borough_code', sa.String(length=9), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('personal_only', sa.Boolean(), nullable=False),
    sa.Column('ask_equality', sa.Boolean(), nullable=False),
    sa.Column('expected_count', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'closed', name='round_status'), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status = 'open' OR closed_at IS NOT NULL", name=op.f('ck_survey_round_closed_has_time')),
    sa.CheckConstraint('expected_count IS NULL OR expected_count > 0', name=op.f('ck_survey_round_expected_positive')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_survey_round_community_id_community'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_survey_round_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_survey_round_event_id_event'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaire.id'], name=op.f('fk_survey_round_questionnaire_id_questionnaire'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_version.id'], name=op.f('fk_survey_round_version_id_questionnaire_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_round')),
    sa.UniqueConstraint('token', name=op.f('uq_survey_round_token'))
    )
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_round_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_round_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_round_programme'), ['programme'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_round_questionnaire_id'), ['questionnaire_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_round_version_id'), ['version_id'], unique=False)

    op.create_table('equality_record',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('consent_wording', sa.String(length=20), nullable=False),
    sa.Column('deletion_code_hash', sa.String(length=64), nullable=False),
    sa.Column('age_band', sa.String(length=40), nullable=True),
    sa.Column('sex', sa.String(length=40), nullable=True),
    sa.Column('gender_identity', sa.String(length=40), nullable=True),
    sa.Column('sexual_orientation', sa.String(length=40), nullable=True),
    sa.Column('ethnic_group', sa.String(length=40), nullable=True),
    sa.Column('religion', sa.String(length=40), nullable=True),
    sa.Column('disability', sa.String(length=40), nullable=True),
    sa.Column('long_term_condition', sa.String(length=40), nullable=True),
    sa.Column('carer', sa.String(length=40), nullable=True),
    sa.Column('borough', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_equality_record_round_id_survey_round'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equality_record')),
    sa.UniqueConstraint('deletion_code_hash', name=op.f('uq_equality_record_deletion_code_hash'))
    )
    with op.batch_alter_table('equality_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equality_record_round_id'), ['round_id'], unique=False)

    op.create_table('survey_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_invitation_round_id_survey_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_survey_invitation_token_hash'))
    )
    with op.batch_alter_table('survey_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_invitation_round_id'), ['round_id'], unique=False)

    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('online', 'paper', 'phone', name='response_channel'), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('borough_code', sa.String(length=9), nullable=True),
    sa.Column('respondent_name', sa.String(length=120), nullable=True),
    sa.Column('quote_consent', sa.Boolean(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("channel = 'online' OR entered_by_id IS NOT NULL", name=op.f('ck_survey_response_typed_in_has_who')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_survey_response_entered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_response_round_id_survey_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_version.id'], name=op.f('fk_survey_response_version_id_questionnaire_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response'))
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_borough_code'), ['borough_code'], unique=False)
        batch_op.create_index('ix_survey_response_round_submitted', ['round_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_response_version_id'), ['version_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=60), nullable=False),
    sa.Column('choice', sa.String(length=80), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.CheckConstraint('choice IS NOT NULL OR number IS NOT NULL OR text IS NOT NULL', name=op.f('ck_survey_answer_has_a_value')),
    sa.ForeignKeyConstraint(['response_id'], ['survey_response.id'], name=op.f('fk_survey_answer_response_id_survey_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer'))
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_response_id'), ['response_id'], unique=False)

    op.create_table('survey_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('about', sa.JSON(), nullable=False),
    sa.Column('equality', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['survey_invitation.id'], name=op.f('fk_survey_draft_invitation_id_survey_invitation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_draft_round_id_survey_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_draft')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_survey_draft_key_hash'))
    )
    with op.batch_alter_table('survey_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_draft_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_draft_updated_at'), ['updated_at'], unique=False)

    op.create_table('survey_answer_theme',
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('tagged_at', sa.DateTime(), nullable=False),
    sa.Column('tagged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['survey_answer.id'], name=op.f('fk_survey_answer_theme_answer_id_survey_answer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tagged_by_id'], ['user_account.id'], name=op.f('fk_survey_answer_theme_tagged_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['theme_id'], ['evaluation_theme.id'], name=op.f('fk_survey_answer_theme_theme_id_evaluation_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('answer_id', 'theme_id', name=op.f('pk_survey_answer_theme'))
    )
    with op.batch_alter_table('survey_answer_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_theme_theme_id'), ['theme_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_answer_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_theme_theme_id'))

    op.drop_table('survey_answer_theme')
    with op.batch_alter_table('survey_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_draft_updated_at'))
        batch_op.drop_index(batch_op.f('ix_survey_draft_round_id'))

    op.drop_table('survey_draft')
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_response_id'))

    op.drop_table('survey_answer')
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_version_id'))
        batch_op.drop_index('ix_survey_response_round_submitted')
        batch_op.drop_index(batch_op.f('ix_survey_response_borough_code'))

    op.drop_table('survey_response')
    with op.batch_alter_table('survey_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_invitation_round_id'))

    op.drop_table('survey_invitation')
    with op.batch_alter_table('equality_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equality_record_round_id'))

    op.drop_table('equality_record')
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_round_version_id'))
        batch_op.drop_index(batch_op.f('ix_survey_round_questionnaire_id'))
        batch_op.drop_index(batch_op.f('ix_survey_round_programme'))
        batch_op.drop_index(batch_op.f('ix_survey_round_event_id'))
        batch_op.drop_index(batch_op.f('ix_survey_round_community_id'))

    op.drop_table('survey_round')
    with op.batch_alter_table('questionnaire_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_version_questionnaire_id'))

    op.drop_table('questionnaire_version')
    op.drop_table('questionnaire')
    op.drop_table('evaluation_theme')
    with op.batch_alter_table('evaluation_comparator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_comparator_measure'))

    op.drop_table('evaluation_comparator')
    if op.get_bind().dialect.name == 'postgresql':
        for name in ('theme_kind', 'questionnaire_kind', 'round_status', 'response_channel'):
            op.execute(f'DROP TYPE IF EXISTS {name}')
