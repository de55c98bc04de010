"""Domain records and closed sets shared by every part of sync_core.

Records are frozen dataclasses with domain names; Graph's camelCase stops at the mapping layer
and ORM rows stop at the store.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class ConnectionStatus(StrEnum):
    PENDING_CONSENT = "pending_consent"
    CONNECTED = "connected"
    NEEDS_CONSENT = "needs_consent"
    ERROR = "error"
    DISCONNECTED = "disconnected"


class SyncStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


class AccessSource(StrEnum):
    """How a principal got access to an app."""

    ASSIGNMENT = "assignment"
    # A user reached through an assigned group (Entra does not cascade to nested groups).
    GROUP_ASSIGNMENT = "group_assignment"
    CONSENT = "consent"
    SIGN_IN = "sign_in"


class AppStage(StrEnum):
    """Lifecycle stage people set; a sync never overwrites it."""

    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    MONITORED = "monitored"
    REJECTED = "rejected"
    RETIRED = "retired"


class ActorType(StrEnum):
    SYSTEM = "system"
    SLACK_USER = "slack_user"
    API_TOKEN = "api_token"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class Organization:
    id: uuid.UUID
    name: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An API token as shown once, at creation; only its hash is stored."""

    id: uuid.UUID
    organization_id: uuid.UUID
    secret: str


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Connection:
    id: uuid.UUID
    organization_id: uuid.UUID
    tenant_id: str
    tenant_name: str | None
    status: ConnectionStatus
    permissions: tuple[str, ...]
    has_premium: bool | None
    has_sign_in_data: bool = False
    last_sync_at: dt.datetime | None = None
    last_successful_sync_at: dt.datetime | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class User:
    """A directory user as read from Entra."""

    entra_id: str
    display_name: str | None = None
    mail: str | None = None
    user_principal_name: str | None = None
    job_title: str | None = None
    department: str | None = None
    account_enabled: bool | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class App:
    """An application linked to the tenant: a service principal."""

    entra_id: str
    app_id: str
    display_name: str
    publisher_name: str | None = None
    owner_tenant_id: str | None = None
    principal_type: str | None = None
    tags: tuple[str, ...] = ()
    account_enabled: bool | None = None
    verified_publisher: str | None = None
    homepage: str | None = None
    sign_in_audience: str | None = None


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What a batched upsert did, for the sync run's per-entity counters."""

    created: int = 0
    updated: int = 0
    # Keys of the rows this upsert created, for "added" events; not part of equality.
    created_keys: list[tuple] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Assignment:
    """An app role assignment: a user, group or service principal given access to an app."""

    entra_id: str
    app_entra_id: str
    principal_entra_id: str
    principal_type: str
    app_role_id: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    """A delegated permission grant: admin consent (AllPrincipals) or one user's consent."""

    entra_id: str
    client_entra_id: str
    resource_entra_id: str
    consent_type: str
    principal_entra_id: str | None
    scopes: tuple[str, ...] = ()

    @property
    def is_user_consent(self) -> bool:
        return self.consent_type == "Principal"


@dataclass(frozen=True, slots=True)
class SignIn:
    """One interactive sign-in from Entra's sign-in log."""

    entra_id: str
    occurred_at: dt.datetime
    user_entra_id: str | None
    user_principal_name: str | None
    app_id: str | None
    app_display_name: str | None
    resource_id: str | None = None
    error_code: int = 0
    failure_reason: str | None = None
    client_app_used: str | None = None
    ip_address: str | None = None
    city: str | None = None
    country: str | None = None
    is_interactive: bool = True

    @property
    def succeeded(self) -> bool:
        return self.error_code == 0


@dataclass(frozen=True, slots=True)
class LastSignIn:
    """A user's last sign-in times from `signInActivity` (P1/P2 tenants only)."""

    user_entra_id: str
    last_sign_in_at: dt.datetime | None
    last_successful_sign_in_at: dt.datetime | None


class EntityStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"  # not due, or nothing to do
    FAILED = "failed"


class SyncMode(StrEnum):
    FULL = "full"
    DELTA = "delta"
    INCREMENTAL = "incremental"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: the system, a Slack user, an API token or the CLI."""

    type: ActorType
    id: str | None = None
    name: str | None = None


SYSTEM = Actor(ActorType.SYSTEM)


@dataclass(frozen=True, slots=True)
class EntityReport:
    """What one entity pass of a sync did."""

    name: str
    mode: SyncMode | None = None
    status: EntityStatus = EntityStatus.PENDING
    pages: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    error_code: str | None = None
    error: str | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class SyncReport:
    """One sync run, as every door renders it."""

    id: uuid.UUID
    organization_id: uuid.UUID
    connection_id: uuid.UUID
    tenant_id: str
    status: SyncStatus
    trigger: str
    actor: Actor
    full: bool
    entities: tuple[EntityReport, ...]
    requests: int
    throttled: int
    seconds_waited: float
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error_code: str | None
    error_message: str | None
    hint: str | None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def is_active(self) -> bool:
        return self.status in (SyncStatus.QUEUED, SyncStatus.RUNNING)

    def entity(self, name: str) -> EntityReport | None:
        return next((e for e in self.entities if e.name == name), None)


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    """One line of the activity trail."""

    id: int
    organization_id: uuid.UUID
    connection_id: uuid.UUID | None
    kind: str
    actor: Actor
    subject_type: str | None
    subject_id: str | None
    subject_name: str | None
    details: dict
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where a connection's sync left off: delta links, watermark, last refreshes."""

    connection: Connection
    users_delta_link: str | None
    apps_delta_link: str | None
    sign_in_watermark: dt.datetime | None
    assignments_refreshed_at: dt.datetime | None
    sign_in_activity_refreshed_at: dt.datetime | None
    last_sync_at: dt.datetime | None
    last_successful_sync_at: dt.datetime | None
    groups_delta_link: str | None = None
    grants_delta_link: str | None = None


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A user as the inventory holds it (our id, the tenant it belongs to, sign-in times)."""

    id: int
    connection_id: uuid.UUID
    entra_id: str
    display_name: str | None
    mail: str | None
    user_principal_name: str | None
    job_title: str | None
    department: str | None
    account_enabled: bool | None
    last_sign_in_at: dt.datetime | None
    last_successful_sign_in_at: dt.datetime | None
    first_seen_at: dt.datetime
    removed_at: dt.datetime | None
