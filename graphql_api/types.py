"""GraphQL types for tenancy, sync history and the activity trail."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from graphql_api.context import Info
from graphql_api.ids import NAME_AND_ID, decode_cursor, encode_id
from graphql_api.paging import Connection, page_size
from sync_core import records

if TYPE_CHECKING:
    from graphql_api.apps import App, DailyActivity


@strawberry.enum(description="Where a connected tenant stands.")
class ConnectionStatus(Enum):
    PENDING_CONSENT = "pending_consent"
    CONNECTED = "connected"
    NEEDS_CONSENT = "needs_consent"
    ERROR = "error"
    DISCONNECTED = "disconnected"


@strawberry.enum
class SyncStatus(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


@strawberry.enum
class ActorType(Enum):
    SYSTEM = "system"
    SLACK_USER = "slack_user"
    API_TOKEN = "api_token"
    CLI = "cli"


@strawberry.type(description="Who did something.")
class Actor:
    type: ActorType
    id: str | None
    name: str | None

    @classmethod
    def of(cls, actor: records.Actor) -> Actor:
        return cls(type=ActorType(actor.type.value), id=actor.id, name=actor.name)


@strawberry.type(name="Connection", description="An Entra tenant connected to the organization.")
class TenantConnection:
    id: strawberry.ID
    tenant_id: str
    tenant_name: str | None
    status: ConnectionStatus
    permissions: list[str]
    has_sign_in_data: bool
    last_sync_at: dt.datetime | None
    last_successful_sync_at: dt.datetime | None

    @classmethod
    def of(cls, c: records.Connection) -> TenantConnection:
        return cls(
            id=strawberry.ID(encode_id("Connection", c.id)),
            tenant_id=c.tenant_id,
            tenant_name=c.tenant_name,
            status=ConnectionStatus(c.status.value),
            permissions=list(c.permissions),
            has_sign_in_data=c.has_sign_in_data,
            last_sync_at=c.last_sync_at,
            last_successful_sync_at=c.last_successful_sync_at,
        )


@strawberry.type(description="What one entity pass of a sync did.")
class EntitySync:
    name: str
    mode: str | None
    status: str
    pages: int
    fetched: int
    created: int
    updated: int
    removed: int
    skipped: int
    error_code: str | None
    error: str | None
    hint: str | None

    @classmethod
    def of(cls, e: records.EntityReport) -> EntitySync:
        return cls(
            name=e.name,
            mode=e.mode.value if e.mode else None,
            status=e.status.value,
            pages=e.pages,
            fetched=e.fetched,
            created=e.created,
            updated=e.updated,
            removed=e.removed,
            skipped=e.skipped,
            error_code=e.error_code,
            error=e.error,
            hint=e.hint,
        )


@strawberry.type(description="One sync run, with per-entity counts, totals, error and hint.")
class SyncRun:
    id: strawberry.ID
    tenant_id: str
    status: SyncStatus
    trigger: str
    actor: Actor
    full: bool
    entities: list[EntitySync]
    requests: int
    throttled: int
    seconds_waited: float
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    duration_seconds: float | None
    error_code: str | None
    error_message: str | None
    hint: str | None

    @classmethod
    def of(cls, r: records.SyncReport) -> SyncRun:
        return cls(
            id=strawberry.ID(encode_id("SyncRun", r.id)),
            tenant_id=r.tenant_id,
            status=SyncStatus(r.status.value),
            trigger=r.trigger,
            actor=Actor.of(r.actor),
            full=r.full,
            entities=[EntitySync.of(e) for e in r.entities],
            requests=r.requests,
            throttled=r.throttled,
            seconds_waited=r.seconds_waited,
            created_at=r.created_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            duration_seconds=r.duration_seconds,
            error_code=r.error_code,
            error_message=r.error_message,
            hint=r.hint,
        )


@strawberry.type(description="One line of the activity trail.")
class Activity:
    id: strawberry.ID
    kind: str
    actor: Actor
    subject_type: str | None
    subject_id: str | None
    subject_name: str | None
    details: JSON
    created_at: dt.datetime

    @classmethod
    def of(cls, a: records.ActivityEntry) -> Activity:
        return cls(
            id=strawberry.ID(encode_id("Activity", a.id)),
            kind=a.kind,
            actor=Actor.of(a.actor),
            subject_type=a.subject_type,
            subject_id=a.subject_id,
            subject_name=a.subject_name,
            details=JSON(a.details),
            created_at=a.created_at,
        )


@strawberry.type(description="A directory user.")
class User:
    pk: strawberry.Private[int]
    id: strawberry.ID
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

    @classmethod
    def of(cls, u: records.StoredUser) -> User:
        return cls(
            pk=u.id,
            id=strawberry.ID(encode_id("User", u.id)),
            entra_id=u.entra_id,
            display_name=u.display_name,
            mail=u.mail,
            user_principal_name=u.user_principal_name,
            job_title=u.job_title,
            department=u.department,
            account_enabled=u.account_enabled,
            last_sign_in_at=u.last_sign_in_at,
            last_successful_sign_in_at=u.last_successful_sign_in_at,
            first_seen_at=u.first_seen_at,
            removed_at=u.removed_at,
        )

    @strawberry.field(description="Apps the user can use by assignment, group or consent; by name.")
    async def apps(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[App, strawberry.lazy("graphql_api.apps")]]:
        from graphql_api.apps import App  # apps.py imports this module: resolve at call time

        key = (self.pk, page_size(first), decode_cursor(after, shape=NAME_AND_ID))
        page = await info.context.loaders.user_apps.load(key)
        return Connection.of(page, lambda s: App(summary=s))

    @strawberry.field(description="The user's daily sign-ins to any app, oldest first.")
    async def login_activity(
        self, info: Info, days: int = 30
    ) -> list[Annotated[DailyActivity, strawberry.lazy("graphql_api.apps")]]:
        from graphql_api.apps import DailyActivity, days_in_range

        counts = await info.context.loaders.user_logins.load((self.pk, days_in_range(days)))
        return [
            DailyActivity(day=c.day, successes=c.successes, failures=c.failures) for c in counts
        ]
