"""Triage: a partial covering index of the open queue items for the queue page's counts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 18:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.create_index('ix_triage_item_open_counts',
                              ['local_authority_id', 'state', 'urgent', 'due_at', 'assigned_to_id'], unique=False,
                              postgresql_where=sa.text('open'), sqlite_where=sa.text('open'))


def downgrade():
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.drop_index('ix_triage_item_open_counts', postgresql_where=sa.text('open'),
                            sqlite_where=sa.text('open'))
