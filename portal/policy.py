"""Who may do what: the one place that decides.

Every view is decorated with `@requires(action)` (or `@public` for the few pages anyone may
reach, such as sign-in and health checks), and services call `require(action, obj)` for checks
on a particular record. There is no role check anywhere else in the code.

Deny by default: an action without a rule is refused, an inactive user is refused, and a rule
only says yes for the organisation the user belongs to.

A refusal about a particular record answers 404, not 403, so that a user of another school or
council cannot even learn that the record exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

from flask import current_app, g, request
from flask_login import current_user

from portal.domain_errors import NotFound, Refused
from portal.extensions import login_manager
from portal.auth.roles import AGENCY_REFERRERS, AGENCY_ROLES, LA_ROLES, SAFEGUARDING_LEADS, SCHOOL_ROLES, TRIAGE_ROLES, Role
from portal.orgs.models import Agency, LocalAuthority, School
from portal.pupils.models import Pupil
from portal.transfers.models import SENT_STATUSES, TransferStatus
from portal.cme.models import NoticeStatus, OffRollNotice

Rule = Callable[[Any, Any], bool]
RULES: dict[str, Rule] = {}


def rule(*actions: str):
    def register(fn: Rule) -> Rule:
        for action in actions:
            if action in RULES:
                raise RuntimeError(f"two rules for {action}")
            RULES[action] = fn
        return fn

    return register


def can(user, action: str, obj: Any = None) -> bool:
    # The signed-in user itself, not Flask-Login's proxy: a rule reads several of its attributes,
    # and through the proxy each read looks the user up again (a page asks dozens of questions).
    unwrap = getattr(user, "_get_current_object", None)
    if unwrap is not None:
        user = unwrap()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    check = RULES.get(action)
    if check is None:
        return False
    return bool(check(user, obj))


def require(action: str, obj: Any = None) -> None:
    """Raise unless the signed-in user may do `action` (to `obj`): NotFound for a particular
    record (another organisation must not learn it exists), Refused for an area."""
    g.policy_checked = True
    if not can(current_user, action, obj):
        raise NotFound() if obj is not None else Refused()


def requires(action: str):
    """View decorator: the user must be signed in and allowed `action`."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            g.policy_checked = True
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            require(action)
            return view(*args, **kwargs)

        wrapped.policy_action = action
        return wrapped

    return decorate


def public(view):
    """Marks a view that anyone may reach (sign-in, health, error pages, static files)."""
    view.policy_public = True
    return view


def init_policy(app) -> None:
    """In tests, a view that answers without any policy decision fails loudly.

    `@requires` and `require()` set `g.policy_checked`; a view marked `@public` needs none. Any
    other view that answers is a view that slipped through, and the test that reached it fails.
    """
    if not app.testing:
        return

    @app.before_request
    def _nothing_checked_yet():
        # Tests keep one app context (and so one `g`) across requests: start each one afresh.
        g.pop("policy_checked", None)

    @app.after_request
    def _every_view_was_checked(response):
        view = current_app.view_functions.get(request.endpoint or "")
        if view is None or getattr(view, "policy_public", False) or g.get("policy_checked"):
            return response
        # A refusal before the view ran (a bad CSRF token, say) has reached nothing.
        if response.status_code >= 400 or request.method == "OPTIONS":
            return response
        raise AssertionError(f"view {request.endpoint} answered without a policy check")


# --- helpers for rules ----------------------------------------------------------------------


def role_of(user) -> Role:
    return Role(user.role)


def in_la_roles(user, roles) -> bool:
    return role_of(user) in roles and user.local_authority_id is not None


def school_la_id(obj) -> Any:
    return obj.local_authority_id if isinstance(obj, School) else None


# --- rules ----------------------------------------------------------------------------------


@rule("home:view")
def _home(user, obj) -> bool:
    return True


@rule("schools:manage")
def _manage_schools(user, obj) -> bool:
    """An LA admin manages the schools of their own LA (obj: a School, an LA, or None)."""
    if not in_la_roles(user, {Role.LA_ADMIN}):
        return False
    if obj is None:
        return True
    if isinstance(obj, School):
        return obj.local_authority_id == user.local_authority_id
    if isinstance(obj, LocalAuthority):
        return obj.id == user.local_authority_id
    return False


@rule("agencies:manage")
def _manage_agencies(user, obj) -> bool:
    """An LA admin registers and looks after the partner agencies of their own LA (obj: an
    Agency, or None for the area)."""
    if not _is_la_admin(user):
        return False
    if obj is None:
        return True
    return isinstance(obj, Agency) and obj.local_authority_id == user.local_authority_id


@rule("council_calendar:manage")
def _manage_council_calendar(user, obj) -> bool:
    """The council's school calendar (term holidays and closures that its schools follow unless
    they keep their own term dates): an LA admin of that council, who administers its schools
    (triage managers run the queue, not the council's organisation). obj: the LocalAuthority, a
    CouncilHoliday (anything with local_authority_id), or None for the area."""
    if not _is_la_admin(user):
        return False
    if obj is None:
        return True
    if isinstance(obj, LocalAuthority):
        return obj.id == user.local_authority_id
    if isinstance(obj, (School, Agency)):
        return False
    la_id = getattr(obj, "local_authority_id", None)
    return la_id is not None and la_id == user.local_authority_id


# --- accounts and user administration -------------------------------------------------------


@dataclass(frozen=True)
class InviteTarget:
    """Someone the actor wants to invite: a role in an organisation."""

    role: Role
    organisation: School | LocalAuthority | Agency


@dataclass(frozen=True)
class RoleChange:
    user: Any
    role: Role


# Who an administrator may invite, and give as a role: an LA admin the LA's own staff, the
# (first) DSL of each of its schools and the (first) safeguarding lead of each partner agency it
# registered; a DSL their school's staff and deputies; an agency's lead its professionals (and, in
# a police organisation, its Operation Encompass notifiers) and other leads.
LA_ADMIN_INVITES_TO_LA = frozenset(
    {Role.TRIAGE_WORKER, Role.TRIAGE_MANAGER, Role.LA_ADMIN, Role.CME_OFFICER, Role.ENCOMPASS_KEY_CONTACT}
)
LA_ADMIN_INVITES_TO_SCHOOL = frozenset({Role.DSL})
DSL_INVITES = frozenset({Role.SCHOOL_STAFF, Role.DEPUTY_DSL})
LA_ADMIN_INVITES_TO_AGENCY = frozenset({Role.AGENCY_LEAD})
AGENCY_LEAD_INVITES = frozenset({Role.AGENCY_PROFESSIONAL, Role.AGENCY_LEAD, Role.ENCOMPASS_NOTIFIER})


def agency_role_fits(role: Role, agency) -> bool:
    """Whether a role can be held in this agency: the notifier's only in a police organisation."""
    if role not in AGENCY_ROLES:
        return False
    return role != Role.ENCOMPASS_NOTIFIER or agency.kind_enum.is_police


def _is_la_admin(user) -> bool:
    return in_la_roles(user, {Role.LA_ADMIN})


def _is_school_dsl(user) -> bool:
    return role_of(user) == Role.DSL and user.school_id is not None


def _is_agency_lead(user) -> bool:
    return role_of(user) == Role.AGENCY_LEAD and user.agency_id is not None


def _agency_la_id(agency) -> Any:
    return agency.local_authority_id if isinstance(agency, Agency) else None


def _looks_after(actor, target) -> bool:
    """Whether `target`'s account is in the actor's care (never their own: see "account:")."""
    if target is None or target.id == actor.id:
        return False
    if _is_la_admin(actor):
        if target.local_authority_id is not None:
            return target.local_authority_id == actor.local_authority_id
        if target.agency_id is not None:
            return _agency_la_id(target.agency) == actor.local_authority_id
        return target.school is not None and target.school.local_authority_id == actor.local_authority_id
    if _is_school_dsl(actor):
        return target.school_id is not None and target.school_id == actor.school_id and role_of(target) in DSL_INVITES
    if _is_agency_lead(actor):
        return target.agency_id is not None and target.agency_id == actor.agency_id
    return False


@rule("account:manage")
def _own_account(user, obj) -> bool:
    """Every signed-in user manages their own password, second factor and sessions."""
    return obj is None or getattr(obj, "id", None) == user.id


@rule("users:list")
def _list_users(user, obj) -> bool:
    return _is_la_admin(user) or _is_school_dsl(user) or _is_agency_lead(user)


@rule("users:list_la")
def _list_la_users(user, obj) -> bool:
    """An LA admin's list covers the LA's staff and the users of all its schools."""
    return _is_la_admin(user)


@rule("users:view", "users:deactivate")
def _manage_user(user, obj) -> bool:
    return _looks_after(user, obj)


@rule("users:reset_2fa")
def _reset_second_factor(user, obj) -> bool:
    return _is_la_admin(user) and _looks_after(user, obj)


@rule("users:invite")
def _invite(user, obj) -> bool:
    if obj is None:
        return _is_la_admin(user) or _is_school_dsl(user) or _is_agency_lead(user)
    if not isinstance(obj, InviteTarget):
        return False
    org, role = obj.organisation, Role(obj.role)
    if not getattr(org, "active", False):
        return False
    if _is_la_admin(user):
        if isinstance(org, LocalAuthority):
            return org.id == user.local_authority_id and role in LA_ADMIN_INVITES_TO_LA
        if isinstance(org, Agency):
            return org.local_authority_id == user.local_authority_id and role in LA_ADMIN_INVITES_TO_AGENCY
        return isinstance(org, School) and org.local_authority_id == user.local_authority_id and role in LA_ADMIN_INVITES_TO_SCHOOL
    if _is_school_dsl(user):
        return isinstance(org, School) and org.id == user.school_id and role in DSL_INVITES
    if _is_agency_lead(user):
        return (isinstance(org, Agency) and org.id == user.agency_id and role in AGENCY_LEAD_INVITES
                and agency_role_fits(role, org))
    return False


@rule("users:change_role")
def _change_role(user, obj) -> bool:
    if not isinstance(obj, RoleChange) or not _looks_after(user, obj.user):
        return False
    role = Role(obj.role)
    target = obj.user
    if target.agency_id is not None:
        # In an agency: its roles only (the notifier's only in a police organisation), by the
        # LA admin or the agency's lead.
        return agency_role_fits(role, target.agency) and (_is_la_admin(user) or role in AGENCY_LEAD_INVITES)
    if _is_la_admin(user):
        # Within the kind of organisation the person belongs to: an LA role in the LA, a school
        # role in a school (an LA admin may make a deputy the DSL when the DSL leaves).
        return role.is_school_role if target.school_id else role.is_la_role
    return _is_school_dsl(user) and role in DSL_INVITES


# --- schools' safeguarding work: pupils, concerns, referrals, updates, chronology -----------
# Objects are matched by their organisation ids (duck-typed: a Pupil, Concern, Referral or
# SharedUpdate all carry `school_id`); only a Pupil is told apart, for its transferred-out state.


def _school_user(user, school_id) -> bool:
    return role_of(user) in SCHOOL_ROLES and user.school_id is not None and user.school_id == school_id


def _safeguarding_lead(user, school_id) -> bool:
    return role_of(user) in SAFEGUARDING_LEADS and user.school_id is not None and user.school_id == school_id


def _school_id_of(obj) -> Any:
    if obj is None:
        return None
    if isinstance(obj, School):
        return obj.id
    return getattr(obj, "school_id", None)


def _transferred_out(obj) -> bool:
    """Whether this school's record of the child was sent to another school and accepted there.

    The sending school keeps that record read-only (with its receipt): nobody there adds to it
    or changes it any more; the child's story carries on at the receiving school. The pupil
    record says so itself (`transferred_out_at`, set when the receiving school accepts); for a
    record about the child (a concern), its `pupil` says so.
    """
    pupil = obj if isinstance(obj, Pupil) else getattr(obj, "pupil", None)
    return getattr(pupil, "transferred_out_at", None) is not None


def _is_pupil(obj) -> bool:
    return isinstance(obj, Pupil)


@rule("pupil:view", "concerns:review", "referrals:manage", "updates:view", "chronology:view",
      "chronology:export")
def _lead_work(user, obj) -> bool:
    """DSLs and deputies: everything about their own school's pupils (obj None: the area)."""
    if obj is None:
        return role_of(user) in SAFEGUARDING_LEADS and user.school_id is not None
    return _safeguarding_lead(user, _school_id_of(obj))


@rule("referrals:start")
def _start_referral(user, obj) -> bool:
    """A DSL refers a pupil of their own school, except one whose record was transferred out: the
    receiving school now holds the child's story and refers from there."""
    if obj is None:
        return role_of(user) in SAFEGUARDING_LEADS and user.school_id is not None
    return _safeguarding_lead(user, _school_id_of(obj)) and not (_is_pupil(obj) and _transferred_out(obj))


@rule("pupils:manage")
def _manage_pupils(user, obj) -> bool:
    """DSLs and deputies keep their school's pupil records, except a record transferred out."""
    if not _lead_work(user, obj):
        return False
    return not (_is_pupil(obj) and _transferred_out(obj))


@rule("pupils:pick", "concern:log")
def _any_school_user(user, obj) -> bool:
    """Any school user logs a concern, choosing the pupil from their own school's roll."""
    if obj is None:
        return role_of(user) in SCHOOL_ROLES and user.school_id is not None
    if not _school_user(user, _school_id_of(obj)):
        return False
    return not (_is_pupil(obj) and _transferred_out(obj))


@rule("concern:view")
def _concern_reader(user, obj) -> bool:
    """Staff see only the concerns they logged; DSLs and deputies all of their school's."""
    if obj is None:
        return role_of(user) in SCHOOL_ROLES and user.school_id is not None
    school_id = _school_id_of(obj)
    if _safeguarding_lead(user, school_id):
        return True
    return _school_user(user, school_id) and getattr(obj, "logged_by_id", None) == user.id


@rule("concern:correct")
def _concern_corrector(user, obj) -> bool:
    """Whoever may read a concern may correct it, until the record is transferred out."""
    if not _concern_reader(user, obj):
        return False
    return obj is None or not _transferred_out(obj)


# --- council triage: the LA's referrals queue, decisions, reports, sharing policy -----------
# Objects (a Referral, a TriageItem, a LocalAuthority) are matched by the LA whose queue they are
# in: `local_authority_id` (or the LA's own id) against the user's LA.


def _triage_la_id(obj) -> Any:
    if isinstance(obj, LocalAuthority):
        return obj.id
    return getattr(obj, "local_authority_id", None)


@rule("triage:work", "triage:view_referral")
def _triage_work(user, obj) -> bool:
    """Triage workers and managers: their own LA's queue and the referrals in it."""
    if not in_la_roles(user, TRIAGE_ROLES):
        return False
    return obj is None or _triage_la_id(obj) == user.local_authority_id


@rule("triage:manage")
def _triage_manage(user, obj) -> bool:
    """Triage managers: allocation, reports and the sharing policy of their own LA."""
    if not in_la_roles(user, {Role.TRIAGE_MANAGER}):
        return False
    return obj is None or _triage_la_id(obj) == user.local_authority_id


@rule("connector:manage")
def _connector_manage(user, obj) -> bool:
    """Triage managers: their own LA's case-system connection (settings, status, dead letters).
    obj: the LA, or a record carrying `local_authority_id` (an outbox row, an endpoint)."""
    if not in_la_roles(user, {Role.TRIAGE_MANAGER}):
        return False
    return obj is None or _triage_la_id(obj) == user.local_authority_id


@rule("connector:change")
def _connector_change(user, obj) -> bool:
    """Triage managers and LA admins: propose a change to their own LA's case-system endpoint,
    see the change waiting, withdraw or turn it down. It takes effect only on approval.
    obj: the LA, or a change (carrying `local_authority_id`)."""
    if not in_la_roles(user, {Role.TRIAGE_MANAGER, Role.LA_ADMIN}):
        return False
    return obj is None or _triage_la_id(obj) == user.local_authority_id


@rule("connector:approve")
def _connector_approve(user, obj) -> bool:
    """LA admins of the LA approve a change to its endpoint: never one they proposed themselves
    (two people for every change). obj: the change (`local_authority_id`, `proposed_by_id`)."""
    if not in_la_roles(user, {Role.LA_ADMIN}):
        return False
    if obj is None:
        return True
    return _triage_la_id(obj) == user.local_authority_id and getattr(obj, "proposed_by_id", None) != user.id


# --- partner agencies' referrals -------------------------------------------------------------
# A partner agency's referral (duck-typed: `agency_id`, `created_by_id`) is its professional's,
# and every one of the agency's is its safeguarding lead's. They name the child by details only:
# no school's record is theirs to see. The updates the council sends about their referrals
# (`agency_id`) go to the same people. The Encompass notifier records notices and does not refer.


def _agency_referrer(user) -> bool:
    return role_of(user) in AGENCY_REFERRERS and user.agency_id is not None


@rule("agency_referrals:manage")
def _agency_referral(user, obj) -> bool:
    """An agency's professional: the referrals they made; its safeguarding lead: all of the
    agency's. obj: a Referral (None: the area)."""
    if not _agency_referrer(user):
        return False
    if obj is None:
        return True
    agency_id = getattr(obj, "agency_id", None)
    if agency_id is None or agency_id != user.agency_id:
        return False
    return role_of(user) == Role.AGENCY_LEAD or getattr(obj, "created_by_id", None) == user.id


@rule("agency_referrals:oversee")
def _agency_oversight(user, obj) -> bool:
    """An agency's safeguarding lead sees every referral of the agency and the feedback on them.
    obj: a Referral (None: the area)."""
    if not (role_of(user) == Role.AGENCY_LEAD and user.agency_id is not None):
        return False
    return obj is None or getattr(obj, "agency_id", None) == user.agency_id


@rule("agency_referrals:start")
def _agency_refers_to(user, obj) -> bool:
    """An agency's referrers refer to their agency's own council, and to the neighbouring ones its
    council's LA admin allowed. obj: the LocalAuthority (None: the area)."""
    if not _agency_referrer(user):
        return False
    if obj is None:
        return True
    return (isinstance(obj, LocalAuthority) and obj.active and user.agency is not None
            and obj.id in user.agency.referral_la_ids)


@rule("agency_updates:view")
def _agency_updates(user, obj) -> bool:
    """An agency's referrers read what the council sent their agency (the service also asks
    "agency_referrals:manage" of the referral, so a professional reads only their own
    referrals'). obj: a SharedUpdate (None: the area)."""
    if not _agency_referrer(user):
        return False
    return obj is None or (getattr(obj, "agency_id", None) is not None and obj.agency_id == user.agency_id)


@rule("referrals:work")
def _referral_form(user, obj) -> bool:
    """The referral form's pages (task list, questions, check answers, the referral): a school's
    DSLs and deputies for their school's referrals, an agency's referrers for theirs (as
    "agency_referrals:manage"). obj: a Referral (None: the area)."""
    if obj is None:
        return _lead_work(user, None) or _agency_referrer(user)
    return _lead_work(user, obj) or _agency_referral(user, obj)


# --- transfers of child protection files between schools ----------------------------------
# A transfer (duck-typed: `from_school_id`, `to_school_id`, `status`) is the sending school's
# until it is sent; the receiving school's DSLs see that it is waiting and who sent it, and see
# the child and the history only once they have confirmed receipt. A rejected transfer is the
# sender's again. A request target (`school_id`: the school holding a matching record) is
# answered by that school's DSLs.

def _leads_school(user) -> bool:
    return role_of(user) in SAFEGUARDING_LEADS and user.school_id is not None


@rule("transfers:manage", "transfers:request")
def _transfers_area(user, obj) -> bool:
    """DSLs and deputies: their school's transfer list, leavers, requests and closed days."""
    if obj is None:
        return _leads_school(user)
    return _safeguarding_lead(user, _school_id_of(obj))


@rule("transfers:send")
def _transfer_send(user, obj) -> bool:
    """The sending school's leads: record a leaver (obj: the pupil), choose the destination,
    review and send (obj: the transfer), see what was sent and the receipt."""
    if obj is None:
        return _leads_school(user)
    school_id = getattr(obj, "from_school_id", None) or _school_id_of(obj)
    return _safeguarding_lead(user, school_id)


@rule("transfers:receive")
def _transfer_receive(user, obj) -> bool:
    """The destination school's leads, once the file has been sent to them (never before it
    is sent, nor after they have rejected it)."""
    if obj is None:
        return _leads_school(user)
    return getattr(obj, "status", None) in SENT_STATUSES and _safeguarding_lead(user, getattr(obj, "to_school_id", None))


@rule("transferred_history:view")
def _transferred_history(user, obj) -> bool:
    """The child and the history sent: the receiving school's leads after confirming receipt;
    the sending school's leads (what they sent) once it has been sent."""
    if obj is None:
        return _leads_school(user)
    status = getattr(obj, "status", None)
    if status == TransferStatus.ACCEPTED and _safeguarding_lead(user, getattr(obj, "to_school_id", None)):
        return True
    return bool(getattr(obj, "sent_at", None)) and _safeguarding_lead(user, getattr(obj, "from_school_id", None))


@rule("transfer_requests:answer")
def _answer_request(user, obj) -> bool:
    """The leads of a school holding a record that matches another school's request."""
    if obj is None:
        return _leads_school(user)
    return _safeguarding_lead(user, _school_id_of(obj))


# --- the council dashboard ------------------------------------------------------------------------


@rule("dashboard:view")
def _dashboard_view(user, obj) -> bool:
    """Triage managers, and LA admins (read-only: the dashboard changes nothing), see their own
    LA's figures and charts and download them. obj: the LA (counts only, no child)."""
    if not in_la_roles(user, {Role.TRIAGE_MANAGER, Role.LA_ADMIN}):
        return False
    return obj is None or _triage_la_id(obj) == user.local_authority_id


# --- retention --------------------------------------------------------------------------------


@rule("retention:hold")
def _legal_hold(user, obj) -> bool:
    """A legal hold on a child's records (it stops their destruction): the DSL or deputy of the
    school holding the record, or an LA admin of that school's council. obj: the School holding
    the pupil record (None: the area)."""
    if obj is None:
        return role_of(user) in SAFEGUARDING_LEADS and user.school_id is not None or in_la_roles(user, {Role.LA_ADMIN})
    if not isinstance(obj, School):
        # A pupil record (the link on its page): its school's leads. The council's LA admin is
        # answered with the School, whose council the policy can read.
        return _is_pupil(obj) and _safeguarding_lead(user, obj.school_id)
    return _safeguarding_lead(user, obj.id) or (
        in_la_roles(user, {Role.LA_ADMIN}) and obj.local_authority_id == user.local_authority_id)

# --- single sign-on ----------------------------------------------------------------------------


@rule("sso:manage")
def _manage_single_sign_on(user, obj) -> bool:
    """An organisation's single sign-on: an LA admin for the LA and each of its schools; a
    school's DSL for their own school. obj: the School or LocalAuthority (None: the area)."""
    if obj is None:
        return _is_la_admin(user) or _is_school_dsl(user)
    if isinstance(obj, LocalAuthority):
        return _is_la_admin(user) and obj.id == user.local_authority_id
    if isinstance(obj, School):
        return (_is_la_admin(user) and obj.local_authority_id == user.local_authority_id) or (
            _is_school_dsl(user) and obj.id == user.school_id)
    return False

# --- rolls from the school's MIS -------------------------------------------------------------


@rule("rolls:import")
def _import_ctf(user, obj) -> bool:
    """A Common Transfer File from the school's MIS is imported into the roll by the school's DSL
    or a deputy. obj: the School (None: the area); another school is a 404."""
    if obj is None:
        return role_of(user) in SAFEGUARDING_LEADS and user.school_id is not None
    return isinstance(obj, School) and _safeguarding_lead(user, obj.id)


# --- children missing education: off-roll notices ------------------------------------------
# A notice (duck-typed: `school_id`, `local_authority_id`, `status`, `flagged_at`) is the school's
# while it is a draft; once sent it is the council's CME officers' to work, and the school's
# leads see it (status, questions to answer, outcome). There is no attendance-lead role: the
# school's DSLs and deputies send notices. The council's triage sees a notice only when it was
# flagged (the child had something open) and only to read.


def _is_notice(obj) -> bool:
    return isinstance(obj, OffRollNotice)


@rule("cme:send")
def _cme_send(user, obj) -> bool:
    """The school's leads write and send an off-roll notice: about a pupil of their own school
    (not one whose record was transferred out: the child is at the receiving school), or a draft
    of their own school's. obj: a Pupil, a notice, or None (the area)."""
    if obj is None:
        return _leads_school(user)
    if _is_notice(obj):
        return obj.status == NoticeStatus.DRAFT and _safeguarding_lead(user, obj.school_id)
    return _is_pupil(obj) and _safeguarding_lead(user, obj.school_id) and not _transferred_out(obj)


@rule("cme:answer")
def _cme_answer(user, obj) -> bool:
    """The school's leads see the notices their school sent (status, the council's questions to
    answer, the outcome) and answer the questions. obj: a sent notice, or None (the list)."""
    if obj is None:
        return _leads_school(user)
    return _is_notice(obj) and obj.status != NoticeStatus.DRAFT and _safeguarding_lead(user, obj.school_id)


@rule("cme:view_queue", "cme:work")
def _cme_officer(user, obj) -> bool:
    """The council's children missing education officers: the notices sent by their own LA's
    schools (never a draft, never another LA's). obj: a notice, the LA, or None (the queue)."""
    if not in_la_roles(user, {Role.CME_OFFICER}):
        return False
    if obj is None:
        return True
    if isinstance(obj, LocalAuthority):
        return obj.id == user.local_authority_id
    return (_is_notice(obj) and obj.status != NoticeStatus.DRAFT
            and obj.local_authority_id == user.local_authority_id)


@rule("cme:triage_view")
def _cme_triage_view(user, obj) -> bool:
    """Triage workers and managers read (only) an off-roll notice flagged to their own LA's
    triage, because the child had a concern or referral open. obj: the notice, or None."""
    if not in_la_roles(user, TRIAGE_ROLES):
        return False
    if obj is None:
        return True
    return (_is_notice(obj) and obj.flagged_at is not None and obj.status != NoticeStatus.DRAFT
            and obj.local_authority_id == user.local_authority_id)

# --- Operation Encompass -------------------------------------------------------------------------
# A notice (`agency_id`, `created_by_id`, `status`) belongs to the police organisation that made
# it; each child of it (`routing`, `school_id`, `local_authority_id`) is the school's once
# delivered there, and the council's (its key contact's) while held.


def _police_notifier(user) -> bool:
    if role_of(user) != Role.ENCOMPASS_NOTIFIER or getattr(user, "agency_id", None) is None:
        return False
    agency = user.agency
    return agency is not None and agency.kind_enum.is_police


@rule("encompass:record")
def _encompass_record(user, obj) -> bool:
    """An Encompass notifier of a police organisation records notices and sees the ones their
    organisation sent (a draft only its author). obj: a notice (None: the area)."""
    if not _police_notifier(user):
        return False
    if obj is None:
        return True
    if getattr(obj, "agency_id", None) != user.agency_id:
        return False
    return getattr(obj, "status", None) == "submitted" or getattr(obj, "created_by_id", None) == user.id


@rule("encompass:read")
def _encompass_read(user, obj) -> bool:
    """The DSLs and deputies of the school a child's notice was delivered to. obj: the child of
    a notice (None: the area)."""
    if obj is None:
        return _leads_school(user)
    return getattr(obj, "routing", None) == "delivered" and _safeguarding_lead(user, getattr(obj, "school_id", None))


@rule("encompass:route")
def _encompass_route(user, obj) -> bool:
    """The council's Encompass key contact: the notices held for their area, routed by hand. obj:
    the child of a notice (None: the area)."""
    if not in_la_roles(user, {Role.ENCOMPASS_KEY_CONTACT}):
        return False
    return obj is None or getattr(obj, "local_authority_id", None) == user.local_authority_id


@rule("encompass:register")
def _encompass_register(user, obj) -> bool:
    """The council's register of notices (counts by school, time to first read): the key contact,
    and triage managers read-only. obj: the LA (None: the area)."""
    if not in_la_roles(user, {Role.ENCOMPASS_KEY_CONTACT, Role.TRIAGE_MANAGER}):
        return False
    return obj is None or _triage_la_id(obj) == user.local_authority_id


# --- background jobs (a court bundle being made) ----------------------------------------------


@rule("jobs:result")
def _job_result(user, job) -> bool:
    """A background job's progress and its result: the person who asked, while they are still in
    the organisation they asked from, or a safeguarding lead of the school it was asked for. The
    area that owns the job checks its own action on the record too (chronology:export, at
    download time). obj: a BackgroundJob (duck-typed: requested_by_id, school_id,
    local_authority_id)."""
    if job is None:
        return False
    if getattr(job, "requested_by_id", None) == user.id:
        return ((job.school_id is not None and job.school_id == user.school_id)
                or (job.local_authority_id is not None and job.local_authority_id == user.local_authority_id))
    return job.school_id is not None and _safeguarding_lead(user, job.school_id)


__all__ = [
    "can",
    "require",
    "requires",
    "public",
    "rule",
    "RULES",
    "InviteTarget",
    "RoleChange",
    "init_policy",
    "SCHOOL_ROLES",
    "LA_ROLES",
    "SAFEGUARDING_LEADS",
    "TRIAGE_ROLES",
]
