"""Attachments in the database and legal holds.

stored_file_chunk: a stored file's encrypted bytes, one row per chunk (row 0 the header), in the
transaction of the record they belong to (PORTAL_ATTACHMENT_STORE=database, production's default;
`flask files move-to-database` copies existing files from disk). The chunks are already
encrypted, so PostgreSQL is told not to try compressing them (STORAGE EXTERNAL).
legal_hold: a hold on a pupil's records that stops retention from destroying them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 11:49:30.835676

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('legal_hold',
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('placed_by_id', sa.Uuid(), nullable=True),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['placed_by_id'], ['user_account.id'], name=op.f('fk_legal_hold_placed_by_id_user_account')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_legal_hold_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['released_by_id'], ['user_account.id'], name=op.f('fk_legal_hold_released_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_hold'))
    )
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_hold_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('stored_file_chunk',
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['storage_name'], ['stored_file.storage_name'], name=op.f('fk_stored_file_chunk_storage_name_stored_file'), ondelete='CASCADE', initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('storage_name', 'seq', name=op.f('pk_stored_file_chunk'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stored_file_chunk ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table('stored_file_chunk')
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_hold_pupil_id'))

    op.drop_table('legal_hold')
