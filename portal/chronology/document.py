"""What a printed or exported chronology says about itself: whose it is, who produced it and
when, and which filters were applied (a court bundle must show what was left out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.chronology.entries import Entry
from portal.chronology.service import Filters
from portal.db import utcnow
from portal.pupils.models import Pupil
from portal.templating import uk_date, uk_datetime

MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class PupilIdentifiers:
    name: str
    known_as: str | None
    date_of_birth: str
    upn: str | None

    @classmethod
    def of(cls, pupil: Pupil) -> PupilIdentifiers:
        legal = f"{pupil.legal_forename} {pupil.legal_surname}"
        preferred = pupil.preferred_name
        return cls(
            name=legal,
            known_as=preferred if preferred and preferred != pupil.legal_forename else None,
            date_of_birth=uk_date(pupil.date_of_birth),
            upn=pupil.upn or None,
        )

    def line(self) -> str:
        """One line for the top of every page."""
        parts = [self.name, f"Date of birth {self.date_of_birth}"]
        if self.upn:
            parts.append(f"UPN {self.upn}")
        return " · ".join(parts)


@dataclass(frozen=True)
class ChronologyDocument:
    pupil: PupilIdentifiers
    school_name: str
    entries: list[Entry]
    filters: Filters
    produced_by: str
    produced_at: datetime

    @property
    def produced_line(self) -> str:
        return f"Produced by {self.produced_by} on {uk_datetime(self.produced_at)}"


def document_for(pupil: Pupil, school_name: str, entries: list[Entry], filters: Filters, viewer) -> ChronologyDocument:
    org = viewer.organisation.name if viewer.organisation is not None else ""
    return ChronologyDocument(
        pupil=PupilIdentifiers.of(pupil),
        school_name=school_name,
        entries=entries,
        filters=filters,
        produced_by=f"{viewer.display_name} ({org})" if org else viewer.display_name,
        produced_at=utcnow(),
    )
