"""A DSL raises a referral from a pupil's concerns, fills in every section, and submits it."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.db import db
from portal.referrals.models import Referral, ReferralEvent
from tests.factories import REFERRAL_FORENAME, REFERRAL_REASON, make_reviewed_concern, referring_school
from tests.signing_in import sign_in


def _referral() -> Referral:
    return db.session.execute(select(Referral)).scalar_one()


def test_a_dsl_raises_fills_in_and_submits_a_referral(client):
    s = referring_school()
    concern = make_reviewed_concern(s.pupil, s.staff, categories=("neglect", "emotional_abuse"))
    sign_in(client, s.dsl)

    page = client.get(f"/referrals/new?pupil={s.pupil.id}&concern={concern.id}").get_data(as_text=True)
    assert "Refer this child to the local authority" in page
    assert f'value="{concern.id}" checked' in page or re.search(rf'value="{concern.id}"[^>]*checked', page)
    token = re.search(r'name="start_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="start_token"[^>]*value="([^"]+)"', page)
    response = client.post(f"/referrals/new?pupil={s.pupil.id}",
                           data={"start_token": token.group(1), "concerns": [str(concern.id)]})
    referral = _referral()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/referrals/{referral.id}/immediate-risk")
    assert [link.concern_id for link in referral.concerns] == [concern.id]
    # The child's and referrer's sections start filled in from the records, waiting to be checked.
    assert referral.form["child"]["legal_forename"] == REFERRAL_FORENAME
    assert referral.form["referrer"]["name"] == "Dana Lead"
    assert referral.form["reasons"]["categories"] == ["emotional_abuse", "neglect"]  # KCSIE order

    base = f"/referrals/{referral.id}"
    task_list = client.get(f"{base}/task-list").get_data(as_text=True)
    assert task_list.count("Not yet started") >= 7 and "In progress" in task_list

    def post(path, data, to="/task-list"):
        response = client.post(base + path, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"].endswith(base + to)

    post("/immediate-risk", {"immediate_risk": "no"})
    child = client.get(f"{base}/child").get_data(as_text=True)
    assert REFERRAL_FORENAME in child and 'value="2014"' in child
    post("/child", {"legal_forename": REFERRAL_FORENAME, "legal_surname": "Quintavalle-Okonjo",
                    "date_of_birth": ["9", "3", "2014"], "address": "12 Cedar Row", "postcode": "nt14ab",
                    "sex": "Female", "year_group": "Year 6"})
    post("/household/add", {"name": "Marlowe Quintavalle", "relationship": "Stepfather", "age": "41",
                            "lives_with_child": "yes", "parental_responsibility": "no"}, to="/household")
    post("/household/add", {"name": "Rhea Okonjo", "relationship": "Mother", "date_of_birth": ["2", "5", "1988"],
                            "lives_with_child": "no", "address": "4 Mill Lane", "parental_responsibility": "yes"},
         to="/household")
    assert "Marlowe Quintavalle" in client.get(f"{base}/household").get_data(as_text=True)
    post("/household", {"complete": "yes"})
    post("/referrer", {"name": "Dana Lead", "role": "DSL", "phone": "01632 960 001", "email": "dana@school.test"})
    post("/reasons", {"summary": REFERRAL_REASON, "categories": ["neglect"], "concerns": [str(concern.id)]})
    post("/consent", {"parents_aware": "no", "consent_given": "no", "no_consent_reason": "risk_to_child"})
    post("/childs-voice", {"child_voice": "I sleep in the shed"})
    post("/agencies", {"involved": ["gp", "police"], "details": "PC Example, 01632 960 555"})
    post("/level-of-need", {"level": "child_protection", "why": "Locked out overnight in winter"})

    task_list = client.get(f"{base}/task-list").get_data(as_text=True)
    assert "Not yet started</strong>" not in task_list.split("Check and submit")[0]
    assert "Cannot start yet" not in task_list
    check = client.get(f"{base}/check-answers").get_data(as_text=True)
    assert "Check your answers before submitting the referral" in check
    assert REFERRAL_REASON in check and "Marlowe Quintavalle" in check and "Level 4: specialist (child protection)" in check

    response = client.post(f"{base}/check-answers", data={})
    assert response.headers["Location"].endswith(f"{base}/confirmation")
    db.session.expire_all()
    referral = _referral()
    # Submitted, and (when the LA's triage receives it in the same transaction) acknowledged.
    assert referral.status in ("submitted", "acknowledged")
    assert re.fullmatch(r"938-\d{4}-000001", referral.reference)
    assert referral.local_authority_id == s.la.id
    assert referral.submitted_by_id == s.dsl.id
    confirmation = client.get(f"{base}/confirmation").get_data(as_text=True)
    assert "Referral submitted" in confirmation and referral.reference in confirmation
    events = db.session.execute(select(ReferralEvent.status).where(ReferralEvent.referral_id == referral.id)).scalars().all()
    assert {"draft", "submitted"} <= set(events) and events.count("submitted") == 1
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.detail, AuditEvent.object_id)).all()
    ours = [(a, d) for a, d, o in actions if o == str(referral.id)]
    assert ("referral.create", None) in ours and ("referral.submit", None) in ours
    assert ("referral.edit", "child") in ours and ("referral.view", "check_answers") in ours
    # Nothing personal in any audit field.
    for row in db.session.execute(select(AuditEvent)).scalars():
        assert REFERRAL_FORENAME not in f"{row.action}{row.detail}{row.object_id}{row.object_type}"
