"""Children missing education: off_roll_notice (a school's off-roll notice to its council's CME
officer: status, the answers and the pupil's details as sent encrypted, the outcome encrypted),
off_roll_question (the officer's questions and the school's answers, encrypted),
off_roll_notice_event (each step, who and when) and off_roll_flag (a notice about a child with
something open, shown to the council's triage; its reasons encrypted).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('off_roll_notice',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('pupil_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by_id', sa.Uuid(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Uuid(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('pupil_details', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('outcome_detail', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_off_roll_notice_closed_by_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_off_roll_notice_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_off_roll_notice_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_off_roll_notice_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_off_roll_notice_school_id_school')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_off_roll_notice_sent_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_off_roll_notice'))
    )
    with op.batch_alter_table('off_roll_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_off_roll_notice_local_authority_id'), ['local_authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_off_roll_notice_pupil_id'), ['pupil_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_off_roll_notice_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_off_roll_notice_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_off_roll_notice_status'), ['status'], unique=False)

    op.create_table('off_roll_question',
    sa.Column('notice_id', sa.Uuid(), nullable=False),
    sa.Column('asked_by_id', sa.Uuid(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by_id', sa.Uuid(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_off_roll_question_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_off_roll_question_asked_by_id_user_account')),
    sa.ForeignKeyConstraint(['notice_id'], ['off_roll_notice.id'], name=op.f('fk_off_roll_question_notice_id_off_roll_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_off_roll_question'))
    )
    with op.batch_alter_table('off_roll_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_off_roll_question_notice_id'), ['notice_id'], unique=False)

    op.create_table('off_roll_notice_event',
    sa.Column('notice_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_off_roll_notice_event_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['notice_id'], ['off_roll_notice.id'], name=op.f('fk_off_roll_notice_event_notice_id_off_roll_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_off_roll_notice_event'))
    )
    with op.batch_alter_table('off_roll_notice_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_off_roll_notice_event_notice_id'), ['notice_id'], unique=False)

    op.create_table('off_roll_flag',
    sa.Column('notice_id', sa.Uuid(), nullable=False),
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_by_id', sa.Uuid(), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_off_roll_flag_local_authority_id_local_authority')),
    sa.ForeignKeyConstraint(['notice_id'], ['off_roll_notice.id'], name=op.f('fk_off_roll_flag_notice_id_off_roll_notice')),
    sa.ForeignKeyConstraint(['seen_by_id'], ['user_account.id'], name=op.f('fk_off_roll_flag_seen_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_off_roll_flag')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_off_roll_flag_notice_id'))
    )
    with op.batch_alter_table('off_roll_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_off_roll_flag_flagged_at'), ['flagged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_off_roll_flag_local_authority_id'), ['local_authority_id'], unique=False)


def downgrade():
    with op.batch_alter_table('off_roll_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_off_roll_flag_local_authority_id'))
        batch_op.drop_index(batch_op.f('ix_off_roll_flag_flagged_at'))

    op.drop_table('off_roll_flag')
    with op.batch_alter_table('off_roll_notice_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_off_roll_notice_event_notice_id'))

    op.drop_table('off_roll_notice_event')
    with op.batch_alter_table('off_roll_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_off_roll_question_notice_id'))

    op.drop_table('off_roll_question')
    with op.batch_alter_table('off_roll_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_off_roll_notice_status'))
        batch_op.drop_index(batch_op.f('ix_off_roll_notice_sent_at'))
        batch_op.drop_index(batch_op.f('ix_off_roll_notice_school_id'))
        batch_op.drop_index(batch_op.f('ix_off_roll_notice_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_off_roll_notice_local_authority_id'))

    op.drop_table('off_roll_notice')
