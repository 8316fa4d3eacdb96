"""Reserved for the Encompass helper: left empty (it changes nothing) until that work lands.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
