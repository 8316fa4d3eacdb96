"""Sign-in stages kept on the server: a half-finished sign-in (password checked; a code, or
setting up the authenticator app, still to come) is a sign_in_stage row found by the hash of a
random token in the browser's cookie, valid 10 minutes and used once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_stage',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('next_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sign_in_stage_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_stage')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_stage_token_hash'))
    )
    with op.batch_alter_table('sign_in_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_stage_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_stage_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_stage_user_id'))
        batch_op.drop_index(batch_op.f('ix_sign_in_stage_expires_at'))

    op.drop_table('sign_in_stage')
