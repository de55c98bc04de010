"""Sync runs: at most one active per connection, progress and checkpoints, and history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from sync_core import records
from sync_core.records import (
    ActorType,
    ConnectionStatus,
    EntityReport,
    EntityStatus,
    SyncMode,
    SyncStatus,
)
from sync_core.store import models
from sync_core.store.columns import column, value
from sync_core.store.organizations import NotFound
from sync_core.store.paging import Page, keyset

# A run whose executor has not saved progress for this long counts as abandoned: another
# process may take it over (a Graph Retry-After can hold a live run silent for minutes).
STALLED_AFTER = dt.timedelta(minutes=5)


class RunTaken(ValueError):
    """The run has ended, or another process executes it: this one must not.

    A ValueError, so a door that shows bad input as one line (the CLI) shows this one too.
    """


def entity_report(name: str, data: dict[str, Any]) -> EntityReport:
    """An entity report from its stored JSON (enums restored)."""
    fields = {f.name for f in dataclasses.fields(EntityReport)} - {"name"}
    values = {k: v for k, v in data.items() if k in fields}
    if values.get("mode"):
        values["mode"] = SyncMode(values["mode"])
    if values.get("status"):
        values["status"] = EntityStatus(values["status"])
    return EntityReport(name=name, **values)


def report(row: models.SyncRun, *, tenant_id: str) -> records.SyncReport:
    """The record of a run row."""
    return records.SyncReport(
        id=row.id,
        organization_id=row.organization_id,
        connection_id=row.connection_id,
        tenant_id=tenant_id,
        status=SyncStatus(row.status),
        trigger=row.trigger,
        actor=records.Actor(ActorType(row.actor_type), row.actor_id),
        full=row.full,
        entities=tuple(entity_report(name, data) for name, data in (row.entities or {}).items()),
        requests=row.requests,
        throttled=row.throttled,
        seconds_waited=row.seconds_waited,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error_code=row.error_code,
        error_message=row.error_message,
        hint=row.hint,
    )


async def _tenant(connection_id: uuid.UUID) -> str:
    return await value(models.Connection.get(id=connection_id), "tenant_id")


async def active_run(*, connection_id: uuid.UUID) -> records.SyncReport | None:
    """The queued or running run of a connection, if any."""
    row = await models.SyncRun.get_or_none(active_key=str(connection_id))
    return report(row, tenant_id=await _tenant(connection_id)) if row else None


async def request_run(
    *,
    connection_id: uuid.UUID,
    trigger: str,
    actor: records.Actor,
    full: bool = False,
) -> tuple[records.SyncReport, bool]:
    """Queue a run, or return the active one; the bool says whether a new run was queued."""
    connection = await models.Connection.get(id=connection_id)
    try:
        row = await models.SyncRun.create(
            organization_id=connection.organization_id,
            connection_id=connection_id,
            active_key=str(connection_id),
            trigger=trigger,
            actor_type=actor.type,
            actor_id=actor.id,
            full=full,
        )
    except IntegrityError:
        active = await active_run(connection_id=connection_id)
        if active is None:  # it finished between our insert and this read
            return await request_run(
                connection_id=connection_id, trigger=trigger, actor=actor, full=full
            )
        return active, False
    return report(row, tenant_id=connection.tenant_id), True


async def is_active(*, run_id: uuid.UUID) -> bool:
    """Whether the run is still queued or running (a late duplicate job finds it ended)."""
    return await models.SyncRun.filter(id=run_id, active_key__isnull=False).exists()


async def claim(*, run_id: uuid.UUID, now: dt.datetime, stalled_before: dt.datetime) -> bool:
    """Take an active run for this process if it is queued, released, or silent since before
    `stalled_before`; False when it is not (another process holds it, or it ended).

    One conditional UPDATE: of processes claiming the same run at once, exactly one wins.
    """
    claimable = (
        Q(status=SyncStatus.QUEUED) | Q(heartbeat_at=None) | Q(heartbeat_at__lt=stalled_before)
    )
    claimed = await (
        models.SyncRun.filter(id=run_id, active_key__isnull=False)
        .filter(claimable)
        .update(status=SyncStatus.RUNNING, heartbeat_at=now)
    )
    if claimed:
        # A resumed run keeps the time it first started.
        await models.SyncRun.filter(id=run_id, started_at=None).update(started_at=now)
    return claimed == 1


async def release(*, run_id: uuid.UUID) -> None:
    """This process stopped the run (shutdown): it stays active with its checkpoint, and the
    next executor may claim it at once rather than after it stalls."""
    await models.SyncRun.filter(id=run_id, active_key__isnull=False).update(heartbeat_at=None)


async def requeue_stalled(*, run_id: uuid.UUID, older_than: dt.datetime, now: dt.datetime) -> bool:
    """Put a stalled run back in the queue to be claimed again; True for the one process of
    several ticking at once whose conditional UPDATE found it still stalled."""
    requeued = await (
        models.SyncRun.filter(id=run_id, active_key__isnull=False)
        .filter(_stalled(older_than))
        .update(status=SyncStatus.QUEUED, heartbeat_at=now)
    )
    return requeued == 1


async def mark_running(*, run_id: uuid.UUID, now: dt.datetime) -> None:
    """Mark a run running whoever holds it (fixtures); an executor `claim`s it instead."""
    run = await models.SyncRun.get(id=run_id)
    await models.SyncRun.filter(id=run_id).update(
        status=SyncStatus.RUNNING, started_at=run.started_at or now, heartbeat_at=now
    )


async def save_progress(
    *,
    run_id: uuid.UUID,
    entities: dict[str, dict[str, Any]],
    checkpoint: dict[str, Any],
    totals: dict[str, float],
    now: dt.datetime,
) -> None:
    """Persist counters and the checkpoint a resumed run continues from.

    Not once the run is released: a save already under way as its process stops must not
    make it look alive again.
    """
    await models.SyncRun.filter(id=run_id, heartbeat_at__isnull=False).update(
        entities=entities,
        checkpoint=checkpoint,
        requests=int(totals.get("requests", 0)),
        throttled=int(totals.get("throttled", 0)),
        seconds_waited=float(totals.get("seconds_waited", 0.0)),
        heartbeat_at=now,
    )


async def finish(
    *,
    run_id: uuid.UUID,
    status: SyncStatus,
    now: dt.datetime,
    error_code: str | None = None,
    error_message: str | None = None,
    hint: str | None = None,
) -> None:
    """End a run; it no longer blocks the next one."""
    await models.SyncRun.filter(id=run_id).update(
        status=status,
        active_key=None,
        finished_at=now,
        checkpoint={},
        error_code=error_code,
        error_message=error_message,
        hint=hint,
    )


async def checkpoint(*, run_id: uuid.UUID) -> dict[str, Any]:
    """Where a run got to (empty for a fresh run)."""
    return await value(models.SyncRun.get(id=run_id), "checkpoint")


async def get_run(*, organization_id: uuid.UUID, run_id: uuid.UUID) -> records.SyncReport:
    """A run of the organization, or NotFound."""
    row = await models.SyncRun.get_or_none(id=run_id, organization_id=organization_id)
    if row is None:
        raise NotFound(f"no sync run {run_id}")
    return report(row, tenant_id=await _tenant(row.connection_id))


async def list_runs(
    *, organization_id: uuid.UUID, connection_id: uuid.UUID | None = None, limit: int = 20
) -> list[records.SyncReport]:
    """Recent runs, newest first."""
    query = models.SyncRun.filter(organization_id=organization_id)
    if connection_id is not None:
        query = query.filter(connection_id=connection_id)
    rows = await query.order_by("-created_at").limit(limit).prefetch_related("connection")
    return [report(row, tenant_id=row.connection.tenant_id) for row in rows]


def _stalled(older_than: dt.datetime) -> Q:
    return Q(heartbeat_at__lt=older_than) | Q(heartbeat_at=None, created_at__lt=older_than)


async def stale_runs(*, older_than: dt.datetime) -> list[uuid.UUID]:
    """Active runs whose worker stopped reporting: candidates to resume."""
    return await column(
        models.SyncRun.filter(active_key__isnull=False).filter(_stalled(older_than)), "id"
    )


async def load(*, run_id: uuid.UUID) -> tuple[records.SyncReport, dict[str, Any], dict[str, Any]]:
    """A run for its worker: the report, its stored entity counters and its checkpoint."""
    row = await models.SyncRun.get_or_none(id=run_id)
    if row is None:
        raise NotFound(f"no sync run {run_id}")
    tenant = await _tenant(row.connection_id)
    return report(row, tenant_id=tenant), dict(row.entities or {}), dict(row.checkpoint or {})


def _report_with_tenant(row: models.SyncRun) -> records.SyncReport:
    return report(row, tenant_id=row.connection.tenant_id)


async def runs_page(
    *,
    organization_id: uuid.UUID,
    first: int,
    after: tuple | None = None,
    tenant_id: str | None = None,
) -> Page[records.SyncReport]:
    """The organization's runs, newest first, a keyset page at a time."""
    query = models.SyncRun.filter(organization_id=organization_id).prefetch_related("connection")
    if tenant_id:
        query = query.filter(connection__tenant_id=tenant_id.lower())
    return await keyset(
        query, order=("-created_at", "-id"), first=first, after=after, record=_report_with_tenant
    )


async def failure_streak(*, connection_id: uuid.UUID, limit: int = 20) -> int:
    """How many of the connection's latest finished runs failed, back to the last that did not."""
    statuses: list[SyncStatus] = await column(
        models.SyncRun.filter(connection_id=connection_id, active_key=None)
        .order_by("-created_at")
        .limit(limit),
        "status",
    )
    streak = 0
    for status in statuses:
        if status != SyncStatus.FAILED:
            break
        streak += 1
    return streak


async def due_connections(
    *, now: dt.datetime, overdue_before: dt.datetime | None = None
) -> list[uuid.UUID]:
    """Connected tenants whose next sync time has come (never synced counts as due).

    A booking older than the last sync is spent: the run that followed it has ended and the
    next time is being booked (runs end before their listeners book the next one).
    `overdue_before`: synced last before then, due whatever the booking says.
    """
    never_synced = Q(next_sync_at=None, last_sync_at=None)
    booked = Q(next_sync_at__lte=now) & (
        Q(last_sync_at=None) | Q(next_sync_at__gt=F("last_sync_at"))
    )
    due = never_synced | booked
    if overdue_before is not None:
        due |= Q(last_sync_at__lt=overdue_before)
    query = models.Connection.filter(status=ConnectionStatus.CONNECTED, removed_at=None).filter(due)
    return await column(query.order_by("next_sync_at"), "id")
