"""Runs one sync: claiming the run, token and tenant checks, the entity passes, its end."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from structlog.contextvars import bind_contextvars

from sync_core import insights
from sync_core.graph import (
    GraphClient,
    GraphStats,
    OnWait,
    RetryPolicy,
    TokenError,
    TokenSource,
)
from sync_core.records import (
    ConnectionStatus,
    EntityStatus,
    SyncReport,
    SyncStatus,
)
from sync_core.store import connections, runs
from sync_core.store.organizations import NotFound
from sync_core.sync import outcome
from sync_core.sync.context import PassContext, SyncOptions
from sync_core.sync.notify import SyncListener, tell
from sync_core.sync.passes import run_passes
from sync_core.sync.progress import Observer, RunProgress, RunStopped, restore
from sync_core.sync.tenant import check_tenant

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
# How long a stopping run's passes get to reach a safe point (most take one Graph page)
# before they are cancelled wherever they are; Heroku and Kubernetes allow 30 s after SIGTERM.
STOP_SECONDS = 5.0
# How long a stopped run may take to hand itself back before the process goes on closing.
RELEASE_SECONDS = 2.0


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
        self,
        run_id: uuid.UUID,
        *,
        observer: Observer | None = None,
        on_wait: OnWait | None = None,
        take_over: bool = False,
    ) -> SyncReport:
        """Claim a queued (or stalled) run and execute it to its end; returns the final report.

        `take_over`: the caller knows the run's last executor is gone (a job queue retrying its
        job), so a running run is taken however recent its heartbeat. Raises RunTaken when the
        run has ended or another process executes it.
        """
        now = self.clock()
        stalled_before = now if take_over else now - runs.STALLED_AFTER
        if not await runs.claim(run_id=run_id, now=now, stalled_before=stalled_before):
            raise await _taken(run_id)
        stop = asyncio.Event()
        work = asyncio.create_task(
            self._execute(run_id, now=now, stop=stop, observer=observer, on_wait=on_wait),
            name=f"sync-{run_id}-passes",
        )
        try:
            # Shielded: a cancellation (shutdown, Ctrl-C) stops the passes at a safe point.
            report = await asyncio.shield(work)
        except asyncio.CancelledError:
            await _stop(work, stop)
            await _release(run_id)
            raise
        except Exception as exc:  # a bug or a failing store: the run must still end
            log.exception("sync %s crashed", run_id)
            report = await outcome.end_crashed(run_id, exc, now=self.clock())
        events = await self._derive(report)
        await tell(self.listeners, report=report, events=events)
        return report

    async def _execute(
        self,
        run_id: uuid.UUID,
        *,
        now: dt.datetime,
        stop: asyncio.Event,
        observer: Observer | None,
        on_wait: OnWait | None,
    ) -> SyncReport:
        queued, entities, checkpoint = await runs.load(run_id=run_id)
        state = await connections.sync_state(connection_id=queued.connection_id)
        # Every log line of this run (and of the tasks it starts) carries its ids.
        bind_contextvars(run_id=str(queued.id), tenant_id=state.connection.tenant_id)
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
            queued.id,
            checkpoint=checkpoint,
            stats=stats,
            clock=self.clock,
            observer=observer,
            entities=restore(entities),
            organization_id=queued.organization_id,
            stop=stop,
        )
        ctx = PassContext(
            graph=graph,
            progress=progress,
            state=state,
            now=now,
            full=queued.full,
            options=self.options,
        )
        log.info("sync %s of tenant %s started", queued.id, state.connection.tenant_id)
        if not checkpoint:
            progress.events.append(outcome.run_event(ctx, "sync.started", queued))
        try:
            await self._check_tenant(ctx)
        except TokenError as exc:
            return await outcome.fail(ctx, queued, exc)
        await run_passes(ctx)
        progress.raise_if_stopping()
        await self._record_permissions(ctx)
        return await outcome.finish(ctx, queued)

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


async def _taken(run_id: uuid.UUID) -> runs.RunTaken:
    """Why a run cannot be claimed."""
    try:
        report, _, _ = await runs.load(run_id=run_id)
    except NotFound:  # its organization was deleted since the run was queued
        return runs.RunTaken(f"run {run_id} no longer exists")
    if not report.is_active:
        return runs.RunTaken(f"run {run_id} has already ended ({report.status.value})")
    return runs.RunTaken(f"run {run_id} is already running in another process")


async def _stop(work: asyncio.Task[SyncReport], stop: asyncio.Event) -> None:
    """Stop a run's passes after their current write, not inside it: Tortoise's SQLite client
    keeps its one connection locked for good when a task is cancelled opening a transaction."""
    stop.set()
    done, _ = await asyncio.wait({work}, timeout=STOP_SECONDS)
    if not done:
        log.warning("sync passes did not stop within %s s: cancelling them", STOP_SECONDS)
        work.cancel()
        await asyncio.wait({work})
    if not work.cancelled() and not isinstance(work.exception(), RunStopped | None):
        log.warning("sync failed while stopping", exc_info=work.exception())


async def _release(run_id: uuid.UUID) -> None:
    """Hand a run this process stopped to the next executor without waiting for it to count
    as stalled; bounded, since the store may be closing under a shutdown."""
    try:
        async with asyncio.timeout(RELEASE_SECONDS):
            await runs.release(run_id=run_id)
    except Exception:
        log.warning("sync %s stopped; it resumes once it counts as stalled", run_id, exc_info=True)
