"""Operation Encompass: encompass_notice (a police organisation's notice of a domestic abuse
incident: the police reference and the other agencies told encrypted, the incident's time, draft
or sent) and encompass_child (each child in it: name, date of birth, address, school as given,
UPN, how they were affected, injuries and what they said, all encrypted; where the notice went,
delivered to a school and pupil or held by the council's key contact, and its clock: due at
08:30 on the school's next school day, first read, chased, the concern it is linked to).

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
    op.create_table('encompass_notice',
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Uuid(), nullable=True),
    sa.Column('copied_from_id', sa.Uuid(), nullable=True),
    sa.Column('incident_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('police_reference', sa.Text(), nullable=True),
    sa.Column('other_agencies', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_encompass_notice_agency_id_agency')),
    sa.ForeignKeyConstraint(['copied_from_id'], ['encompass_notice.id'], name=op.f('fk_encompass_notice_copied_from_id_encompass_notice')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_encompass_notice_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_encompass_notice_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_encompass_notice_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encompass_notice'))
    )
    with op.batch_alter_table('encompass_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encompass_notice_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_notice_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_notice_local_authority_id'), ['local_authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_notice_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('encompass_child',
    sa.Column('notice_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('routing', sa.String(length=20), nullable=False),
    sa.Column('held_reason', sa.String(length=20), nullable=True),
    sa.Column('local_authority_id', sa.Uuid(), nullable=True),
    sa.Column('school_id', sa.Uuid(), nullable=True),
    sa.Column('pupil_id', sa.Uuid(), nullable=True),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('routed_by_id', sa.Uuid(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_read_by_id', sa.Uuid(), nullable=True),
    sa.Column('chased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('concern_id', sa.Uuid(), nullable=True),
    sa.Column('forename', sa.Text(), nullable=False),
    sa.Column('surname', sa.Text(), nullable=False),
    sa.Column('date_of_birth', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('school_given', sa.Text(), nullable=True),
    sa.Column('upn', sa.Text(), nullable=True),
    sa.Column('exposure', sa.Text(), nullable=True),
    sa.Column('injured', sa.Text(), nullable=True),
    sa.Column('injuries', sa.Text(), nullable=True),
    sa.Column('disclosure', sa.Text(), nullable=True),
    sa.Column('outside_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_encompass_child_concern_id_concern')),
    sa.ForeignKeyConstraint(['first_read_by_id'], ['user_account.id'], name=op.f('fk_encompass_child_first_read_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_encompass_child_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['notice_id'], ['encompass_notice.id'], name=op.f('fk_encompass_child_notice_id_encompass_notice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_encompass_child_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['routed_by_id'], ['user_account.id'], name=op.f('fk_encompass_child_routed_by_id_user_account')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_encompass_child_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encompass_child'))
    )
    with op.batch_alter_table('encompass_child', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encompass_child_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_child_local_authority_id'), ['local_authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_child_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_child_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_child_routing'), ['routing'], unique=False)
        batch_op.create_index(batch_op.f('ix_encompass_child_school_id'), ['school_id'], unique=False)


def downgrade():
    with op.batch_alter_table('encompass_child', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encompass_child_school_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_child_routing'))
        batch_op.drop_index(batch_op.f('ix_encompass_child_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_child_notice_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_child_local_authority_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_child_due_at'))

    op.drop_table('encompass_child')
    with op.batch_alter_table('encompass_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encompass_notice_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_encompass_notice_local_authority_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_notice_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_encompass_notice_agency_id'))

    op.drop_table('encompass_notice')
