"""Partner agencies refer to the same front door: a referral comes from a school (school_id and
pupil_id, as before) or from a partner agency (agency_id, the child identified by details only),
exactly one of them (ck_referral_one_source). Every referral keeps the child's names, date of
birth and NHS number in encrypted columns of its own with blind indexes (child_surname_dob_index,
child_nhs_number_index), so triage finds the same child's referrals whoever made them. A triage
item records its source (school_id or agency_id, and the broad source: school, police, health,
...); a shared update is addressed to a school or to an agency (ck_shared_update_one_recipient);
a sharing policy is for one audience, schools or agencies (one row per LA and audience).

The queue's indexes on triage_item (sort orders, a partial index) are dropped before SQLite's
table copy and made again after it, exactly as 0006 and 0009 made them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

ONE_SOURCE = (
    "(school_id IS NOT NULL AND pupil_id IS NOT NULL AND agency_id IS NULL)"
    " OR (school_id IS NULL AND pupil_id IS NULL AND agency_id IS NOT NULL)"
)


def _drop_queue_indexes():
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.drop_index('ix_triage_item_open_counts', postgresql_where=sa.text('open'),
                            sqlite_where=sa.text('open'))
        batch_op.drop_index('ix_triage_item_queue_all')
        batch_op.drop_index('ix_triage_item_queue_open')
        batch_op.drop_index('ix_triage_item_queue_state')
        batch_op.drop_index('ix_triage_item_school')


def _make_queue_indexes():
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.create_index('ix_triage_item_queue_all', ['local_authority_id', sa.literal_column('urgent DESC'), 'received_at'], unique=False)
        batch_op.create_index('ix_triage_item_queue_open', ['local_authority_id', 'open', sa.literal_column('urgent DESC'), 'received_at'], unique=False)
        batch_op.create_index('ix_triage_item_queue_state', ['local_authority_id', 'state', sa.literal_column('urgent DESC'), 'received_at'], unique=False)
        batch_op.create_index('ix_triage_item_school', ['school_id', sa.literal_column('urgent DESC'), 'received_at'], unique=False)
        batch_op.create_index('ix_triage_item_open_counts',
                              ['local_authority_id', 'state', 'urgent', 'due_at', 'assigned_to_id'], unique=False,
                              postgresql_where=sa.text('open'), sqlite_where=sa.text('open'))


def upgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.alter_column('school_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column('pupil_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('agency_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('child_forename', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('child_surname', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('child_date_of_birth', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('child_nhs_number', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('child_surname_dob_index', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('child_nhs_number_index', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_referral_agency_id_agency'), 'agency', ['agency_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_referral_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_child_surname_dob_index'), ['child_surname_dob_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_child_nhs_number_index'), ['child_nhs_number_index'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_referral_one_source'), ONE_SOURCE)

    _drop_queue_indexes()
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.alter_column('school_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('agency_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='school', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_triage_item_agency_id_agency'), 'agency', ['agency_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_triage_item_agency_id'), ['agency_id'], unique=False)
    _make_queue_indexes()

    with op.batch_alter_table('shared_update', schema=None) as batch_op:
        batch_op.alter_column('school_id', existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column('agency_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_shared_update_agency_id_agency'), 'agency', ['agency_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_shared_update_agency_id'), ['agency_id'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_shared_update_one_recipient'),
                                         '(school_id IS NULL) <> (agency_id IS NULL)')

    with op.batch_alter_table('sharing_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=20), server_default='schools', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_sharing_policy_local_authority_id'), type_='unique')
        batch_op.create_unique_constraint('uq_sharing_policy_la_audience', ['local_authority_id', 'audience'])

    with op.batch_alter_table('sharing_policy_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=20), server_default='schools', nullable=False))


def downgrade():
    # Agencies' referrals, their queue items and updates have no place in the older shape: the
    # NOT NULL columns below refuse to come back while any exist (nothing is deleted silently).
    # The agencies' sharing policies go (the older table holds one policy per LA, the schools').
    op.execute("DELETE FROM sharing_policy WHERE audience <> 'schools'")
    op.execute("DELETE FROM sharing_policy_change WHERE audience <> 'schools'")

    with op.batch_alter_table('sharing_policy_change', schema=None) as batch_op:
        batch_op.drop_column('audience')

    with op.batch_alter_table('sharing_policy', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sharing_policy_la_audience', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_sharing_policy_local_authority_id'), ['local_authority_id'])
        batch_op.drop_column('audience')

    with op.batch_alter_table('shared_update', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shared_update_one_recipient'), type_='check')
        batch_op.drop_index(batch_op.f('ix_shared_update_agency_id'))
        batch_op.drop_constraint(batch_op.f('fk_shared_update_agency_id_agency'), type_='foreignkey')
        batch_op.drop_column('agency_id')
        batch_op.alter_column('school_id', existing_type=sa.Uuid(), nullable=False)

    _drop_queue_indexes()
    with op.batch_alter_table('triage_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triage_item_agency_id'))
        batch_op.drop_constraint(batch_op.f('fk_triage_item_agency_id_agency'), type_='foreignkey')
        batch_op.drop_column('source')
        batch_op.drop_column('agency_id')
        batch_op.alter_column('school_id', existing_type=sa.Uuid(), nullable=False)
    _make_queue_indexes()

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_referral_one_source'), type_='check')
        batch_op.drop_index(batch_op.f('ix_referral_child_nhs_number_index'))
        batch_op.drop_index(batch_op.f('ix_referral_child_surname_dob_index'))
        batch_op.drop_index(batch_op.f('ix_referral_agency_id'))
        batch_op.drop_constraint(batch_op.f('fk_referral_agency_id_agency'), type_='foreignkey')
        batch_op.drop_column('child_nhs_number_index')
        batch_op.drop_column('child_surname_dob_index')
        batch_op.drop_column('child_nhs_number')
        batch_op.drop_column('child_date_of_birth')
        batch_op.drop_column('child_surname')
        batch_op.drop_column('child_forename')
        batch_op.drop_column('agency_id')
        batch_op.alter_column('pupil_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('school_id', existing_type=sa.Uuid(), nullable=False)
