"""The second factor: TOTP (RFC 6238: SHA-1, 30-second steps, 6 digits, one step either side).

Secrets are encrypted at rest by portal.crypto (see portal.auth.models.User).

A code is accepted once only: the user's last accepted time step is stored, and a code from that
step or an earlier one is refused as a replay. The check-and-record is one conditional UPDATE,
so two requests racing with the same code cannot both succeed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import pyotp
import segno
from sqlalchemy import or_, update

from portal.auth import wall_clock
from portal.auth.models import User
from portal.db import db

ISSUER = "Safeguard Portal"
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side: allows for a phone clock up to 30 seconds out


# --- enrolment ------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 32 characters: 160 bits, as RFC 4226 recommends


def start_enrolment(user: User) -> str:
    """Give the user a fresh candidate secret (kept encrypted until confirmed); return it."""
    secret = new_secret()
    user.totp_pending_secret = secret  # encrypted on assignment (portal.crypto)
    return secret


def pending_secret(user: User) -> str | None:
    return user.totp_pending_secret


def set_secret(user: User, secret: str) -> None:
    """Make `secret` the user's second factor (used at the end of enrolment and by the demo)."""
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_enrolled_at = wall_clock.now()
    user.totp_last_step = None


def clear_secret(user: User) -> None:
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code as an inline SVG, drawn here: the secret never goes to another service."""
    qr = segno.make(uri, error="m")
    return qr.svg_inline(scale=5, border=4, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app")


def grouped(secret: str) -> str:
    """'ABCD EFGH ...': easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- checking codes -------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    replayed: bool = False


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def matching_step(secret: str, code: str) -> int | None:
    """The time step (within ±WINDOW of now) whose code equals `code`, or None."""
    code = normalise_code(code)
    if len(code) != DIGITS:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(wall_clock.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Compare every candidate (no early exit) so timing does not say which step matched.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def check_code(user: User, code: str, *, pending: bool = False) -> CodeCheck:
    """Check a code against the user's secret (or the one being enrolled) and use it up."""
    secret = user.totp_pending_secret if pending else user.totp_secret
    if secret is None:
        return CodeCheck(ok=False)
    step = matching_step(secret, code)
    if step is None:
        return CodeCheck(ok=False)
    # Record the step only if it is newer than the last one used: a replay changes no row.
    result = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .where(or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return CodeCheck(ok=False, replayed=True)
    user.totp_last_step = step
    return CodeCheck(ok=True)


def current_code(secret: str, at: float | None = None) -> str:
    """The code an app would show now (for tests and the demo)."""
    when = wall_clock.timestamp() if at is None else at
    return pyotp.TOTP(secret).at(int(when))
