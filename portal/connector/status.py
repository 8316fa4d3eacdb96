"""Figures for the connector status page: per LA, from plain indexed columns (never payloads)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from portal.connector.alerts import reason_text
from portal.connector.models import ConnectorEndpoint, DeliveryFailure, OutboxItem, OutboxState, PullState
from portal.connector.notice_outbox import notice_counts
from portal.db import utcnow
from portal.db import db
from portal.orgs.models import LocalAuthority
from portal.referrals.models import Referral

UNDELIVERED = (OutboxState.PENDING, OutboxState.IN_FLIGHT)


def _age_text(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    if seconds < 172800:
        return f"{seconds // 3600} hours"
    return f"{seconds // 86400} days"


def la_status(la: LocalAuthority) -> dict:
    now = utcnow()
    since = now - timedelta(hours=24)
    depth, oldest = db.session.execute(
        select(func.count(OutboxItem.id), func.min(OutboxItem.created_at))
        .where(OutboxItem.local_authority_id == la.id, OutboxItem.state.in_(UNDELIVERED))
    ).one()
    delivered = db.session.execute(
        select(func.count(OutboxItem.id)).where(OutboxItem.local_authority_id == la.id,
                                                OutboxItem.delivered_at >= since)
    ).scalar_one()
    failures = db.session.execute(
        select(func.count(DeliveryFailure.id)).where(DeliveryFailure.local_authority_id == la.id,
                                                     DeliveryFailure.at >= since)
    ).scalar_one()
    dead = db.session.execute(
        select(func.count(OutboxItem.id)).where(OutboxItem.local_authority_id == la.id, OutboxItem.state == OutboxState.DEAD)
    ).scalar_one()
    endpoint = db.session.execute(
        select(ConnectorEndpoint).where(ConnectorEndpoint.local_authority_id == la.id)
    ).scalar_one_or_none()
    pull = db.session.execute(select(PullState).where(PullState.local_authority_id == la.id)).scalar_one_or_none()
    if oldest is not None and oldest.tzinfo is None:  # SQLite aggregate results come back naive
        from datetime import timezone

        oldest = oldest.replace(tzinfo=timezone.utc)
    oldest_age = (now - oldest).total_seconds() if oldest else None
    return {
        "la_id": la.id,
        "la_code": la.code,
        "la_name": la.name,
        "endpoint": endpoint,
        "base_url": endpoint.base_url if endpoint else None,
        "rotation_until": (endpoint.previous_secret_expires_at
                           if endpoint and endpoint.previous_secret and endpoint.previous_secret_expires_at
                           and endpoint.previous_secret_expires_at > now else None),
        "problem": endpoint.problem if endpoint else None,
        "problem_text": reason_text(endpoint.problem) if endpoint and endpoint.problem else None,
        "problem_since": endpoint.problem_since if endpoint else None,
        "queue_depth": depth,
        "oldest_age_seconds": oldest_age,
        "oldest_age_text": _age_text(oldest_age),
        "delivered_24h": delivered,
        "failures_24h": failures,
        "dead": dead,
        "last_pull_success": pull.last_success_at if pull else None,
        "last_pull_error": pull.last_error if pull else None,
        # Operation Encompass notices, by state (their own outbox).
        "notices": notice_counts(la.id),
    }


def dead_letters(local_authority_id: uuid.UUID, limit: int = 100) -> list[dict]:
    """Dead-lettered referrals: the portal's reference (no personal data) and why."""
    rows = db.session.execute(
        select(OutboxItem.id, OutboxItem.referral_id, Referral.reference, OutboxItem.dead_at, OutboxItem.last_error,
               OutboxItem.last_status_code, OutboxItem.last_error_detail, OutboxItem.attempts)
        .join(Referral, Referral.id == OutboxItem.referral_id)
        .where(OutboxItem.local_authority_id == local_authority_id, OutboxItem.state == OutboxState.DEAD)
        .order_by(OutboxItem.dead_at.desc())
        .limit(limit)
    ).all()
    return [
        {"id": r[0], "referral_id": r[1], "reference": r[2], "dead_at": r[3], "reason": r[4],
         "reason_text": reason_text(r[4]), "status_code": r[5], "detail": r[6], "attempts": r[7]}
        for r in rows
    ]


def all_la_status() -> list[dict]:
    las = db.session.execute(select(LocalAuthority).order_by(LocalAuthority.code)).scalars().all()
    return [la_status(la) for la in las]
