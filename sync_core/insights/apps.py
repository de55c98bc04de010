"""App summaries: every app with its status and figures, as lists and pages read them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sync_core.insights import catalog, names, rules
from sync_core.insights.records import AppStatus, AppSummary, Money
from sync_core.records import AppStage
from sync_core.store import insights as store
from sync_core.store.insights import AppFacts
from sync_core.store.paging import MAX_PAGE, Page


def summarise(
    app: AppFacts, *, now: dt.datetime, active_days: int, known: catalog.Catalog | None = None
) -> AppSummary:
    """The summary of an app's figures at `now`."""
    cost = None
    if app.seat_cost_amount is not None and app.seat_cost_currency:
        cost = Money(app.seat_cost_amount, app.seat_cost_currency)
    return AppSummary(
        id=app.id,
        connection_id=app.connection_id,
        entra_id=app.entra_id,
        app_id=app.app_id,
        name=app.display_name,
        publisher=app.publisher_name,
        verified_publisher=app.verified_publisher,
        origin=rules.app_origin(app),
        status=rules.app_status(app, now=now, active_days=active_days),
        stage=app.stage,
        category=catalog.category_of(
            override=app.category_override,
            app_id=app.app_id,
            name=app.display_name,
            catalog=known or catalog.default(),
        ),
        assigned_users=app.assigned_users,
        assigned_groups=app.assigned_groups,
        consented_users=app.consented_users,
        active_users=app.active_users,
        last_used_on=app.last_used_on,
        first_seen_at=app.first_seen_at,
        account_enabled=app.account_enabled,
        seat_cost=cost,
        removed_at=app.removed_at,
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

    A page (or `app_ids`, for batch loaders) costs five grouped queries whatever its size
    (six when an app's last use falls on the window's first day).
    Filtering by status needs every app's figures first, since status depends on `now`;
    `name` (part of a name, any case) narrows them first with one cheap read of names.
    """
    window = rules.window(now=now, days=active_days)
    app_ids = await names.restrict(organization_id=organization_id, connection_id=connection_id,
                                   app_ids=app_ids, name=name)  # fmt: skip
    paged_in_sql = status is None
    facts = await store.app_facts(
        organization_id=organization_id,
        window=window,
        connection_id=connection_id,
        app_ids=app_ids,
        stage=stage,
        include_removed=include_removed,
        limit=limit if paged_in_sql else None,
        offset=offset if paged_in_sql else 0,
    )
    summaries = [summarise(f, now=now, active_days=active_days) for f in facts]
    if paged_in_sql:
        return summaries
    matching = [s for s in summaries if s.status is status]
    return matching[offset : None if limit is None else offset + limit]


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
    if status is None and not name:
        return await store.count_apps(
            organization_id=organization_id,
            connection_id=connection_id,
            stage=stage,
            include_removed=include_removed,
        )
    apps = await app_summaries(
        organization_id=organization_id,
        now=now,
        connection_id=connection_id,
        active_days=active_days,
        status=status,
        stage=stage,
        include_removed=include_removed,
        name=name,
    )
    return len(apps)


def _after_key(summaries: list[AppSummary], after: tuple[str, int]) -> list[AppSummary]:
    """The summaries after a cursor, by position in the database's own order."""
    keys = [(s.name, s.id) for s in summaries]
    if tuple(after) in keys:
        return summaries[keys.index(tuple(after)) + 1 :]
    return [s for s in summaries if (s.name, s.id) > tuple(after)]


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
) -> Page[AppSummary]:
    """A keyset page of app summaries by (name, id), with the total, for cursor connections."""
    first = max(0, min(first, MAX_PAGE))
    scope = {
        "organization_id": organization_id,
        "connection_id": connection_id,
        "stage": stage,
        "include_removed": include_removed,
    }
    if status is None:
        total = await store.count_apps(**scope)
        facts = await store.app_facts(
            window=rules.window(now=now, days=active_days), after=after, limit=first + 1, **scope
        )
        rows = [summarise(f, now=now, active_days=active_days) for f in facts]
    else:
        rows = await app_summaries(now=now, active_days=active_days, status=status, **scope)
        total = len(rows)
        rows = _after_key(rows, after) if after else rows
    return Page(
        items=rows[:first],
        keys=[(s.name, s.id) for s in rows[:first]],
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
    found = await names.app_ids_named(organization_id=organization_id, search=name,
                                      connection_id=connection_id, exact_first=True)  # fmt: skip
    if not found:
        return []
    return await app_summaries(organization_id=organization_id, now=now, app_ids=found,
                               connection_id=connection_id, active_days=active_days)  # fmt: skip
