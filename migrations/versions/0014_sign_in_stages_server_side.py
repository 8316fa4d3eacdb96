"""Sign-in stages kept on the server: a half-finished sign-in (password checked; a code, or
setting up the authenticator app, still to come) is a sign_in_stage row found by the hash of a
random token in the browser's cookie, valid 10 minutes and used once. And requests that must
answer the same whatever they find, recorded for the mail worker to act on: password_reset_request
(the typed address, encrypted). A new sign-in address is confirmed by a link sent to it: the
address waits in account_token.new_email (encrypted). A request for a transfer file is matched
to the schools holding the child by the mail worker: transfer_request.matched_at (requests made
before this step were matched when made).

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

    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_email', sa.Text(), nullable=True))

    op.create_table('password_reset_request',
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_request'))
    )
    with op.batch_alter_table('password_reset_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_request_requested_at'), ['requested_at'], unique=False)


    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_transfer_request_matched_at'), ['matched_at'], unique=False)
    op.execute("UPDATE transfer_request SET matched_at = requested_at")


def downgrade():
    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_request_matched_at'))
        batch_op.drop_column('matched_at')
    with op.batch_alter_table('password_reset_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_request_requested_at'))

    op.drop_table('password_reset_request')
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.drop_column('new_email')
    with op.batch_alter_table('sign_in_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_stage_user_id'))
        batch_op.drop_index(batch_op.f('ix_sign_in_stage_expires_at'))

    op.drop_table('sign_in_stage')
