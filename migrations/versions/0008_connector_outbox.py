"""Connector: the outbox of referrals to deliver (encrypted payload snapshot, lease, retries, dead
letters), delivery failures, each LA's endpoint settings (encrypted secrets, rotation), the pull's
cursor per LA and the updates pulled (by id, once).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:37:18.726050

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('connector_pull_state',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('cursor', sa.String(length=200), nullable=True),
    sa.Column('next_pull_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=40), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_pull_state_local_authority_id_local_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_pull_state')),
    sa.UniqueConstraint('local_authority_id', name=op.f('uq_connector_pull_state_local_authority_id'))
    )
    op.create_table('connector_pulled_update',
    sa.Column('update_id', sa.String(length=100), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('shared_updates', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_pulled_update_local_authority_id_local_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_pulled_update')),
    sa.UniqueConstraint('update_id', name=op.f('uq_connector_pulled_update_update_id'))
    )
    with op.batch_alter_table('connector_pulled_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connector_pulled_update_local_authority_id'), ['local_authority_id'], unique=False)

    op.create_table('connector_endpoint',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('secret_set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('problem', sa.String(length=40), nullable=True),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('previous_secret', sa.Text(), nullable=True),
    sa.Column('problem_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_endpoint_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_connector_endpoint_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_endpoint')),
    sa.UniqueConstraint('local_authority_id', name=op.f('uq_connector_endpoint_local_authority_id'))
    )
    op.create_table('connector_outbox',
    sa.Column('referral_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=40), nullable=True),
    sa.Column('last_error_detail', sa.String(length=500), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_reference', sa.String(length=40), nullable=True),
    sa.Column('person_id', sa.String(length=40), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_outbox_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_connector_outbox_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_outbox')),
    sa.UniqueConstraint('referral_id', name=op.f('uq_connector_outbox_referral_id'))
    )
    with op.batch_alter_table('connector_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_connector_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_connector_outbox_la_delivered', ['local_authority_id', 'delivered_at'], unique=False)
        batch_op.create_index('ix_connector_outbox_la_state', ['local_authority_id', 'state', 'created_at'], unique=False)
        batch_op.create_index('ix_connector_outbox_lease', ['state', 'lease_until'], unique=False)
        batch_op.create_index('ix_connector_outbox_person', ['local_authority_id', 'person_id'], unique=False)

    op.create_table('connector_delivery_failure',
    sa.Column('outbox_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('permanent', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_delivery_failure_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['outbox_id'], ['connector_outbox.id'], name=op.f('fk_connector_delivery_failure_outbox_id_connector_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_delivery_failure'))
    )
    with op.batch_alter_table('connector_delivery_failure', schema=None) as batch_op:
        batch_op.create_index('ix_connector_delivery_failure_la_at', ['local_authority_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_connector_delivery_failure_outbox_id'), ['outbox_id'], unique=False)



def downgrade():
    with op.batch_alter_table('connector_delivery_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connector_delivery_failure_outbox_id'))
        batch_op.drop_index('ix_connector_delivery_failure_la_at')

    op.drop_table('connector_delivery_failure')
    with op.batch_alter_table('connector_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_connector_outbox_person')
        batch_op.drop_index('ix_connector_outbox_lease')
        batch_op.drop_index('ix_connector_outbox_la_state')
        batch_op.drop_index('ix_connector_outbox_la_delivered')
        batch_op.drop_index('ix_connector_outbox_due')

    op.drop_table('connector_outbox')
    op.drop_table('connector_endpoint')
    with op.batch_alter_table('connector_pulled_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connector_pulled_update_local_authority_id'))

    op.drop_table('connector_pulled_update')
    op.drop_table('connector_pull_state')
