"""Pupils: transferred_out_at, when another school accepted this school's record of the child (the
record is read-only at the sending school from then on). The policy reads it instead of looking
for an accepted transfer; records already transferred out get it from their accepted transfer.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pupil', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transferred_out_at', sa.DateTime(timezone=True), nullable=True))
    # The first acceptance of a transfer out of the school that holds the record (one statement
    # that SQLite and PostgreSQL both run; the timestamps are copied as stored).
    op.execute(sa.text(
        """
        UPDATE pupil SET transferred_out_at = (
            SELECT MIN(transfer.accepted_at) FROM transfer
            WHERE transfer.pupil_id = pupil.id
              AND transfer.from_school_id = pupil.school_id
              AND transfer.status = 'accepted'
        )
        WHERE EXISTS (
            SELECT 1 FROM transfer
            WHERE transfer.pupil_id = pupil.id
              AND transfer.from_school_id = pupil.school_id
              AND transfer.status = 'accepted'
        )
        """
    ))


def downgrade():
    with op.batch_alter_table('pupil', schema=None) as batch_op:
        batch_op.drop_column('transferred_out_at')
