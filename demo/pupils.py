"""Demo pupils: invented children only. Idempotent (matched by UPN within each school)."""

from __future__ import annotations

from datetime import date

from portal.orgs.service import get_school_by_urn
from portal.pupils.service import PupilDetails, add_pupil, find_by_identifiers

# (school URN, forename, surname, preferred, date of birth, sex, UPN, NHS number, year group, postcode)
DEMO_PUPILS = [
    ("938001", "Amelia", "Hartley-Nkemelu", "Millie", date(2014, 3, 9), "Female", "V938123456789", "9434765919", None, "NN1 4QT"),
    ("938001", "Oliver", "Brennan-Shaw", None, date(2016, 11, 2), "Male", None, "4010232137", "Year 5", "NN1 5RB"),
    # Zara's UPN (valid check letter) is the one her joining CTF at Riverside gives (demo/ctf): the
    # file Oakfield sent her way waits there and is offered when that CTF is imported.
    ("938001", "Zara", "Okonkwo", None, date(2018, 6, 21), "Female", "V938200123700", None, "Year 4", "NN2 6JD"),
    ("938002", "Kai", "Whitfield", None, date(2011, 1, 15), "Male", None, None, "Year 11", "NN3 2PL"),
    ("938002", "Sofia", "Marchetti-Lowe", "Sofi", date(2012, 8, 30), "Female", None, None, "Year 10", "NN3 7AW"),
    ("939001", "Ethan", "Rahimi", None, date(2011, 4, 4), "Male", None, None, "Year 11", "SM4 1XE"),
    ("939001", "Lily-Mae", "Ferreira", None, date(2012, 12, 12), "Female", None, None, "Year 9", "SM4 8HN"),
]


def seed_demo_pupils() -> None:
    for urn, forename, surname, preferred, born, sex, upn, nhs, year, postcode in DEMO_PUPILS:
        school = get_school_by_urn(urn)
        if school is None or find_by_identifiers(school, surname=surname, date_of_birth=born):
            continue
        add_pupil(
            school,
            PupilDetails(
                legal_forename=forename,
                legal_surname=surname,
                preferred_name=preferred,
                date_of_birth=born,
                sex=sex,
                upn=upn,
                nhs_number=nhs,
                year_group=year,
                postcode=postcode,
                address="Flat 2, 14 Larch Road" if forename == "Amelia" else None,
                start_date=date(2025, 9, 3),
            ),
            allow_duplicate=True,
            audited=False,
        )
