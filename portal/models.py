"""Imports every model module, so that SQLAlchemy's metadata knows every table.

Add a line here when an area gains models; Alembic autogenerate and the schema test rely on it.
"""

from portal.audit.models import AuditChainHead, AuditEvent  # noqa: F401
from portal.auth.models import AccountToken, RecoveryCode, User, UserSession  # noqa: F401
from portal.crypto.models import DataKey, KeyRotation, KeyRotationCursor  # noqa: F401
from portal.files.models import StoredFile, StoredFileChunk  # noqa: F401
from portal.orgs.models import LocalAuthority, School  # noqa: F401
from portal.school_calendar.models import CouncilHoliday, SchoolClosure, SchoolTermDates  # noqa: F401
from portal.pupils.models import Enrolment, Pupil, PupilContact  # noqa: F401
from portal.rolls.models import CtfUpload  # noqa: F401
from portal.concerns.models import (  # noqa: F401
    Concern,
    ConcernAttachment,
    ConcernDraft,
    ConcernPupil,
    ConcernReview,
    ConcernVersion,
)
from portal.referrals.models import Referral, ReferralConcern, ReferralEvent, ReferralSequence  # noqa: F401
from portal.updates.models import SharedUpdate, SharedUpdateRead  # noqa: F401
from portal.triage.models import SharingPolicy, SharingPolicyChange, TriageDecision, TriageItem, TriageNote  # noqa: F401
from portal.triage.models import OffRollFlag  # noqa: F401
from portal.cme.models import OffRollNotice, OffRollNoticeEvent, OffRollQuestion  # noqa: F401
from portal.transfers.models import (  # noqa: F401
    Transfer,
    TransferAttachment,
    TransferEvent,
    TransferRequest,
    TransferRequestTarget,
)
from portal.connector.models import (  # noqa: F401
    ConnectorEndpoint,
    DeliveryFailure,
    EndpointChange,
    OutboxItem,
    PulledUpdate,
    PullState,
)
from portal.notify.models import MailMessage  # noqa: F401
from portal.retention.models import LegalHold  # noqa: F401
from portal.jobs.models import BackgroundJob  # noqa: F401
from portal.encompass.models import EncompassChild, EncompassNotice  # noqa: F401
