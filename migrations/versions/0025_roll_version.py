"""Schools: roll_version, one more with every committed change to the school's pupils
(the roll and name search's cache of the school's names is keyed on it; see
portal/pupils/roll_changes.py).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roll_version', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade():
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_column('roll_version')
