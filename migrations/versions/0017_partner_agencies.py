"""Partner agencies: agency (police, health, early years, colleges, voluntary organisations,
other council services, registered by the LA whose area they work in), agency_referral_area
(neighbouring councils an agency may also refer to), and user_account.agency_id: a user now
belongs to exactly one of a school, a local authority or an agency.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ONE_ORGANISATION = (
    "(CASE WHEN school_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN local_authority_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN agency_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def upgrade():
    op.create_table('agency',
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('ods_code', sa.String(length=10), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_agency_local_authority_id_local_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency'))
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_local_authority_id'), ['local_authority_id'], unique=False)

    op.create_table('agency_referral_area',
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_referral_area_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_agency_referral_area_local_authority_id_local_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_referral_area')),
    sa.UniqueConstraint('agency_id', 'local_authority_id', name='uq_agency_referral_area')
    )
    with op.batch_alter_table('agency_referral_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_referral_area_agency_id'), ['agency_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_agency_id'), ['agency_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_user_account_agency_id_agency'), 'agency', ['agency_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_user_account_one_organisation'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_user_account_one_organisation'), ONE_ORGANISATION)


def downgrade():
    op.execute(sa.text("DELETE FROM user_account WHERE agency_id IS NOT NULL"))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_account_one_organisation'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_user_account_one_organisation'), '(school_id IS NULL) <> (local_authority_id IS NULL)'
        )
        batch_op.drop_constraint(batch_op.f('fk_user_account_agency_id_agency'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_account_agency_id'))
        batch_op.drop_column('agency_id')

    with op.batch_alter_table('agency_referral_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_referral_area_agency_id'))
    op.drop_table('agency_referral_area')

    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_local_authority_id'))
    op.drop_table('agency')
