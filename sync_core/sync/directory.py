"""Users, apps and delegated grants: delta rounds between complete rounds, one shape for all.

Users and apps start over with a full delta round. Grants start over with the plain listing
(999 a page, where a delta page holds a couple of hundred) and a deltaLink taken with
`$deltatoken=latest` just before it: the listing is the state, the link the changes since.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sync_core import mapping, records
from sync_core.graph import BadQuery, DeltaExpired, Page
from sync_core.records import ActorType, EntityStatus, SyncMode, UpsertCounts
from sync_core.store import access, connections, inventory, models
from sync_core.store.activity import NewActivity
from sync_core.sync.context import PassContext
from sync_core.sync.slices import pause, slices

log = logging.getLogger(__name__)
Upsert = Callable[..., Awaitable[UpsertCounts]]
SYSTEM = records.Actor(ActorType.SYSTEM)


@dataclass(frozen=True)
class Collection:
    """A Graph collection read in rounds that must complete before removals apply."""

    entity: str
    path: str
    select: str
    model: type[models.Model]
    mapper: Callable[[dict[str, Any]], Any]
    upsert: Upsert
    record_arg: str
    delta_field: str | None  # the Connection field holding the deltaLink, None: no delta
    subject: str
    # Listed in full rather than read by a full delta round: the delta function's path, for
    # the `$deltatoken=latest` link asked before the listing.
    latest_path: str | None = None


USERS = Collection(
    "users",
    "users/delta",
    mapping.USER_SELECT,
    models.DirectoryUser,
    mapping.user,
    inventory.upsert_users,
    "users",
    "users_delta_link",
    "user",
)
APPS = Collection(
    "apps",
    "servicePrincipals/delta",
    mapping.APP_SELECT,
    models.Application,
    mapping.app,
    inventory.upsert_apps,
    "apps",
    "apps_delta_link",
    "app",
)
GRANTS = Collection(
    "grants",
    "oauth2PermissionGrants",
    mapping.GRANT_SELECT,
    models.PermissionGrant,
    mapping.grant,
    access.upsert_grants,
    "grants",
    "grants_delta_link",
    "grant",
    latest_path="oauth2PermissionGrants/delta",
)
LATEST = "latest_link"  # checkpoint key: the deltaLink a listed round stores when complete


def _start(ctx: PassContext, coll: Collection) -> tuple[str, dict | None, SyncMode, dt.datetime]:
    """Where this round starts: a checkpoint, a stored deltaLink, or the collection itself."""
    saved = ctx.progress.state(coll.entity)
    if saved.get("next_link"):
        started = dt.datetime.fromisoformat(saved["round_started"])
        return saved["next_link"], None, SyncMode(saved["mode"]), started
    link = getattr(ctx.state, coll.delta_field) if coll.delta_field else None
    if link and not ctx.full and not saved.get("force_full"):
        return link, None, SyncMode.DELTA, ctx.now
    params = {"$select": coll.select}
    if coll.latest_path is not None:
        params["$top"] = "999"
    return coll.path, params, SyncMode.FULL, ctx.now


async def sync_collection(ctx: PassContext, coll: Collection) -> None:
    """Run one complete round of a collection, resuming or restarting it as needed."""
    resumed = bool(ctx.progress.state(coll.entity).get("next_link"))
    url, params, mode, started = _start(ctx, coll)
    ctx.progress.start(coll.entity, mode)
    ctx.progress.mark(coll.entity, "mode", mode.value)
    ctx.progress.mark(coll.entity, "round_started", started.isoformat())
    if mode is SyncMode.FULL and coll.latest_path and not resumed:
        ctx.progress.mark(coll.entity, LATEST, await _latest_link(ctx, coll))
    try:
        delta_link = await _follow(ctx, coll, url, params)
    except DeltaExpired:
        if mode is not SyncMode.DELTA:
            raise
        log.info("%s delta token expired for %s: full round", coll.entity, ctx.state.connection)
        return await _restart(ctx, coll, force_full=True)
    except BadQuery:
        if not resumed:
            raise
        log.info("%s checkpoint link expired: restarting the round", coll.entity)
        return await _restart(ctx, coll, force_full=mode is SyncMode.FULL)
    await _complete(ctx, coll, mode=mode, started=started, delta_link=delta_link)


async def _restart(ctx: PassContext, coll: Collection, *, force_full: bool) -> None:
    ctx.progress.checkpoint[coll.entity] = {"force_full": True} if force_full else {}
    await sync_collection(ctx, coll)


async def _latest_link(ctx: PassContext, coll: Collection) -> str | None:
    """A deltaLink for changes from now on, asked before the listing starts: a change made
    while the listing runs then comes again in the next delta (merging is idempotent) rather
    than falling between the two (docs/graph.md#delta)."""
    assert coll.latest_path is not None
    params = {"$select": coll.select, "$deltatoken": "latest"}
    async for page in ctx.graph.pages(coll.latest_path, params=params):
        if page.delta_link:
            return page.delta_link
    return None


async def _follow(ctx: PassContext, coll: Collection, url: str, params: dict | None) -> str | None:
    async for page in ctx.graph.pages(url, params=params):
        await _write_page(ctx, coll, page)
        ctx.progress.mark(coll.entity, "next_link", page.next_link)
        await ctx.progress.save()
        if page.delta_link:
            return page.delta_link
    return None


async def _write_page(ctx: PassContext, coll: Collection, page: Page) -> None:
    removed_ids = [rid for raw in page.items if (rid := mapping.removed_id(raw))]
    mapped = [coll.mapper(raw) for raw in page.items if not mapping.removed_id(raw)]
    rows = [row for row in mapped if row is not None]
    counts = UpsertCounts()
    for part in slices(rows):
        done = await coll.upsert(
            connection_id=ctx.connection_id, seen_at=ctx.now, **{coll.record_arg: part}
        )
        counts = _sum(counts, done)
        await pause()
    if coll is GRANTS:
        removed = await access.remove_grants(
            connection_id=ctx.connection_id, entra_ids=removed_ids, at=ctx.now
        )
    else:
        removed = await inventory.mark_removed(
            coll.model, connection_id=ctx.connection_id, entra_ids=removed_ids, at=ctx.now
        )
    if coll is APPS:
        await access.remove_for_apps(
            connection_id=ctx.connection_id, app_entra_ids=removed, removed_at=ctx.now
        )
    ctx.progress.add(
        coll.entity,
        pages=1,
        fetched=len(page.items),
        created=counts.created,
        updated=counts.updated,
        removed=len(removed),
        skipped=len(mapped) - len(rows),
    )
    _collect_events(ctx, coll, rows, counts, removed)


def _sum(a: UpsertCounts, b: UpsertCounts) -> UpsertCounts:
    return UpsertCounts(
        created=a.created + b.created,
        updated=a.updated + b.updated,
        created_keys=[*a.created_keys, *b.created_keys],
    )


def _collect_events(
    ctx: PassContext, coll: Collection, rows: Sequence, counts: UpsertCounts, removed: list[str]
) -> None:
    if coll is APPS:
        ctx.changed_apps.update(row.entra_id for row in rows)
    if coll is GRANTS or (coll is USERS and ctx.initial):
        return
    names = {row.entra_id: row.display_name for row in rows}
    kind = "app.discovered" if coll is APPS else "user.added"
    for (entra_id,) in counts.created_keys:
        ctx.progress.events.append(_event(ctx, kind, coll.subject, entra_id, names.get(entra_id)))
    for entra_id in removed:
        ctx.progress.events.append(
            _event(ctx, f"{coll.subject}.removed", coll.subject, entra_id, None)
        )


def _event(ctx: PassContext, kind: str, subject: str, entra_id: str, name: str | None):
    return NewActivity(
        kind=kind,
        actor=SYSTEM,
        connection_id=ctx.connection_id,
        subject_type=subject,
        subject_id=entra_id,
        subject_name=name,
    )


async def _complete(
    ctx: PassContext,
    coll: Collection,
    *,
    mode: SyncMode,
    started: dt.datetime,
    delta_link: str | None,
) -> None:
    """A round finished: apply a full round's removals, keep the deltaLink, clear the checkpoint."""
    if mode is SyncMode.FULL:
        await _remove_unseen(ctx, coll, started)
    delta_link = delta_link or ctx.progress.state(coll.entity).get(LATEST)
    if coll.delta_field and delta_link:
        await connections.update(connection_id=ctx.connection_id, **{coll.delta_field: delta_link})
    ctx.progress.checkpoint[coll.entity] = {"done": True}
    ctx.progress.update(coll.entity, status=EntityStatus.SUCCEEDED)
    await ctx.progress.save()


async def _remove_unseen(ctx: PassContext, coll: Collection, started: dt.datetime) -> None:
    """Only a round that enumerated everything may conclude that the rest is gone."""
    if coll is GRANTS:
        removed = await access.remove_unseen_grants(
            connection_id=ctx.connection_id, round_started_at=started, removed_at=ctx.now
        )
        ctx.progress.add(coll.entity, removed=removed)
        return
    gone = await inventory.mark_unseen_removed(
        coll.model, connection_id=ctx.connection_id, round_started_at=started, removed_at=ctx.now
    )
    if coll is APPS:
        await access.remove_for_apps(
            connection_id=ctx.connection_id, app_entra_ids=gone, removed_at=ctx.now
        )
    ctx.progress.add(coll.entity, removed=len(gone))
    if not (coll is USERS and ctx.initial):
        ctx.progress.events.extend(
            _event(ctx, f"{coll.subject}.removed", coll.subject, g, None) for g in gone
        )
