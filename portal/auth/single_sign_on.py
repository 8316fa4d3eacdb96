"""Single sign-on with an organisation's own accounts (OpenID Connect): the settings an LA admin
(for the LA and its schools) or a school's DSL (for the school) keeps, and the sign-in itself.

The sign-in, in two requests:
1. `begin(email)`: the email's domain names the organisation whose settings are on; a request
   row keeps the state (hashed), the nonce and the PKCE verifier (encrypted) for 10 minutes; the
   browser's session keeps the state too (so the answer must come back to the same browser).
2. `finish(...)`: the state must match the browser's and a live, unused request (it is used up
   at once: a replayed or expired answer is refused); the code is exchanged; the id_token's
   signature and claims are checked (portal.auth.oidc); the person is found by their link
   (the provider's subject) or, the first time, by the invited account with the same verified
   email in that organisation — nobody is ever created. Then the portal's own code is asked
   (a sign-in stage, as after a password), unless the organisation accepts the provider's
   multi-factor and the token says it was used.

Failures are answers, not errors: each is audited (`auth.sign_in`, failure, an `sso_` reason)
and committed, and the page explains what to do. Nothing from the provider is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from portal import audit
from portal.auth import oidc, session_store, stages, wall_clock
from portal.auth.models import (
    FirstFactor,
    SecondFactorPolicy,
    SignInMethod,
    SingleSignOnLink,
    SingleSignOnProvider,
    SingleSignOnRequest,
    SingleSignOnSettings,
    User,
)
from portal.auth.roles import Role
from portal.db import db
from portal.domain_errors import Invalid, NotFound
from portal.orgs.models import LocalAuthority, School
from portal.policy import require
from portal.transaction import transactional

REQUEST_LIFETIME = timedelta(minutes=10)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ENTRA_TENANT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- settings --------------------------------------------------------------------------------


def settings_of(organisation) -> SingleSignOnSettings | None:
    """A school's or a council's single sign-on settings; partner agencies sign in with the
    portal's password and code only (None)."""
    if isinstance(organisation, School):
        column = SingleSignOnSettings.school_id
    elif isinstance(organisation, LocalAuthority):
        column = SingleSignOnSettings.local_authority_id
    else:
        return None
    return db.session.execute(select(SingleSignOnSettings).where(column == organisation.id)).scalar_one_or_none()


def organisation_to_manage(actor: User, school_id: uuid.UUID | None = None
                           ) -> tuple[School | LocalAuthority, SingleSignOnSettings | None]:
    """The organisation whose single sign-on the actor is looking at (their own, or an LA
    admin's school) and its settings, if any. Another LA's school is a 404."""
    if school_id is None:
        organisation = actor.organisation
    else:
        organisation = db.session.get(School, school_id)
        if organisation is None:
            raise NotFound()
    require("sso:manage", organisation)
    return organisation, settings_of(organisation)


@dataclass(frozen=True)
class SettingsInput:
    enabled: bool
    provider: str
    tenant: str | None
    issuer: str | None
    email_domains: str
    client_id: str
    client_secret: str | None  # None or empty: keep the stored one
    second_factor: str
    password_sign_in: bool


def _clean_domains(text: str) -> list[str]:
    domains = [d.strip().lower().lstrip("@") for d in re.split(r"[\s,;]+", text or "") if d.strip()]
    if not domains:
        raise Invalid("Enter the email domains your organisation’s people sign in with, like oakfield.sch.uk",
                      field="email_domains")
    if len(domains) > 20 or any(not _DOMAIN.match(d) for d in domains):
        raise Invalid("Enter email domains like oakfield.sch.uk, separated by spaces", field="email_domains")
    return sorted(set(domains))


def _domain_taken(domains: list[str], settings_id: uuid.UUID | None) -> bool:
    others = db.session.execute(select(SingleSignOnSettings)).scalars()
    return any(s.id != settings_id and set(s.domains) & set(domains) for s in others)


@transactional
def save_settings(actor: User, organisation: School | LocalAuthority, given: SettingsInput) -> SingleSignOnSettings:
    """Create or change the organisation's single sign-on; audited, with the second-factor
    policy and the password sign-in choice recorded on their own when they change."""
    require("sso:manage", organisation)
    settings = settings_of(organisation)
    if given.provider not in set(SingleSignOnProvider):
        raise Invalid("Select who your organisation’s accounts are with", field="provider")
    if given.second_factor not in set(SecondFactorPolicy):
        raise Invalid("Select what is asked after your organisation’s account", field="second_factor")
    tenant = (given.tenant or "").strip() or None
    if given.provider == SingleSignOnProvider.ENTRA:
        tenant = (tenant or "").lower()
        if not _ENTRA_TENANT.match(tenant):
            raise Invalid("Enter the tenant ID, like 0a1b2c3d-1111-2222-3333-444455556666 (Entra admin centre, Overview)",
                          field="tenant")
    elif given.provider == SingleSignOnProvider.GOOGLE:
        tenant = (tenant or "").lower()
        if not _DOMAIN.match(tenant):
            raise Invalid("Enter your Google Workspace domain, like oakfield.sch.uk", field="tenant")
    elif tenant is not None and len(tenant) > 255:
        raise Invalid("The tenant ID must be 255 characters or fewer", field="tenant")
    issuer = oidc.issuer_for(given.provider, tenant, given.issuer)
    if given.provider == SingleSignOnProvider.OIDC and issuer not in oidc.allowed_issuers():
        raise Invalid("Enter an issuer address the portal’s operator has allowed", field="issuer")
    domains = _clean_domains(given.email_domains)
    if _domain_taken(domains, settings.id if settings else None):
        raise Invalid("Another organisation already signs in with one of these email domains", field="email_domains")
    client_id = (given.client_id or "").strip()
    if not client_id or len(client_id) > 255:
        raise Invalid("Enter the client ID (application ID) the provider gave the portal", field="client_id")
    secret = (given.client_secret or "").strip()
    if not secret and settings is None:
        raise Invalid("Enter the client secret the provider gave the portal", field="client_secret")
    if len(secret) > 1000:
        raise Invalid("The client secret must be 1000 characters or fewer", field="client_secret")
    if not given.password_sign_in and (settings is None or settings.first_success_at is None or not given.enabled):
        raise Invalid("Password sign-in can only be turned off once someone has signed in with single sign-on",
                      field="password_sign_in")

    created = settings is None
    before = None if created else (settings.second_factor, settings.password_sign_in, settings.enabled)
    if created:
        settings = SingleSignOnSettings(
            school_id=organisation.id if isinstance(organisation, School) else None,
            local_authority_id=organisation.id if isinstance(organisation, LocalAuthority) else None,
        )
        db.session.add(settings)
    elif (settings.issuer, settings.client_id) != (issuer, client_id):
        # Another provider or registration: the old links and the proof that it works go.
        db.session.execute(delete(SingleSignOnLink).where(SingleSignOnLink.settings_id == settings.id))
        settings.first_success_at = None
        given = SettingsInput(**{**given.__dict__, "password_sign_in": True})
    settings.enabled = given.enabled
    settings.provider = given.provider
    settings.issuer = issuer
    settings.tenant = tenant
    settings.email_domains = " ".join(domains)
    settings.client_id = client_id
    if secret:
        settings.client_secret = secret
    settings.second_factor = given.second_factor
    settings.password_sign_in = given.password_sign_in
    settings.updated_by_id = actor.id
    db.session.flush()
    org_type = "school" if isinstance(organisation, School) else "local_authority"
    audit.record("sso.settings_change", object_type=org_type, object_id=organisation.id,
                 detail=f"{'created' if created else 'changed'}:{given.provider}:{'on' if given.enabled else 'off'}",
                 actor=actor, organisation_id=organisation.id)
    if before is None or before[0] != given.second_factor:
        audit.record("sso.second_factor_policy", object_type=org_type, object_id=organisation.id,
                     detail=given.second_factor, actor=actor, organisation_id=organisation.id)
    if before is not None and before[1] != given.password_sign_in:
        audit.record("sso.password_sign_in", object_type=org_type, object_id=organisation.id,
                     detail="on" if given.password_sign_in else "off", actor=actor, organisation_id=organisation.id)
    return settings


# --- who may still use a password ------------------------------------------------------------


def password_sign_in_allowed(user: User) -> bool:
    """False when the user's organisation signs in with its own accounts only. An LA's admins
    keep their password (the break-glass way in when the provider is down)."""
    settings = settings_of(user.organisation)
    if settings is None or not settings.enabled or settings.password_sign_in:
        return True
    return user.local_authority_id is not None and user.role == Role.LA_ADMIN


# --- the sign-in -----------------------------------------------------------------------------


def _provider(settings: SingleSignOnSettings) -> oidc.Provider:
    return oidc.Provider(kind=settings.provider, issuer=settings.issuer, tenant=settings.tenant,
                         client_id=settings.client_id, client_secret=settings.client_secret)


def _settings_for_email(email: str) -> SingleSignOnSettings | None:
    domain = (email or "").strip().lower().rpartition("@")[2]
    if not domain:
        return None
    rows = db.session.execute(select(SingleSignOnSettings).where(SingleSignOnSettings.enabled.is_(True))).scalars()
    for settings in rows:
        if domain in settings.domains and settings.organisation.active:
            return settings
    return None


@dataclass(frozen=True)
class Started:
    url: str | None = None  # where to send the browser
    state: str | None = None  # for the browser's session
    not_set_up: bool = False  # no organisation signs in with this email's domain
    unavailable: bool = False  # the provider could not be reached or answered wrongly


@transactional
def begin(email: str, redirect_uri: str, next_url: str | None = None) -> Started:
    """Start a single sign-on for whoever typed `email` (only its domain is used to choose the
    organisation: the answer says nothing about whether an account exists)."""
    settings = _settings_for_email(email)
    if settings is None:
        return Started(not_set_up=True)
    try:
        request = oidc.authorization_request(_provider(settings), redirect_uri, login_hint=email.strip().lower())
    except oidc.ProviderError as error:
        audit.record("auth.sign_in", outcome="failure", detail=f"sso_{error.reason}", actor_id=None,
                     organisation_id=settings.organisation_id)
        return Started(unavailable=True)
    now = wall_clock.now()
    db.session.execute(delete(SingleSignOnRequest).where(SingleSignOnRequest.expires_at < now - timedelta(days=1))
                       .execution_options(synchronize_session=False))
    db.session.add(SingleSignOnRequest(
        settings_id=settings.id, state_hash=_hash(request.state), nonce=request.nonce,
        code_verifier=request.code_verifier,
        next_url=next_url if next_url and len(next_url) <= stages.NEXT_URL_LIMIT else None,
        created_at=now, expires_at=now + REQUEST_LIFETIME,
    ))
    db.session.flush()
    return Started(url=request.url, state=request.state)


@dataclass(frozen=True)
class Finished:
    ok: bool = False
    user: User | None = None
    # The portal's code (or setting up the app) is still to come: the stage's token.
    stage_token: str | None = None
    must_enrol: bool = False
    next_url: str | None = None
    # What went wrong, for the page: cancelled, expired, wrong_account, unknown_account,
    # inactive, unavailable.
    problem: str | None = None


_PAGE_PROBLEM = {
    "cancelled": "cancelled", "access_denied": "cancelled", "state": "expired", "wrong_tenant": "wrong_account",
    "email_domain": "wrong_account", "other_organisation": "wrong_account", "no_verified_email": "wrong_account",
    "unknown_account": "unknown_account", "inactive": "inactive",
}


def _fail(reason: str, settings: SingleSignOnSettings | None, user: User | None = None) -> Finished:
    audit.record("auth.sign_in", object_type="user" if user else None, object_id=user.id if user else None,
                 outcome="failure", detail=f"sso_{reason}", actor_id=user.id if user else None,
                 organisation_id=user.organisation_id if user else (settings.organisation_id if settings else None))
    return Finished(problem=_PAGE_PROBLEM.get(reason, "expired" if reason.startswith("id_token") else "unavailable"))


def _use_request(state: str | None, browser_state: str | None) -> SingleSignOnRequest | None:
    """The live request this state names, used up now (once only, even in a race), if the
    answer came back to the browser that started it. An answer with a known state in another
    browser uses the request up too: its code may have leaked, so nobody may finish with it."""
    if not isinstance(state, str) or not state or len(state) > 200:
        return None
    request = db.session.execute(
        select(SingleSignOnRequest).where(SingleSignOnRequest.state_hash == _hash(state))
    ).scalar_one_or_none()
    if request is None or request.used_at is not None or request.expires_at <= wall_clock.now():
        return None
    used = db.session.execute(
        update(SingleSignOnRequest).where(SingleSignOnRequest.id == request.id, SingleSignOnRequest.used_at.is_(None))
        .values(used_at=wall_clock.now()).execution_options(synchronize_session=False)
    )
    if used.rowcount != 1 or not isinstance(browser_state, str):
        return None
    if not hmac.compare_digest(state.encode(), browser_state.encode()):
        return None
    return request


def _find_person(settings: SingleSignOnSettings, claims: dict, email: str) -> tuple[User | None, str | None]:
    """The linked account, or (first time) the invited account with this email in the
    organisation, linked now. (user, None) or (None, reason)."""
    subject = _hash(f"{settings.issuer}|{claims['sub']}")
    link = db.session.execute(
        select(SingleSignOnLink).where(SingleSignOnLink.settings_id == settings.id,
                                       SingleSignOnLink.subject_hash == subject)
    ).scalar_one_or_none()
    if link is not None:
        user = link.user
    else:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            return None, "unknown_account"
        if user.organisation_id != settings.organisation_id:
            return user, "other_organisation"
        existing = db.session.execute(select(SingleSignOnLink).where(SingleSignOnLink.user_id == user.id)).scalar_one_or_none()
        if existing is not None:
            # Linked to another person at the provider (or an older registration): not this one.
            return user, "other_subject"
        db.session.add(SingleSignOnLink(user_id=user.id, settings_id=settings.id, subject_hash=subject,
                                        linked_at=wall_clock.now()))
        audit.record("auth.sso_link", object_type="user", object_id=user.id, actor_id=user.id,
                     organisation_id=user.organisation_id)
    if user.organisation_id != settings.organisation_id:
        return user, "other_organisation"
    return user, None


@transactional
def finish(*, state: str | None, browser_state: str | None, code: str | None, error: str | None,
           redirect_uri: str) -> Finished:
    """The provider's answer. Every failure is audited and committed, with nothing from the
    provider in it but a reason code."""
    request = _use_request(state, browser_state)
    if request is None:
        return _fail("state", None)
    settings = request.settings
    if not settings.enabled or not settings.organisation.active:
        return _fail("not_enabled", settings)
    if error is not None:
        return _fail("cancelled" if error == "access_denied" else "provider_error", settings)
    if not isinstance(code, str) or not code or len(code) > 2000:
        return _fail("no_code", settings)
    provider = _provider(settings)
    try:
        token = oidc.exchange_code(provider, code, redirect_uri, request.code_verifier)
        claims = oidc.verify_id_token(provider, token, request.nonce, wall_clock.now().timestamp())
    except oidc.ProviderError as failure:
        return _fail(failure.reason, settings)
    email = oidc.verified_email(provider, claims)
    if email is None:
        return _fail("no_verified_email", settings)
    if email.rpartition("@")[2] not in settings.domains:
        return _fail("email_domain", settings)
    user, problem = _find_person(settings, claims, email)
    if problem is not None:
        return _fail(problem, settings, user if problem != "other_organisation" else None)
    if not user.is_active:
        return _fail("inactive", settings, user)
    if settings.first_success_at is None:
        settings.first_success_at = wall_clock.now()
    accepts_provider = settings.second_factor == SecondFactorPolicy.PROVIDER_MFA
    if accepts_provider and oidc.provider_mfa(claims, oidc.mfa_acr_values()):
        session_store.start(user)
        audit.record("auth.sign_in", object_type="user", object_id=user.id, detail=SignInMethod.SSO_PROVIDER_MFA, actor=user)
        return Finished(ok=True, user=user, next_url=request.next_url)
    token = stages.begin(user, request.next_url, first_factor=FirstFactor.SINGLE_SIGN_ON)
    return Finished(user=user, stage_token=token, must_enrol=not user.has_second_factor, next_url=request.next_url)


def redirect_uri_for(base_url: str) -> str:
    """The address to register with the provider as the portal's redirect URI."""
    return f"{base_url.rstrip('/')}/sign-in/organisation/callback"
