"""Connector: the outbox of Operation Encompass notices to deliver to the council's case system
(issue #16): one row per notice (unique), written when the portal has routed the notice's last
child, with the notice as routed encrypted (`payload`), and the same state, attempts, lease,
last error and dead letter columns as the referrals' outbox; the case system's notice reference
and when it was delivered.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('connector_notice_outbox',
    sa.Column('notice_id', sa.Uuid(), nullable=False),
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
    sa.Column('notice_reference', sa.String(length=40), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_notice_outbox_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['notice_id'], ['encompass_notice.id'], name=op.f('fk_connector_notice_outbox_notice_id_encompass_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_notice_outbox')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_connector_notice_outbox_notice_id'))
    )
    with op.batch_alter_table('connector_notice_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_connector_notice_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_connector_notice_outbox_lease', ['state', 'lease_until'], unique=False)
        batch_op.create_index('ix_connector_notice_outbox_la_state', ['local_authority_id', 'state'], unique=False)


def downgrade():
    with op.batch_alter_table('connector_notice_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_connector_notice_outbox_la_state')
        batch_op.drop_index('ix_connector_notice_outbox_lease')
        batch_op.drop_index('ix_connector_notice_outbox_due')

    op.drop_table('connector_notice_outbox')
