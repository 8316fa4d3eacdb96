"""The people and records the policy table is read against.

Two councils: Northshire (Oakfield and Riverside) and Southmoor (Hillcrest). The person acting
works at Oakfield (school roles) or at Northshire (council roles), so "own school" is Oakfield,
"other school, same LA" is Riverside, "other LA" is Hillcrest or Southmoor, and "own LA" is
Northshire. Organisations, people and pupils are built by the factories; the records the policy
only reads attributes of (concerns, transfers, request targets) are built in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from portal.auth.roles import Role
from portal.concerns.models import Concern
from portal.db import utcnow
from portal.orgs.models import Agency, AgencyKind
from portal.policy import InviteTarget, RoleChange
from portal.transfers.models import Transfer, TransferRequestTarget, TransferStatus
from tests.factories import make_la, make_pupil, make_school, make_user

# Column order of the table: who is acting.
ROLES = (Role.SCHOOL_STAFF, Role.DSL, Role.DEPUTY_DSL, Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER, Role.LA_ADMIN)
# The roles that came with partner agencies, children missing education and Operation Encompass:
# their answers are in tests/policy/test_policy_new_roles.py.
NEW_ROLES = (Role.CME_OFFICER, Role.ENCOMPASS_KEY_CONTACT, Role.AGENCY_PROFESSIONAL, Role.AGENCY_LEAD,
             Role.ENCOMPASS_NOTIFIER)


@dataclass
class World:
    northshire: Any
    southmoor: Any
    oakfield: Any
    riverside: Any
    hillcrest: Any
    actors: dict  # Role -> the user acting in that role
    people: dict  # label -> a user the actor may act on
    pupils: dict  # label -> a pupil record


def build_world() -> World:
    northshire, southmoor = make_la("938", "Northshire"), make_la("939", "Southmoor")
    oakfield = make_school(northshire, name="Oakfield", urn="938001")
    riverside = make_school(northshire, name="Riverside", urn="938002")
    hillcrest = make_school(southmoor, name="Hillcrest", urn="939001")
    actors = {role: make_user(role, oakfield if role.is_school_role else northshire) for role in ROLES}
    people = {
        "staff, own school": make_user(Role.SCHOOL_STAFF, oakfield),
        "DSL, own school": make_user(Role.DSL, oakfield),
        "staff, other school same LA": make_user(Role.SCHOOL_STAFF, riverside),
        "staff, other LA": make_user(Role.SCHOOL_STAFF, hillcrest),
        "LA staff, own LA": make_user(Role.TRIAGE_WORKER, northshire),
        "LA staff, other LA": make_user(Role.TRIAGE_WORKER, southmoor),
    }
    pupils = {
        "own school": make_pupil(oakfield),
        "other school, same LA": make_pupil(riverside),
        "other LA": make_pupil(hillcrest),
        "transferred out": make_pupil(oakfield, on_roll=False, transferred_out_at=utcnow() - timedelta(days=1)),
    }
    return World(northshire, southmoor, oakfield, riverside, hillcrest, actors, people, pupils)


Builder = Callable[[World, Any], Any]


def _concern(pupil_label: str, *, by_me: bool) -> Builder:
    def build(w: World, me) -> Concern:
        pupil = w.pupils[pupil_label]
        logged_by = me if by_me else w.people["staff, own school"]
        concern = Concern(school_id=pupil.school_id, pupil_id=pupil.id, logged_by_id=logged_by.id)
        concern.pupil = pupil
        return concern

    return build


def _transfer(from_school: str, to_school: str, status: TransferStatus) -> Builder:
    def build(w: World, me) -> Transfer:
        sent = status not in (TransferStatus.TO_SEND, TransferStatus.DESTINATION_UNKNOWN, TransferStatus.NO_TRANSFER)
        return Transfer(from_school_id=getattr(w, from_school).id, to_school_id=getattr(w, to_school).id,
                        status=status, sent_at=utcnow() if sent else None)

    return build


def _target(school: str) -> Builder:
    return lambda w, me: TransferRequestTarget(holder_school_id=getattr(w, school).id)


def _person(label: str) -> Builder:
    return lambda w, me: me if label == "self" else w.people[label]


# The objects an action is asked about, by the label the table uses. Each action's rows name
# some of these.
OBJECTS: dict[str, Builder] = {
    "area": lambda w, me: None,
    # organisations
    "own school": lambda w, me: w.oakfield,
    "other school, same LA": lambda w, me: w.riverside,
    "school in other LA": lambda w, me: w.hillcrest,
    "own LA": lambda w, me: w.northshire,
    "other LA": lambda w, me: w.southmoor,
    # pupil records
    "pupil, own school": lambda w, me: w.pupils["own school"],
    "pupil, other school same LA": lambda w, me: w.pupils["other school, same LA"],
    "pupil, other LA": lambda w, me: w.pupils["other LA"],
    "pupil transferred out of own school": lambda w, me: w.pupils["transferred out"],
    # concerns
    "concern I logged, own school": _concern("own school", by_me=True),
    "concern by another, own school": _concern("own school", by_me=False),
    "concern, other school same LA": _concern("other school, same LA", by_me=False),
    "concern, other LA": _concern("other LA", by_me=False),
    "concern I logged, transferred out": _concern("transferred out", by_me=True),
    # people
    "self": _person("self"),
    "staff, own school": _person("staff, own school"),
    "DSL, own school": _person("DSL, own school"),
    "staff, other school same LA": _person("staff, other school same LA"),
    "staff, other LA": _person("staff, other LA"),
    "LA staff, own LA": _person("LA staff, own LA"),
    "LA staff, other LA": _person("LA staff, other LA"),
    # invitations and role changes
    "invite staff to own school": lambda w, me: InviteTarget(Role.SCHOOL_STAFF, w.oakfield),
    "invite DSL to own school": lambda w, me: InviteTarget(Role.DSL, w.oakfield),
    "invite DSL to other school same LA": lambda w, me: InviteTarget(Role.DSL, w.riverside),
    "invite DSL to school in other LA": lambda w, me: InviteTarget(Role.DSL, w.hillcrest),
    "invite triage worker to own LA": lambda w, me: InviteTarget(Role.TRIAGE_WORKER, w.northshire),
    "invite triage worker to other LA": lambda w, me: InviteTarget(Role.TRIAGE_WORKER, w.southmoor),
    "make own school's staff a deputy": lambda w, me: RoleChange(w.people["staff, own school"], Role.DEPUTY_DSL),
    "make own school's staff a triage worker": lambda w, me: RoleChange(w.people["staff, own school"], Role.TRIAGE_WORKER),
    "make other LA school's staff a deputy": lambda w, me: RoleChange(w.people["staff, other LA"], Role.DEPUTY_DSL),
    "make own LA's staff a manager": lambda w, me: RoleChange(w.people["LA staff, own LA"], Role.TRIAGE_MANAGER),
    "make own LA's staff a school DSL": lambda w, me: RoleChange(w.people["LA staff, own LA"], Role.DSL),
    # transfers (from -> to, status)
    "transfer from own school, not sent": _transfer("oakfield", "riverside", TransferStatus.TO_SEND),
    "transfer from own school, sent": _transfer("oakfield", "riverside", TransferStatus.PENDING),
    "transfer from other school same LA": _transfer("riverside", "hillcrest", TransferStatus.PENDING),
    "transfer from other LA": _transfer("hillcrest", "riverside", TransferStatus.PENDING),
    "transfer to own school, not sent": _transfer("riverside", "oakfield", TransferStatus.TO_SEND),
    "transfer to own school, pending": _transfer("riverside", "oakfield", TransferStatus.PENDING),
    "transfer to own school, viewed": _transfer("hillcrest", "oakfield", TransferStatus.VIEWED),
    "transfer to own school, accepted": _transfer("riverside", "oakfield", TransferStatus.ACCEPTED),
    "transfer to own school, rejected": _transfer("riverside", "oakfield", TransferStatus.REJECTED),
    # requests for a file: the school holding a matching record answers
    "request to own school": _target("oakfield"),
    "request to other school same LA": _target("riverside"),
    "request to school in other LA": _target("hillcrest"),
}


# Changes to an LA's case-system endpoint (portal.connector.changes): approved by an LA admin of
# the LA who did not propose them.
def _endpoint_change(la: str, *, by_me: bool) -> Builder:
    def build(w: World, me):
        from portal.connector.models import EndpointChange

        proposer = me if by_me else w.people["LA staff, own LA"]
        return EndpointChange(local_authority_id=getattr(w, la).id, proposed_by_id=proposer.id)

    return build


OBJECTS.update({
    "endpoint change by another, own LA": _endpoint_change("northshire", by_me=False),
    "endpoint change I proposed, own LA": _endpoint_change("northshire", by_me=True),
    "endpoint change, other LA": _endpoint_change("southmoor", by_me=False),
})


# Partner agencies (in memory: the policy reads their council and kind).
def _agency(la: str, kind: AgencyKind = AgencyKind.GP_PRACTICE) -> Builder:
    return lambda w, me: Agency(local_authority_id=getattr(w, la).id, kind=kind.value, name="Agency", active=True)


OBJECTS.update({
    "agency, own LA": _agency("northshire"),
    "agency, other LA": _agency("southmoor"),
})


# Background jobs (portal.jobs), in memory: the policy reads who asked and for which organisation.
def _job(org: str, *, by: str) -> Builder:
    def build(w: World, me):
        from portal.jobs.models import BackgroundJob

        requester = me if by == "me" else w.people[by]
        organisation = getattr(w, org)
        school = organisation.id if org in ("oakfield", "riverside", "hillcrest") else None
        return BackgroundJob(requested_by_id=requester.id, school_id=school,
                             local_authority_id=None if school else organisation.id)

    return build


OBJECTS.update({
    "job I asked for, own school": _job("oakfield", by="me"),
    "job another asked for, own school": _job("oakfield", by="DSL, own school"),
    "job, other school same LA": _job("riverside", by="staff, other school same LA"),
    "job I asked for, own LA": _job("northshire", by="me"),
    "job another asked for, own LA": _job("northshire", by="LA staff, own LA"),
})


# Off-roll notices (portal.cme), built in memory: the policy reads their school, their council,
# their status and whether they were flagged to triage.
def _notice(school: str, status: str = "received", *, flagged: bool = False) -> Builder:
    def build(w: World, me):
        from portal.cme.models import OffRollNotice

        org = getattr(w, school)
        return OffRollNotice(school_id=org.id, local_authority_id=org.local_authority_id, status=status,
                             flagged_at=utcnow() if flagged else None)

    return build


OBJECTS.update({
    "off-roll notice draft, own school": _notice("oakfield", "draft"),
    "off-roll notice draft, other school same LA": _notice("riverside", "draft"),
    "off-roll notice sent, own school": _notice("oakfield"),
    "off-roll notice closed, own school": _notice("oakfield", "closed"),
    "off-roll notice sent, other school same LA": _notice("riverside"),
    "off-roll notice sent, school in other LA": _notice("hillcrest"),
    "off-roll notice flagged, own school": _notice("oakfield", flagged=True),
    "off-roll notice flagged, school in other LA": _notice("hillcrest", flagged=True),
})


# Operation Encompass (portal.encompass): a notice belongs to the police organisation that sent it;
# each child of it to the school it was delivered to, or to the council holding it.
def _encompass_child(school: str | None, la: str, routing: str) -> Builder:
    def build(w: World, me):
        from portal.encompass.models import EncompassChild

        return EncompassChild(routing=routing, school_id=getattr(w, school).id if school else None,
                              local_authority_id=getattr(w, la).id)

    return build


def _encompass_notice(w: World, me):
    import uuid

    from portal.encompass.models import EncompassNotice

    return EncompassNotice(agency_id=uuid.uuid4(), status="submitted", created_by_id=uuid.uuid4())


OBJECTS.update({
    "Encompass notice sent by police": _encompass_notice,
    "Encompass notice delivered to own school": _encompass_child("oakfield", "northshire", "delivered"),
    "Encompass notice delivered, other school": _encompass_child("riverside", "northshire", "delivered"),
    "Encompass notice delivered, other LA": _encompass_child("hillcrest", "southmoor", "delivered"),
    "Encompass notice held by own LA": _encompass_child(None, "northshire", "held"),
    "Encompass notice held by other LA": _encompass_child(None, "southmoor", "held"),
})
