"""Reserved for: connector endpoint approvals and the keyed audit chain (filled in by the helper who owns it; an empty step until then).

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
    pass


def downgrade():
    pass
