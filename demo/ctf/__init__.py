"""Common Transfer Files with invented pupils, for the demo, the tests and bench/.

`build_ctf` writes a CTF in the DfE's shape (CTfile / Header / CTFpupilData / Pupil); `invented_pupils`
makes any number of invented pupils with valid UPNs. `oakfield-full-roll.xml` beside this module is
the demo's file: Oakfield Primary School (LA 938, establishment 2001) exporting its roll.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape

from portal.pupils.identifiers import upn_check_letter

FORENAMES = ["Amara", "Bertie", "Cosima", "Dashiell", "Elodie", "Fintan", "Greer", "Hamish", "Isolde",
             "Jago", "Kestrel", "Lorcan", "Marisol", "Nico", "Orla", "Perrin", "Quilla", "Rafferty",
             "Saoirse", "Tobiah", "Ulla", "Vashti", "Wilf", "Xanthe", "Yannick", "Zinnia"]
SURNAMES = ["Abernethy-Osei", "Brackenbury", "Culpepper", "Drummond-Achebe", "Eversleigh", "Fairweather",
            "Gallimore", "Holloway-Nwosu", "Inchbald", "Jessamy", "Kilbride", "Lethbridge", "Marchbanks",
            "Nettleship", "Ockendon", "Pettigrew", "Quarrington", "Rainsford", "Stallybrass", "Thistlewood"]
STREETS = ["Elderberry Close", "Foxglove Way", "Heron Rise", "Kingfisher Lane", "Mallow Road", "Sorrel Court"]


def make_upn(la: str, estab: str, year: int, serial: int) -> str:
    body = f"{la}{estab}{year % 100:02d}{serial:03d}"
    return upn_check_letter(body) + body


@dataclass
class InventedContact:
    forename: str
    surname: str
    relationship: str = "PAM"  # the DfE's code: PAM mother, PAF father, CAR carer, ...
    responsibility: bool | None = True
    phones: list[tuple[str, str]] = field(default_factory=list)  # (TelephoneType, PhoneNo)


DEFAULT_CONTACTS = object()  # "a parent named after the pupil", the builder's default


@dataclass
class InventedPupil:
    upn: str
    forename: str
    surname: str
    dob: date
    sex: str = "F"
    former_upn: str | None = None
    preferred_forename: str | None = None
    preferred_surname: str | None = None
    nc_year: str | None = "3"
    ethnicity: str | None = "WBRI"
    sen: str | None = "N"
    paon: str | None = "12"
    street: str | None = "Foxglove Way"
    town: str | None = "Northtown"
    postcode: str | None = "NN1 4QT"
    nhs_number: str | None = None
    entry_date: date | None = date(2021, 9, 1)
    extra: list[str] = field(default_factory=list)  # raw XML elements the portal ignores
    contacts: object = DEFAULT_CONTACTS  # a list of InventedContact, or None for no Contacts element
    leaving_date: date | None = None  # from this school (SchoolHistory)
    next_school: tuple[str, str, str, date] | None = None  # (LEA, Estab, name, entry date)


def invented_pupils(count: int, *, la: str = "938", estab: str = "2001", seed: int = 17) -> list[InventedPupil]:
    rng = random.Random(seed)
    pupils = []
    for n in range(count):
        born = date(2014, 9, 1) + timedelta(days=rng.randrange(0, 6 * 365))
        year = max(1, min(6, 2026 - born.year - 5))
        pupils.append(InventedPupil(
            upn=make_upn(la, estab, 2019 + n // 1000, n % 1000), forename=rng.choice(FORENAMES),
            surname=f"{rng.choice(SURNAMES)}{'' if n < len(SURNAMES) else '-' + str(n)}", dob=born,
            entry_date=date(born.year + (5 if born.month >= 9 else 4), 9, 1), sex=rng.choice("MF"), nc_year=str(year), sen=rng.choice("NNNNK"),
            paon=str(rng.randrange(1, 120)), street=rng.choice(STREETS),
            postcode=f"NN{rng.randrange(1, 9)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXY')}{rng.choice('ABDEFGHJLNPQRSTUWXY')}",
        ))
    return pupils


def _el(name: str, value) -> str:
    return "" if value in (None, "") else f"<{name}>{escape(str(value))}</{name}>"


def default_contacts(p: InventedPupil) -> list[InventedContact]:
    """A mother named after the pupil, with a mobile number from Ofcom's drama range."""
    serial = int(p.upn[-3:]) if p.upn and p.upn[-3:].isdigit() else 0
    return [InventedContact(FORENAMES[(serial * 7) % len(FORENAMES)], p.surname, "PAM", True,
                            [("M", f"07700 900{serial % 1000:03d}")])]


def _contacts_xml(p: InventedPupil) -> str:
    contacts = default_contacts(p) if p.contacts is DEFAULT_CONTACTS else p.contacts
    if contacts is None:
        return ""
    parts = []
    for order, c in enumerate(contacts, start=1):
        phones = "".join(f"<Phone><TelephoneType>{escape(kind)}</TelephoneType><PhoneNo>{escape(number)}</PhoneNo></Phone>"
                         for kind, number in c.phones)
        responsibility = None if c.responsibility is None else ("true" if c.responsibility else "false")
        parts.append("<Contact>" + _el("Order", order) + _el("Surname", c.surname) + _el("Forename", c.forename)
                     + _el("Relationship", c.relationship) + _el("Responsibility", responsibility)
                     + (f"<Phones>{phones}</Phones>" if phones else "") + "</Contact>")
    return "<Contacts>" + "".join(parts) + "</Contacts>"


def pupil_xml(p: InventedPupil, la: str, estab: str) -> str:
    basic = "".join([_el("FormerUPN", p.former_upn), _el("PreferredSurname", p.preferred_surname),
                     _el("PreferredForename", p.preferred_forename), _el("NCyearActual", p.nc_year),
                     _el("Ethnicity", p.ethnicity), _el("EthnicitySource", "P" if p.ethnicity else None),
                     "<Languages><Type><LanguageType>F</LanguageType><Language>ENG</Language></Type></Languages>",
                     _el("EnrolStatus", "C")])
    sen = f"<SENhistory><SEN>{_el('StartDate', '2022-09-01')}{_el('SENprovision', p.sen)}</SEN></SENhistory>" if p.sen else ""
    address = ""
    if p.paon or p.postcode:
        address = ("<Address><BS7666Address>" + _el("PAON", p.paon) + _el("Street", p.street) + _el("Town", p.town)
                   + _el("PostTown", p.town) + "</BS7666Address>" + _el("PostCode", p.postcode) + "</Address>")
    history = (f"<SchoolHistory><School><LEA>{la}</LEA><Estab>{estab}</Estab><SchoolName>Oakfield Primary School</SchoolName>"
               f"{_el('EntryDate', p.entry_date)}</School></SchoolHistory>") if p.entry_date else ""
    contacts = _contacts_xml(p)
    if p.entry_date and (p.leaving_date or p.next_school):
        school = (f"<School><LEA>{la}</LEA><Estab>{estab}</Estab><SchoolName>Oakfield Primary School</SchoolName>"
                  f"{_el('EntryDate', p.entry_date)}{_el('LeavingDate', p.leaving_date)}</School>")
        following = ""
        if p.next_school:
            n_la, n_estab, n_name, n_entry = p.next_school
            following = (f"<School><LEA>{n_la}</LEA><Estab>{n_estab}</Estab>{_el('SchoolName', n_name)}"
                         f"{_el('EntryDate', n_entry)}</School>")
        history = f"<SchoolHistory>{school}{following}</SchoolHistory>"
    return ("<Pupil>" + _el("UPN", p.upn) + _el("UniqueLearnerNumber", None) + _el("Surname", p.surname)
            + _el("Forename", p.forename) + _el("DOB", p.dob) + _el("Sex", p.sex) + _el("NHSnumber", p.nhs_number)
            + f"<BasicDetails>{basic}</BasicDetails>" + sen + address + contacts + history + "".join(p.extra)
            + "</Pupil>")


def build_ctf(pupils: list[InventedPupil], *, source: tuple[str, str] = ("938", "2001"),
              dest: tuple[str, str] | None = ("938", "2001"), version: str = "25.0",
              school_name: str = "Oakfield Primary School", qualifier: str = "full",
              written: str = "2026-11-30T16:05:12") -> bytes:
    la, estab = source
    dest_xml = f"<DestSchool><LEA>{dest[0]}</LEA><Estab>{dest[1]}</Estab></DestSchool>" if dest else ""
    header = ("<Header><DocumentName>Common Transfer File</DocumentName>" + _el("CTFversion", version)
              + _el("DateTime", written) + _el("DocumentQualifier", qualifier)
              + "<SupplierID>Invented MIS</SupplierID>"
              + f"<SourceSchool><LEA>{la}</LEA><Estab>{estab}</Estab>{_el('SchoolName', school_name)}"
              + "<AcademicYear>2026</AcademicYear></SourceSchool>" + dest_xml + "</Header>")
    body = "".join(pupil_xml(p, la, estab) for p in pupils)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<CTfile>{header}<CTFpupilData>{body}</CTFpupilData></CTfile>\n'
            ).encode()


# --- the demo's two files for Oakfield -------------------------------------------------------

OAKFIELD = ("938", "2001")
RIVERSIDE = ("938", "4001")  # Riverside Academy: LAESTAB 9384001 (URN 938002)
FIRST_FILE = "oakfield-full-roll.xml"
SECOND_FILE = "oakfield-second-roll.xml"
OLIVER_LEAVES_ON = date(2026, 12, 4)  # a Friday: his file is due 5 school days later, Friday 11 December
# Riverside's file: the CTF that came with a joining pupil, Zara, from Oakfield (whose child
# protection file the demo seed sends to Riverside, where it waits).
JOINER_FILE = "riverside-joiner-zara.xml"
ZARA_UPN = make_upn("938", "2001", 2023, 700)  # V938200123700, as the demo seed gives her


def _seeded_children() -> list[tuple[str, str, date, str]]:
    """The other children the demo seed puts on Oakfield's roll (the council dashboard's history
    of referrals), in a fixed order: (forename, surname, date of birth, sex)."""
    from demo.triage_history import _plan

    seen, children = set(), []
    for item in _plan(date(2026, 12, 7)):  # the children are the same whatever the day
        urn, forename, surname, born, sex = item["pupil"]
        if urn == "938001" and (surname, born) not in seen:
            seen.add((surname, born))
            children.append((forename, surname, born, sex))
    return children


OLIVER_UPN = make_upn("938", "2001", 2021, 500)


def _history_upn(n: int) -> str:
    return make_upn("938", "2001", 2024, 600 + n)


def oakfield_roll() -> list[InventedPupil]:
    """Oakfield's roll as its MIS exports it: the demo seed's pupils on roll (Amelia and Oliver,
    and the children of the council dashboard's referral history), each with the UPN the seed
    gives them (`seed_demo_upns`), and 24 invented pupils the portal does not hold yet."""
    amelia = InventedPupil(
        upn="V938123456789", forename="Amelia", surname="Hartley-Nkemelu", preferred_forename="Millie",
        dob=date(2014, 3, 9), sex="F", nhs_number="9434765919", nc_year=None, ethnicity="MWBA", sen="K",
        paon="Flat 2, 14", street="Larch Road", postcode="NN1 4QT", entry_date=date(2025, 9, 3),
        contacts=[InventedContact("Grace", "Hartley", "PAM", True, [("M", "07700 900412"), ("H", "01632 960412")]),
                  InventedContact("Daniel", "Nkemelu", "PAF", True, [("M", "07700 900413")]),
                  InventedContact("Pat", "Hartley", "GRM", False, [("H", "01632 960414")])])
    oliver = InventedPupil(
        upn=OLIVER_UPN, forename="Oliver", surname="Brennan-Shaw", dob=date(2016, 11, 2),
        sex="M", nhs_number="4010232137", nc_year="5", paon="31", street="Alder Walk", postcode="NN1 5RB",
        entry_date=date(2025, 9, 3),
        contacts=[InventedContact("Kerry", "Brennan", "PAM", True, [("M", "07700 900520")]),
                  InventedContact("Lee", "Shaw", "STF", False, [("M", "07700 900521")])])
    history = [
        InventedPupil(upn=_history_upn(n), forename=forename, surname=surname, dob=born, sex=sex[0],
                      nc_year=None, ethnicity=None, sen=None, paon=str(10 + n), street="Rowan Street",
                      postcode="NN2 4HB", entry_date=date(2024, 9, 4))
        for n, (forename, surname, born, sex) in enumerate(_seeded_children())
    ]
    return [amelia, oliver] + history + invented_pupils(24)


def seed_demo_upns() -> None:
    """The UPNs Oakfield's MIS holds for the demo's pupils whose records were seeded without one,
    so that the demo's CTF matches them by UPN (run by the demo seed, after the pupils)."""
    from portal.orgs.service import get_school_by_urn
    from portal.pupils.service import find_by_identifiers

    school = get_school_by_urn("938001")
    if school is None:
        return
    wanted = [("Brennan-Shaw", date(2016, 11, 2), OLIVER_UPN), ("Okonkwo", date(2018, 6, 21), ZARA_UPN)]
    wanted += [(surname, born, _history_upn(n)) for n, (_f, surname, born, _s) in enumerate(_seeded_children())]
    for surname, born, upn in wanted:
        for pupil in find_by_identifiers(school, surname=surname, date_of_birth=born):
            if pupil.upn is None:
                pupil.upn = upn


def zara_joining() -> InventedPupil:
    """Zara as Oakfield's MIS exports her for Riverside, her new school: the details the demo seed
    gives her, her time at Oakfield in her school history, and a parent."""
    return InventedPupil(
        upn=ZARA_UPN, forename="Zara", surname="Okonkwo", dob=date(2018, 6, 21), sex="F", nc_year="4",
        ethnicity=None, sen=None, paon="7", street="Sorrel Court", town="Northtown", postcode="NN2 6JD",
        entry_date=date(2025, 9, 3), leaving_date=OLIVER_LEAVES_ON,
        contacts=[InventedContact("Adaeze", "Okonkwo", "PAM", True, [("M", "07700 900731")])])


def demo_files() -> dict[str, bytes]:
    """The first file (Oakfield's full roll, 30 November) and the second (4 December): the same
    roll with exactly one leaver, Oliver (leaving date 4 December; the file is addressed to
    Riverside Academy, LAESTAB 9384001, his new school) and one changed address (the first of
    the invented pupils). The third is Riverside's: the CTF Oakfield exported for Zara, a joiner
    whose child protection file waits at Riverside (offered when this file is imported)."""
    first = oakfield_roll()
    second = oakfield_roll()
    second[1].leaving_date = OLIVER_LEAVES_ON
    moved = next(p for p in second if p.upn == invented_pupils(1)[0].upn)
    moved.paon, moved.street, moved.postcode = "5", "Wren Gardens", "NN2 8QD"
    return {
        FIRST_FILE: build_ctf(first, source=OAKFIELD, dest=OAKFIELD),
        SECOND_FILE: build_ctf(second, source=OAKFIELD, dest=RIVERSIDE, written="2026-12-04T16:30:00"),
        JOINER_FILE: build_ctf([zara_joining()], source=OAKFIELD, dest=RIVERSIDE, qualifier="partial",
                               written="2026-12-04T16:45:00"),
    }



def write_demo_files() -> list[str]:
    """Write the demo's files beside this module (`.venv/bin/python -m demo.ctf`)."""
    from pathlib import Path

    written = []
    for name, content in demo_files().items():
        (Path(__file__).parent / name).write_bytes(content)
        written.append(f"demo/ctf/{name}")
    return written
