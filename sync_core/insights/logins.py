"""Login activity: daily sign-in counts from the rollup, and the raw events' retention."""

from __future__ import annotations

import datetime as dt
import uuid

from sync_core.app_facts import Window
from sync_core.insights.records import DailyCount
from sync_core.store.insights import usage as insight_usage

# Entra keeps sign-ins for 30 days; raw events are kept longer here, counts for good.
KEEP_SIGN_INS_DAYS = 90


def days_ending(*, now: dt.datetime, days: int) -> Window:
    """`days` whole UTC days ending today."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = now.astimezone(dt.UTC).date()
    return Window(start=today - dt.timedelta(days=days - 1), end=today)


def dense(counts: list[DailyCount], *, window: Window) -> list[DailyCount]:
    """One count per day of the window, zero where nobody signed in."""
    by_day = {c.day: c for c in counts}
    span = (window.end - window.start).days + 1
    days = (window.start + dt.timedelta(days=n) for n in range(span))
    return [by_day.get(day, DailyCount(day, 0, 0)) for day in days]


async def login_activity(
    *,
    organization_id: uuid.UUID,
    days: int,
    now: dt.datetime,
    app_id: int | None = None,
    user_id: int | None = None,
    connection_id: uuid.UUID | None = None,
) -> list[DailyCount]:
    """Daily successes and failures, oldest first, for an app and/or a user (our ids)."""
    window = days_ending(now=now, days=days)
    counts = await insight_usage.daily_counts(
        organization_id=organization_id,
        window=window,
        connection_id=connection_id,
        app_id=app_id,
        user_id=user_id,
    )
    return dense(counts, window=window)


async def prune_sign_ins(
    *,
    now: dt.datetime,
    keep_days: int = KEEP_SIGN_INS_DAYS,
    connection_id: uuid.UUID | None = None,
) -> int:
    """Delete raw sign-ins older than `keep_days`; daily counts stay. Returns how many."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    return await insight_usage.prune_sign_ins(
        before=now - dt.timedelta(days=keep_days), connection_id=connection_id
    )


async def login_activity_of(
    *, organization_id: uuid.UUID, days: int, now: dt.datetime, kind: str, ids: list[int]
) -> dict[int, list[DailyCount]]:
    """`login_activity` of many apps (kind "app") or users (kind "user") in one read."""
    window = days_ending(now=now, days=days)
    counts = await insight_usage.daily_counts_by(
        organization_id=organization_id, window=window, kind=kind, ids=ids
    )
    return {owner: dense(found, window=window) for owner, found in counts.items()}
