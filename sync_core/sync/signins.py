"""Sign-ins (30-day backfill, then incremental from a watermark) and users' last sign-in."""

from __future__ import annotations

import datetime as dt
import logging

from sync_core import mapping
from sync_core.graph import BadQuery
from sync_core.records import EntityStatus, SyncMode
from sync_core.store import connections, signins
from sync_core.sync.context import PassContext
from sync_core.sync.slices import pause, slices

log = logging.getLogger(__name__)
SIGN_INS = "sign_ins"
ACTIVITY = "sign_in_activity"


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(ctx: PassContext) -> tuple[dt.datetime, dt.datetime, SyncMode]:
    saved = ctx.progress.state(SIGN_INS)
    if "window_start" in saved:
        mode = SyncMode(saved["mode"])
        start = dt.datetime.fromisoformat(saved["window_start"])
        return start, dt.datetime.fromisoformat(saved["window_end"]), mode
    oldest = ctx.now - ctx.options.sign_in_backfill
    watermark = ctx.state.sign_in_watermark
    if watermark is None or ctx.full or watermark < oldest:
        return oldest, ctx.now, SyncMode.FULL
    return max(oldest, watermark - ctx.options.sign_in_overlap), ctx.now, SyncMode.INCREMENTAL


async def sync_sign_ins(ctx: PassContext) -> None:
    """Pull the window newest first; the watermark moves only when the window is complete."""
    start, end, mode = _window(ctx)
    saved = ctx.progress.state(SIGN_INS)
    ctx.progress.start(SIGN_INS, mode)
    for key, value in (
        ("mode", mode.value),
        ("window_start", start.isoformat()),
        ("window_end", end.isoformat()),
    ):
        ctx.progress.mark(SIGN_INS, key, value)
    # A resumed run re-asks for what it had not reached: everything older than it got to.
    upper = dt.datetime.fromisoformat(saved["oldest_seen"]) if "oldest_seen" in saved else end
    query = f"createdDateTime ge {_iso(start)} and createdDateTime le {_iso(upper)}"
    url, params = saved.get("next_link"), None
    if url is None:
        url, params = "auditLogs/signIns", {"$filter": query, "$top": "1000"}
    try:
        await _follow(ctx, url, params)
    except BadQuery:
        if params is not None:
            raise
        log.info("sign-in checkpoint link expired: re-asking from the oldest event seen")
        ctx.progress.mark(SIGN_INS, "next_link", None)
        return await sync_sign_ins(ctx)
    await connections.update(
        connection_id=ctx.connection_id, sign_in_watermark=end, has_sign_in_data=True
    )
    ctx.has_premium = True
    ctx.progress.checkpoint[SIGN_INS] = {"done": True}
    ctx.progress.update(SIGN_INS, status=EntityStatus.SUCCEEDED)
    await ctx.progress.save()


async def _follow(ctx: PassContext, url: str, params: dict | None) -> None:
    async for page in ctx.graph.pages(url, params=params, reports=True):
        # A page answered: the tenant has the licence sign-in data needs.
        ctx.has_premium = True
        ctx.licence_known.set()
        oldest = None
        for part in slices(page.items):
            events = [mapping.sign_in(raw) for raw in part]
            kept = [event for event in events if event is not None]
            new = await signins.add_sign_ins(connection_id=ctx.connection_id, events=kept)
            ctx.progress.add(SIGN_INS, created=len(new), skipped=len(events) - len(kept))
            if kept:
                first = min(event.occurred_at for event in kept)
                oldest = first if oldest is None else min(oldest, first)
            await pause()
        ctx.progress.add(SIGN_INS, pages=1, fetched=len(page.items))
        if oldest is not None:
            ctx.progress.mark(SIGN_INS, "oldest_seen", oldest.isoformat())
        ctx.progress.mark(SIGN_INS, "next_link", page.next_link)
        await ctx.progress.save()


def _activity_due(ctx: PassContext) -> bool:
    refreshed = ctx.state.sign_in_activity_refreshed_at
    return ctx.full or refreshed is None or ctx.now - refreshed >= ctx.options.full_refresh


async def sync_sign_in_activity(ctx: PassContext) -> None:
    """Last sign-in per user (P1/P2 only): a separate pass, since it caps pages at 120 users."""
    if not _activity_due(ctx) and not ctx.progress.state(ACTIVITY).get("next_link"):
        ctx.progress.update(ACTIVITY, status=EntityStatus.SKIPPED)
        return
    ctx.progress.start(ACTIVITY, SyncMode.FULL)
    url = ctx.progress.state(ACTIVITY).get("next_link") or "users"
    params = None if url != "users" else {"$select": mapping.SIGN_IN_ACTIVITY_SELECT, "$top": "120"}
    async for page in ctx.graph.pages(url, params=params):
        rows = [mapping.last_sign_in(raw) for raw in page.items]
        kept = [row for row in rows if row is not None]
        updated = await signins.set_last_sign_ins(connection_id=ctx.connection_id, activity=kept)
        ctx.progress.add(ACTIVITY, pages=1, fetched=len(page.items), updated=updated)
        ctx.progress.mark(ACTIVITY, "next_link", page.next_link)
        await ctx.progress.save()
    await connections.update(
        connection_id=ctx.connection_id, sign_in_activity_refreshed_at=ctx.now, has_premium=True
    )
    ctx.progress.checkpoint[ACTIVITY] = {"done": True}
    ctx.progress.update(ACTIVITY, status=EntityStatus.SUCCEEDED)
    await ctx.progress.save()
