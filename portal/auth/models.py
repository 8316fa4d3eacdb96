"""Accounts: users, their one-time tokens, recovery codes and server-side sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.roles import Role
from portal.crypto import encrypted
from portal.db import Base, Timestamps, UUIDPrimaryKey, utcnow
from portal.orgs.models import Agency, LocalAuthority, School

class TokenPurpose(StrEnum):
    """What a single-use link sent by email is for (AccountToken.purpose)."""

    INVITATION = "invitation"  # valid 72 hours: set the first password
    PASSWORD_RESET = "password_reset"  # valid 1 hour
    EMAIL_CHANGE = "email_change"  # valid 24 hours: sent to the new address, which it confirms


class SessionEndReason(StrEnum):
    """Why a server-side session ended (UserSession.end_reason; at most 20 characters)."""

    SIGN_OUT = "sign_out"
    TIMEOUT = "timeout"  # the timeout warning ran out and the page signed itself out
    IDLE_TIMEOUT = "idle_timeout"
    ABSOLUTE_TIMEOUT = "absolute_timeout"
    DEACTIVATED = "deactivated"  # the user (or their organisation) was deactivated
    PASSWORD_CHANGE = "password_change"
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"  # someone accepted an invitation in this browser
    ROLE_CHANGE = "role_change"
    SECOND_FACTOR_CHANGE = "2fa_change"  # the user moved to a new authenticator app
    SECOND_FACTOR_RESET = "2fa_reset"  # an administrator reset it
    ENDED = "ended"  # ended without a recorded reason


# Session ends that mean "you were away too long" (the timed-out page), not "you were signed out".
TIMEOUTS = frozenset({SessionEndReason.IDLE_TIMEOUT, SessionEndReason.ABSOLUTE_TIMEOUT})


class SignInStageKind(StrEnum):
    """What a half-finished sign-in waits for after the password (SignInStage.kind)."""

    CODE = "code"  # a code from the app, or a recovery code
    ENROL = "enrol"  # setting up the app: only for someone with no second factor


class SignInMethod(StrEnum):
    """How the second step of a sign-in was passed (the audit event's detail)."""

    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    ENROLMENT = "enrolment"  # the first code from a newly set-up app
    # Single sign-on: the organisation's account, then the portal's code (or a recovery code,
    # or setting up the app), or the provider's own multi-factor where the organisation accepts it.
    SSO_TOTP = "sso_totp"
    SSO_RECOVERY_CODE = "sso_recovery_code"
    SSO_ENROLMENT = "sso_enrolment"
    SSO_PROVIDER_MFA = "sso_provider_mfa"


class FirstFactor(StrEnum):
    """How a half-finished sign-in began (SignInStage.first_factor)."""

    PASSWORD = "password"
    SINGLE_SIGN_ON = "sso"


# Exactly one of a user's three organisation columns is set (a plain sum of CASEs: the same SQL
# on SQLite and PostgreSQL).
ONE_ORGANISATION = (
    "(CASE WHEN school_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN local_authority_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN agency_id IS NULL THEN 0 ELSE 1 END) = 1"
)

# BigInteger on PostgreSQL, INTEGER on SQLite.
Counter64 = BigInteger().with_variant(Integer(), "sqlite")


class User(UUIDPrimaryKey, Timestamps, UserMixin, Base):
    """A person who signs in. One role in one organisation: a school, a local authority or a
    partner agency (police, health, ...: portal.orgs.models.Agency).

    An invited user exists before they accept: they have no password and no second factor yet,
    so nothing can sign in as them until they follow their invitation link.
    """

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(ONE_ORGANISATION, name="one_organisation"),
    )

    # Stored lower-cased so that uniqueness and sign-in ignore case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"), index=True)
    local_authority_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("local_authority.id"), index=True
    )
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]

    # Argon2id hash (PHC string); None until the invitation is accepted.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    # TOTP secret, encrypted with portal.crypto (AES-256-GCM bound to this row and column);
    # None means "must enrol at next sign-in".
    totp_secret = encrypted(str, nullable=True)
    # A secret being enrolled: becomes totp_secret once the user has typed a correct code.
    totp_pending_secret = encrypted(str, nullable=True)
    totp_enrolled_at: Mapped[datetime | None]
    # The last 30-second time step whose code was accepted: a code is accepted once only.
    totp_last_step: Mapped[int | None] = mapped_column(Counter64)

    school: Mapped[School | None] = relationship()
    local_authority: Mapped[LocalAuthority | None] = relationship()
    agency: Mapped[Agency | None] = relationship()

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def organisation(self) -> School | LocalAuthority | Agency:
        if self.school_id:
            return self.school
        if self.agency_id:
            return self.agency
        return self.local_authority

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.school_id or self.agency_id or self.local_authority_id

    @property
    def home_local_authority_id(self) -> uuid.UUID:
        """The LA the user works in or under: their own LA, or their school's or agency's LA."""
        if self.local_authority_id:
            return self.local_authority_id
        return (self.school or self.agency).local_authority_id

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users and organisations are refused
        org = self.organisation
        if not (self.active and org is not None and org.active):
            return False
        # A school's or an agency's user is also refused when its LA is deactivated.
        if not self.local_authority_id and not org.local_authority.active:
            return False
        return True

    @property
    def has_accepted_invitation(self) -> bool:
        return self.password_hash is not None

    @property
    def has_second_factor(self) -> bool:
        # The ciphertext column, so that the question needs no decryption.
        return getattr(self, type(self).totp_secret.attr) is not None


class AccountToken(UUIDPrimaryKey, Base):
    """A single-use link sent by email: an invitation (72 hours), a password reset (1 hour) or the
    confirmation of a new sign-in address (24 hours; the address is kept here, encrypted).

    Only a SHA-256 hash of the token is stored: the token itself has 256 bits of entropy, so a
    slow hash adds nothing, and a copy of the database cannot be turned back into working links.
    """

    __tablename__ = "account_token"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # a TokenPurpose
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # EMAIL_CHANGE only: the address the link confirms.
    new_email = encrypted(str, nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RecoveryCode(UUIDPrimaryKey, Base):
    """One of ten single-use codes that replace the authenticator app once each. Stored hashed."""

    __tablename__ = "recovery_code"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class UserSession(UUIDPrimaryKey, Base):
    """A signed-in session, held on the server.

    The browser's cookie carries only a random token; this row (found by the token's hash)
    decides whether the session is alive. Signing out, a timeout, a password change or a
    deactivation ends the row, so a copy of the cookie stops working at once.
    """

    __tablename__ = "user_session"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the user last typed their password and a code (at sign-in or on re-authentication).
    authenticated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))  # a SessionEndReason

    user: Mapped[User] = relationship()


class SignInStage(UUIDPrimaryKey, Base):
    """A half-finished sign-in, held on the server: the password has been checked and the code
    (or, for someone with no second factor yet, setting up the app) is still to come.

    The browser's cookie carries only a random token; this row, found by the token's SHA-256
    hash, says whose sign-in it is and what it may do next. It lives 10 minutes and is used once:
    the step that finishes the sign-in marks it used in the same transaction as the session
    starts. Knowing the app's SECRET_KEY therefore lets nobody make one up.
    """

    __tablename__ = "sign_in_stage"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # a SignInStageKind
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Where to go once signed in: a path on this site (session_store.safe_next), or None.
    next_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    # A FirstFactor: the password, or the organisation's account (single sign-on).
    first_factor: Mapped[str] = mapped_column(String(10), default=FirstFactor.PASSWORD,
                                              server_default=FirstFactor.PASSWORD.value)

    user: Mapped[User] = relationship()


class PasswordResetRequest(UUIDPrimaryKey, Base):
    """"Forgot your password?" as asked: the typed address (encrypted), waiting for the mail
    worker.

    The page that asks only writes this row, whether or not the address has an account, so the
    answer is the same and takes the same time either way. The mail worker (before each pass:
    credentials.process_password_reset_requests) looks the address up, issues the link and
    queues the email for a real account, and deletes the row in both cases.
    """

    __tablename__ = "password_reset_request"

    email = encrypted(str)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --- single sign-on (OpenID Connect) ----------------------------------------------------------


class SingleSignOnProvider(StrEnum):
    """Whose accounts an organisation signs in with (SingleSignOnSettings.provider)."""

    ENTRA = "entra"  # Microsoft Entra ID: a tenant id; the token's `tid` must match it
    GOOGLE = "google"  # Google Workspace: a hosted domain; the token's `hd` must match it
    OIDC = "oidc"  # another OpenID Connect provider, at an issuer the operator has allowed


class SecondFactorPolicy(StrEnum):
    """What is asked after the organisation's account (SingleSignOnSettings.second_factor)."""

    PORTAL_CODE = "portal_code"  # always the portal's own code (the default)
    PROVIDER_MFA = "provider_mfa"  # the provider's multi-factor claim, when present, is enough


class SingleSignOnSettings(UUIDPrimaryKey, Timestamps, Base):
    """One organisation's single sign-on: a school or an LA (never both), its provider and the
    portal's registration there. The client secret is encrypted at rest."""

    __tablename__ = "single_sign_on_settings"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (local_authority_id IS NULL)", name="one_organisation"),
    )

    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("school.id"), unique=True)
    local_authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("local_authority.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    provider: Mapped[str] = mapped_column(String(10))  # a SingleSignOnProvider
    issuer: Mapped[str] = mapped_column(String(500))
    # Entra: the tenant id; Google: the hosted domain; another provider: a `tid` to require, or None.
    tenant: Mapped[str | None] = mapped_column(String(255))
    # The email domains whose people sign in here, lower-case, separated by spaces.
    email_domains: Mapped[str] = mapped_column(String(1000))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret = encrypted(str)
    second_factor: Mapped[str] = mapped_column(String(20), default=SecondFactorPolicy.PORTAL_CODE)
    # False: people of the organisation sign in with its account only (an LA's admins keep
    # their password as the break-glass way in).
    password_sign_in: Mapped[bool] = mapped_column(default=True)
    # The first time someone signed in through it: password sign-in can be turned off after that.
    first_success_at: Mapped[datetime | None]
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))

    school: Mapped[School | None] = relationship()
    local_authority: Mapped[LocalAuthority | None] = relationship()

    @property
    def organisation(self) -> School | LocalAuthority:
        return self.school if self.school_id else self.local_authority

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.school_id or self.local_authority_id

    @property
    def domains(self) -> list[str]:
        return self.email_domains.split()


class SingleSignOnLink(UUIDPrimaryKey, Base):
    """An account linked to its person at the provider, at their first single sign-on: the hash
    of the provider's subject (`sub`, stable per person), so that later sign-ins find the same
    account even if the email address changes."""

    __tablename__ = "single_sign_on_link"
    __table_args__ = (UniqueConstraint("settings_id", "subject_hash", name="one_account_per_subject"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    settings_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("single_sign_on_settings.id", ondelete="CASCADE"))
    subject_hash: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SingleSignOnRequest(UUIDPrimaryKey, Base):
    """A sign-in sent to the provider and not yet back: found by the hash of its `state`, which
    the browser's session also holds (so it is bound to that browser). Lives 10 minutes, used
    once. The PKCE verifier and the nonce never leave the server."""

    __tablename__ = "single_sign_on_request"

    settings_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("single_sign_on_settings.id", ondelete="CASCADE"))
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce = encrypted(str)
    code_verifier = encrypted(str)
    next_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]

    settings: Mapped[SingleSignOnSettings] = relationship()
