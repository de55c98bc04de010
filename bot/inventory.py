"""What /apps and the Home tab read: each view is one call into sync_core.insights.

Every view reads the figures derive stored after the last sync: status views are paged in SQL
(a count and a page); shadow IT, problems and unused seats are one read each, paged here. A
search narrows the read in sync_core (`name=`); overlaps also match a category, so they are
filtered here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypedDict

from bot.messages.apps import PAGE_SIZE, AppPage
from bot.messages.home import Overview, waiting_for_review
from sync_core import insights
from sync_core.insights import AppDetails
from sync_core.insights.records import AppStatus, AppSummary, Overlap
from sync_core.store import connections, runs
from sync_core.store.organizations import NotFound

STATUS_VIEWS = {
    "all": None,
    "in-use": AppStatus.IN_USE,
    "discovered": AppStatus.DISCOVERED,
    "inactive": AppStatus.INACTIVE,
}


class _Scope(TypedDict):
    """The arguments every view's read takes."""

    organization_id: uuid.UUID
    now: dt.datetime
    active_days: int


class _Named(_Scope):
    name: str | None


def _overlap_named(overlap: Overlap, search: str) -> bool:
    wanted = search.casefold()
    return any(wanted in n.casefold() for n in (overlap.category, *(a.name for a in overlap.apps)))


async def _everything(view: str, scope: _Scope, search: str, inactive_days: int) -> list:
    named: _Named = {**scope, "name": search or None}
    if view == "shadow":
        return await insights.shadow_it(**named)
    if view == "problematic":
        return await insights.problematic_apps(**named)
    if view == "overlaps":
        return [o for o in await insights.overlaps(**scope) if _overlap_named(o, search)]
    waste = await insights.license_waste(inactive_days=inactive_days, **named)
    return [w for w in waste if w.inactive_seats]


async def page(
    *,
    organization_id: uuid.UUID,
    view: str,
    search: str,
    offset: int,
    now: dt.datetime,
    active_days: int,
    inactive_days: int,
    size: int = PAGE_SIZE,
) -> AppPage:
    """One page of a view, optionally narrowed to names containing `search`."""
    scope: _Scope = {"organization_id": organization_id, "now": now, "active_days": active_days}
    offset = max(0, offset)
    if view in STATUS_VIEWS:  # paged in SQL
        named: _Named = {**scope, "name": search.strip() or None}
        status = STATUS_VIEWS[view]
        total = await insights.count_apps(status=status, **named)
        items = await insights.app_summaries(limit=size, offset=offset, status=status, **named)
        return AppPage(view, search, offset, total, tuple(items), size)
    found = await _everything(view, scope, search.strip(), inactive_days)
    return AppPage(view, search, offset, len(found), tuple(found[offset : offset + size]), size)


async def find(
    *, organization_id: uuid.UUID, name: str, now: dt.datetime, active_days: int
) -> list[AppSummary]:
    """Apps named `name` (exactly, ignoring case), else apps whose name contains it."""
    return await insights.find_apps(
        organization_id=organization_id, name=name, now=now, active_days=active_days
    )


async def app(
    *, organization_id: uuid.UUID, app_id: int, now: dt.datetime, active_days: int
) -> AppSummary:
    """One app of the organization, or NotFound (also for another organization's app)."""
    found = await insights.app_summaries(
        organization_id=organization_id, now=now, active_days=active_days, app_ids=[app_id]
    )
    if not found:
        raise NotFound(f"no app {app_id}")
    return found[0]


async def detail(
    *,
    organization_id: uuid.UUID,
    app_id: int,
    now: dt.datetime,
    active_days: int,
    inactive_days: int,
) -> AppDetails:
    """Everything about one app, read for that app alone; NotFound for another's app."""
    found = await insights.app_details(
        organization_id=organization_id,
        app_id=app_id,
        now=now,
        active_days=active_days,
        inactive_days=inactive_days,
    )
    if found is None:
        raise NotFound(f"no app {app_id}")
    return found


async def overview(*, organization_id: uuid.UUID, now: dt.datetime, active_days: int) -> Overview:
    """Connections, last runs, apps by status and shadow IT waiting for review."""
    linked = [
        c
        for c in await connections.list_connections(organization_id=organization_id)
        if c.status.value != "disconnected"
    ]
    last: dict[str, Any] = {}
    for report in await runs.list_runs(organization_id=organization_id, limit=50):
        last.setdefault(report.tenant_id, report)
    scope: _Scope = {"organization_id": organization_id, "now": now, "active_days": active_days}
    counts = {s: n for s, n in (await insights.status_counts(**scope)).items() if n}
    return Overview(
        connections=tuple(linked),
        last_runs=last,
        counts=counts,
        waiting=waiting_for_review(await insights.shadow_it(**scope)),
    )
