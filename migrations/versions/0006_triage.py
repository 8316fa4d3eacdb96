"""triage queue, decisions, notes, sharing policy

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:31:57.145717

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sharing_policy',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_sharing_policy_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_sharing_policy_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sharing_policy')),
    sa.UniqueConstraint('local_authority_id', name=op.f('uq_sharing_policy_local_authority_id'))
    )
    op.create_table('sharing_policy_change',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('changed_by_id', sa.Uuid(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fields_before', sa.JSON(), nullable=False),
    sa.Column('fields_after', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_sharing_policy_change_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_sharing_policy_change_local_authority_id_local_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sharing_policy_change'))
    )
    with op.batch_alter_table('sharing_policy_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharing_policy_change_local_authority_id'), ['local_authority_id'], unique=False)

    op.create_table('triage_item',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('assigned_to_id', sa.Uuid(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rag', sa.String(length=10), nullable=True),
    sa.Column('first_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['user_account.id'], name=op.f('fk_triage_item_assigned_to_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_triage_item_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_triage_item_referral_id_referral')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_triage_item_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_item')),
    sa.UniqueConstraint('referral_id', 'round', name='uq_triage_item_referral_round')
    )
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.create_index('ix_triage_item_assignee', ['assigned_to_id', 'open'], unique=False)
        batch_op.create_index('ix_triage_item_open_due', ['local_authority_id', 'open', 'due_at'], unique=False)
        batch_op.create_index('ix_triage_item_queue_all', ['local_authority_id', sa.literal_column('urgent DESC'), 'received_at'], unique=False)
        batch_op.create_index('ix_triage_item_queue_open', ['local_authority_id', 'open', sa.literal_column('urgent DESC'), 'received_at'], unique=False)
        batch_op.create_index('ix_triage_item_queue_state', ['local_authority_id', 'state', sa.literal_column('urgent DESC'), 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_triage_item_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index('ix_triage_item_school', ['school_id', sa.literal_column('urgent DESC'), 'received_at'], unique=False)

    op.create_table('triage_note',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_triage_note_author_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_triage_note_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_triage_note_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_note'))
    )
    with op.batch_alter_table('triage_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_note_referral_id'), ['referral_id'], unique=False)

    op.create_table('triage_decision',
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('rag', sa.String(length=10), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('within_deadline', sa.Boolean(), nullable=False),
    sa.Column('routed_to_la_id', sa.Uuid(), nullable=True),
    sa.Column('shared_update_id', sa.Uuid(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_triage_decision_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['item_id'], ['triage_item.id'], name=op.f('fk_triage_decision_item_id_triage_item')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_triage_decision_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_triage_decision_referral_id_referral')),
    sa.ForeignKeyConstraint(['routed_to_la_id'], ['local_authority.id'], name=op.f('fk_triage_decision_routed_to_la_id_local_authority')),
    sa.ForeignKeyConstraint(['shared_update_id'], ['shared_update.id'], name=op.f('fk_triage_decision_shared_update_id_shared_update')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_decision')),
    sa.UniqueConstraint('item_id', name=op.f('uq_triage_decision_item_id'))
    )
    with op.batch_alter_table('triage_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_decision_referral_id'), ['referral_id'], unique=False)



def downgrade():
    with op.batch_alter_table('triage_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_decision_referral_id'))

    op.drop_table('triage_decision')
    with op.batch_alter_table('triage_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_note_referral_id'))

    op.drop_table('triage_note')
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.drop_index('ix_triage_item_school')
        batch_op.drop_index(batch_op.f('ix_triage_item_referral_id'))
        batch_op.drop_index('ix_triage_item_queue_state')
        batch_op.drop_index('ix_triage_item_queue_open')
        batch_op.drop_index('ix_triage_item_queue_all')
        batch_op.drop_index('ix_triage_item_open_due')
        batch_op.drop_index('ix_triage_item_assignee')

    op.drop_table('triage_item')
    with op.batch_alter_table('sharing_policy_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharing_policy_change_local_authority_id'))

    op.drop_table('sharing_policy_change')
    op.drop_table('sharing_policy')
