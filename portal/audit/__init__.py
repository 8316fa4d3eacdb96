"""Tamper-evident audit trail: who did or viewed what, to which record, when, from where.

Use `record(...)` from services; it writes in the caller's transaction so an action and its audit
event commit (or roll back) together.
"""

from portal.audit.service import record, verify_chain  # noqa: F401
