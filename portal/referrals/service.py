"""Referrals: start a draft, save its sections, submit it once, and follow its status.

Rules kept here, not in the views:
- A school's referral is for a pupil of the DSL's own school (policy "referrals:manage"); a
  partner agency's is its professional's own, or any of the agency's for its safeguarding lead
  ("agency_referrals:manage"). Anything else is "not found", so another organisation cannot learn
  that a record exists.
- A partner agency identifies the child by details alone: nothing here looks up, shows or even
  counts any school's records for an agency user, so what they type tells them nothing about
  whether the child is known to the portal (the same pages, the same answers, either way).
- Only a draft changes. Every change first runs `UPDATE referral ... WHERE status = 'draft'`,
  which both checks and (on PostgreSQL) locks the row until the change commits: an edit racing a
  submission either lands before it or is refused, never after.
- `submit_referral` is the one place a referral is submitted: one transaction, one conditional
  UPDATE, so a double click, the back button or a retry submits it once. What the other areas do
  about it (the LA's queue, the connector's outbox row, the acknowledgement to the school) they do
  on hearing `ReferralSubmitted` (portal.events), in the same transaction.
- Every function that changes anything is a unit of work (portal.transaction): it commits its own
  transaction, or rolls it back when it raises one of the domain errors below.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal import audit
from portal.auth.models import User
from portal.concerns.models import Concern, ConcernPupil
from portal.concerns.options import CATEGORIES, CATEGORY_LABELS
from portal.db import db, utcnow
from portal.domain_errors import Conflict, Invalid, NotFound
from portal.events import ReferralSubmitted, publish
from portal.orgs.models import Agency, LocalAuthority, School
from portal.policy import can
from portal.pupils.models import Pupil, PupilContact
from portal.referrals import form_definition, sections
from portal.referrals.lifecycle import FORWARD, StatusChangeRefused, record_status  # noqa: F401 (the LA's side)
from portal.referrals.models import Referral, ReferralConcern, ReferralEvent, ReferralSequence, ReferralStatus
from portal.templating import uk_date
from portal.transaction import transactional, unit_of_work

UK = ZoneInfo("Europe/London")


class ReferralError(Invalid):
    """A referral could not be changed as asked. Messages are for users and name no one."""


class ReferralLocked(Conflict, ReferralError):
    """The referral has been submitted (perhaps in another tab): it no longer changes."""

    def __init__(self):
        super().__init__("This referral has been submitted and can no longer be changed")


class ReferralIncomplete(ReferralError):
    def __init__(self, missing: list[sections.Section]):
        self.missing = missing
        super().__init__("Complete every section before you submit the referral")


class ReferralNotFound(NotFound):
    """No such referral, pupil, concern or household member, or not this user's school's."""


# --- finding things ---------------------------------------------------------------------------


def _allowed(user, obj):
    if obj is None or not (can(user, "referrals:manage", obj) or can(user, "agency_referrals:manage", obj)):
        raise ReferralNotFound()
    return obj


@transactional
def pupil_for_referral(user, pupil_id: uuid.UUID) -> Pupil:
    """A pupil of the user's own school whose record is still theirs to add to (not transferred
    out), or ReferralNotFound. Showing the pupil is audited as a pupil view."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not can(user, "referrals:start", pupil):
        raise ReferralNotFound()
    audit.record("pupil.view", object_type="pupil", object_id=pupil.id, detail="referral_start", actor=user)
    return pupil


def _open(user, referral_id: uuid.UUID, page: str) -> Referral:
    referral = _allowed(user, db.session.get(Referral, referral_id))
    audit.record("referral.view", object_type="referral", object_id=referral.id, detail=page, actor=user)
    return referral


@transactional
def get_referral_for(user, referral_id: uuid.UUID, *, page: str) -> Referral:
    """The referral if the user may manage it (else ReferralNotFound); the view is audited with
    the page's code."""
    return _open(user, referral_id, page)


def open_draft(user, referral_id: uuid.UUID, *, page: str) -> Referral:
    """For a page that would change the referral: the draft, its view audited; ReferralLocked once
    it is submitted. The view and the refusal stay in the audit trail either way."""
    with unit_of_work():
        referral = _open(user, referral_id, page)
        editable = referral.status == ReferralStatus.DRAFT
        if not editable:
            audit.record("referral.edit", object_type="referral", object_id=referral.id, outcome="refused",
                         detail=page, actor=user)
    if not editable:
        raise ReferralLocked()
    return referral


def local_authority_of(referral: Referral) -> LocalAuthority | None:
    """The LA the referral goes (or went) to: the one it was routed to (or the agency chose),
    else the school's."""
    if referral.local_authority_id is not None:
        return db.session.get(LocalAuthority, referral.local_authority_id)
    school = db.session.get(School, referral.school_id)
    return db.session.get(LocalAuthority, school.local_authority_id)


def pupil_of(referral: Referral) -> Pupil | None:
    """The school's pupil record the referral is about (None for a partner agency's referral)."""
    return db.session.get(Pupil, referral.pupil_id) if referral.pupil_id else None


def sections_of(referral: Referral):
    """The referral's sections: a school's, or a partner agency's (same keys and pages)."""
    return sections.sections_for(referral.from_agency)


def school_referrals(user) -> list[tuple[Referral, Pupil]]:
    """The user's school's referrals, newest first, each with its pupil (this school's only)."""
    if user.school_id is None:
        return []
    referrals = db.session.execute(
        select(Referral).where(Referral.school_id == user.school_id)
        .order_by(Referral.submitted_at.desc().nulls_first(), Referral.created_at.desc())
    ).scalars().all()
    pupil_ids = {r.pupil_id for r in referrals}
    pupils = {}
    if pupil_ids:
        pupils = {p.id: p for p in db.session.execute(
            select(Pupil).where(Pupil.id.in_(pupil_ids), Pupil.school_id == user.school_id)
        ).scalars()}
    return [(r, pupils[r.pupil_id]) for r in referrals if r.pupil_id in pupils]


@transactional
def agency_referrals(user) -> list[Referral]:
    """A partner agency's referrals as its user may see them, newest first: a professional's
    own, every one of the agency's for its safeguarding lead. The list names the children, so
    looking at it is audited (how many, never who)."""
    if user.agency_id is None or not can(user, "agency_referrals:manage"):
        return []
    query = select(Referral).where(Referral.agency_id == user.agency_id)
    if not can(user, "agency_referrals:oversee"):
        query = query.where(Referral.created_by_id == user.id)
    found = db.session.execute(
        query.order_by(Referral.submitted_at.desc().nulls_first(), Referral.created_at.desc())
    ).scalars().all()
    shown = [r for r in found if can(user, "agency_referrals:manage", r)]
    if shown:
        audit.record("referral.list_view", object_type="agency", object_id=user.agency_id, actor=user,
                     detail=f"referrals_{len(shown)}")
    return shown


def drafts_for_pupil(pupil: Pupil) -> list[Referral]:
    return list(db.session.execute(
        select(Referral).where(Referral.pupil_id == pupil.id, Referral.school_id == pupil.school_id,
                               Referral.status == ReferralStatus.DRAFT).order_by(Referral.created_at)
    ).scalars())


def pupil_concerns(pupil: Pupil) -> list[Concern]:
    """The concerns this school has logged about the pupil (as the subject or in another role)."""
    linked = select(ConcernPupil.concern_id).where(ConcernPupil.pupil_id == pupil.id)
    return list(db.session.execute(
        select(Concern).where(Concern.school_id == pupil.school_id,
                              or_(Concern.pupil_id == pupil.id, Concern.id.in_(linked)))
        .order_by(Concern.occurred_at.desc())
    ).scalars())


def linked_concern_ids(referral: Referral) -> list[uuid.UUID]:
    return [link.concern_id for link in referral.concerns]


def linked_concerns(referral: Referral) -> list[Concern]:
    ids = linked_concern_ids(referral)
    if not ids:
        return []
    return list(db.session.execute(
        select(Concern).where(Concern.id.in_(ids), Concern.school_id == referral.school_id)
        .order_by(Concern.occurred_at.desc())
    ).scalars())


def concern_label(concern: Concern) -> str:
    """'12 March 2026: neglect, emotional abuse' (when it happened, and its categories)."""
    content = concern.latest.content if concern.versions else {}
    categories = ", ".join(CATEGORY_LABELS.get(c) or _humanise(c) for c in content.get("categories") or [])
    return f"{uk_date(concern.occurred_at)}: {categories}" if categories else uk_date(concern.occurred_at)


def _categories_of(concerns: list[Concern]) -> list[str]:
    found = set()
    for concern in concerns:
        found.update((concern.latest.content.get("categories") or []) if concern.versions else [])
    return [code for code, _ in CATEGORIES if code in found]


def _humanise(code: str) -> str:
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# --- starting a draft -------------------------------------------------------------------------


def new_start_token() -> str:
    return secrets.token_urlsafe(32)


def _prefilled_child(pupil: Pupil) -> dict:
    return {
        "legal_forename": pupil.legal_forename,
        "legal_surname": pupil.legal_surname,
        "preferred_name": pupil.preferred_name or "",
        "date_of_birth": pupil.date_of_birth.isoformat(),
        "sex": pupil.sex or "",
        "gender": pupil.gender or "",
        "upn": pupil.upn or "",
        "nhs_number": pupil.nhs_number or "",
        "address": pupil.address or "",
        "postcode": pupil.postcode or "",
        "ethnicity": pupil.ethnicity or "",
        "first_language": "",
        "sen_status": pupil.sen_status or "",
        "year_group": pupil.year_group or "",
    }


def _prefilled_referrer(user: User) -> dict:
    return {"name": user.display_name, "role": user.role_enum.label, "phone": "", "email": user.email}


def _index_child(referral: Referral, child: dict) -> None:
    """Keep the child's names, date of birth and NHS number in the referral's own encrypted
    columns (and so its blind indexes), from the form's child section."""
    born = child.get("date_of_birth")
    nhs = "".join(ch for ch in str(child.get("nhs_number") or "") if ch.isdigit())
    referral.child_forename = (child.get("legal_forename") or "").strip() or None
    referral.child_surname = (child.get("legal_surname") or "").strip() or None
    referral.child_date_of_birth = date.fromisoformat(born) if born else None
    referral.child_nhs_number = nhs or None


@transactional
def start_referral(user: User, pupil: Pupil, *, concern_ids: list[uuid.UUID], start_token: str | None) -> Referral:
    """A new draft for the pupil, the child's and referrer's sections prefilled (to be checked).

    The start page's token makes a second press of its button (or a retry) return the draft the
    first press made instead of starting another.
    """
    _allowed(user, pupil)
    if start_token:
        existing = db.session.execute(select(Referral).where(Referral.start_token == start_token)).scalar_one_or_none()
        if existing is not None:
            return _allowed(user, existing)
    allowed = {c.id for c in pupil_concerns(pupil)}
    if any(cid not in allowed for cid in concern_ids):
        raise ReferralNotFound()
    school = db.session.get(School, pupil.school_id)
    referral = Referral(
        school_id=pupil.school_id,
        pupil_id=pupil.id,
        local_authority_id=school.local_authority_id,
        created_by_id=user.id,
        status=ReferralStatus.DRAFT,
        start_token=start_token or new_start_token(),
    )
    chosen = [c for c in pupil_concerns(pupil) if c.id in set(concern_ids)]
    referral.form = {
        "status": {"child": sections.IN_PROGRESS, "referrer": sections.IN_PROGRESS},
        "child": _prefilled_child(pupil),
        "referrer": _prefilled_referrer(user),
        "household": {"members": []},
        # What the school is worried about starts as the linked concerns' categories.
        "reasons": {"summary": "", "categories": _categories_of(chosen), "other_category": "", "actions_taken": ""},
    }
    _index_child(referral, referral.form["child"])
    db.session.add(referral)
    for concern_id in dict.fromkeys(concern_ids):
        referral.concerns.append(ReferralConcern(concern_id=concern_id))
    referral.events.append(ReferralEvent(status=ReferralStatus.DRAFT, at=utcnow(), by_user_id=user.id))
    db.session.flush()
    audit.record("referral.create", object_type="referral", object_id=referral.id, actor=user)
    return referral


# --- a partner agency's referral ------------------------------------------------------------------


def referral_authorities(user: User) -> list[LocalAuthority]:
    """The councils the user's agency may refer to: its own, and the neighbours its LA allowed
    (active ones only), its own first."""
    agency = db.session.get(Agency, user.agency_id) if user.agency_id else None
    if agency is None:
        return []
    las = db.session.execute(
        select(LocalAuthority).where(LocalAuthority.id.in_(agency.referral_la_ids), LocalAuthority.active.is_(True))
        .order_by(LocalAuthority.name)
    ).scalars().all()
    return sorted((la for la in las if can(user, "agency_referrals:start", la)),
                  key=lambda la: (la.id != agency.local_authority_id, la.name))


def school_names(local_authority_id) -> list[tuple[str, str]]:
    """The active schools of an LA as (id, name), for an agency to say which school the child
    attends: names only, nothing of any school's records."""
    return [(str(school_id), name) for school_id, name in db.session.execute(
        select(School.id, School.name).where(School.local_authority_id == local_authority_id,
                                             School.active.is_(True)).order_by(School.name)
    ).all()]


@transactional
def start_agency_referral(user: User, local_authority_id: uuid.UUID, *, start_token: str | None) -> Referral:
    """A new draft of a partner agency's referral to the council chosen (the agency's own, or an
    allowed neighbour: anything else is not found). Nothing is prefilled about the child: the
    referrer says who the child is. The start page's token makes a second press return the
    first draft."""
    la = db.session.get(LocalAuthority, local_authority_id)
    if la is None or not can(user, "agency_referrals:start", la):
        raise ReferralNotFound()
    if start_token:
        existing = db.session.execute(select(Referral).where(Referral.start_token == start_token)).scalar_one_or_none()
        if existing is not None:
            return _allowed(user, existing)
    referral = Referral(
        agency_id=user.agency_id,
        local_authority_id=la.id,
        created_by_id=user.id,
        status=ReferralStatus.DRAFT,
        start_token=start_token or new_start_token(),
    )
    referral.form = {
        "status": {"referrer": sections.IN_PROGRESS},
        "referrer": _prefilled_referrer(user),
        "household": {"members": []},
        "reasons": {"summary": "", "categories": [], "other_category": "", "actions_taken": ""},
    }
    db.session.add(referral)
    referral.events.append(ReferralEvent(status=ReferralStatus.DRAFT, at=utcnow(), by_user_id=user.id))
    db.session.flush()
    audit.record("referral.create", object_type="referral", object_id=referral.id, detail="agency", actor=user)
    return referral


# --- changing a draft -------------------------------------------------------------------------


def _lock_draft(referral: Referral) -> None:
    """Check the referral is still a draft, and hold it (PostgreSQL row lock) while it changes."""
    result = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == ReferralStatus.DRAFT)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ReferralLocked()


@transactional
def save_section(referral: Referral, user: User, key: str, answers: dict, *, status: str = sections.COMPLETED) -> None:
    """Replace a section's answers and mark it completed (or in progress)."""
    if key not in sections.SECTION_KEYS:
        raise ReferralNotFound("unknown section")
    _lock_draft(referral)
    if key == "child" and referral.from_agency and answers.get("school_id"):
        # The school, if the agency knows it: one of the council's schools, its name kept beside it.
        names = dict(school_names(referral.local_authority_id))
        if answers["school_id"] not in names:
            raise ReferralError("Select the school from the list, or write its name")
        answers = {**answers, "school_id_label": names[answers["school_id"]]}
    form = referral.form
    form[key] = answers
    form.setdefault("status", {})[key] = status
    referral.form = form
    if key == "risk":
        referral.urgent = answers.get("immediate_risk") == "yes"
    if key == "child":
        _index_child(referral, answers)
    audit.record("referral.edit", object_type="referral", object_id=referral.id, detail=key, actor=user)


@transactional
def save_reasons(referral: Referral, user: User, answers: dict, concern_ids: list[uuid.UUID]) -> None:
    pupil = pupil_of(referral)
    allowed = {c.id for c in pupil_concerns(pupil)}
    if any(cid not in allowed for cid in concern_ids):
        raise ReferralNotFound()
    save_section(referral, user, "reasons", answers)
    wanted = set(concern_ids)
    for link in list(referral.concerns):
        if link.concern_id not in wanted:
            referral.concerns.remove(link)
            db.session.delete(link)
    have = {link.concern_id for link in referral.concerns}
    for concern_id in dict.fromkeys(concern_ids):
        if concern_id not in have:
            referral.concerns.append(ReferralConcern(concern_id=concern_id))


def household_members(referral: Referral) -> list[dict]:
    return list((referral.form.get("household") or {}).get("members") or [])


def household_member(referral: Referral, member_id: str) -> dict:
    for member in household_members(referral):
        if member.get("id") == member_id:
            return member
    raise ReferralNotFound()


def _kept_marks(member: dict) -> dict:
    """What a change keeps of a person that is not an answer: the MIS contact they came from."""
    return {"from_contact": member["from_contact"]} if member.get("from_contact") else {}


@transactional
def save_household_member(referral: Referral, user: User, member: dict, member_id: str | None = None) -> str:
    """Add a person (member_id None) or change one; the section is then in progress until the
    user says everyone has been added."""
    members = household_members(referral)
    if member_id is None:
        member_id = str(uuid.uuid4())
        members.append({**member, "id": member_id})
    else:
        household_member(referral, member_id)  # not found: an unknown person
        members = [{**member, **_kept_marks(m), "id": member_id} if m.get("id") == member_id else m
                   for m in members]
    save_section(referral, user, "household", {"members": members}, status=sections.IN_PROGRESS)
    return member_id


@transactional
def remove_household_member(referral: Referral, user: User, member_id: str) -> None:
    household_member(referral, member_id)
    members = [m for m in household_members(referral) if m.get("id") != member_id]
    save_section(referral, user, "household", {"members": members}, status=sections.IN_PROGRESS)


def answers_needed(member: dict) -> bool:
    """True while a person lacks an answer the member page asks for (someone added from the MIS
    comes without whether they live with the child, or their age)."""
    required = any(f.required and member.get(f.key) in (None, "") for f in form_definition.HOUSEHOLD_MEMBER)
    return required or not (member.get("date_of_birth") or member.get("age"))


@transactional
def complete_household(referral: Referral, user: User, complete: bool) -> None:
    if complete and not household_members(referral):
        raise ReferralError("Add at least one person, such as a parent or carer")
    if complete and any(answers_needed(m) for m in household_members(referral)):
        raise ReferralError("Answer the questions about everyone marked ‘Answers needed’ before you say you have "
                            "added everyone")
    save_section(referral, user, "household", {"members": household_members(referral)},
                 status=sections.COMPLETED if complete else sections.IN_PROGRESS)


# --- the pupil's contacts from the school's MIS, offered to the household section ---------------
# A school's referral only: a partner agency sees nothing of any school's records. The contacts
# are the pupil's (portal.pupils, kept encrypted from the Common Transfer File); reading them is
# audited as the pupil page's are ("pupil.contacts_view").

PHONE_KIND = re.compile(r"^[^:]{1,40}:\s*")


@dataclass(frozen=True)
class MisContact:
    id: uuid.UUID
    name: str
    relationship: str | None
    parental_responsibility: bool | None
    phones: tuple[str, ...]
    added: bool  # already in the household (added from this contact)


def _contacts_for(user, referral: Referral) -> list[PupilContact]:
    if referral.from_agency or referral.pupil_id is None or not can(user, "referrals:manage", referral):
        return []
    pupil = pupil_of(referral)
    if pupil is None or pupil.school_id != referral.school_id:
        return []
    return list(pupil.contacts)


def _added_contacts(referral: Referral) -> dict[str, str]:
    return {m["from_contact"]: m["id"] for m in household_members(referral) if m.get("from_contact")}


@transactional
def mis_contacts(user, referral: Referral) -> list[MisContact]:
    """The pupil's contacts from the MIS for the household page (none for an agency's referral);
    the read is audited when there are any."""
    contacts = _contacts_for(user, referral)
    if not contacts:
        return []
    audit.record("pupil.contacts_view", object_type="pupil", object_id=referral.pupil_id,
                 detail="referral_household", actor=user)
    added = _added_contacts(referral)
    return [MisContact(c.id, c.name, c.relationship_to_pupil, c.parental_responsibility, tuple(c.phones or ()),
                       str(c.id) in added) for c in contacts]


def _first_phone(phones) -> str:
    """The first of the MIS's numbers ("Mobile: 07700 900111") the member page would accept."""
    for phone in phones or ():
        number = PHONE_KIND.sub("", str(phone)).strip()
        if len(number) <= 30 and form_definition.PHONE.match(re.sub(r"[\s()\-]", "", number)):
            return number
    return ""


def _responsibility(value: bool | None) -> str:
    return "not_known" if value is None else ("yes" if value else "no")


@transactional
def add_household_contact(referral: Referral, user: User, contact_id: uuid.UUID) -> str:
    """Add the pupil's MIS contact to the household, its name, relationship, parental
    responsibility and first telephone number filled in (the rest for the DSL to answer on the
    member page). A contact is added once: a second press (a double click, the back button)
    returns the person the first added. Another pupil's contact is not found."""
    contact = db.session.get(PupilContact, contact_id)
    if contact is None or contact not in _contacts_for(user, referral):
        raise ReferralNotFound()
    _lock_draft(referral)
    db.session.refresh(referral)  # the form as it is now, with whatever a twin request added
    added = _added_contacts(referral).get(str(contact.id))
    audit.record("pupil.contacts_view", object_type="pupil", object_id=referral.pupil_id,
                 detail="referral_household_add", actor=user)
    if added:
        return added
    return save_household_member(referral, user, {
        "name": contact.name[:200], "relationship": (contact.relationship_to_pupil or "")[:100],
        "date_of_birth": None, "age": None, "lives_with_child": None, "address": "",
        "phone": _first_phone(contact.phones),
        "parental_responsibility": _responsibility(contact.parental_responsibility),
        "from_contact": str(contact.id),
    })


# --- submitting -------------------------------------------------------------------------------


def _next_reference(local_authority: LocalAuthority, year: int) -> str:
    """'938-2026-000123': the LA's code, the year, and the LA's next number that year."""
    bump = (
        update(ReferralSequence)
        .where(ReferralSequence.local_authority_id == local_authority.id, ReferralSequence.year == year)
        .values(last_number=ReferralSequence.last_number + 1)
        .returning(ReferralSequence.last_number)
        .execution_options(synchronize_session=False)
    )
    number = db.session.execute(bump).scalar_one_or_none()
    if number is None:
        # First referral of the year for this LA: make the row (a racing first one does nothing).
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(
            insert(ReferralSequence.__table__)
            .values(id=uuid.uuid4(), local_authority_id=local_authority.id, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["local_authority_id", "year"])
        )
        number = db.session.execute(bump).scalar_one()
    return f"{local_authority.code}-{year}-{number:06d}"


@transactional
def submit_referral(referral: Referral, user: User) -> Referral:
    """Submit a draft to the school's LA: the one place it happens, one unit of work.

    Everything the submission changes commits together: the status, routing and reference, the
    "submitted" event and the audit event, and whatever the areas that hear `ReferralSubmitted` do
    (the LA's queue and its acknowledgement, the connector's outbox row). Submitting an
    already-submitted referral changes nothing and returns it, so a double click or a retry shows
    the same confirmation; two submissions racing each other are decided by the conditional
    UPDATE, which only one of them can win.

    Raises ReferralIncomplete (nothing changed) if a section is not completed.
    """
    _allowed(user, referral)
    referral_id = referral.id
    if referral.from_agency:
        # The council the agency chose when it started: still one it may refer to.
        la = db.session.get(LocalAuthority, referral.local_authority_id)
        if la is None or not can(user, "agency_referrals:start", la):
            raise ReferralNotFound()
    else:
        school = db.session.get(School, referral.school_id)
        la = db.session.get(LocalAuthority, school.local_authority_id)
    now = utcnow()
    won = db.session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.status == ReferralStatus.DRAFT)
        .values(status=ReferralStatus.SUBMITTED, submitted_at=now, submitted_by_id=user.id,
                local_authority_id=la.id, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        # Already submitted (by this request's twin, or earlier): nothing to do.
        referral = db.session.get(Referral, referral_id, populate_existing=True)
        audit.record("referral.submit", object_type="referral", object_id=referral_id,
                     outcome="refused", detail="already_submitted", actor=user)
        return referral
    # Re-read what we now hold: the form as it is, not as this request first saw it.
    db.session.refresh(referral)
    missing = sections.incomplete_sections(referral.form, sections_of(referral))
    if missing:
        raise ReferralIncomplete(missing)
    _index_child(referral, referral.form.get("child") or {})
    reference = _next_reference(la, now.astimezone(UK).year)
    db.session.execute(
        update(Referral).where(Referral.id == referral_id).values(reference=reference)
        .execution_options(synchronize_session=False)
    )
    db.session.add(ReferralEvent(referral_id=referral_id, status=ReferralStatus.SUBMITTED, at=now, by_user_id=user.id))
    audit.record("referral.submit", object_type="referral", object_id=referral_id, actor=user)
    db.session.flush()
    db.session.refresh(referral)
    publish(ReferralSubmitted(referral, user))
    return referral


# --- reading the referral's history ------------------------------------------------------------


def events_with_people(referral: Referral) -> list[tuple[ReferralEvent, User | None]]:
    ids = {e.by_user_id for e in referral.events if e.by_user_id}
    people = {}
    if ids:
        people = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}
    return [(event, people.get(event.by_user_id)) for event in sorted(referral.events, key=lambda e: e.at, reverse=True)]


def child_date_of_birth(referral: Referral) -> date | None:
    value = (referral.form.get("child") or {}).get("date_of_birth")
    return date.fromisoformat(value) if value else None
