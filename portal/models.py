"""Imports every model module, so that SQLAlchemy's metadata knows every table.

Add a line here when an area gains models; Alembic autogenerate and the schema test rely on it.
"""

from portal.audit.models import AuditChainHead, AuditEvent  # noqa: F401
from portal.auth.models import AccountToken, RecoveryCode, User, UserSession  # noqa: F401
from portal.crypto.models import DataKey, KeyRotation, KeyRotationCursor  # noqa: F401
from portal.files.models import StoredFile  # noqa: F401
from portal.orgs.models import LocalAuthority, School  # noqa: F401
