"""Background jobs: background_job (the kind, its status queued/running/done/failed, who asked
and for which organisation, the opaque id of the record it is about, its parameters encrypted,
progress in words that name nobody, attempts, the error's code or class name, the result as a
file in the encrypted file store, and when it was asked for, started, finished, when a vanished
worker's claim lapses and when it expires). The court-bundle PDF is its first kind.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('background_job',
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Uuid(), nullable=False),
    sa.Column('school_id', sa.Uuid(), nullable=True),
    sa.Column('local_authority_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('parameters', sa.Text(), nullable=False),
    sa.Column('progress_text', sa.String(length=200), nullable=True),
    sa.Column('progress_percent', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=60), nullable=True),
    sa.Column('result_file_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_background_job_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_background_job_requested_by_id_user_account')),
    sa.ForeignKeyConstraint(['result_file_id'], ['stored_file.id'], name=op.f('fk_background_job_result_file_id_stored_file'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_background_job_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job'))
    )
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.create_index('ix_background_job_expires_at', ['expires_at'], unique=False)
        batch_op.create_index('ix_background_job_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_background_job_subject', ['kind', 'subject_id', 'requested_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.drop_index('ix_background_job_subject')
        batch_op.drop_index('ix_background_job_status_created_at')
        batch_op.drop_index('ix_background_job_expires_at')

    op.drop_table('background_job')
