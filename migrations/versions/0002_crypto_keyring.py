"""crypto: keyring of wrapped data keys, key rotation progress, encrypted attachments

Revision ID: 0002
Revises: 0001

Encrypted columns are plain TEXT holding `v1:<key id>:<base64>`; the application's column type
refuses anything else.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crypto_data_key',
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('master_key_id', sa.String(length=32), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crypto_data_key')),
    sa.UniqueConstraint('kid', name=op.f('uq_crypto_data_key_kid'))
    )
    with op.batch_alter_table('crypto_data_key', schema=None) as batch_op:
        batch_op.create_index('uq_crypto_data_key_one_current', ['purpose'], unique=True, sqlite_where=sa.text("state = 'current'"), postgresql_where=sa.text("state = 'current'"))

    op.create_table('crypto_key_rotation',
    sa.Column('field_kid', sa.String(length=16), nullable=False),
    sa.Column('index_kid', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crypto_key_rotation'))
    )
    op.create_table('crypto_key_rotation_cursor',
    sa.Column('rotation_id', sa.Uuid(), nullable=False),
    sa.Column('table_name', sa.String(length=100), nullable=False),
    sa.Column('last_row_id', sa.Uuid(), nullable=True),
    sa.Column('rows_rewritten', sa.BigInteger(), nullable=False),
    sa.Column('finished', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['rotation_id'], ['crypto_key_rotation.id'], name=op.f('fk_crypto_key_rotation_cursor_rotation_id_crypto_key_rotation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crypto_key_rotation_cursor')),
    sa.UniqueConstraint('rotation_id', 'table_name', name=op.f('uq_crypto_key_rotation_cursor_rotation_id'))
    )
    op.create_table('stored_file',
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('content_key', sa.Text(), nullable=False),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_stored_file_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_stored_file_storage_name'))
    )


def downgrade():
    op.drop_table('stored_file')
    op.drop_table('crypto_key_rotation_cursor')
    op.drop_table('crypto_key_rotation')
    with op.batch_alter_table('crypto_data_key', schema=None) as batch_op:
        batch_op.drop_index('uq_crypto_data_key_one_current', sqlite_where=sa.text("state = 'current'"), postgresql_where=sa.text("state = 'current'"))

    op.drop_table('crypto_data_key')
