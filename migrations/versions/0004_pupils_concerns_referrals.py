"""pupils, concerns, referrals, shared updates

Revision ID: 0004
Revises: 0003

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pupil',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('on_roll', sa.Boolean(), nullable=False),
    sa.Column('legal_forename', sa.Text(), nullable=False),
    sa.Column('legal_surname', sa.Text(), nullable=False),
    sa.Column('preferred_name', sa.Text(), nullable=True),
    sa.Column('date_of_birth', sa.Text(), nullable=False),
    sa.Column('sex', sa.Text(), nullable=True),
    sa.Column('gender', sa.Text(), nullable=True),
    sa.Column('upn', sa.Text(), nullable=True),
    sa.Column('nhs_number', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('postcode', sa.Text(), nullable=True),
    sa.Column('ethnicity', sa.Text(), nullable=True),
    sa.Column('sen_status', sa.Text(), nullable=True),
    sa.Column('year_group', sa.Text(), nullable=True),
    sa.Column('upn_index', sa.String(length=32), nullable=True),
    sa.Column('nhs_number_index', sa.String(length=32), nullable=True),
    sa.Column('surname_dob_index', sa.String(length=32), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_pupil_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupil'))
    )
    with op.batch_alter_table('pupil', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pupil_nhs_number_index'), ['nhs_number_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupil_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupil_surname_dob_index'), ['surname_dob_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupil_upn_index'), ['upn_index'], unique=False)

    op.create_table('concern',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('logged_by_id', sa.Uuid(), nullable=False),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('submission_token', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['logged_by_id'], ['user_account.id'], name=op.f('fk_concern_logged_by_id_user_account')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_concern_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_concern_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_concern_submission_token'))
    )
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_logged_by_id'), ['logged_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_concern_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_concern_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_concern_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_concern_status'), ['status'], unique=False)

    op.create_table('enrolment',
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('leaving_reason', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('other_school_name', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_enrolment_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_enrolment_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment'))
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('referral',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Uuid(), nullable=True),
    sa.Column('reference', sa.String(length=30), nullable=True),
    sa.Column('form', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_referral_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_referral_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_referral_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_referral_school_id_school')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_referral_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('reference', name=op.f('uq_referral_reference'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_local_authority_id'), ['local_authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('concern_attachment',
    sa.Column('concern_id', sa.Uuid(), nullable=False),
    sa.Column('stored_file_id', sa.Uuid(), nullable=False),
    sa.Column('added_by_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'], name=op.f('fk_concern_attachment_added_by_id_user_account')),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_concern_attachment_concern_id_concern')),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_concern_attachment_stored_file_id_stored_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_attachment')),
    sa.UniqueConstraint('stored_file_id', name=op.f('uq_concern_attachment_stored_file_id'))
    )
    with op.batch_alter_table('concern_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_attachment_concern_id'), ['concern_id'], unique=False)

    op.create_table('concern_draft',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('concern_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('stored_file_ids', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_concern_draft_concern_id_concern')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_concern_draft_school_id_school')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_concern_draft_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_draft'))
    )
    with op.batch_alter_table('concern_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_draft_user_id'), ['user_id'], unique=False)

    op.create_table('concern_pupil',
    sa.Column('concern_id', sa.Uuid(), nullable=False),
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_concern_pupil_concern_id_concern')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_concern_pupil_pupil_id_pupil')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_pupil')),
    sa.UniqueConstraint('concern_id', 'pupil_id', name='uq_concern_pupil_pair')
    )
    with op.batch_alter_table('concern_pupil', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_pupil_concern_id'), ['concern_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_concern_pupil_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('concern_review',
    sa.Column('concern_id', sa.Uuid(), nullable=False),
    sa.Column('reviewer_id', sa.Uuid(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_concern_review_concern_id_concern')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user_account.id'], name=op.f('fk_concern_review_reviewer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_review'))
    )
    with op.batch_alter_table('concern_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_review_concern_id'), ['concern_id'], unique=False)

    op.create_table('concern_version',
    sa.Column('concern_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('change_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_concern_version_concern_id_concern')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_concern_version_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_version')),
    sa.UniqueConstraint('concern_id', 'version', name='uq_concern_version_number')
    )
    with op.batch_alter_table('concern_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_version_concern_id'), ['concern_id'], unique=False)

    op.create_table('referral_concern',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('concern_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_referral_concern_concern_id_concern')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_concern_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_concern')),
    sa.UniqueConstraint('referral_id', 'concern_id', name='uq_referral_concern_pair')
    )
    with op.batch_alter_table('referral_concern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_concern_concern_id'), ['concern_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_concern_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_event',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_referral_event_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_event_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_event'))
    )
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_event_referral_id'), ['referral_id'], unique=False)

    op.create_table('shared_update',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('pupil_id', sa.Uuid(), nullable=True),
    sa.Column('referral_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_shared_update_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_shared_update_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_shared_update_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_shared_update_referral_id_referral')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_shared_update_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_update'))
    )
    with op.batch_alter_table('shared_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_update_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_update_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_update_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_update_school_id'), ['school_id'], unique=False)

    op.create_table('shared_update_read',
    sa.Column('update_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['shared_update.id'], name=op.f('fk_shared_update_read_update_id_shared_update')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_shared_update_read_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_update_read')),
    sa.UniqueConstraint('update_id', 'user_id', name='uq_shared_update_read_pair')
    )
    with op.batch_alter_table('shared_update_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_update_read_update_id'), ['update_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_update_read_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('shared_update_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_update_read_user_id'))
        batch_op.drop_index(batch_op.f('ix_shared_update_read_update_id'))

    op.drop_table('shared_update_read')
    with op.batch_alter_table('shared_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_update_school_id'))
        batch_op.drop_index(batch_op.f('ix_shared_update_referral_id'))
        batch_op.drop_index(batch_op.f('ix_shared_update_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_shared_update_created_at'))

    op.drop_table('shared_update')
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_event_referral_id'))

    op.drop_table('referral_event')
    with op.batch_alter_table('referral_concern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_concern_referral_id'))
        batch_op.drop_index(batch_op.f('ix_referral_concern_concern_id'))

    op.drop_table('referral_concern')
    with op.batch_alter_table('concern_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_version_concern_id'))

    op.drop_table('concern_version')
    with op.batch_alter_table('concern_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_review_concern_id'))

    op.drop_table('concern_review')
    with op.batch_alter_table('concern_pupil', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_pupil_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_concern_pupil_concern_id'))

    op.drop_table('concern_pupil')
    with op.batch_alter_table('concern_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_draft_user_id'))

    op.drop_table('concern_draft')
    with op.batch_alter_table('concern_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_attachment_concern_id'))

    op.drop_table('concern_attachment')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_referral_status'))
        batch_op.drop_index(batch_op.f('ix_referral_school_id'))
        batch_op.drop_index(batch_op.f('ix_referral_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_referral_local_authority_id'))

    op.drop_table('referral')
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_pupil_id'))

    op.drop_table('enrolment')
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_status'))
        batch_op.drop_index(batch_op.f('ix_concern_school_id'))
        batch_op.drop_index(batch_op.f('ix_concern_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_concern_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_concern_logged_by_id'))

    op.drop_table('concern')
    with op.batch_alter_table('pupil', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pupil_upn_index'))
        batch_op.drop_index(batch_op.f('ix_pupil_surname_dob_index'))
        batch_op.drop_index(batch_op.f('ix_pupil_school_id'))
        batch_op.drop_index(batch_op.f('ix_pupil_nhs_number_index'))

    op.drop_table('pupil')
