"""A GP practice professional refers a child to the council's front door, the council's triage
worker decides it, and the practice reads the feedback: through the test client, end to end."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from portal.auth.roles import Role
from portal.db import db
from portal.notify.models import MailMessage
from portal.orgs.models import AgencyKind
from portal.referrals.models import Referral
from portal.triage.models import TriageItem
from portal.updates.models import SharedUpdate
from tests.factories import agency_user, council, make_agency, make_pupil
from tests.signing_in import sign_in

CHILD = {"forename": "Wilhelmina", "surname": "Oakenshaw-Pryce", "born": date(2016, 7, 14)}
FEEDBACK = "A social worker will visit the family this week. Thank you for telling us GPX-4471."


def _token(page: str, name: str = "start_token") -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]+)"', page) or re.search(
        rf'value="([^"]+)"[^>]*name="{name}"', page)
    return found.group(1)


def gp_practice(c):
    surgery = make_agency(c.la, kind=AgencyKind.GP_PRACTICE, name="Elm Street Surgery", ods_code="A81001")
    gp = agency_user(surgery, Role.AGENCY_PROFESSIONAL, display_name="Dr Imogen Ashdown", password_hash="x")
    return surgery, gp


def refer_through_the_pages(client, c, *, school=True) -> Referral:
    """The professional's whole journey, from their home page to the confirmation."""
    portal_home = client.get("/home").get_data(as_text=True)
    assert "Referrals and updates from the council" in portal_home
    home = client.get("/agency")
    assert home.status_code == 200
    assert "Refer a child" in home.get_data(as_text=True)
    start = client.get("/agency/referrals/new").get_data(as_text=True)
    assert c.la.name in start
    response = client.post("/agency/referrals/new", data={"start_token": _token(start),
                                                          "local_authority": str(c.la.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    referral = db.session.execute(select(Referral)).scalar_one()
    base = f"/referrals/{referral.id}"
    assert response.headers["Location"].endswith(f"{base}/immediate-risk")

    def post(path, data, to="/task-list"):
        answer = client.post(base + path, data=data)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert answer.headers["Location"].endswith(base + to)

    post("/immediate-risk", {"immediate_risk": "no"})
    child_page = client.get(f"{base}/child").get_data(as_text=True)
    # Nothing is filled in from any record, and the school is a choice of names only.
    assert CHILD["forename"] not in child_page and "UPN" not in child_page
    assert c.school.name in child_page
    # A wrong NHS number is refused with its message, and what was typed stays.
    bad = client.post(f"{base}/child", data={"legal_forename": CHILD["forename"], "legal_surname": CHILD["surname"],
                                              "date_of_birth": ["14", "7", "2016"], "address": "3 Fold Yard",
                                              "nhs_number": "943 476 5910"})
    assert bad.status_code == 200 and "NHS number" in bad.get_data(as_text=True)
    assert CHILD["surname"] in bad.get_data(as_text=True)
    post("/child", {"legal_forename": CHILD["forename"], "legal_surname": CHILD["surname"],
                    "date_of_birth": ["14", "7", "2016"], "address": "3 Fold Yard\nNorthtown", "postcode": "NT2 5XY",
                    "nhs_number": "943 476 5919", "school_id": str(c.school.id) if school else ""})
    post("/household/add", {"name": "Rowan Pryce", "relationship": "Mother", "age": "34",
                            "lives_with_child": "yes", "parental_responsibility": "yes"}, to="/household")
    post("/household", {"complete": "yes"})
    post("/referrer", {"name": "Dr Imogen Ashdown", "role": "GP", "phone": "01632 960 100",
                       "email": "imogen.ashdown@elmstreet.test"})
    post("/reasons", {"summary": "Bruising to both upper arms seen at a routine appointment",
                      "categories": ["physical_abuse"]})
    post("/consent", {"parents_aware": "no", "consent_given": "no", "no_consent_reason": "risk_to_child"})
    post("/childs-voice", {"child_voice": "She said she fell over at the park"})
    post("/agencies", {"involved": ["none"]})
    post("/level-of-need", {"level": "child_protection", "why": "Unexplained injuries in a young child"})
    check = client.get(f"{base}/check-answers").get_data(as_text=True)
    assert "Check your answers" in check and CHILD["surname"] in check
    response = client.post(f"{base}/check-answers", data={})
    assert response.headers["Location"].endswith(f"{base}/confirmation")
    db.session.expire_all()
    return db.session.get(Referral, referral.id)


def test_a_gp_refers_the_triage_worker_decides_and_the_practice_reads_the_feedback(client, app):
    c = council()
    surgery, gp = gp_practice(c)
    sign_in(client, gp)
    referral = refer_through_the_pages(client, c)
    assert referral.status == "acknowledged" and referral.reference.startswith("938-")
    assert referral.agency_id == surgery.id and referral.school_id is None and referral.pupil_id is None
    assert referral.child_surname == CHILD["surname"] and referral.child_date_of_birth == CHILD["born"]
    assert referral.child_nhs_number == "9434765919"
    item = db.session.execute(select(TriageItem)).scalar_one()
    assert item.agency_id == surgery.id and item.source == "health" and item.school_id is None
    # The practice is told it arrived.
    home = client.get("/agency").get_data(as_text=True)
    assert referral.reference in home and "Acknowledgement" in home and CHILD["forename"] in home

    # The council's triage worker sees it in the queue with its source, and filters by it.
    sign_in(client, c.worker)
    queue = client.get("/triage").get_data(as_text=True)
    assert "Elm Street Surgery (GP practice)" in queue and CHILD["forename"] in queue
    assert CHILD["forename"] in client.get("/triage?source=health").get_data(as_text=True)
    assert CHILD["forename"] not in client.get("/triage?source=police").get_data(as_text=True)
    assert CHILD["forename"] not in client.get("/triage?source=school").get_data(as_text=True)
    assert CHILD["forename"] in client.get(f"/triage?agency={surgery.id}").get_data(as_text=True)
    page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
    assert "Elm Street Surgery (GP practice)" in page and "What the referrer sent" in page
    assert "Bruising to both upper arms" in page and c.school.name in page
    decide = client.get(f"/triage/referrals/{referral.id}/decision").get_data(as_text=True)
    assert "Feedback for the referrer" in decide
    decision = {"outcome": "section_47_enquiry", "rag": "red", "reasons": "Internal RSN-9912",
                "feedback": FEEDBACK}
    preview = client.post(f"/triage/referrals/{referral.id}/decision", data=decision).get_data(as_text=True)
    assert "What the referrer will see" in preview and FEEDBACK in preview
    done = client.post(f"/triage/referrals/{referral.id}/decision", data={**decision, "stage": "confirm"})
    assert done.status_code == 302

    # The manager's report counts it by source.
    sign_in(client, c.manager)
    report = client.get("/triage/reports").get_data(as_text=True)
    assert "By source" in report and "Health" in report
    assert "Health" in client.get("/triage/reports.csv").get_data(as_text=True)

    # Back at the practice: the decision and the feedback, never the council's reasons or RAG.
    sign_in(client, gp)
    home = client.get("/agency").get_data(as_text=True)
    assert "Decision" in home and "Unread" in home
    update = db.session.execute(select(SharedUpdate).where(SharedUpdate.kind == "decision")).scalar_one()
    assert update.agency_id == surgery.id and update.school_id is None
    shown = client.get(f"/agency/updates/{update.id}").get_data(as_text=True)
    assert FEEDBACK in shown and "section 47" in shown.lower()
    assert "RSN-9912" not in shown and "Red" not in shown
    assert referral.reference in client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    # Emails went to the practice's referrer, naming no child.
    mails = db.session.execute(select(MailMessage)).scalars().all()
    to_gp = [m for m in mails if m.recipient == gp.email]
    assert len(to_gp) == 2  # the acknowledgement and the decision
    assert all(CHILD["forename"] not in m.body and CHILD["surname"] not in m.body for m in to_gp)


def test_the_same_child_referred_by_a_school_and_by_the_gp_are_linked_for_triage(client, app):
    c = council()
    surgery, gp = gp_practice(c)
    from tests.factories import submitted_referral

    pupil = make_pupil(c.school, **CHILD)
    earlier = submitted_referral(c, pupil)
    sign_in(client, gp)
    client.get("/agency")
    # The professional's journey is the same whether or not the portal knows the child.
    referral = None
    start = client.get("/agency/referrals/new").get_data(as_text=True)
    client.post("/agency/referrals/new", data={"start_token": _token(start), "local_authority": str(c.la.id)})
    referral = db.session.execute(select(Referral).where(Referral.agency_id == surgery.id)).scalar_one()
    from tests.factories import fill_in_agency_referral

    fill_in_agency_referral(referral, gp, child=CHILD)
    client.post(f"/referrals/{referral.id}/check-answers", data={})
    sign_in(client, c.worker)
    page = client.get(f"/triage/referrals/{referral.id}").get_data(as_text=True)
    assert earlier.reference in page and "Surname and date of birth" in page
    # And from the school's referral, the GP's is found too.
    page = client.get(f"/triage/referrals/{earlier.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).reference in page
