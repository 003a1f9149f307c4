"""SQLAlchemy models: every table cutri keeps, one module per area."""

from storage.models.audit import AuditEntry
from storage.models.base import Base
from storage.models.broadcasts import Broadcast, TopicMute
from storage.models.conversation import Conversation, InboundEvent
from storage.models.dialogues import Dialogue, HamletQuota, Registration
from storage.models.documents import DocumentJob
from storage.models.field_models import FieldModel
from storage.models.files import FileSubject, StoredFile
from storage.models.outbox import OutboxMessage, OutboxSubject
from storage.models.panel import PanelSession, PanelSignIn
from storage.models.people import (
    ChannelIdentity,
    Consent,
    Invite,
    LinkCode,
    Person,
    ProvinceGrant,
    RoleGrant,
)
from storage.models.petitions import Petition, PetitionAttachment, PetitionCounter
from storage.models.places import (
    Agency,
    AgencyField,
    Commune,
    Delegate,
    DialogueOption,
    ElectoralUnit,
    Field,
    Hamlet,
    Province,
)
from storage.models.setup import SetupImport
from storage.models.voter_contact import (
    ContactRound,
    CouncilSession,
    Meeting,
    MeetingDelegate,
    PlanImport,
    Reminder,
    ReminderDelivery,
)
from storage.models.voter_loops import DossierDelivery, ReportBack

__all__ = [
    "Agency",
    "AgencyField",
    "AuditEntry",
    "Base",
    "Broadcast",
    "ChannelIdentity",
    "Commune",
    "Consent",
    "ContactRound",
    "Conversation",
    "CouncilSession",
    "Delegate",
    "Dialogue",
    "DialogueOption",
    "DocumentJob",
    "DossierDelivery",
    "ElectoralUnit",
    "Field",
    "FieldModel",
    "FileSubject",
    "Hamlet",
    "HamletQuota",
    "InboundEvent",
    "Invite",
    "LinkCode",
    "Meeting",
    "MeetingDelegate",
    "OutboxMessage",
    "OutboxSubject",
    "PanelSession",
    "PanelSignIn",
    "Person",
    "Petition",
    "PetitionAttachment",
    "PetitionCounter",
    "PlanImport",
    "Province",
    "ProvinceGrant",
    "Registration",
    "Reminder",
    "ReminderDelivery",
    "ReportBack",
    "RoleGrant",
    "SetupImport",
    "StoredFile",
    "TopicMute",
]
