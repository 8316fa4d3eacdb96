"""Each section's question page: a clear GOV.UK message for every bad answer, what was typed kept,
answers saved as a draft at every step, and the task list's statuses."""

from __future__ import annotations

import pytest

from portal.db import db
from portal.referrals import service as referrals
from tests.factories import make_referral, referring_school
from tests.signing_in import sign_in

GOOD_CHILD = {"legal_forename": "Zorabelle", "legal_surname": "Quintavalle-Okonjo", "date_of_birth": ["9", "3", "2014"],
              "address": "12 Cedar Row"}
GOOD_MEMBER = {"name": "Rhea Okonjo", "relationship": "Mother", "age": "36", "lives_with_child": "yes",
               "parental_responsibility": "yes"}
GOOD_REFERRER = {"name": "Dana Lead", "role": "DSL", "phone": "01632 960 001", "email": "dana@school.test"}
GOOD_CONSENT = {"parents_aware": "yes", "consent_given": "yes"}

CASES = [
    ("/immediate-risk", {}, "Select yes if the child is at immediate risk of significant harm"),
    ("/child", {**GOOD_CHILD, "legal_forename": ""}, "Enter the child’s first name"),
    ("/child", {**GOOD_CHILD, "legal_surname": ""}, "Enter the child’s last name"),
    ("/child", {**GOOD_CHILD, "legal_forename": "x" * 101}, "First name must be 100 characters or fewer"),
    ("/child", {**GOOD_CHILD, "date_of_birth": ["", "", ""]}, "Enter the child’s date of birth"),
    ("/child", {**GOOD_CHILD, "date_of_birth": ["31", "2", "2014"]}, "Date of birth must be a real date, like 27 3 2014"),
    ("/child", {**GOOD_CHILD, "date_of_birth": ["1", "", "2014"]}, "Date of birth must be a real date, like 27 3 2014"),
    ("/child", {**GOOD_CHILD, "date_of_birth": ["1", "1", "2099"]}, "Date of birth must be today or in the past"),
    ("/child", {**GOOD_CHILD, "date_of_birth": ["1", "1", "1970"]}, "Date of birth must be less than 25 years ago"),
    ("/child", {**GOOD_CHILD, "address": ""}, "Enter the child’s home address, or ‘not known’"),
    ("/child", {**GOOD_CHILD, "upn": "B801200005002"}, "Enter a valid UPN: the check letter does not match"),
    ("/child", {**GOOD_CHILD, "upn": "B80"}, "Enter a UPN of 13 characters"),
    ("/child", {**GOOD_CHILD, "nhs_number": "943 476 5918"}, "Enter a valid NHS number: the check digit does not match"),
    ("/child", {**GOOD_CHILD, "nhs_number": "12345"}, "Enter an NHS number of 10 digits"),
    ("/child", {**GOOD_CHILD, "postcode": "NOT A CODE"}, "Enter a real postcode, like AA1 1AA"),
    ("/child", {**GOOD_CHILD, "sex": "Dragon"}, "Select one of the options shown"),
    ("/household/add", {**GOOD_MEMBER, "name": ""}, "Enter the person’s full name"),
    ("/household/add", {**GOOD_MEMBER, "relationship": ""}, "Enter their relationship to the child, like mother or stepfather"),
    ("/household/add", {**GOOD_MEMBER, "age": ""}, "Enter their date of birth or their age"),
    ("/household/add", {**GOOD_MEMBER, "age": "old"}, "Age must be a whole number of years between 0 and 120"),
    ("/household/add", {**GOOD_MEMBER, "age": "", "date_of_birth": ["30", "2", "1980"]}, "Date of birth must be a real date, like 15 8 1985"),
    ("/household/add", {**GOOD_MEMBER, "age": "", "date_of_birth": ["1", "1", "2099"]}, "Date of birth must be today or in the past"),
    ("/household/add", {**GOOD_MEMBER, "lives_with_child": ""}, "Select yes if they live with the child"),
    ("/household/add", {**GOOD_MEMBER, "parental_responsibility": ""}, "Select whether they have parental responsibility"),
    ("/household/add", {**GOOD_MEMBER, "phone": "12"}, "Enter a telephone number, like 01632 960 001"),
    ("/household", {}, "Select yes if you have added everyone"),
    ("/household", {"complete": "yes"}, "Add at least one person, such as a parent or carer"),
    ("/referrer", {**GOOD_REFERRER, "name": ""}, "Enter your name"),
    ("/referrer", {**GOOD_REFERRER, "role": ""}, "Enter your role, like designated safeguarding lead"),
    ("/referrer", {**GOOD_REFERRER, "phone": ""}, "Enter a telephone number the local authority can call you on"),
    ("/referrer", {**GOOD_REFERRER, "phone": "call me"}, "Enter a telephone number, like 01632 960 001"),
    ("/referrer", {**GOOD_REFERRER, "email": ""}, "Enter your email address"),
    ("/referrer", {**GOOD_REFERRER, "email": "dana.school.test"}, "Enter an email address in the correct format"),
    ("/reasons", {"categories": ["neglect"]}, "Enter why you are referring this child"),
    ("/reasons", {"summary": "x"}, "Select what you are worried about"),
    ("/reasons", {"summary": "x", "categories": ["other"]}, "Enter what you are worried about"),
    ("/reasons", {"summary": "x" * 10_001, "categories": ["neglect"]}, "The reason for referral must be 10,000 characters or fewer"),
    ("/consent", {"consent_given": "yes"}, "Select yes if the parents or carers are aware of this referral"),
    ("/consent", {"parents_aware": "yes"}, "Select yes if they have given consent"),
    ("/consent", {"parents_aware": "no", "consent_given": "no"}, "Select why the parents or carers are not aware or have not consented"),
    ("/consent", {"parents_aware": "yes", "consent_given": "no", "no_consent_reason": "other"}, "Enter why the parents or carers are not aware or have not consented"),
    ("/consent", {"parents_aware": "no", "consent_given": "yes"}, "Parents or carers cannot consent to a referral they are not aware of"),
    ("/childs-voice", {}, "Enter what the child has said, or why they have not been asked"),
    ("/agencies", {}, "Select the agencies involved, or ‘None that we know of’"),
    ("/agencies", {"involved": ["gp", "none"]}, "Select the agencies involved, or ‘None that we know of’, not both"),
    ("/level-of-need", {"why": "x"}, "Select the level of need"),
    ("/level-of-need", {"level": "early_help"}, "Enter why you think this is the child’s level of need"),
]


@pytest.fixture
def draft(app, client):
    s = referring_school()
    referral = make_referral(s)
    sign_in(client, s.dsl)
    return s, referral


@pytest.mark.parametrize("path, data, message", CASES, ids=[f"{c[0]}:{c[2][:40]}" for c in CASES])
def test_bad_answers_are_shown_with_a_clear_message(client, draft, path, data, message):
    _, referral = draft
    before = referral.form
    response = client.post(f"/referrals/{referral.id}{path}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert "<title>Error: " in page
    db.session.expire_all()
    assert referral.form == before


def test_what_was_typed_is_kept_when_a_page_is_shown_again(client, draft):
    _, referral = draft
    page = client.post(f"/referrals/{referral.id}/referrer",
                       data={**GOOD_REFERRER, "phone": "call me", "name": "Typed Name"}).get_data(as_text=True)
    assert 'value="Typed Name"' in page and 'value="call me"' in page


def test_every_step_is_saved_and_the_task_list_shows_progress(client, draft):
    _, referral = draft
    task_list = client.get(f"/referrals/{referral.id}/task-list").get_data(as_text=True)
    assert "You have completed 0 of 9 sections" in task_list
    assert task_list.count("In progress") == 2  # the prefilled child and referrer, to be checked
    assert "Cannot start yet" in task_list

    client.post(f"/referrals/{referral.id}/household/add", data=GOOD_MEMBER)
    client.post(f"/referrals/{referral.id}/referrer", data=GOOD_REFERRER)
    db.session.expire_all()
    assert referrals.household_members(referral)[0]["name"] == "Rhea Okonjo"
    assert referral.form["status"] == {"child": "in_progress", "referrer": "completed", "household": "in_progress"}
    task_list = client.get(f"/referrals/{referral.id}/task-list").get_data(as_text=True)
    assert "You have completed 1 of 9 sections" in task_list


def test_household_members_can_be_changed_and_removed(client, draft):
    _, referral = draft
    client.post(f"/referrals/{referral.id}/household/add", data=GOOD_MEMBER)
    client.post(f"/referrals/{referral.id}/household/add", data={**GOOD_MEMBER, "name": "Marlowe Q", "relationship": "Stepfather"})
    db.session.expire_all()
    first, second = [m["id"] for m in referrals.household_members(referral)]
    page = client.get(f"/referrals/{referral.id}/household/{first}/change").get_data(as_text=True)
    assert 'value="Rhea Okonjo"' in page
    client.post(f"/referrals/{referral.id}/household/{first}/change", data={**GOOD_MEMBER, "age": "37"})
    assert "Remove Marlowe Q from the household?" in client.get(
        f"/referrals/{referral.id}/household/{second}/remove").get_data(as_text=True)
    client.post(f"/referrals/{referral.id}/household/{second}/remove", data={})
    client.post(f"/referrals/{referral.id}/household", data={"complete": "yes"})
    db.session.expire_all()
    assert [(m["name"], m["age"]) for m in referrals.household_members(referral)] == [("Rhea Okonjo", "37")]
    assert referral.form["status"]["household"] == "completed"
    assert client.get(f"/referrals/{referral.id}/household/{second}/change").status_code == 404


def test_starting_twice_with_the_same_page_makes_one_draft(client, app):
    s = referring_school()
    sign_in(client, s.dsl)
    data = {"start_token": "same-token-from-one-page"}
    first = client.post(f"/referrals/new?pupil={s.pupil.id}", data=data)
    second = client.post(f"/referrals/new?pupil={s.pupil.id}", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(referrals.drafts_for_pupil(s.pupil)) == 1
    # The start page then offers the draft that exists.
    assert "Continue the draft started" in client.get(f"/referrals/new?pupil={s.pupil.id}").get_data(as_text=True)
