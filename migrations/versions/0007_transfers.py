"""Transfers of child protection files: transfers, their events and attachment copies, requests for
files, and schools' closed days (the transfer clock skips them).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:34:28.718036

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('school_closure',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_school_closure_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_closure_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_closure'))
    )
    with op.batch_alter_table('school_closure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_closure_school_id'), ['school_id'], unique=False)

    op.create_table('transfer',
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('from_school_id', sa.Uuid(), nullable=False),
    sa.Column('to_school_id', sa.Uuid(), nullable=True),
    sa.Column('destination_kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('leaving_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Uuid(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=True),
    sa.Column('viewed_by_id', sa.Uuid(), nullable=True),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Uuid(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejected_by_id', sa.Uuid(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receiving_pupil_id', sa.Uuid(), nullable=True),
    sa.Column('matched_by_id', sa.Uuid(), nullable=True),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('covering_note', sa.Text(), nullable=True),
    sa.Column('snapshot', sa.Text(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['user_account.id'], name=op.f('fk_transfer_accepted_by_id_user_account')),
    sa.ForeignKeyConstraint(['from_school_id'], ['school.id'], name=op.f('fk_transfer_from_school_id_school')),
    sa.ForeignKeyConstraint(['matched_by_id'], ['user_account.id'], name=op.f('fk_transfer_matched_by_id_user_account')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_transfer_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['receiving_pupil_id'], ['pupil.id'], name=op.f('fk_transfer_receiving_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_transfer_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['user_account.id'], name=op.f('fk_transfer_rejected_by_id_user_account')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_transfer_sent_by_id_user_account')),
    sa.ForeignKeyConstraint(['to_school_id'], ['school.id'], name=op.f('fk_transfer_to_school_id_school')),
    sa.ForeignKeyConstraint(['viewed_by_id'], ['user_account.id'], name=op.f('fk_transfer_viewed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer'))
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_from_school_id'), ['from_school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_receiving_pupil_id'), ['receiving_pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_to_school_id'), ['to_school_id'], unique=False)

    op.create_table('transfer_request',
    sa.Column('requesting_school_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by_id', sa.Uuid(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pupil_id', sa.Uuid(), nullable=True),
    sa.Column('identifier_kind', sa.String(length=20), nullable=False),
    sa.Column('identifier', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_transfer_request_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_transfer_request_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['requesting_school_id'], ['school.id'], name=op.f('fk_transfer_request_requesting_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_request'))
    )
    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_request_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_request_requesting_school_id'), ['requesting_school_id'], unique=False)

    op.create_table('transfer_attachment',
    sa.Column('transfer_id', sa.Uuid(), nullable=False),
    sa.Column('stored_file_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_transfer_attachment_stored_file_id_stored_file')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_attachment_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_attachment')),
    sa.UniqueConstraint('stored_file_id', name=op.f('uq_transfer_attachment_stored_file_id'))
    )
    with op.batch_alter_table('transfer_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_attachment_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('transfer_event',
    sa.Column('transfer_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Uuid(), nullable=True),
    sa.Column('school_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_transfer_event_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_transfer_event_school_id_school')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_event_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_event'))
    )
    with op.batch_alter_table('transfer_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_event_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('transfer_request_target',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('holder_school_id', sa.Uuid(), nullable=False),
    sa.Column('holder_pupil_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answered_by_id', sa.Uuid(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transfer_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_transfer_request_target_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['holder_pupil_id'], ['pupil.id'], name=op.f('fk_transfer_request_target_holder_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['holder_school_id'], ['school.id'], name=op.f('fk_transfer_request_target_holder_school_id_school')),
    sa.ForeignKeyConstraint(['request_id'], ['transfer_request.id'], name=op.f('fk_transfer_request_target_request_id_transfer_request')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_request_target_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_request_target'))
    )
    with op.batch_alter_table('transfer_request_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_request_target_holder_school_id'), ['holder_school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_request_target_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_request_target_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('transfer_request_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_request_target_status'))
        batch_op.drop_index(batch_op.f('ix_transfer_request_target_request_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_request_target_holder_school_id'))

    op.drop_table('transfer_request_target')
    with op.batch_alter_table('transfer_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_event_transfer_id'))

    op.drop_table('transfer_event')
    with op.batch_alter_table('transfer_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_attachment_transfer_id'))

    op.drop_table('transfer_attachment')
    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_request_requesting_school_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_request_pupil_id'))

    op.drop_table('transfer_request')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_to_school_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_status'))
        batch_op.drop_index(batch_op.f('ix_transfer_receiving_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_from_school_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_due_date'))

    op.drop_table('transfer')
    with op.batch_alter_table('school_closure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_closure_school_id'))

    op.drop_table('school_closure')
