"""OpenID Connect, the protocol side (no database): discovery, the authorization request with
PKCE, state and nonce, the code exchange, and the id_token's signature and claims checks.

Authlib does the protocol work: the authorization URL (`prepare_grant_uri`), the S256 PKCE
challenge, and the id_token's claims (`CodeIDToken`: issuer, audience, expiry, not-before,
issued-at, nonce, `azp`, `at_hash`); joserfc (Authlib's JOSE library) checks the signature
against the provider's published keys. Authlib's own HTTP clients are not used (its httpx client
is deprecated in this release): the few requests are made here with httpx, only to the
provider's allowed addresses, with short timeouts and no redirects followed.

Where requests may go: the issuer's own origin for an allowed generic issuer
(`PORTAL_OIDC_ALLOWED_ISSUERS`), Microsoft's and Google's sign-in hosts for those providers;
https only (plain http only to a loopback address outside production, for the local test
provider). A discovery document naming any other address is refused.

Nothing from the provider's answers (tokens, codes, claims) is put in an exception message:
errors carry a short reason code for the audit log, and the page says what to do.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from flask import current_app
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from portal.auth.models import SingleSignOnProvider

# Signature algorithms accepted for an id_token: asymmetric only (never "none", never HMAC
# keyed with the client secret).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# The clock skew allowed between the provider and the portal, either way.
LEEWAY_SECONDS = 60
# An id_token issued longer ago than this is refused, whatever its expiry says.
MAX_TOKEN_AGE_SECONDS = 600
TIMEOUT = httpx.Timeout(10.0)
DISCOVERY_CACHE_SECONDS = 3600
SCOPE = "openid email profile"

ENTRA_HOST = "https://login.microsoftonline.com"
GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_ORIGINS = frozenset({
    "https://accounts.google.com", "https://oauth2.googleapis.com", "https://www.googleapis.com",
    "https://openidconnect.googleapis.com",
})


class ProviderError(Exception):
    """Single sign-on could not go on. `reason` is a short code for the audit log (never a
    token, code or claim)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Provider:
    """What the protocol needs to know about one organisation's registration."""

    kind: str  # a SingleSignOnProvider
    issuer: str
    tenant: str | None
    client_id: str
    client_secret: str


# --- which issuers and addresses are allowed -------------------------------------------------


def allowed_issuers() -> list[str]:
    """The generic issuers the operator allows (PORTAL_OIDC_ALLOWED_ISSUERS: space- or
    comma-separated), without trailing slashes."""
    value = current_app.config.get("PORTAL_OIDC_ALLOWED_ISSUERS")
    if value is None:
        settings = current_app.config.get("PORTAL_SETTINGS")
        value = settings.extra.get("PORTAL_OIDC_ALLOWED_ISSUERS", "") if settings is not None else ""
    return [item.rstrip("/") for item in value.replace(",", " ").split() if item]


def issuer_for(kind: str, tenant: str | None, issuer: str | None) -> str:
    if kind == SingleSignOnProvider.ENTRA:
        return f"{ENTRA_HOST}/{tenant}/v2.0"
    if kind == SingleSignOnProvider.GOOGLE:
        return GOOGLE_ISSUER
    return (issuer or "").strip().rstrip("/")


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        return None
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_allowed(url: str) -> bool:
    """http:// only to a loopback address, and never in production (the local test provider)."""
    host = urlsplit(url).hostname or ""
    return _loopback(host) and current_app.config.get("PORTAL_ENV") != "production"


def _allowed_origins(provider: Provider) -> frozenset[str]:
    if provider.kind == SingleSignOnProvider.ENTRA:
        return frozenset({ENTRA_HOST})
    if provider.kind == SingleSignOnProvider.GOOGLE:
        return GOOGLE_ORIGINS
    if provider.issuer not in allowed_issuers():
        raise ProviderError("issuer_not_allowed")
    origin = _origin(provider.issuer)
    return frozenset({origin}) if origin else frozenset()


def _checked(url: Any, provider: Provider) -> str:
    if not isinstance(url, str) or len(url) > 2000:
        raise ProviderError("endpoint_not_allowed")
    origin = _origin(url)
    if origin is None or origin not in _allowed_origins(provider):
        raise ProviderError("endpoint_not_allowed")
    if urlsplit(url).scheme != "https" and not plain_http_allowed(url):
        raise ProviderError("endpoint_not_allowed")
    return url


def _get_json(url: str, provider: Provider) -> dict:
    try:
        response = httpx.get(_checked(url, provider), timeout=TIMEOUT, follow_redirects=False,
                             headers={"Accept": "application/json"})
    except httpx.HTTPError:
        raise ProviderError("provider_unreachable") from None
    if response.status_code != 200:
        raise ProviderError("provider_refused")
    try:
        document = response.json()
    except ValueError:
        raise ProviderError("provider_answer_unreadable") from None
    if not isinstance(document, dict):
        raise ProviderError("provider_answer_unreadable")
    return document


# --- discovery and keys (cached per issuer) --------------------------------------------------

_cache: dict[tuple[str, str], tuple[float, dict]] = {}


def _cached(key: tuple[str, str], fetch, *, force: bool = False) -> dict:
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and not force and now - hit[0] < DISCOVERY_CACHE_SECONDS:
        return hit[1]
    value = fetch()
    _cache[key] = (now, value)
    return value


def forget_cached() -> None:
    _cache.clear()


def metadata(provider: Provider) -> dict:
    """The provider's discovery document: its issuer must be exactly the expected one and every
    endpoint the portal uses must be an allowed address."""

    def fetch() -> dict:
        document = _get_json(f"{provider.issuer}/.well-known/openid-configuration", provider)
        if document.get("issuer") != provider.issuer and not (
            # Entra's common metadata names "{tenantid}"; a tenant's own names the tenant.
            provider.kind == SingleSignOnProvider.ENTRA
            and document.get("issuer") == f"{ENTRA_HOST}/{{tenantid}}/v2.0"
        ):
            raise ProviderError("discovery_issuer_mismatch")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            _checked(document.get(name), provider)
        return document

    return _cached(("metadata", provider.issuer), fetch)


def _keys(provider: Provider, document: dict, *, force: bool = False) -> KeySet:
    jwks = _cached(("jwks", provider.issuer), lambda: _get_json(document["jwks_uri"], provider), force=force)
    try:
        return KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError):
        raise ProviderError("provider_keys_unreadable") from None


# --- the authorization request ---------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    url: str
    state: str
    nonce: str
    code_verifier: str


def authorization_request(provider: Provider, redirect_uri: str, login_hint: str | None = None) -> Request:
    """The URL to send the browser to, with a fresh state, nonce and PKCE verifier (kept on the
    server by the caller; only the state and the S256 challenge travel)."""
    document = metadata(provider)
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    extra: dict[str, str] = {
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        "prompt": "select_account" if provider.kind != SingleSignOnProvider.OIDC else "login",
    }
    if login_hint:
        extra["login_hint"] = login_hint
    if provider.kind == SingleSignOnProvider.GOOGLE and provider.tenant:
        extra["hd"] = provider.tenant
    url = prepare_grant_uri(
        document["authorization_endpoint"], provider.client_id, "code",
        redirect_uri=redirect_uri, scope=SCOPE, state=state, **extra,
    )
    return Request(url=url, state=state, nonce=nonce, code_verifier=verifier)


# --- the code exchange and the id_token ------------------------------------------------------


def exchange_code(provider: Provider, code: str, redirect_uri: str, code_verifier: str) -> dict:
    """The token endpoint's answer for this code (client_secret_basic, with the PKCE verifier)."""
    document = metadata(provider)
    url = _checked(document["token_endpoint"], provider)
    # RFC 6749 2.3.1: the id and secret are form-encoded before Basic authentication.
    auth = (quote(provider.client_id, safe=""), quote(provider.client_secret, safe=""))
    try:
        response = httpx.post(url, timeout=TIMEOUT, follow_redirects=False, auth=auth, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }, headers={"Accept": "application/json"})
    except httpx.HTTPError:
        raise ProviderError("provider_unreachable") from None
    if response.status_code != 200:
        raise ProviderError("code_refused")
    try:
        token = response.json()
    except ValueError:
        raise ProviderError("provider_answer_unreadable") from None
    if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
        raise ProviderError("no_id_token")
    return token


def verify_id_token(provider: Provider, token: dict, nonce: str, now: float) -> dict:
    """The id_token's claims, once its signature (the provider's published keys, asymmetric
    algorithms only), issuer, audience, expiry, issue time, nonce and tenant all check out."""
    document = metadata(provider)
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [name for name in offered if name in ALGORITHMS]
    raw = token["id_token"]
    if len(raw) > 20000:
        raise ProviderError("id_token_unreadable")
    try:
        try:
            decoded = jwt.decode(raw, _keys(provider, document), algorithms=algorithms)
        except InvalidKeyIdError:  # the provider may have rotated its keys: fetch them once more
            decoded = jwt.decode(raw, _keys(provider, document, force=True), algorithms=algorithms)
    except (JoseError, ValueError, TypeError):
        raise ProviderError("id_token_signature") from None

    moment = int(now)
    claims = CodeIDToken(
        decoded.claims, decoded.header,
        {"iss": {"essential": True, "value": document["issuer"] if provider.kind != SingleSignOnProvider.ENTRA
                 else provider.issuer},
         "aud": {"essential": True, "value": provider.client_id},
         "sub": {"essential": True}},
        {"nonce": nonce, "client_id": provider.client_id, "access_token": token.get("access_token")},
    )
    try:
        claims.validate(now=moment, leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise ProviderError("id_token_expired") from None
    except JoseError as error:
        claim = getattr(error, "claim", None) or "claims"
        raise ProviderError(f"id_token_{claim}" if claim in ("iss", "aud", "nonce", "azp", "at_hash", "sub", "iat", "nbf", "exp") else "id_token_claims") from None
    issued = claims.get("iat")
    if not isinstance(issued, (int, float)) or issued > moment + LEEWAY_SECONDS:
        raise ProviderError("id_token_iat")
    if issued < moment - MAX_TOKEN_AGE_SECONDS - LEEWAY_SECONDS:
        raise ProviderError("id_token_too_old")
    _check_tenant(provider, claims)
    return dict(claims)


def _check_tenant(provider: Provider, claims: dict) -> None:
    if provider.kind == SingleSignOnProvider.ENTRA or (provider.kind == SingleSignOnProvider.OIDC and provider.tenant):
        if claims.get("tid") != provider.tenant:
            raise ProviderError("wrong_tenant")
    elif provider.kind == SingleSignOnProvider.GOOGLE and provider.tenant:
        if claims.get("hd") != provider.tenant:
            raise ProviderError("wrong_tenant")


def verified_email(provider: Provider, claims: dict) -> str | None:
    """The person's email address as the provider vouches for it, lower-case; None if none.

    Google and other providers say `email_verified`; Entra ID does not, so its `email` (or the
    sign-in name, `preferred_username`) is taken from the checked tenant only, and the caller
    also requires the address to be in one of the organisation's own email domains.
    """
    if provider.kind == SingleSignOnProvider.ENTRA:
        email = claims.get("email") or claims.get("preferred_username")
    else:
        email = claims.get("email") if claims.get("email_verified") is True else None
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        return None
    return email.strip().lower()


def provider_mfa(claims: dict, accepted_acr: list[str]) -> bool:
    """Whether the provider says the person used multi-factor authentication: `amr` containing
    "mfa", or an `acr` value the operator has listed (PORTAL_OIDC_MFA_ACR_VALUES)."""
    amr = claims.get("amr")
    if isinstance(amr, list) and "mfa" in amr:
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in accepted_acr


def mfa_acr_values() -> list[str]:
    value = current_app.config.get("PORTAL_OIDC_MFA_ACR_VALUES")
    if value is None:
        settings = current_app.config.get("PORTAL_SETTINGS")
        value = settings.extra.get("PORTAL_OIDC_MFA_ACR_VALUES", "") if settings is not None else ""
    return [item for item in value.replace(",", " ").split() if item]
