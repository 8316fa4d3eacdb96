"""Each LA's endpoint: base URL and shared secret (encrypted at rest), with rotation.

`set_endpoint` applies a setting at once: the operator's CLI calls it, and an approved change
(portal.connector.changes) does. People in the portal never call it directly: their changes wait
for a second LA admin. Either way the host must be on the operator's allow-list
(portal.connector.destinations).

    set_endpoint(la, base_url, secret=None, *, overlap=timedelta(hours=24), user=None) -> ConnectorEndpoint
    endpoint_for(local_authority_id) -> client.Endpoint | None

Rotation: a new secret becomes current at once and the old one is kept as `previous_secret`
until the overlap ends. Meanwhile requests carry both signatures (`v1=<new>,v1=<old>`) and a
reply signed with either is accepted, so the case system can switch to the new secret at any
moment within the overlap without a single message being refused. The secret is never shown,
logged or audited; the audit records that it changed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from portal import audit
from portal.connector.client import Endpoint
from portal.connector.destinations import allowed_hosts
from portal.connector.models import ConnectorEndpoint
from portal.connector.signing import check_secret
from portal.db import db, utcnow
from portal.domain_errors import Invalid
from portal.orgs.models import LocalAuthority
from portal.policy import require
from portal.transaction import transactional

DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=30)


class EndpointInvalid(Invalid, ValueError):
    """A setting was refused. `field` names the form field; the message never contains a secret."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


def check_base_url(value: str, *, allow_http: bool) -> str:
    url = (value or "").strip()
    parts = urlsplit(url)
    if not url:
        raise EndpointInvalid("base_url", "Enter the case system’s base URL")
    if len(url) > 500:
        raise EndpointInvalid("base_url", "The base URL must be 500 characters or fewer")
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise EndpointInvalid("base_url", "Enter a base URL like https://casesystem.example.gov.uk/portal")
    if parts.scheme == "http" and not allow_http:
        raise EndpointInvalid("base_url", "The base URL must start with https://")
    return url.rstrip("/")


def check_allowed(url: str) -> None:
    """Refuse a base URL whose host is not on the operator's allow-list (before any request)."""
    refusal = allowed_hosts().refusal(url)
    if refusal:
        raise EndpointInvalid("base_url", refusal)


def http_allowed(app_config) -> bool:
    # Plain http only outside production (the simulator on a laptop or in tests).
    return app_config.get("PORTAL_ENV") != "production"


def get_endpoint(local_authority_id: uuid.UUID) -> ConnectorEndpoint | None:
    return db.session.execute(
        select(ConnectorEndpoint).where(ConnectorEndpoint.local_authority_id == local_authority_id)
    ).scalar_one_or_none()


def checked_settings(la: LocalAuthority, base_url: str, secret: str | None, overlap: timedelta, *,
                     allow_http: bool) -> tuple[str, str | None, ConnectorEndpoint | None]:
    """The checks every change of an endpoint passes, from the operator's command line or the
    two-person change in the portal: the URL's shape and the operator's allow-list, the secret
    overlap, and a secret (required for a new endpoint). Returns (url, secret or None, the
    current endpoint or None); raises EndpointInvalid naming the field."""
    url = check_base_url(base_url, allow_http=allow_http)
    check_allowed(url)
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise EndpointInvalid("overlap", "Choose how long to keep accepting the old secret")
    endpoint = get_endpoint(la.id)
    if secret:
        try:
            secret = check_secret(secret.strip())
        except ValueError:
            raise EndpointInvalid("secret", "The shared secret must be at least 32 characters") from None
    elif endpoint is None:
        raise EndpointInvalid("secret", "Enter the shared secret")
    return url, secret or None, endpoint


def managed_local_authority(user, action: str = "connector:manage") -> LocalAuthority:
    """The user's own LA, whose connection they manage (refused for anyone else)."""
    la = db.session.get(LocalAuthority, user.local_authority_id)
    require(action, la)
    return la


@transactional
def set_endpoint(
    la: LocalAuthority,
    base_url: str,
    secret: str | None = None,
    *,
    overlap: timedelta = DEFAULT_OVERLAP,
    user=None,
    allow_http: bool = False,
) -> ConnectorEndpoint:
    """Create or change the LA's endpoint; a new secret starts a rotation. A unit of work.

    `secret` None (or empty) keeps the current one; it is required for a new endpoint.
    `overlap` is how long the previous secret stays accepted (zero: dropped at once).
    """
    url, secret, endpoint = checked_settings(la, base_url, secret, overlap, allow_http=allow_http)
    now = utcnow()
    changes = []
    if endpoint is None:
        endpoint = ConnectorEndpoint(local_authority_id=la.id, base_url=url, secret_set_at=now)
        endpoint.secret = secret
        db.session.add(endpoint)
        changes.append("created")
    else:
        if endpoint.base_url != url:
            endpoint.base_url = url
            changes.append("url")
        if secret and secret != endpoint.secret:
            if overlap > timedelta(0):
                endpoint.previous_secret = endpoint.secret
                endpoint.previous_secret_expires_at = now + overlap
            else:
                endpoint.previous_secret = None
                endpoint.previous_secret_expires_at = None
            endpoint.secret = secret
            endpoint.secret_set_at = now
            changes.append("secret")
    if changes:
        endpoint.updated_at = now
        endpoint.updated_by_id = getattr(user, "id", None)
        # A changed setting may be the fix for a reported problem: the next exchange will tell.
        endpoint.problem = None
        endpoint.problem_since = None
        db.session.flush()
        audit.record("connector.endpoint_set", object_type="connector_endpoint", object_id=endpoint.id,
                     detail="_".join(changes), actor=user, organisation_id=la.id)
    return endpoint


def secrets_of(endpoint: ConnectorEndpoint, now=None) -> tuple[str, ...]:
    now = now or utcnow()
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(endpoint.previous_secret)
    return tuple(secrets)


def client_endpoint(endpoint: ConnectorEndpoint) -> Endpoint:
    return Endpoint(endpoint.base_url, secrets_of(endpoint))


def endpoint_for(local_authority_id: uuid.UUID) -> Endpoint | None:
    row = get_endpoint(local_authority_id)
    return client_endpoint(row) if row is not None else None
