from datetime import date

import pytest

from portal.pupils.identifiers import (
    InvalidIdentifier,
    format_nhs_number,
    is_temporary_upn,
    validate_date_of_birth,
    validate_nhs_number,
    validate_postcode,
    validate_upn,
)


@pytest.mark.parametrize("upn", ["B801200005001", "P207000016049", "T886234524123", "U93621012501A", "V938123456789"])
def test_valid_upns_are_accepted(upn):
    assert validate_upn(upn) == upn


def test_upn_is_normalised_from_lower_case_and_spaces():
    assert validate_upn(" b801 2000 05001 ") == "B801200005001"


def test_temporary_upn_is_recognised():
    assert is_temporary_upn("U93621012501A")
    assert not is_temporary_upn("B801200005001")


@pytest.mark.parametrize(
    "upn, message",
    [
        ("Q207000016049", "check letter does not match"),  # the widely copied wrong example
        ("B80120000500", "13 characters"),
        ("1801200005001", "right format"),
        ("I801200005001", "right format"),
        ("B8012000050O1", "right format"),
        ("A999200005001", "real local authority code"),
    ],
)
def test_invalid_upns_are_refused_with_a_clear_message(upn, message):
    with pytest.raises(InvalidIdentifier, match=message):
        validate_upn(upn)


def test_upn_of_an_la_registered_here_is_accepted():
    from portal.pupils.identifiers import upn_check_letter

    body = "939123456789"
    upn = upn_check_letter(body) + body
    with pytest.raises(InvalidIdentifier):
        validate_upn(upn)
    assert validate_upn(upn, extra_la_codes={"939"}) == upn


@pytest.mark.parametrize("value", ["943 476 5919", "9434765919", "401-023-2137"])
def test_valid_nhs_numbers_are_accepted_and_normalised(value):
    digits = validate_nhs_number(value)
    assert len(digits) == 10 and digits.isdigit()
    assert format_nhs_number("9434765919") == "943 476 5919"


@pytest.mark.parametrize("value", [f"123456789{d}" for d in range(10)] + ["9434765918", "94347659", "abcdefghij"])
def test_invalid_nhs_numbers_are_refused(value):
    with pytest.raises(InvalidIdentifier):
        validate_nhs_number(value)


@pytest.mark.parametrize("value, expected", [("sw1a1aa", "SW1A 1AA"), ("M1  1AE", "M1 1AE"), ("b33 8th", "B33 8TH"), ("GIR0AA", "GIR 0AA")])
def test_postcodes_are_normalised(value, expected):
    assert validate_postcode(value) == expected


@pytest.mark.parametrize("value", ["", "12345", "SW1A 1A", "QQ1 1AA1", "SW1A 1AC"])
def test_bad_postcodes_are_refused(value):
    with pytest.raises(InvalidIdentifier, match="real postcode"):
        validate_postcode(value)


def test_date_of_birth_in_the_future_or_over_25_years_ago_is_refused():
    today = date(2026, 11, 23)
    assert validate_date_of_birth(date(2014, 3, 9), today) == date(2014, 3, 9)
    with pytest.raises(InvalidIdentifier, match="today or in the past"):
        validate_date_of_birth(date(2026, 11, 24), today)
    with pytest.raises(InvalidIdentifier, match="less than 25 years ago"):
        validate_date_of_birth(date(2001, 11, 23), today)
    assert validate_date_of_birth(date(2001, 11, 24), today)
