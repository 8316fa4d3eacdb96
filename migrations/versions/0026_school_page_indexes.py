"""Indexes for the pages a school's DSL opens most, so that they read what they show rather than
everything the school has: ix_concern_awaiting_review (a partial index of the concerns waiting
for review, holding what the home page's counts read), ix_shared_update_school_newest (a
school's updates newest first, with their ids) replacing ix_shared_update_school_id, and
ix_referral_school_status (a school's referrals by status and last change) replacing
ix_referral_school_id. Each new index begins with school_id, so it serves every lookup the one it
replaces did.

On a large PostgreSQL database each CREATE INDEX holds back writes to its table while it builds
(seconds for a million concerns): run it in a quiet hour.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

AWAITING_REVIEW = sa.text("status = 'awaiting_review'")


def upgrade():
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.create_index('ix_concern_awaiting_review', ['school_id', 'logged_at'], unique=False,
                              postgresql_include=['urgent'], postgresql_where=AWAITING_REVIEW,
                              sqlite_where=AWAITING_REVIEW)
    with op.batch_alter_table('shared_update', schema=None) as batch_op:
        batch_op.create_index('ix_shared_update_school_newest', ['school_id', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_shared_update_school_id')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_school_status', ['school_id', 'status', 'updated_at'], unique=False)
        batch_op.drop_index('ix_referral_school_id')


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_school_id', ['school_id'], unique=False)
        batch_op.drop_index('ix_referral_school_status')
    with op.batch_alter_table('shared_update', schema=None) as batch_op:
        batch_op.create_index('ix_shared_update_school_id', ['school_id'], unique=False)
        batch_op.drop_index('ix_shared_update_school_newest')
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.drop_index('ix_concern_awaiting_review', postgresql_include=['urgent'],
                            postgresql_where=AWAITING_REVIEW, sqlite_where=AWAITING_REVIEW)
