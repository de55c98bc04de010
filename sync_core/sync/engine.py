"""Runs one sync: token and tenant checks, the entity passes, status, hint and bookkeeping."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from structlog.contextvars import bind_contextvars

from sync_core import insights
from sync_core.graph import (
    GraphClient,
    GraphError,
    GraphStats,
    OnWait,
    RetryPolicy,
    TokenError,
    TokenSource,
)
from sync_core.graph import errors as graph_errors
from sync_core.records import (
    SYSTEM,
    ConnectionStatus,
    EntityStatus,
    SyncReport,
    SyncStatus,
)
from sync_core.store import connections, runs
from sync_core.store.activity import NewActivity
from sync_core.sync import hints
from sync_core.sync.assignments import sync_assignments
from sync_core.sync.context import PassContext, SyncOptions
from sync_core.sync.directory import APPS, GRANTS, USERS, sync_collection
from sync_core.sync.notify import SyncListener, tell
from sync_core.sync.progress import Observer, RunProgress, restore
from sync_core.sync.signins import sync_sign_in_activity, sync_sign_ins
from sync_core.sync.tenant import check_tenant

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SyncEngine:
    """Everything a run needs from the process: HTTP, tokens, limits; one per process."""

    http: httpx.AsyncClient
    tokens: TokenSource
    graph_url: str
    policy: RetryPolicy
    options: SyncOptions
    clock: Clock = utcnow
    listeners: list[SyncListener] = field(default_factory=list)

    async def run(
        self, run_id: uuid.UUID, *, observer: Observer | None = None, on_wait: OnWait | None = None
    ) -> SyncReport:
        """Execute (or resume) a queued run to its end; returns the final report."""
        queued, entities, checkpoint = await runs.load(run_id=run_id)
        now = self.clock()
        await runs.mark_running(run_id=run_id, now=now)
        state = await connections.sync_state(connection_id=queued.connection_id)
        # Every log line of this run (and of the tasks it starts) carries its ids.
        bind_contextvars(run_id=str(run_id), tenant_id=state.connection.tenant_id)
        stats = GraphStats()
        graph = GraphClient(
            self.http,
            tokens=self.tokens,
            tenant_id=state.connection.tenant_id,
            graph_url=self.graph_url,
            policy=self.policy,
            stats=stats,
            on_wait=on_wait,
        )
        progress = RunProgress(
            run_id,
            checkpoint=checkpoint,
            stats=stats,
            clock=self.clock,
            observer=observer,
            entities=restore(entities),
            organization_id=queued.organization_id,
        )
        ctx = PassContext(
            graph=graph,
            progress=progress,
            state=state,
            now=now,
            full=queued.full,
            options=self.options,
        )
        log.info("sync %s of tenant %s started", run_id, state.connection.tenant_id)
        if not checkpoint:
            progress.events.append(_run_event(ctx, "sync.started", queued))
        try:
            await self._check_tenant(ctx)
        except TokenError as exc:
            report = await _fail(ctx, queued, exc)
        else:
            await _run_passes(ctx)
            await self._record_permissions(ctx)
            report = await _finish(ctx, queued)
        events = await self._derive(report)
        await tell(self.listeners, report=report, events=events)
        return report

    async def _derive(self, report: SyncReport) -> list:
        """Recompute insights after the data is in; their events are already in the trail."""
        if report.status is SyncStatus.FAILED and not any(
            e.status is EntityStatus.SUCCEEDED for e in report.entities
        ):
            return []
        return await insights.derive(
            connection_id=report.connection_id,
            now=self.clock(),
            active_days=self.options.active_days,
            inactive_days=self.options.inactive_days,
        )

    async def _record_permissions(self, ctx: PassContext) -> None:
        """Roles as the run ended: a token refreshed mid-run may carry fewer (or more)."""
        try:
            token = await self.tokens.token(ctx.state.connection.tenant_id)
        except TokenError:
            return
        await connections.update(connection_id=ctx.connection_id, permissions=sorted(token.roles))

    async def _check_tenant(self, ctx: PassContext) -> None:
        """Record the permissions the token carries and the tenant's name."""
        check = await check_tenant(ctx.graph, self.tokens)
        changes: dict[str, object] = {
            "permissions": list(check.permissions),
            "status": ConnectionStatus.CONNECTED,
        }
        if check.name:
            changes["tenant_name"] = check.name
        await connections.update(connection_id=ctx.connection_id, **changes)


async def _guard(ctx: PassContext, entity: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run one pass; a Graph error ends that entity with its reason and hint, not the run."""
    if ctx.progress.state(entity).get("done"):
        return
    try:
        await work()
    except GraphError as exc:
        log.warning("sync of %s for tenant %s: %s", entity, ctx.state.connection.tenant_id, exc)
        if isinstance(exc, graph_errors.PremiumLicenseRequired):
            ctx.has_premium = False
        if isinstance(exc, TokenError):
            ctx.token_error = exc
        ctx.progress.update(
            entity,
            status=EntityStatus.FAILED,
            error_code=exc.code or type(exc).__name__,
            error=str(exc),
            hint=hints.for_error(exc, entity=entity),
        )
        await ctx.progress.save()


async def _run_passes(ctx: PassContext) -> None:
    async with asyncio.TaskGroup() as group:
        users = group.create_task(_guard(ctx, "users", lambda: sync_collection(ctx, USERS)))

        async def apps_then_assignments() -> None:
            await _guard(ctx, "apps", lambda: sync_collection(ctx, APPS))
            # Assignments need this run's apps, and its joiners and leavers (group members).
            await asyncio.shield(users)
            if ctx.progress.entities["apps"].status is EntityStatus.FAILED:
                ctx.progress.update(
                    "assignments",
                    status=EntityStatus.SKIPPED,
                    error="skipped: the apps pass failed",
                )
                return
            await _guard(ctx, "assignments", lambda: sync_assignments(ctx))

        group.create_task(apps_then_assignments())
        group.create_task(_guard(ctx, "grants", lambda: sync_collection(ctx, GRANTS)))
        sign_ins = group.create_task(_guard(ctx, "sign_ins", lambda: sync_sign_ins(ctx)))
        sign_ins.add_done_callback(lambda _: ctx.licence_known.set())
        group.create_task(_activity_when_licence_known(ctx, users))


async def _activity_when_licence_known(ctx: PassContext, users: asyncio.Task[None]) -> None:
    """signInActivity beside the other passes, once the users exist and the licence is known.

    The sign-in pass learns about the licence from its first page; waiting for it spares a
    tenant without P1/P2 a refused request, and the users pass writes the rows this one updates.
    """
    await asyncio.shield(users)
    await ctx.licence_known.wait()
    if ctx.has_premium is False:
        ctx.progress.update(
            "sign_in_activity",
            status=EntityStatus.SKIPPED,
            error="skipped: no Entra ID P1/P2 licence",
            hint=hints.PREMIUM,
        )
        return
    await _guard(ctx, "sign_in_activity", lambda: sync_sign_in_activity(ctx))


def _status(ctx: PassContext) -> SyncStatus:
    statuses = [e.status for e in ctx.progress.entities.values()]
    if EntityStatus.FAILED not in statuses:
        return SyncStatus.SUCCEEDED
    core = [ctx.progress.entities[name].status for name in ("users", "apps")]
    if all(s is EntityStatus.FAILED for s in core):
        return SyncStatus.FAILED
    return SyncStatus.PARTIAL


async def _finish(ctx: PassContext, queued: SyncReport) -> SyncReport:
    status = _status(ctx)
    failed = [e for e in ctx.progress.entities.values() if e.status is EntityStatus.FAILED]
    first = failed[0] if failed else None
    hint = first.hint if first else None
    apps = ctx.progress.entities["apps"]
    if (
        status is SyncStatus.SUCCEEDED
        and apps.fetched == 0
        and apps.mode is not None
        and apps.mode.value == "full"
    ):
        hint = hints.MISSING_APPS
    changes: dict[str, object] = {"last_sync_at": ctx.now}
    if ctx.token_error is not None:
        changes["status"] = _consent_status(ctx.token_error)
    if status is SyncStatus.SUCCEEDED:
        changes["last_successful_sync_at"] = ctx.now
    if ctx.has_premium is not None:
        changes["has_premium"] = ctx.has_premium
    if ctx.has_premium is False:
        changes["has_sign_in_data"] = False
    await connections.update(connection_id=ctx.connection_id, **changes)
    ctx.progress.events.append(_run_event(ctx, f"sync.{status.value}", queued))
    await ctx.progress.save()
    await runs.finish(
        run_id=queued.id,
        status=status,
        now=ctx.progress.clock(),
        error_code=first.error_code if first else None,
        error_message=first.error if first else None,
        hint=hint,
    )
    return (await runs.load(run_id=queued.id))[0]


def _consent_status(exc: TokenError) -> ConnectionStatus:
    """A refused token means consent is needed, unless our own credentials are the problem."""
    if isinstance(exc, graph_errors.InvalidClientSecret | graph_errors.ClientSecretExpired):
        return ConnectionStatus.ERROR
    return ConnectionStatus.NEEDS_CONSENT


async def _fail(ctx: PassContext, queued: SyncReport, exc: TokenError) -> SyncReport:
    """The tenant refused a token: nothing was read, nothing changes but the status."""
    await connections.update(
        connection_id=ctx.connection_id, status=_consent_status(exc), last_sync_at=ctx.now
    )
    ctx.progress.events.append(_run_event(ctx, "sync.failed", queued, error=exc.code))
    await ctx.progress.save()
    await runs.finish(
        run_id=queued.id,
        status=SyncStatus.FAILED,
        now=ctx.progress.clock(),
        error_code=exc.code or type(exc).__name__,
        error_message=str(exc),
        hint=hints.for_error(exc),
    )
    return (await runs.load(run_id=queued.id))[0]


def _run_event(ctx: PassContext, kind: str, queued: SyncReport, **details: object) -> NewActivity:
    return NewActivity(
        kind=kind,
        actor=queued.actor if kind == "sync.started" else SYSTEM,
        connection_id=ctx.connection_id,
        subject_type="sync_run",
        subject_id=str(queued.id),
        subject_name=ctx.state.connection.tenant_name or ctx.state.connection.tenant_id,
        details={k: v for k, v in details.items() if v is not None},
    )
