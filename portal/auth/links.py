"""Absolute links for emails, built from PORTAL_BASE_URL — never from the request's Host header,
which an attacker can set to make a reset link point at their own site."""

from __future__ import annotations

from flask import current_app

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


def base_url() -> str:
    settings = current_app.config.get("PORTAL_SETTINGS")
    configured = settings.extra.get("PORTAL_BASE_URL") if settings is not None else None
    if configured:
        return configured.rstrip("/")
    if current_app.config.get("PORTAL_ENV") == "production":
        raise RuntimeError("PORTAL_BASE_URL must be set in production to build links in emails")
    return DEVELOPMENT_BASE_URL


def external_url(endpoint: str, **values) -> str:
    path = current_app.url_map.bind("portal.invalid").build(endpoint, values)
    return base_url() + path
