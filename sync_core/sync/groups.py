"""Direct members of groups through `/groups/delta?$select=members` (docs/graph.md#groups).

Every group is read, not only the assigned ones: a group assigned to an app later must already
have its members stored, and a delta round only reports what changed. What is stored grows with
memberships, never with apps: access through a group is derived by joining the group's
assignment to its members. Only users count, and only direct members (Entra does not cascade
app assignments to nested groups).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from sync_core import mapping
from sync_core.graph import BadQuery, DeltaExpired, Page
from sync_core.records import EntityStatus, SyncMode
from sync_core.store import connections, groups
from sync_core.sync.context import PassContext
from sync_core.sync.slices import pause, slices

log = logging.getLogger(__name__)
ENTITY = "groups"
PATH = "groups/delta"
SELECT = "members"
# Memberships per store call: a group of most of the tenant is written in pieces.
MEMBER_SLICE = 1_000
USER_TYPE = "#microsoft.graph.user"


@dataclass
class PageChanges:
    """What one page of the groups delta says about membership."""

    added: list[groups.Membership] = field(default_factory=list)
    removed: list[groups.Membership] = field(default_factory=list)
    removed_groups: list[str] = field(default_factory=list)
    read: int = 0  # member entries read, users or not


def is_user(raw: dict[str, Any]) -> bool:
    """Members may be users, groups, devices or service principals; Graph tags each one."""
    kind = raw.get("@odata.type", USER_TYPE)
    return kind == USER_TYPE and isinstance(raw.get("id"), str)


def page_changes(items: list[dict[str, Any]]) -> PageChanges:
    """Memberships a page adds and removes (`members@delta`, `@removed`), and deleted groups."""
    found = PageChanges()
    for raw in items:
        group = raw.get("id")
        if not isinstance(group, str):
            continue
        if mapping.removed_id(raw):
            found.removed_groups.append(group)
            continue
        # A large group's members may be split over several objects of one round.
        members = raw.get("members@delta") or []
        found.read += len(members)
        for member in members:
            if not is_user(member):
                continue
            # Interned: a user in several groups is one string in memory, not one per group.
            pair = (group, sys.intern(member["id"]))
            (found.removed if "@removed" in member else found.added).append(pair)
    return found


def _start(ctx: PassContext) -> tuple[str, dict | None, SyncMode, dt.datetime]:
    """A checkpoint's next link, the stored deltaLink, or a full round."""
    saved = ctx.progress.state(ENTITY)
    if saved.get("next_link"):
        started = dt.datetime.fromisoformat(saved["round_started"])
        return saved["next_link"], None, SyncMode(saved["mode"]), started
    link = ctx.state.groups_delta_link
    if link and not ctx.full and not saved.get("force_full"):
        return link, None, SyncMode.DELTA, ctx.now
    return PATH, {"$select": SELECT}, SyncMode.FULL, ctx.now


async def sync_groups(ctx: PassContext) -> None:
    """One complete groups delta round, resuming or restarting it as needed."""
    resumed = bool(ctx.progress.state(ENTITY).get("next_link"))
    url, params, mode, started = _start(ctx)
    ctx.progress.start(ENTITY, mode)
    ctx.progress.mark(ENTITY, "mode", mode.value)
    ctx.progress.mark(ENTITY, "round_started", started.isoformat())
    try:
        delta_link = await _follow(ctx, url, params)
    except DeltaExpired:
        if mode is not SyncMode.DELTA:
            raise
        log.info("groups delta token expired for %s: full round", ctx.state.connection)
        return await _restart(ctx, force_full=True)
    except BadQuery:
        if not resumed:
            raise
        log.info("groups checkpoint link expired: restarting the round")
        return await _restart(ctx, force_full=mode is SyncMode.FULL)
    await _complete(ctx, mode=mode, started=started, delta_link=delta_link)


async def _restart(ctx: PassContext, *, force_full: bool) -> None:
    ctx.progress.checkpoint[ENTITY] = {"force_full": True} if force_full else {}
    await sync_groups(ctx)


async def _follow(ctx: PassContext, url: str, params: dict | None) -> str | None:
    async for page in ctx.graph.pages(url, params=params):
        await _write_page(ctx, page)
        ctx.progress.mark(ENTITY, "next_link", page.next_link)
        await ctx.progress.save()
        if page.delta_link:
            return page.delta_link
    return None


async def _write_page(ctx: PassContext, page: Page) -> None:
    changes = page_changes(page.items)
    created = 0
    for part in slices(changes.added, MEMBER_SLICE):
        counts = await groups.upsert_members(
            connection_id=ctx.connection_id, members=part, seen_at=ctx.now
        )
        created += counts.created
        await pause()
    removed = await groups.remove_members(
        connection_id=ctx.connection_id, members=changes.removed, removed_at=ctx.now
    )
    removed += await groups.remove_groups(
        connection_id=ctx.connection_id, group_entra_ids=changes.removed_groups, removed_at=ctx.now
    )
    # Counts are memberships that changed: a full round re-reads every member, but only the
    # new ones are news (a membership has no properties to update).
    ctx.progress.add(
        ENTITY,
        pages=1,
        fetched=changes.read,
        created=created,
        removed=removed,
        skipped=changes.read - len(changes.added) - len(changes.removed),
    )


async def _complete(
    ctx: PassContext, *, mode: SyncMode, started: dt.datetime, delta_link: str | None
) -> None:
    """Only a complete full round may conclude that memberships it did not see are gone."""
    if mode is SyncMode.FULL:
        removed = await groups.remove_unseen_members(
            connection_id=ctx.connection_id, round_started_at=started, removed_at=ctx.now
        )
        ctx.progress.add(ENTITY, removed=removed)
    if delta_link:
        await connections.update(connection_id=ctx.connection_id, groups_delta_link=delta_link)
    ctx.progress.checkpoint[ENTITY] = {"done": True}
    ctx.progress.update(ENTITY, status=EntityStatus.SUCCEEDED)
    await ctx.progress.save()
