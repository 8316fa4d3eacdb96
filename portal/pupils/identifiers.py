"""Validation and normalisation of a child's identifiers: UPN, NHS number, postcode, date of birth.

Each `validate_*` returns the normalised value or raises InvalidIdentifier with a message written
for the person at the keyboard (GOV.UK error message style). Messages never repeat the value.
"""

from __future__ import annotations

import re
from datetime import date

from portal.pupils.la_codes import LA_CODES

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
_UPN_SHAPE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
_POSTCODE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2})$")
MAX_AGE_YEARS = 25  # records are kept until the 25th birthday; nobody older is a child here


class InvalidIdentifier(ValueError):
    pass


def _compact(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


# --- UPN -------------------------------------------------------------------------------------


def upn_check_letter(body: str) -> str:
    """The check letter for characters 2-13 of a UPN.

    Each character is weighted by its position (2..13); a digit counts as its value, the letter
    of a temporary UPN (position 13) as its index in UPN_ALPHABET. The sum mod 23 indexes the
    alphabet.
    """
    total = 0
    for position, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else UPN_ALPHABET.index(char)
        total += value * position
    return UPN_ALPHABET[total % 23]


def validate_upn(value: str, extra_la_codes: frozenset[str] | set[str] = frozenset()) -> str:
    """A 13-character UPN: check letter, LA code, establishment number, year, serial.

    A temporary UPN ends in a letter. The LA code must be a DfE LA code or an LA registered here.
    """
    upn = _compact(value)
    if len(upn) != 13:
        raise InvalidIdentifier("Enter a UPN of 13 characters, like B801200005001")
    if not _UPN_SHAPE.match(upn) or upn[0] not in UPN_ALPHABET or (upn[12].isalpha() and upn[12] not in UPN_ALPHABET):
        raise InvalidIdentifier("Enter a UPN in the right format: a letter, 11 numbers, then a number or letter")
    if upn[1:4] not in LA_CODES and upn[1:4] not in extra_la_codes:
        raise InvalidIdentifier("Enter a UPN with a real local authority code in characters 2 to 4")
    if upn_check_letter(upn[1:]) != upn[0]:
        raise InvalidIdentifier("Enter a valid UPN: the check letter does not match. Check it for typing errors")
    return upn


def is_temporary_upn(upn: str) -> bool:
    return upn[-1].isalpha()


# --- NHS number ------------------------------------------------------------------------------


def validate_nhs_number(value: str) -> str:
    """10 digits; weights 10..2 on the first nine; 11 - (sum mod 11) is the check digit."""
    digits = _compact(value)
    if not re.fullmatch(r"\d{10}", digits):
        raise InvalidIdentifier("Enter an NHS number of 10 digits, like 943 476 5919")
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise InvalidIdentifier("Enter a valid NHS number: the check digit does not match. Check it for typing errors")
    return digits


def format_nhs_number(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


# --- postcode --------------------------------------------------------------------------------


def validate_postcode(value: str) -> str:
    """A UK postcode, stored upper case with one space before the inward code."""
    compact = _compact(value)
    if len(compact) < 5 or len(compact) > 7:
        raise InvalidIdentifier("Enter a real postcode, like AA1 1AA")
    postcode = f"{compact[:-3]} {compact[-3:]}"
    if not _POSTCODE.match(postcode):
        raise InvalidIdentifier("Enter a real postcode, like AA1 1AA")
    return postcode


# --- date of birth ---------------------------------------------------------------------------


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_date_of_birth(born: date, today: date | None = None) -> date:
    today = today or date.today()
    if born > today:
        raise InvalidIdentifier("Date of birth must be today or in the past")
    if age_on(born, today) >= MAX_AGE_YEARS:
        raise InvalidIdentifier("Date of birth must be less than 25 years ago: check the year")
    return born
