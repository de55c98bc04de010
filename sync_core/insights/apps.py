"""App summaries: every app with its status and figures, as lists and pages read them.

Read from the figures derive stored after the last sync (sync_core/insights/figures.py): one
indexed statement per page or batch, plus one for a total, whatever the tenant's size.
Status is judged from stored dates against the caller's `now`, in SQL for filters.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sync_core.insights import figures, names, verdicts
from sync_core.insights.records import AppStatus, AppSummary
from sync_core.insights.summary import summarise, summary_of
from sync_core.insights.verdicts import AppVerdicts
from sync_core.records import AppStage
from sync_core.store.insights import app_figures
from sync_core.store.insights.app_figures import Selection
from sync_core.store.paging import MAX_PAGE, Page

__all__ = [
    "app_summaries",
    "app_verdicts",
    "apps_page",
    "count_apps",
    "find_apps",
    "selection",
    "status_counts",
    "summarise",
]


def selection(
    *,
    now: dt.datetime,
    active_days: int,
    connection_id: uuid.UUID | None = None,
    app_ids: Sequence[int] | None = None,
    statuses: Sequence[AppStatus] = (),
    stages: Sequence[AppStage] = (),
    include_removed: bool = False,
    **more,
) -> Selection:
    """Which stored apps a read returns, with the status window at `now`."""
    return Selection(
        connection_id=connection_id,
        app_ids=app_ids,
        stages=tuple(s.value for s in stages),
        statuses=tuple(s.value for s in statuses),
        bounds=figures.bounds(now=now, active_days=active_days),
        include_removed=include_removed,
        **more,
    )


async def app_summaries(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    app_ids: Sequence[int] | None = None,
    status: AppStatus | None = None,
    stage: AppStage | None = None,
    include_removed: bool = False,
    limit: int | None = None,
    offset: int = 0,
    name: str | None = None,
) -> list[AppSummary]:
    """The organization's apps by name, with figures; a page when `limit` is given.

    `name` (part of a name, any case) narrows them first with one cheap read of names.
    """
    app_ids = await names.restrict(
        organization_id=organization_id, connection_id=connection_id, app_ids=app_ids, name=name
    )
    chosen = selection(
        now=now,
        active_days=active_days,
        connection_id=connection_id,
        app_ids=app_ids,
        statuses=(status,) if status else (),
        stages=(stage,) if stage else (),
        include_removed=include_removed,
    )
    rows = await figures.read(
        organization_id=organization_id,
        now=now,
        active_days=active_days,
        selection=chosen,
        limit=limit,
        offset=offset,
    )
    return [summary_of(r, now=now, active_days=active_days) for r in rows]


async def count_apps(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    status: AppStatus | None = None,
    stage: AppStage | None = None,
    include_removed: bool = False,
    name: str | None = None,
) -> int:
    """How many apps `app_summaries` lists with the same filters and no limit."""
    app_ids = await names.restrict(
        organization_id=organization_id, connection_id=connection_id, app_ids=None, name=name
    )
    chosen = selection(
        now=now,
        active_days=active_days,
        connection_id=connection_id,
        app_ids=app_ids,
        statuses=(status,) if status else (),
        stages=(stage,) if stage else (),
        include_removed=include_removed,
    )
    return await app_figures.count(organization_id=organization_id, selection=chosen)


async def status_counts(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
) -> dict[AppStatus, int]:
    """How many live apps are in use, inactive and discovered at `now`, in one read."""
    chosen = Selection(connection_id=connection_id)
    window = figures.bounds(now=now, active_days=active_days)
    counts = await app_figures.status_counts(
        organization_id=organization_id, bounds=window, selection=chosen
    )
    return {AppStatus(status): n for status, n in counts.items()}


async def apps_page(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    first: int,
    after: tuple[str, int] | None = None,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    status: AppStatus | None = None,
    stage: AppStage | None = None,
    include_removed: bool = False,
    statuses: Sequence[AppStatus] = (),
    stages: Sequence[AppStage] = (),
    **more,
) -> Page[AppSummary]:
    """A keyset page of app summaries by (name, id), with the total, for cursor connections.

    `statuses` and `stages` match any of theirs; `more` narrows further (see `Selection`).
    """
    first = max(0, min(first, MAX_PAGE))
    chosen = selection(
        now=now,
        active_days=active_days,
        connection_id=connection_id,
        statuses=(*statuses, *((status,) if status else ())),
        stages=(*stages, *((stage,) if stage else ())),
        include_removed=include_removed,
        **more,
    )
    total = await app_figures.count(organization_id=organization_id, selection=chosen)
    rows = await figures.read(
        organization_id=organization_id,
        now=now,
        active_days=active_days,
        selection=chosen,
        after=after,
        limit=first + 1,
    )
    return Page(
        items=[summary_of(r, now=now, active_days=active_days) for r in rows[:first]],
        keys=[(r.figures.sort_name, r.facts.id) for r in rows[:first]],
        total=total,
        has_next=len(rows) > first,
    )


async def find_apps(
    *,
    organization_id: uuid.UUID,
    name: str,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
) -> list[AppSummary]:
    """Apps called `name` (ignoring case), else those whose name contains it; by name."""
    found = await names.app_ids_named(
        organization_id=organization_id, search=name, connection_id=connection_id, exact_first=True
    )
    if not found:
        return []
    return await app_summaries(
        organization_id=organization_id,
        now=now,
        app_ids=found,
        connection_id=connection_id,
        active_days=active_days,
    )


async def app_verdicts(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    app_ids: Sequence[int],
    active_days: int = 30,
    inactive_days: int = 60,
) -> dict[int, AppVerdicts]:
    """Shadow IT, monthly waste and problems of the organization's apps among `app_ids`, in
    one read (a page's apps, for batch loaders)."""
    chosen = Selection(app_ids=list(app_ids), include_removed=True)
    rows = await figures.read(
        organization_id=organization_id,
        now=now,
        active_days=active_days,
        inactive_days=inactive_days,
        selection=chosen,
        detail=app_figures.DETAILS,
    )
    return {
        r.facts.id: verdicts.app_verdicts(r, summary_of(r, now=now, active_days=active_days))
        for r in rows
    }
