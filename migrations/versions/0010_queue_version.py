"""Councils: queue_version, one more with every committed change to the council's referrals queue
(the queue page's cache is keyed on it; see portal/triage/queue_changes.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('local_authority', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_version', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade():
    with op.batch_alter_table('local_authority', schema=None) as batch_op:
        batch_op.drop_column('queue_version')
