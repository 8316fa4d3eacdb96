"""Pupils, their enrolments and their contacts.

A pupil record belongs to one school: when a child moves, the receiving school has a record of
its own (matched or created when a transfer is accepted). Every personal field is encrypted;
exact lookups go through blind indexes (UPN, NHS number, surname + date of birth). A pupil's
contacts (parents, carers) come from the school's MIS through the Common Transfer File and are
replaced as a whole by each import that carries them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.crypto import blind_index, encrypted
from portal.db import Base, Timestamps, UUIDPrimaryKey, utcnow


def display_name(legal_forename: str, preferred_name: str | None, legal_surname: str) -> str:
    """The name staff use: preferred forename if there is one, then the legal surname."""
    return f"{preferred_name or legal_forename} {legal_surname}"


class Pupil(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "pupil"

    school_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("school.id"), index=True)
    # On the school's current roll. Kept in step with enrolments by the service layer; a plain
    # column so that "this school's current pupils" is one indexed query.
    on_roll: Mapped[bool] = mapped_column(default=True)
    # Set when another school accepted this record's transfer: from then on it is read-only here.
    transferred_out_at: Mapped[datetime | None]

    legal_forename = encrypted(str)
    legal_surname = encrypted(str)
    preferred_name = encrypted(str, nullable=True)
    date_of_birth = encrypted(date)
    sex = encrypted(str, nullable=True)
    gender = encrypted(str, nullable=True)
    upn = encrypted(str, nullable=True)
    nhs_number = encrypted(str, nullable=True)
    address = encrypted(str, nullable=True)
    postcode = encrypted(str, nullable=True)
    ethnicity = encrypted(str, nullable=True)
    sen_status = encrypted(str, nullable=True)
    year_group = encrypted(str, nullable=True)

    upn_index = blind_index("upn", normalise="compact")
    nhs_number_index = blind_index("nhs_number", normalise="compact")
    surname_dob_index = blind_index("legal_surname", "date_of_birth")

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="pupil", order_by="Enrolment.start_date", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[PupilContact]] = relationship(
        back_populates="pupil", order_by="PupilContact.position", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        """The name staff use: preferred forename if there is one, then the legal surname."""
        return display_name(self.legal_forename, self.preferred_name, self.legal_surname)


class Enrolment(UUIDPrimaryKey, Base):
    """A period on a school's roll. `school_id` may be another school (history brought by a
    transfer or typed in by the DSL) while `pupil.school_id` is the school whose record it is."""

    __tablename__ = "enrolment"

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"), index=True)
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"))
    # A school outside the portal (another country, independent school...), typed by the DSL.
    other_school_name = encrypted(str, nullable=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    leaving_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pupil: Mapped[Pupil] = relationship(back_populates="enrolments")


class PupilContact(UUIDPrimaryKey, Base):
    """A parent, carer or other contact of the pupil, as the school's MIS holds them (taken from
    a Common Transfer File). Every personal column is encrypted; `position` is the MIS's order of
    priority (1 is called first)."""

    __tablename__ = "pupil_contact"

    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupil.id"), index=True)
    position: Mapped[int]
    name = encrypted(str)
    relationship_to_pupil = encrypted(str, nullable=True)
    parental_responsibility = encrypted(bool, nullable=True)
    # Each number with its kind, in the MIS's order: ["Home: 01632 960123", "Mobile: ..."]
    phones = encrypted(list, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pupil: Mapped[Pupil] = relationship(back_populates="contacts")
