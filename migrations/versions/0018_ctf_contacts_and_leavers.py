"""CTF contacts and the uploads waiting for their import: pupil_contact (a pupil's parents and
carers from the school's MIS, every personal column encrypted: name, relationship, parental
responsibility, phone numbers; replaced as a whole by each import that carries them) and
ctf_upload (a Common Transfer File between its upload and the DSL's answer: whose it is, its
state, the DSL's decisions on probable matches and the counts of what the import did; a file
never confirmed is deleted after 24 hours). Leavers taken from a CTF need no new column: they are
transfers (portal.transfers) and ended enrolments.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pupil_contact',
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('relationship_to_pupil', sa.Text(), nullable=True),
    sa.Column('parental_responsibility', sa.Text(), nullable=True),
    sa.Column('phones', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_pupil_contact_pupil_id_pupil')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupil_contact'))
    )
    with op.batch_alter_table('pupil_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pupil_contact_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('ctf_upload',
    sa.Column('stored_file_id', sa.Uuid(), nullable=True),
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pupil_count', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_ctf_upload_school_id_school')),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_ctf_upload_stored_file_id_stored_file'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_ctf_upload_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ctf_upload')),
    sa.UniqueConstraint('stored_file_id', name=op.f('uq_ctf_upload_stored_file_id'))
    )
    with op.batch_alter_table('ctf_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ctf_upload_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ctf_upload_uploaded_at'), ['uploaded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ctf_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ctf_upload_uploaded_at'))
        batch_op.drop_index(batch_op.f('ix_ctf_upload_school_id'))
    op.drop_table('ctf_upload')
    with op.batch_alter_table('pupil_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pupil_contact_pupil_id'))
    op.drop_table('pupil_contact')
