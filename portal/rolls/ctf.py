"""Reading a DfE Common Transfer File (CTF) as hostile input.

A CTF is the XML every school MIS (SIMS, Arbor, Bromcom, Scholarpack, ...) exports and imports
to move pupil data between schools. Its shape, as the DfE specification names it:

    CTfile
      Header: DocumentName ("Common Transfer File"), CTFversion, DateTime, DocumentQualifier,
              SourceSchool (LEA, Estab, SchoolName, AcademicYear), DestSchool (LEA, Estab)
      CTFpupilData
        Pupil: UPN, UniqueLearnerNumber, Surname, Forename, DOB, Sex (Gender before CTF 19),
               BasicDetails (FormerUPN, PreferredSurname, PreferredForename, NCyearActual,
                             Ethnicity, ...), SENhistory (SEN: StartDate, SENprovision),
               Address (BS7666Address: SAON, PAON, Street, Locality, Town, AdministrativeArea,
                        PostTown | AddressLines: AddressLine1..5; PostCode),
               Contacts (Contact: Order, Title, Surname, Forename, Relationship, Responsibility,
                         Phones (Phone: TelephoneType, PhoneNo), Email, Address, ...),
               SchoolHistory (School: LEA, Estab, SchoolName, EntryDate, LeavingDate, ...), ...

Parsing: defusedxml refuses any DTD (so no entity declarations at all: no external entities, no
entity expansion), and the size is limited before a byte is parsed. Nothing here touches the
database; every refusal is a CtfRefused with a message for the DSL that never repeats a value
from the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_CTF_BYTES = 20 * 1024 * 1024  # a 2,000-pupil full roll with every section is about 10 MB
SUPPORTED_MAJOR_VERSIONS = range(16, 27)  # CTF 16.0 (2016/17) to CTF 26.x
SUPPORTED_DESCRIPTION = "CTF versions 16 to 26"

SEXES = {"M": "Male", "F": "Female", "U": "Not known", "MALE": "Male", "FEMALE": "Female"}
# SENprovision: N none, K SEN support, E EHC plan; before 2015: A School Action, P School Action
# Plus, S statement.
SEN_PROVISION = {
    "N": "No special educational needs",
    "K": "SEN support",
    "A": "SEN support",
    "P": "SEN support",
    "E": "Education, health and care plan",
    "S": "Education, health and care plan",
}
# The DfE's main ethnicity codes (the extended codes begin with one of these or are shown as given).
ETHNICITIES = {
    "WBRI": "White - British", "WIRI": "White - Irish", "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy / Roma", "WOTH": "Any other White background",
    "MWBC": "White and Black Caribbean", "MWBA": "White and Black African", "MWAS": "White and Asian",
    "MOTH": "Any other mixed background", "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background", "BCRB": "Black Caribbean", "BAFR": "Black - African",
    "BOTH": "Any other Black background", "CHNE": "Chinese", "OOTH": "Any other ethnic group",
    "REFU": "Refused", "NOBT": "Information not yet obtained",
}
# What the portal takes from a pupil; every other element is named in the preview as ignored.
TAKEN = {"UPN", "Surname", "Forename", "DOB", "Sex", "Gender", "BasicDetails", "SENhistory",
         "Address", "SchoolHistory", "NHSnumber", "Contacts"}
# What the portal takes from a contact (for the referral form's household section and the pupil
# page); a contact's other elements (email, address, gender, ...) are named as ignored.
TAKEN_CONTACT = {"Order", "Title", "Surname", "Forename", "Relationship", "Responsibility", "Phones"}
# The DfE's "relationship to pupil" codes (CBDS D00033); another code is shown as given.
RELATIONSHIPS = {
    "PAM": "Mother", "PAF": "Father", "PAR": "Parent", "STM": "Step-mother", "STF": "Step-father",
    "STP": "Step-parent", "FOM": "Foster mother", "FOF": "Foster father", "FOP": "Foster parent",
    "CAR": "Carer", "GRM": "Grandmother", "GRF": "Grandfather", "GRP": "Grandparent",
    "REL": "Other relative", "FAM": "Other family member", "CHM": "Childminder", "DOC": "Doctor",
    "SWR": "Social worker", "HTC": "Head teacher", "OTH": "Other contact",
}
# TelephoneType: H home, W work, M mobile, F fax; anything else is "Other".
PHONE_TYPES = {"H": "Home", "W": "Work", "M": "Mobile", "F": "Fax"}
TAKEN_BASIC = {"FormerUPN", "PreferredSurname", "PreferredForename", "NCyearActual", "Ethnicity", "NHSnumber"}


class CtfRefused(ValueError):
    """The file is not a CTF the portal can read. The message is for the DSL."""


@dataclass(frozen=True)
class CtfSchool:
    la_code: str
    estab: str
    name: str | None = None

    @property
    def laestab(self) -> str:
        return f"{self.la_code}{self.estab}"


@dataclass(frozen=True)
class CtfContact:
    """One of a pupil's contacts, in the MIS's priority order."""

    order: int
    name: str
    relationship: str | None
    parental_responsibility: bool | None
    phones: tuple[str, ...]  # "Home: 01632 960123", "Mobile: 07700 900123"


@dataclass
class CtfPupil:
    position: int  # 1-based place in the file: how the preview and the confirmation name a pupil
    upn: str | None
    former_upn: str | None
    surname: str | None
    forename: str | None
    preferred_surname: str | None
    preferred_forename: str | None
    date_of_birth: date | None
    date_of_birth_invalid: bool
    sex: str | None
    nhs_number: str | None
    address: str | None
    postcode: str | None
    ethnicity: str | None
    sen_status: str | None
    year_group: str | None
    entry_date: date | None
    leaving_date: date | None
    next_school: CtfSchool | None = None  # SchoolHistory: the school entered after leaving this one
    contacts: tuple[CtfContact, ...] = ()
    contacts_given: bool = False  # the file has a Contacts element (empty: the pupil has none)


@dataclass
class CtfFile:
    version: str
    source: CtfSchool
    destination: CtfSchool | None
    pupils: list[CtfPupil]
    ignored: list[str] = field(default_factory=list)  # element names present but not taken
    qualifier: str | None = None  # Header/DocumentQualifier: "full" or "partial"
    exported_on: date | None = None  # Header/DateTime, the day the MIS wrote the file

    def full_roll_of(self, laestab: str) -> bool:
        """Whether this file is the school's whole roll, so that a pupil on the roll and not in
        it has left. The rule: the school exported it itself (SourceSchool is the school), its
        DocumentQualifier is "full" (or absent, as in older exports), and it is addressed to
        nobody else (no DestSchool, or the school itself). A "partial" file, or one exported for
        another school (a leaver's CTF, DestSchool another LAESTAB), or one that came in from
        another school, holds only some pupils: a pupil missing from it has not left."""
        if self.source.laestab != laestab:
            return False
        if self.qualifier is not None and self.qualifier.casefold() != "full":
            return False
        return self.destination is None or self.destination.laestab == laestab


def _text(parent: Element | None, name: str) -> str | None:
    if parent is None:
        return None
    child = parent.find(name)
    if child is None or child.text is None:
        return None
    value = " ".join(child.text.split())
    return value or None


def _date(value: str | None) -> tuple[date | None, bool]:
    if not value:
        return None, False
    try:
        return date.fromisoformat(value[:10]), False
    except ValueError:
        return None, True


def year_group(nc_year: str | None) -> str | None:
    if not nc_year:
        return None
    value = nc_year.strip().upper()
    if value in ("N1", "N2", "E1", "E2"):
        return "Nursery"
    if value == "R":
        return "Reception"
    if value.isdigit() and 1 <= int(value) <= 13:
        return f"Year {int(value)}"
    return None


def _address(element: Element | None) -> tuple[str | None, str | None]:
    if element is None:
        return None, None
    parts: list[str] = []
    bs7666 = element.find("BS7666Address")
    if bs7666 is not None:
        saon, paon, street = (_text(bs7666, n) for n in ("SAON", "PAON", "Street"))
        first = " ".join(p for p in (paon, street) if p)
        parts = [p for p in (saon, first, _text(bs7666, "Locality"), _text(bs7666, "Town"),
                             _text(bs7666, "PostTown"), _text(bs7666, "AdministrativeArea")) if p]
    lines = element.find("AddressLines")
    if not parts and lines is not None:
        parts = [p for p in (_text(lines, f"AddressLine{n}") for n in range(1, 6)) if p]
    postcode = _text(element, "PostCode") or _text(element, "Zip")
    # A town repeated as post town (common in MIS exports) is said once.
    unique: list[str] = []
    for part in parts:
        if part.casefold() not in (u.casefold() for u in unique):
            unique.append(part)
    return (", ".join(unique) or None), postcode


def _school(element: Element | None) -> CtfSchool | None:
    la, estab = _text(element, "LEA"), _text(element, "Estab")
    if not la or not estab:
        return None
    return CtfSchool(la, estab, _text(element, "SchoolName"))


def _responsibility(value: str | None) -> bool | None:
    if value is None:
        return None
    value = value.casefold()
    if value in ("true", "1", "yes", "y"):
        return True
    if value in ("false", "0", "no", "n"):
        return False
    return None


def _contacts(element: Element | None, ignored: set[str]) -> tuple[CtfContact, ...]:
    if element is None:
        return ()
    found = []
    for n, contact in enumerate(element.findall("Contact"), start=1):
        for child in contact:
            if child.tag not in TAKEN_CONTACT:
                ignored.add(f"Contacts/{child.tag}")
        name = " ".join(p for p in (_text(contact, "Title"), _text(contact, "Forename"),
                                     _text(contact, "Surname")) if p)
        if not name:
            continue  # a contact without a name cannot be offered to anyone
        code = (_text(contact, "Relationship") or "").upper()
        phones = []
        for phone in contact.findall("Phones/Phone"):
            number = _text(phone, "PhoneNo")
            if number:
                kind = PHONE_TYPES.get((_text(phone, "TelephoneType") or "").upper(), "Other")
                phones.append(f"{kind}: {number[:40]}")
        order = _text(contact, "Order") or ""
        found.append(CtfContact(
            order=int(order) if order.isdigit() else 1000 + n,
            name=name[:200],
            relationship=(RELATIONSHIPS.get(code, code[:100]) if code else None),
            parental_responsibility=_responsibility(_text(contact, "Responsibility")),
            phones=tuple(phones[:5]),
        ))
    return tuple(sorted(found, key=lambda c: c.order)[:20])


def _pupil(position: int, element: Element, school: CtfSchool | None, ignored: set[str]) -> CtfPupil:
    basic = element.find("BasicDetails")
    for child in element:
        if child.tag not in TAKEN:
            ignored.add(child.tag)
    if basic is not None:
        for child in basic:
            if child.tag not in TAKEN_BASIC:
                ignored.add(f"BasicDetails/{child.tag}")
    born, born_invalid = _date(_text(element, "DOB"))
    sex_code = (_text(element, "Sex") or _text(element, "Gender") or "").upper()
    sen = element.find("SENhistory/SEN")
    ethnicity_code = (_text(basic, "Ethnicity") or "").upper()
    address, postcode = _address(element.find("Address"))
    entry = leaving = None
    others: list[tuple[date | None, CtfSchool]] = []
    if school is not None:
        for history in element.findall("SchoolHistory/School"):
            if _text(history, "LEA") == school.la_code and _text(history, "Estab") == school.estab:
                entry = _date(_text(history, "EntryDate"))[0] or entry
                leaving = _date(_text(history, "LeavingDate"))[0] or leaving
            elif (other := _school(history)) is not None:
                others.append((_date(_text(history, "EntryDate"))[0], other))
    # The next school, when the MIS knows it: a school in the history entered on or after the
    # leaving date from this one.
    next_school = next((other for entered, other in others
                        if leaving is not None and entered is not None and entered >= leaving), None)
    return CtfPupil(
        position=position,
        upn=_text(element, "UPN"),
        former_upn=_text(basic, "FormerUPN"),
        surname=_text(element, "Surname"),
        forename=_text(element, "Forename"),
        preferred_surname=_text(basic, "PreferredSurname"),
        preferred_forename=_text(basic, "PreferredForename"),
        date_of_birth=born,
        date_of_birth_invalid=born_invalid,
        sex=SEXES.get(sex_code) if sex_code else None,
        nhs_number=_text(element, "NHSnumber") or _text(basic, "NHSnumber"),
        address=address,
        postcode=postcode,
        ethnicity=(ETHNICITIES.get(ethnicity_code[:4], ethnicity_code) if ethnicity_code else None),
        sen_status=SEN_PROVISION.get((_text(sen, "SENprovision") or "").upper()) if sen is not None else None,
        year_group=year_group(_text(basic, "NCyearActual")),
        entry_date=entry,
        leaving_date=leaving,
        next_school=next_school,
        contacts=_contacts(element.find("Contacts"), ignored),
        contacts_given=element.find("Contacts") is not None,
    )


def parse(content: bytes, *, laestab: str) -> CtfFile:
    """The CTF in `content`, checked against the school `laestab` (LA code + establishment
    number): it must come from this school (its own MIS export) or be addressed to it."""
    if len(content) > MAX_CTF_BYTES:
        raise CtfRefused(f"The selected file must be smaller than {MAX_CTF_BYTES // (1024 * 1024)}MB")
    if not content.strip():
        raise CtfRefused("The selected file is empty")
    try:
        root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise CtfRefused("The selected file declares a document type or entities, which a CTF never "
                         "does: it was not imported. Export the CTF from your MIS again") from None
    except (ParseError, ValueError):
        raise CtfRefused("The selected file is not a Common Transfer File: it is not well-formed XML") from None
    if root.tag != "CTfile":
        raise CtfRefused("The selected file is not a Common Transfer File: it does not start with CTfile")
    header = root.find("Header")
    if header is None:
        raise CtfRefused("The selected file is not a Common Transfer File: it has no Header")
    name = _text(header, "DocumentName")
    if name is not None and name.casefold() != "common transfer file":
        raise CtfRefused("The selected file is not a Common Transfer File: its DocumentName is something else")
    version = _text(header, "CTFversion") or ""
    major = version.split(".")[0]
    if not major.isdigit() or int(major) not in SUPPORTED_MAJOR_VERSIONS:
        raise CtfRefused(f"The selected file’s CTF version is not supported: the portal reads {SUPPORTED_DESCRIPTION}. "
                         "Export it again from an up-to-date MIS")
    source = _school(header.find("SourceSchool"))
    if source is None:
        raise CtfRefused("The selected file’s header does not name its source school (LEA and Estab)")
    destination = _school(header.find("DestSchool"))
    here = {source.laestab == laestab, destination is not None and destination.laestab == laestab}
    if True not in here:
        raise CtfRefused("The selected file is neither from your school nor addressed to it: "
                         "its source and destination schools (LEA and Estab) are other schools")
    data = root.find("CTFpupilData")
    ignored: set[str] = set()
    this_school = source if source.laestab == laestab else destination
    pupils = [_pupil(n, element, this_school, ignored)
              for n, element in enumerate(data.findall("Pupil") if data is not None else [], start=1)]
    for child in root:
        if child.tag not in ("Header", "CTFpupilData"):
            ignored.add(child.tag)
    exported_on, _invalid = _date(_text(header, "DateTime"))
    return CtfFile(version, source, destination, pupils, sorted(ignored),
                   qualifier=_text(header, "DocumentQualifier"), exported_on=exported_on)
