from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Timestamps, UUIDPrimaryKey


class LocalAuthority(UUIDPrimaryKey, Timestamps, Base):
    """A council: owns triage, the case-system connection and the sharing policy."""

    __tablename__ = "local_authority"

    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Goes up by one with every committed change to this council's referrals queue (see
    # portal/triage/queue_changes.py): the queue page's cache is keyed on it.
    queue_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    schools: Mapped[list[School]] = relationship(back_populates="local_authority", order_by="School.name")


class School(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("laestab", name="uq_school_laestab"),)

    urn: Mapped[str] = mapped_column(String(6), unique=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    establishment_number: Mapped[str] = mapped_column(String(4))
    laestab: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    # One more with every committed change to the school's pupils (portal/pupils/roll_changes.py):
    # the key of the roll's cached names (portal/pupils/roll_names.py).
    roll_version: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    local_authority: Mapped[LocalAuthority] = relationship(back_populates="schools")


class AgencySector(StrEnum):
    """The broad source of a referral, as reports and the triage queue count them."""

    SCHOOL = "school"  # never an Agency's sector: the portal's schools, for counting beside them
    POLICE = "police"
    HEALTH = "health"
    EDUCATION = "education"  # early years settings and colleges (schools are School rows)
    VOLUNTARY = "voluntary"
    LOCAL_AUTHORITY = "local_authority"

    @property
    def label(self) -> str:
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    AgencySector.SCHOOL: "Schools",
    AgencySector.POLICE: "Police",
    AgencySector.HEALTH: "Health",
    AgencySector.EDUCATION: "Early years and colleges",
    AgencySector.VOLUNTARY: "Voluntary and community",
    AgencySector.LOCAL_AUTHORITY: "Other council services",
}


class AgencyKind(StrEnum):
    """What kind of partner agency an organisation is (Agency.kind; at most 30 characters)."""

    POLICE_FORCE = "police_force"
    POLICE_TEAM = "police_team"
    GP_PRACTICE = "gp_practice"
    HEALTH_VISITING = "health_visiting"
    SCHOOL_NURSING = "school_nursing"
    HOSPITAL_SAFEGUARDING = "hospital_safeguarding"
    CAMHS = "camhs"
    EARLY_YEARS = "early_years"
    FURTHER_EDUCATION = "further_education"
    VOLUNTARY = "voluntary"
    OTHER_LA_SERVICE = "other_la_service"

    @property
    def label(self) -> str:
        return AGENCY_KIND_LABELS[self][0]

    @property
    def sector(self) -> AgencySector:
        return AGENCY_KIND_LABELS[self][1]

    @property
    def is_police(self) -> bool:
        return self.sector is AgencySector.POLICE

    @property
    def is_health(self) -> bool:
        return self.sector is AgencySector.HEALTH


AGENCY_KIND_LABELS = {
    AgencyKind.POLICE_FORCE: ("Police force", AgencySector.POLICE),
    AgencyKind.POLICE_TEAM: ("Police team", AgencySector.POLICE),
    AgencyKind.GP_PRACTICE: ("GP practice", AgencySector.HEALTH),
    AgencyKind.HEALTH_VISITING: ("Health visiting", AgencySector.HEALTH),
    AgencyKind.SCHOOL_NURSING: ("School nursing", AgencySector.HEALTH),
    AgencyKind.HOSPITAL_SAFEGUARDING: ("Hospital safeguarding team", AgencySector.HEALTH),
    AgencyKind.CAMHS: ("Child and adolescent mental health services (CAMHS)", AgencySector.HEALTH),
    AgencyKind.EARLY_YEARS: ("Early years setting", AgencySector.EDUCATION),
    AgencyKind.FURTHER_EDUCATION: ("College or further education", AgencySector.EDUCATION),
    AgencyKind.VOLUNTARY: ("Voluntary or community organisation", AgencySector.VOLUNTARY),
    AgencyKind.OTHER_LA_SERVICE: ("Other council service", AgencySector.LOCAL_AUTHORITY),
}


class Agency(UUIDPrimaryKey, Timestamps, Base):
    """A partner agency: an organisation outside the portal's schools and councils whose people
    refer children to the council's front door (police, health, early years, colleges, voluntary
    organisations, other council services). The LA admin of the council whose area it works in
    registers it; that council is its home, and it refers there (and to the neighbouring councils
    listed in AgencyReferralArea)."""

    __tablename__ = "agency"

    kind: Mapped[str] = mapped_column(String(30))  # an AgencyKind
    name: Mapped[str] = mapped_column(String(200))
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"), index=True)
    # NHS organisations' ODS code (a GP practice: a letter and five digits); None for others.
    ods_code: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)

    local_authority: Mapped[LocalAuthority] = relationship()
    referral_areas: Mapped[list[AgencyReferralArea]] = relationship(
        back_populates="agency", cascade="all, delete-orphan"
    )

    @property
    def kind_enum(self) -> AgencyKind:
        return AgencyKind(self.kind)

    @property
    def referral_la_ids(self) -> frozenset[uuid.UUID]:
        """The councils this agency may refer to: its own, and the neighbours its LA allowed."""
        return frozenset({self.local_authority_id, *(area.local_authority_id for area in self.referral_areas)})


class AgencyReferralArea(UUIDPrimaryKey, Base):
    """A neighbouring council an agency may also refer to (its home LA's admin allows it)."""

    __tablename__ = "agency_referral_area"
    __table_args__ = (UniqueConstraint("agency_id", "local_authority_id", name="uq_agency_referral_area"),)

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    local_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("local_authority.id"))

    agency: Mapped[Agency] = relationship(back_populates="referral_areas")
