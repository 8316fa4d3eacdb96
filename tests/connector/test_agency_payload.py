"""A partner agency's referral through the connector: contract v1 with the optional
referrer.organisation (the agency's kind, sector, name and ODS code) and the agency's CIN source
code; the simulator takes it; a school's payload is unchanged (its goldens stay byte-identical)."""

from __future__ import annotations

import copy

from portal.auth.roles import Role
from portal.connector import payload as contract
from portal.connector.client import deliver_referral
from portal.connector.snapshot import build_referral_payload
from portal.orgs.models import AgencyKind
from tests.connector.payloads import referral_payload
from tests.factories import agency_referral, agency_user, council, make_agency


def _gp_referral(**agency):
    c = council()
    surgery = make_agency(c.la, kind=AgencyKind.GP_PRACTICE, name="Elm Street Surgery", ods_code="A81001", **agency)
    gp = agency_user(surgery, Role.AGENCY_PROFESSIONAL)
    return c, agency_referral(gp)


def test_an_agency_referral_follows_the_contract_and_names_the_agency(app):
    c, referral = _gp_referral()
    body = build_referral_payload(referral)
    assert contract.validate_referral_payload(body) == []
    assert body["source_code"] == "3A" and "school" not in body and body["concerns"] == []
    assert body["referrer"]["organisation"] == {"kind": "gp_practice", "sector": "health", "name": "Elm Street Surgery",
                                                "ods_code": "A81001"}
    assert body["child"]["legal_surname"] == referral.child_surname
    assert "upn" not in body["child"]


def test_the_child_s_school_goes_with_its_urn_when_the_agency_chose_it(app):
    from portal.referrals import service as referrals
    from tests.factories import agency_child_answers

    c = council()
    police = make_agency(c.la, kind=AgencyKind.POLICE_FORCE, name="Northshire Police")
    officer = agency_user(police, Role.AGENCY_PROFESSIONAL)
    referral = agency_referral(officer, submit=False)
    referrals.save_section(referral, officer, "child", agency_child_answers(school=c.school))
    referral = referrals.submit_referral(referral, officer)
    body = build_referral_payload(referral)
    assert contract.validate_referral_payload(body) == []
    assert body["source_code"] == "6"
    assert body["child"]["school"] == {"name": c.school.name, "urn": c.school.urn}
    assert "ods_code" not in body["referrer"]["organisation"]


def test_one_source_a_school_or_an_agency_never_both_nor_neither():
    school = referral_payload()
    assert contract.validate_referral_payload(school) == []
    agency = copy.deepcopy(school)
    del agency["school"]
    agency["source_code"] = "6"
    agency["referrer"]["organisation"] = {"kind": "police_force", "sector": "police", "name": "Northshire Police"}
    assert contract.validate_referral_payload(agency) == []
    codes = lambda body: {(p.path, p.code) for p in contract.validate_referral_payload(body)}  # noqa: E731
    assert codes({**agency, "source_code": "2A"}) == {("source_code", "not_allowed")}
    assert codes({**agency, "school": school["school"]}) == {("school", "not_allowed")}
    no_school = {k: v for k, v in school.items() if k != "school"}
    assert codes(no_school) == {("school", "required")}
    assert codes({**school, "source_code": "6"}) == {("source_code", "not_allowed")}
    wrong_kind = copy.deepcopy(agency)
    wrong_kind["referrer"]["organisation"]["kind"] = "school"
    assert codes(wrong_kind) == {("referrer.organisation.kind", "not_allowed")}


def test_every_agency_kind_has_a_cin_source_code():
    assert set(contract.AGENCY_SOURCE_CODES) == set(AgencyKind)
    assert contract.REFERRAL_SOURCE_SCHOOL not in contract.AGENCY_SOURCE_CODES.values()


def test_the_simulator_takes_an_agency_referral(app, casesim):
    c, referral = _gp_referral()
    body = build_referral_payload(referral)
    result = deliver_referral(casesim.endpoint("938"), body, body["referral_id"])
    assert result.case_reference.startswith("CASE-938-")
    assert result.person_id.startswith("PER-938-")
