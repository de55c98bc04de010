"""App role assignments, per app.

Assignments have no delta query: they are re-read in full when stale (and for apps the apps pass
saw change). An assignment to a group stays one row: who it reaches comes from the group's
members (the groups pass), joined at read time, so nothing here grows with a group's size.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sync_core import mapping
from sync_core.graph import NotFound
from sync_core.records import AccessSource, EntityStatus, SyncMode
from sync_core.store import access, connections, inventory
from sync_core.sync.context import PassContext

log = logging.getLogger(__name__)
ENTITY = "assignments"
# Checkpoint writes are batched: one per this many apps, and at the end.
SAVE_EVERY = 25


def _is_due(ctx: PassContext) -> bool:
    refreshed = ctx.state.assignments_refreshed_at
    return ctx.full or refreshed is None or ctx.now - refreshed >= ctx.options.full_refresh


async def sync_assignments(ctx: PassContext) -> None:
    """Read `appRoleAssignedTo` of every assignable app (or of the changed ones)."""
    due = bool(ctx.progress.state(ENTITY).get("due", _is_due(ctx)))
    eligible = await inventory.assignable_apps(connection_id=ctx.connection_id)
    targets = eligible if due else [app for app in eligible if app in ctx.changed_apps]
    done = set(ctx.progress.state(ENTITY).get("done_apps", []))
    ctx.progress.mark(ENTITY, "due", due)
    ctx.progress.start(ENTITY, SyncMode.FULL if due else SyncMode.INCREMENTAL)
    await _each(ctx, [a for a in targets if a not in done], done, lambda app: _sync_app(ctx, app))
    if due:
        await connections.update(connection_id=ctx.connection_id, assignments_refreshed_at=ctx.now)
    ctx.progress.checkpoint[ENTITY] = {"done": True}
    ctx.progress.update(ENTITY, status=EntityStatus.SUCCEEDED)
    await ctx.progress.save()


async def _each(
    ctx: PassContext, apps: list[str], done: set[str], work: Callable[[str], Awaitable[None]]
) -> None:
    """Run `work(app)` for each app with bounded concurrency, checkpointing as they finish.

    After a failure no further app starts and those under way finish; the failures are then
    raised together. Nothing is cancelled: Tortoise's SQLite client leaves its one connection
    locked for good when a task is cancelled while opening a transaction.
    """
    slots = asyncio.Semaphore(ctx.options.concurrency)
    failures: list[Exception] = []

    async def one(app_entra_id: str) -> None:
        async with slots:
            if failures:
                return
            try:
                await work(app_entra_id)
                await _finished(ctx, done, app_entra_id)
            except Exception as exc:  # raised with the others once every app has stopped
                failures.append(exc)

    async with asyncio.TaskGroup() as group:
        for app_entra_id in apps:
            group.create_task(one(app_entra_id))
    if failures:
        raise ExceptionGroup(f"{len(failures)} of {len(apps)} app(s) failed", failures)


async def _finished(ctx: PassContext, done: set[str], app_entra_id: str) -> None:
    done.add(app_entra_id)
    if len(done) % SAVE_EVERY == 0:
        ctx.progress.mark(ENTITY, "done_apps", sorted(done))
        await ctx.progress.save()


async def _sync_app(ctx: PassContext, app_entra_id: str) -> None:
    """All assignments of one app; those the re-read did not return are soft-deleted."""
    path = f"servicePrincipals/{app_entra_id}/appRoleAssignedTo"
    params = {"$select": mapping.ASSIGNMENT_SELECT, "$top": "999"}
    try:
        async for page in ctx.graph.pages(path, params=params):
            rows = [mapping.assignment(raw, app_entra_id=app_entra_id) for raw in page.items]
            kept = [row for row in rows if row is not None]
            counts = await access.upsert_assignments(
                connection_id=ctx.connection_id, assignments=kept, seen_at=ctx.now
            )
            ctx.progress.add(
                ENTITY,
                pages=1,
                fetched=len(page.items),
                created=counts.created,
                updated=counts.updated,
                skipped=len(rows) - len(kept),
            )
    except NotFound:
        # Deleted between the apps pass and now; the next apps round records the removal.
        log.info("app %s vanished before its assignments were read", app_entra_id)
        ctx.progress.add(ENTITY, skipped=1)
        return
    removed = await access.remove_unseen_assignments(
        connection_id=ctx.connection_id,
        app_entra_ids=[app_entra_id],
        refreshed_since=ctx.now,
        removed_at=ctx.now,
        sources=(AccessSource.ASSIGNMENT,),
    )
    ctx.progress.add(ENTITY, removed=removed)
