"""Single sign-on (OpenID Connect) per organisation: single_sign_on_settings (provider, issuer,
tenant, email domains, client id and the client secret encrypted, the second-factor policy,
whether password sign-in stays on), single_sign_on_link (an account's provider subject, hashed)
and single_sign_on_request (state, nonce and PKCE verifier kept on the server, 10 minutes, used
once). sign_in_stage.first_factor: whether a half-finished sign-in began with the password or
the organisation's account (the audit of the sign-in says which).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('single_sign_on_settings',
    sa.Column('school_id', sa.Uuid(), nullable=True),
    sa.Column('local_authority_id', sa.Uuid(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('tenant', sa.String(length=255), nullable=True),
    sa.Column('email_domains', sa.String(length=1000), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret', sa.Text(), nullable=False),
    sa.Column('second_factor', sa.String(length=20), nullable=False),
    sa.Column('password_sign_in', sa.Boolean(), nullable=False),
    sa.Column('first_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(school_id IS NULL) <> (local_authority_id IS NULL)', name=op.f('ck_single_sign_on_settings_one_organisation')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_single_sign_on_settings_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_single_sign_on_settings_school_id_school')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_single_sign_on_settings_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_single_sign_on_settings')),
    sa.UniqueConstraint('local_authority_id', name=op.f('uq_single_sign_on_settings_local_authority_id')),
    sa.UniqueConstraint('school_id', name=op.f('uq_single_sign_on_settings_school_id'))
    )
    op.create_table('single_sign_on_link',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('settings_id', sa.Uuid(), nullable=False),
    sa.Column('subject_hash', sa.String(length=64), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['settings_id'], ['single_sign_on_settings.id'], name=op.f('fk_single_sign_on_link_settings_id_single_sign_on_settings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_single_sign_on_link_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_single_sign_on_link')),
    sa.UniqueConstraint('settings_id', 'subject_hash', name='one_account_per_subject'),
    sa.UniqueConstraint('user_id', name=op.f('uq_single_sign_on_link_user_id'))
    )
    op.create_table('single_sign_on_request',
    sa.Column('settings_id', sa.Uuid(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.Text(), nullable=False),
    sa.Column('code_verifier', sa.Text(), nullable=False),
    sa.Column('next_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['settings_id'], ['single_sign_on_settings.id'], name=op.f('fk_single_sign_on_request_settings_id_single_sign_on_settings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_single_sign_on_request')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_single_sign_on_request_state_hash'))
    )
    with op.batch_alter_table('single_sign_on_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_single_sign_on_request_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('sign_in_stage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_factor', sa.String(length=10), server_default='password', nullable=False))


def downgrade():
    with op.batch_alter_table('sign_in_stage', schema=None) as batch_op:
        batch_op.drop_column('first_factor')
    with op.batch_alter_table('single_sign_on_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_single_sign_on_request_expires_at'))
    op.drop_table('single_sign_on_request')
    op.drop_table('single_sign_on_link')
    op.drop_table('single_sign_on_settings')
