"""Domain records and closed sets shared by every part of sync_core.

Records are frozen dataclasses with domain names; Graph's camelCase stops at the mapping layer
and ORM rows stop at the store.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
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

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.created + other.created, self.updated + other.updated)
