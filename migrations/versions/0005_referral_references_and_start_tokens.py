"""referral references (a sequence per LA and year) and start tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:27:34.231594

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_sequence',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_referral_sequence_local_authority_id_local_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_sequence')),
    sa.UniqueConstraint('local_authority_id', 'year', name='uq_referral_sequence_la_year')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_referral_start_token'), ['start_token'])



def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_referral_start_token'), type_='unique')
        batch_op.drop_column('start_token')

    op.drop_table('referral_sequence')
