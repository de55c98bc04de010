"""App role assignments, per app, and the users who reach apps through assigned groups.

Assignments have no delta query: they are re-read in full when stale (and for apps the apps pass
saw change). Group members are re-read whenever assignments are, and also when the users pass
saw joiners or leavers, so group-based access follows people in and out of the company.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from sync_core import mapping
from sync_core.graph import NotFound
from sync_core.records import EntityStatus, SyncMode
from sync_core.store import access, connections, inventory
from sync_core.sync.context import PassContext
from sync_core.sync.slices import pause, slices

log = logging.getLogger(__name__)
ENTITY = "assignments"
# Checkpoint writes are batched: one per this many apps, and at the end.
SAVE_EVERY = 25
# Group-access rows per store call.
GROUP_SLICE = 1_000


class GroupMembers:
    """Members of assigned groups, read once per run however many apps they are assigned to."""

    def __init__(self, ctx: PassContext) -> None:
        self._ctx = ctx
        self._members: dict[str, asyncio.Task[list[str]]] = {}

    async def of(self, group_id: str) -> list[str]:
        if group_id not in self._members:
            self._members[group_id] = asyncio.ensure_future(self._read(group_id))
        return await self._members[group_id]

    async def _read(self, group_id: str) -> list[str]:
        # Entra does not cascade app assignments to nested groups: direct members only.
        path = f"groups/{group_id}/members"
        members: list[str] = []
        try:
            async for page in self._ctx.graph.pages(path, params={"$select": "id", "$top": "999"}):
                # Interned: a user in several groups is one string in memory, not one per group.
                members.extend(sys.intern(raw["id"]) for raw in page.items if _is_user(raw))
                self._ctx.progress.add(ENTITY, pages=1)
        except NotFound:
            log.info("assigned group %s vanished", group_id)
        return members


def _is_user(raw: dict) -> bool:
    # Members may be users, groups, devices or service principals; Graph tags each one.
    kind = raw.get("@odata.type", "#microsoft.graph.user")
    return kind == "#microsoft.graph.user" and isinstance(raw.get("id"), str)


def _is_due(ctx: PassContext) -> bool:
    refreshed = ctx.state.assignments_refreshed_at
    return ctx.full or refreshed is None or ctx.now - refreshed >= ctx.options.full_refresh


def _people_moved(ctx: PassContext) -> bool:
    users = ctx.progress.entities["users"]
    return users.created > 0 or users.removed > 0


async def sync_assignments(ctx: PassContext) -> None:
    """Read `appRoleAssignedTo` of every assignable app (or of the changed ones)."""
    due = bool(ctx.progress.state(ENTITY).get("due", _is_due(ctx)))
    eligible = await inventory.assignable_apps(connection_id=ctx.connection_id)
    targets = eligible if due else [app for app in eligible if app in ctx.changed_apps]
    done = set(ctx.progress.state(ENTITY).get("done_apps", []))
    ctx.progress.mark(ENTITY, "due", due)
    ctx.progress.start(ENTITY, SyncMode.FULL if due else SyncMode.INCREMENTAL)
    groups = GroupMembers(ctx)
    await _each(
        ctx, [a for a in targets if a not in done], done, lambda app: _sync_app(ctx, app, groups)
    )
    if not due and _people_moved(ctx):
        await _refresh_group_access(ctx, groups, skip=set(targets))
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


async def _sync_app(ctx: PassContext, app_entra_id: str, groups: GroupMembers) -> None:
    """All assignments of one app; access it no longer grants is soft-deleted."""
    path = f"servicePrincipals/{app_entra_id}/appRoleAssignedTo"
    params = {"$select": mapping.ASSIGNMENT_SELECT, "$top": "999"}
    assigned_groups: dict[str, str] = {}
    try:
        async for page in ctx.graph.pages(path, params=params):
            rows = [mapping.assignment(raw, app_entra_id=app_entra_id) for raw in page.items]
            kept = [row for row in rows if row is not None]
            assigned_groups |= {
                r.principal_entra_id: r.entra_id for r in kept if r.principal_type == "Group"
            }
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
    await _write_group_access(ctx, app_entra_id, assigned_groups, groups)
    removed = await access.remove_unseen_assignments(
        connection_id=ctx.connection_id,
        app_entra_ids=[app_entra_id],
        refreshed_since=ctx.now,
        removed_at=ctx.now,
    )
    ctx.progress.add(ENTITY, removed=removed)


async def _members(assigned: dict[str, str], groups: GroupMembers) -> dict[str, str]:
    """Users of the assigned groups: {user id: the group assignment that gives access}."""
    members: dict[str, str] = {}
    for group_id, assignment_id in assigned.items():
        for user in await groups.of(group_id):
            members.setdefault(user, assignment_id)
    return members


async def _write_group_access(
    ctx: PassContext, app_entra_id: str, assigned: dict[str, str], groups: GroupMembers
) -> None:
    # A group can hold most of the tenant: written in slices, so one app assigned to a 50k-member
    # group never builds 50k ORM rows at once (memory) nor holds the loop while doing it.
    members = list((await _members(assigned, groups)).items())
    for part in slices(members, GROUP_SLICE):
        counts = await access.upsert_group_access(
            connection_id=ctx.connection_id,
            app_entra_id=app_entra_id,
            members=dict(part),
            seen_at=ctx.now,
        )
        ctx.progress.add(ENTITY, created=counts.created, updated=counts.updated)
        await pause()


async def _refresh_group_access(ctx: PassContext, groups: GroupMembers, *, skip: set[str]) -> None:
    """Re-expand every group assignment from fresh membership (joiners and leavers)."""
    by_app = await access.group_assignments(connection_id=ctx.connection_id)
    apps = [app for app in by_app if app not in skip]

    async def refresh(app_entra_id: str) -> None:
        # Only the difference is written: joiners and leavers touch a few rows, not every seat.
        members = await _members(by_app[app_entra_id], groups)
        stored = await access.group_access_users(
            connection_id=ctx.connection_id, app_entra_id=app_entra_id
        )
        counts = await access.upsert_group_access(
            connection_id=ctx.connection_id,
            app_entra_id=app_entra_id,
            members={u: a for u, a in members.items() if u not in stored},
            seen_at=ctx.now,
        )
        removed = await access.remove_group_access(
            connection_id=ctx.connection_id,
            app_entra_id=app_entra_id,
            users=stored - members.keys(),
            removed_at=ctx.now,
        )
        ctx.progress.add(ENTITY, created=counts.created, removed=removed)

    await _each(ctx, apps, set(), refresh)
