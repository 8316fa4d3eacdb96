"""A council's school calendar: council_holiday (a council's term holiday or closure: a name such
as "Summer holiday", first and last day, set by its LA admin; the schools that follow the
council's term dates are closed on those days) and school_term_dates (a school that keeps its own
term dates, an academy with different terms; no row means the school follows its council). The
school-day clocks (the transfer's 5 school days, Operation Encompass's 08:30) read both, with
school_closure, which is unchanged (its model moved to portal.school_calendar).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('council_holiday',
    sa.Column('local_authority_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_council_holiday_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['local_authority_id'], ['local_authority.id'], name=op.f('fk_council_holiday_local_authority_id_local_authority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_holiday'))
    )
    with op.batch_alter_table('council_holiday', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_holiday_local_authority_id'), ['local_authority_id'], unique=False)

    op.create_table('school_term_dates',
    sa.Column('school_id', sa.Uuid(), nullable=False),
    sa.Column('own_term_dates', sa.Boolean(), nullable=False),
    sa.Column('changed_by_id', sa.Uuid(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_school_term_dates_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_school_term_dates_school_id_school')),
    sa.PrimaryKeyConstraint('school_id', name=op.f('pk_school_term_dates'))
    )


def downgrade():
    op.drop_table('school_term_dates')
    with op.batch_alter_table('council_holiday', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_holiday_local_authority_id'))

    op.drop_table('council_holiday')
