"""What /apps and the Home tab read: each view is one call into sync_core.insights, paged here.

Name search and the per-app detail are composed here from insights reads because the
insights API has no name filter and no single-app read yet (see the README's Slack notes).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from bot.messages.apps import PAGE_SIZE, AppDetail, AppPage
from bot.messages.home import Overview, waiting_for_review
from sync_core import insights
from sync_core.insights import rules
from sync_core.insights.records import AppStatus, AppSummary
from sync_core.store import connections, insight_usage, runs
from sync_core.store.organizations import NotFound

STATUS_VIEWS = {
    "all": None,
    "in-use": AppStatus.IN_USE,
    "discovered": AppStatus.DISCOVERED,
    "inactive": AppStatus.INACTIVE,
}


def _matches(search: str) -> Callable[[Any], bool]:
    wanted = search.casefold()

    def names(item: Any) -> list[str]:
        if hasattr(item, "category") and hasattr(item, "apps"):  # an overlap
            return [item.category, *(a.name for a in item.apps)]
        app = getattr(item, "app", item)
        return [app.name]

    return lambda item: not wanted or any(wanted in n.casefold() for n in names(item))


async def _everything(view: str, scope: dict[str, Any], inactive_days: int) -> list[Any]:
    if view in STATUS_VIEWS:
        return await insights.app_summaries(status=STATUS_VIEWS[view], **scope)
    if view == "shadow":
        return await insights.shadow_it(**scope)
    if view == "overlaps":
        return await insights.overlaps(**scope)
    if view == "problematic":
        return await insights.problematic_apps(**scope)
    waste = await insights.license_waste(inactive_days=inactive_days, **scope)
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
    scope = {"organization_id": organization_id, "now": now, "active_days": active_days}
    offset = max(0, offset)
    if view == "all" and not search:  # paged in SQL
        total = await insights.count_apps(organization_id=organization_id, now=now)
        items = await insights.app_summaries(limit=size, offset=offset, **scope)
        return AppPage(view, search, offset, total, tuple(items), size)
    found = [i for i in await _everything(view, scope, inactive_days) if _matches(search)(i)]
    return AppPage(view, search, offset, len(found), tuple(found[offset : offset + size]), size)


async def find(
    *, organization_id: uuid.UUID, name: str, now: dt.datetime, active_days: int
) -> list[AppSummary]:
    """Apps named `name` (exactly, ignoring case), else apps whose name contains it."""
    apps = await insights.app_summaries(
        organization_id=organization_id, now=now, active_days=active_days
    )
    wanted = name.casefold().strip()
    exact = [a for a in apps if a.name.casefold() == wanted]
    return exact or [a for a in apps if wanted in a.name.casefold()]


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


def _departments(seats: Sequence[insight_usage.Seat]) -> tuple[tuple[str | None, int], ...]:
    counted = Counter(s.department for s in seats)
    return tuple(sorted(counted.items(), key=lambda item: (-item[1], item[0] or "")))


async def detail(
    *,
    organization_id: uuid.UUID,
    summary: AppSummary,
    now: dt.datetime,
    active_days: int,
    inactive_days: int,
) -> AppDetail:
    """Everything about one app, from the insights reads that cover it."""
    org, app_id = organization_id, summary.id
    scope = {"organization_id": org, "now": now, "connection_id": summary.connection_id,
             "active_days": active_days}  # fmt: skip
    shadow = [s for s in await insights.shadow_it(**scope) if s.app.id == app_id]
    problems = [p for p in await insights.problematic_apps(**scope) if p.app.id == app_id]
    waste = await insights.license_waste(inactive_days=inactive_days, app_ids=[app_id], **scope)
    seats = await insight_usage.seats(
        organization_id=org, until=rules.window(now=now, days=0).end, app_ids=[app_id]
    )
    return AppDetail(
        app=summary,
        shadow=shadow[0] if shadow else None,
        problems=tuple(problems),
        waste=waste[0] if waste else None,
        departments=_departments(seats),
        history=tuple(await insights.stage_history(organization_id=org, app_id=app_id)),
        usage=tuple(
            await insights.login_activity(
                organization_id=org, days=active_days, now=now, app_id=app_id
            )
        ),
    )


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
    scope = {"organization_id": organization_id, "now": now, "active_days": active_days}
    counts = Counter(a.status for a in await insights.app_summaries(**scope))
    return Overview(
        connections=tuple(linked),
        last_runs=last,
        counts=dict(counts),
        waiting=waiting_for_review(await insights.shadow_it(**scope)),
    )
