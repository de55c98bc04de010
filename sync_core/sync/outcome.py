"""How a run ends: its status, the hint that speaks for it, the connection's bookkeeping."""

from __future__ import annotations

import datetime as dt
import uuid

from sync_core.graph import GraphError, TokenError
from sync_core.graph import errors as graph_errors
from sync_core.records import SYSTEM, ConnectionStatus, EntityStatus, SyncReport, SyncStatus
from sync_core.store import connections, runs
from sync_core.store.activity import NewActivity
from sync_core.sync import hints
from sync_core.sync.context import PassContext
from sync_core.sync.passes import leaves


def _status(ctx: PassContext) -> SyncStatus:
    if ctx.crashed:
        return SyncStatus.FAILED
    statuses = [e.status for e in ctx.progress.entities.values()]
    if EntityStatus.FAILED not in statuses:
        return SyncStatus.SUCCEEDED
    core = [ctx.progress.entities[name].status for name in ("users", "apps")]
    if all(s is EntityStatus.FAILED for s in core):
        return SyncStatus.FAILED
    return SyncStatus.PARTIAL


async def finish(ctx: PassContext, queued: SyncReport) -> SyncReport:
    """End a run whose passes ran: its status, error and hint, the connection's sync times."""
    status = _status(ctx)
    failed = [e for e in ctx.progress.entities.values() if e.status is EntityStatus.FAILED]
    # A crash speaks for the run: it is why the run failed, whatever else fell short.
    failed.sort(key=lambda e: e.name not in ctx.crashed)
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
    ctx.progress.events.append(run_event(ctx, f"sync.{status.value}", queued))
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


async def fail(ctx: PassContext, queued: SyncReport, exc: TokenError) -> SyncReport:
    """The tenant refused a token: nothing was read, nothing changes but the status."""
    await connections.update(
        connection_id=ctx.connection_id, status=_consent_status(exc), last_sync_at=ctx.now
    )
    ctx.progress.events.append(run_event(ctx, "sync.failed", queued, error=exc.code))
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


async def end_crashed(run_id: uuid.UUID, exc: Exception, *, now: dt.datetime) -> SyncReport:
    """End a run that crashed outside its passes as failed, saying where the details are."""
    cause = next((e for e in leaves(exc) if not isinstance(e, GraphError)), leaves(exc)[0])
    await runs.finish(
        run_id=run_id,
        status=SyncStatus.FAILED,
        now=now,
        error_code=type(cause).__name__,
        error_message=str(cause) or type(cause).__name__,
        hint=hints.for_error(cause),
    )
    return (await runs.load(run_id=run_id))[0]


def run_event(ctx: PassContext, kind: str, queued: SyncReport, **details: object) -> NewActivity:
    """An activity entry about the run (started by its actor; ended by the system)."""
    return NewActivity(
        kind=kind,
        actor=queued.actor if kind == "sync.started" else SYSTEM,
        connection_id=ctx.connection_id,
        subject_type="sync_run",
        subject_id=str(queued.id),
        subject_name=ctx.state.connection.tenant_name or ctx.state.connection.tenant_id,
        details={k: v for k, v in details.items() if v is not None},
    )
