"""The tables behind school days.

- `CouncilHoliday`: a council's term holiday or closure (a name such as "Summer holiday", first and
  last day), set by the LA admin; every school of the council that follows the council's term
  dates is closed on those days.
- `SchoolClosure`: a school's own closed days (INSET days, closures), set by its DSLs on the
  transfers' closed-days page.
- `SchoolTermDates`: a school's choice to keep its own term dates; no row means the school follows
  its council's calendar.

None of these hold personal data: names of holidays and dates only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UUIDPrimaryKey, utcnow


class CouncilHoliday(UUIDPrimaryKey, Base):
    """Days the council's schools are on holiday (or closed): their school-day clocks skip them."""

    __tablename__ = "council_holiday"

    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    first_day: Mapped[date]
    last_day: Mapped[date]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchoolClosure(UUIDPrimaryKey, Base):
    """Days a school is closed (a holiday, a training day): the school-day clocks skip them."""

    __tablename__ = "school_closure"

    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    first_day: Mapped[date]
    last_day: Mapped[date]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SchoolTermDates(Base):
    """A school that keeps its own term dates (its row says so); without a row it follows the
    council's calendar."""

    __tablename__ = "school_term_dates"

    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), primary_key=True)
    own_term_dates: Mapped[bool] = mapped_column(default=False)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
