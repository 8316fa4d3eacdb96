"""Connector endpoint changes wait for a second LA admin (connector_endpoint_change); the audit
trail becomes a keyed chain (HMAC-SHA256 under the keyring's audit key: existing events are
re-chained under it here, each event records the key it is under), and PostgreSQL refuses
TRUNCATE of audit_event as it refuses UPDATE and DELETE.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('connector_endpoint_change',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('secret_changed', sa.Boolean(), nullable=False),
    sa.Column('overlap_hours', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('proposed_by_id', sa.Uuid(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('secret', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_connector_endpoint_change_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_connector_endpoint_change_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_connector_endpoint_change_proposed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_endpoint_change'))
    )
    with op.batch_alter_table('connector_endpoint_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connector_endpoint_change_local_authority_id'), ['local_authority_id'], unique=False)


def downgrade():
    with op.batch_alter_table('connector_endpoint_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connector_endpoint_change_local_authority_id'))
    op.drop_table('connector_endpoint_change')
