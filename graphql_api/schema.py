"""The schema: root fields are one to five lines over sync_core, scoped to the caller."""

from __future__ import annotations

import datetime as dt

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_api.context import Info
from graphql_api.errors import ClientErrorCodes, MaskUnexpected, NotFound, Unavailable, log_errors
from graphql_api.ids import (
    CREATED_AND_UUID,
    ID_ONLY,
    NULLABLE_NAME_AND_ID,
    decode_cursor,
    decode_int_id,
    decode_uuid_id,
)
from graphql_api.insight_fields import AppMutation, AppQuery
from graphql_api.limits import RequestLimits
from graphql_api.paging import Connection, page_size
from graphql_api.types import Activity, SyncRun, TenantConnection, User
from sync_core.store import activity, connections, organizations, people, runs
from sync_core.sync.service import request_sync

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 15


@strawberry.type(description="The caller's organization.")
class Organization:
    id: strawberry.ID
    name: str

    @strawberry.field(description="Connected Entra tenants.")
    async def connections(self, info: Info) -> list[TenantConnection]:
        found = await connections.list_connections(organization_id=info.context.organization_id)
        return [TenantConnection.of(c) for c in found]


@strawberry.input
class UserFilter:
    department: str | None = None
    search: str | None = None
    active: bool | None = strawberry.field(
        default=None, description="Signed in successfully within activeDays (default 30)."
    )
    tenant_id: str | None = None


@strawberry.type
class StartSyncPayload:
    run: SyncRun
    already_active: bool = strawberry.field(
        description="True when a run of this tenant was already queued or running."
    )


@strawberry.type
class CoreQuery:
    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        org = await organizations.get_organization(organization_id=info.context.organization_id)
        return Organization(id=strawberry.ID(str(org.id)), name=org.name)

    @strawberry.field(description="Directory users, by name.")
    async def users(
        self,
        info: Info,
        filter: UserFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[User]:
        f = filter or UserFilter()
        ctx = info.context
        page = await people.users_page(
            organization_id=ctx.organization_id,
            first=page_size(first),
            after=decode_cursor(after, shape=NULLABLE_NAME_AND_ID),
            tenant_id=f.tenant_id,
            department=f.department,
            search=f.search,
            active=f.active,
            active_since=ctx.now() - dt.timedelta(days=ctx.services.active_days),
        )
        return Connection.of(page, User.of)

    @strawberry.field
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        found = await people.get_user(
            organization_id=info.context.organization_id, user_id=decode_int_id("User", id)
        )
        return User.of(found) if found else None

    @strawberry.field(description="Sync history, newest first.")
    async def sync_runs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        tenant_id: str | None = None,
    ) -> Connection[SyncRun]:
        page = await runs.runs_page(
            organization_id=info.context.organization_id,
            first=page_size(first),
            after=decode_cursor(after, shape=CREATED_AND_UUID),
            tenant_id=tenant_id,
        )
        return Connection.of(page, SyncRun.of)

    @strawberry.field
    async def sync_run(self, info: Info, id: strawberry.ID) -> SyncRun | None:
        try:
            found = await runs.get_run(
                organization_id=info.context.organization_id,
                run_id=decode_uuid_id("SyncRun", id),
            )
        except organizations.NotFound:
            return None
        return SyncRun.of(found)

    @strawberry.field(description="The activity trail, newest first.")
    async def activities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kinds: list[str] | None = None,
        since: dt.datetime | None = None,
    ) -> Connection[Activity]:
        page = await activity.activities_page(
            organization_id=info.context.organization_id,
            first=page_size(first),
            after=decode_cursor(after, shape=ID_ONLY),
            kinds=kinds,
            since=since,
        )
        return Connection.of(page, Activity.of)


@strawberry.type
class CoreMutation:
    @strawberry.mutation(description="Queue a sync, or return the run already active.")
    async def start_sync(
        self, info: Info, tenant_id: str | None = None, full: bool = False
    ) -> StartSyncPayload:
        ctx = info.context
        if ctx.services.runner is None:
            raise Unavailable("syncing is not configured on this server (no Entra app settings)")
        try:
            run, queued = await request_sync(
                organization_id=ctx.organization_id,
                tenant_id=tenant_id,
                actor=ctx.actor,
                runner=ctx.services.runner,
                full=full,
                trigger="api",
            )
        except organizations.NotFound as exc:
            raise NotFound(str(exc)) from None
        return StartSyncPayload(run=SyncRun.of(run), already_active=not queued)


Query = merge_types("Query", (CoreQuery, AppQuery))
Mutation = merge_types("Mutation", (CoreMutation, AppMutation))


class ApiSchema(strawberry.Schema):
    """Strawberry's schema, logging each error by who caused it (Strawberry logs every error,
    a client's typo included, at ERROR with a traceback)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(*, introspection: bool) -> strawberry.Schema:
    """The schema with its limits; introspection only where allowed."""
    # Factories, so each request gets fresh extension instances.
    extensions: list = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        RequestLimits,  # string sizes, NUL characters and the estimated cost (limits.py)
        MaskUnexpected,
        ClientErrorCodes,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return ApiSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
    )


schema = build_schema(introspection=True)
