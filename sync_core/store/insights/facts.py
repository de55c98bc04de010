"""Insight aggregates as SQL: per-app figures for whole tenants in a fixed number of queries.

Every read groups in the database (one statement per figure family, never one per app), is
scoped to an organization through `connection.organization_id`, and returns frozen records.
Inventory tables refer to each other by Entra ids, so the joins are on
(connection_id, app_id) for usage and (connection_id, entra_id) for access and grants.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sync_core.app_facts import AppFacts, Window
from sync_core.records import AppStage
from sync_core.store.insights.sql import (
    NOT_ASSIGNED,
    as_bool,
    as_date,
    as_datetime,
    as_datetime_required,
    as_uuid,
    db_uuid,
    fetch,
    marks,
    scoped,
)

APP_COLUMNS = """
SELECT a.id, a.connection_id, c.tenant_id, a.entra_id, a.app_id, a.display_name,
       a.publisher_name, a.verified_publisher, a.owner_tenant_id, a.account_enabled, a.stage,
       a.category_override, a.seat_cost_amount, a.seat_cost_currency, a.first_seen_at,
       a.removed_at, i.status, i.status_changed_at, i.shadow_detected_at"""
APP_SCOPE = """
FROM application a
JOIN connection c ON c.id = a.connection_id
LEFT JOIN app_insight i ON i.application_id = a.id
WHERE c.organization_id = ? AND COALESCE(a.principal_type, '') <> 'ManagedIdentity'"""

# Users reach an app by direct assignment, through an assigned group (an assignment to a group
# joined to its members, as the `group_access` view does, source 'group_assignment'), or by
# consenting themselves. Each principal's rows of an app are folded into flags first, then
# the flags summed: one grouping instead of seven COUNT(DISTINCT) sorts over every access row.
# A member who left the directory reaches nothing through a group (the view's rule), checked on
# the user row joined anyway rather than by the view's own lookup per member.
ACCESS = """
SELECT connection_id, entra_id, SUM(assigned_user) AS assigned_users,
  SUM(assigned_group) AS assigned_groups, SUM(group_member) AS group_members,
  SUM(consented) AS consented_users, SUM(with_access) AS users_with_access,
  SUM(gone) AS users_gone, SUM(access_user) AS access_users
FROM (
  SELECT x.connection_id, x.app_entra_id AS entra_id, x.principal_entra_id,
    MAX(CASE WHEN x.source IN ('assignment', 'group_assignment')
        AND x.principal_type = 'User' AND u.removed_at IS NULL THEN 1 ELSE 0 END)
      AS assigned_user,
    MAX(CASE WHEN x.source = 'assignment' AND x.principal_type = 'Group' THEN 1 ELSE 0 END)
      AS assigned_group,
    MAX(CASE WHEN x.source = 'group_assignment' THEN 1 ELSE 0 END) AS group_member,
    MAX(CASE WHEN x.source = 'consent' AND u.removed_at IS NULL THEN 1 ELSE 0 END) AS consented,
    MAX(CASE WHEN x.principal_type = 'User' AND x.source <> 'sign_in' THEN 1 ELSE 0 END)
      AS with_access,
    MAX(CASE WHEN x.principal_type = 'User' AND x.source <> 'sign_in'
        AND (u.removed_at IS NOT NULL OR u.account_enabled = FALSE) THEN 1 ELSE 0 END) AS gone,
    MAX(CASE WHEN x.principal_type = 'User'
        AND x.source IN ('assignment', 'group_assignment', 'consent')
        AND u.id IS NOT NULL AND u.removed_at IS NULL THEN 1 ELSE 0 END) AS access_user
  FROM (
    SELECT connection_id, app_entra_id, principal_entra_id, principal_type, source
    FROM app_access WHERE removed_at IS NULL
    UNION ALL
    SELECT g.connection_id, g.app_entra_id, m.member_entra_id, 'User', 'group_assignment'
    FROM app_access g
    JOIN group_member m ON m.connection_id = g.connection_id
      AND m.group_entra_id = g.principal_entra_id
    WHERE g.source = 'assignment' AND g.principal_type = 'Group' AND g.removed_at IS NULL
      AND m.removed_at IS NULL
  ) x
  LEFT JOIN directory_user u
    ON u.connection_id = x.connection_id AND u.entra_id = x.principal_entra_id
  WHERE x.connection_id IN ({connections}) {apps}
    AND (x.source <> 'group_assignment' OR u.removed_at IS NULL)
  GROUP BY x.connection_id, x.app_entra_id, x.principal_entra_id
) p
GROUP BY connection_id, entra_id"""

ADMIN_CONSENTS = """
SELECT DISTINCT g.connection_id, g.client_entra_id AS entra_id
FROM permission_grant g
WHERE g.consent_type = 'AllPrincipals' AND g.removed_at IS NULL
  AND g.connection_id IN ({connections}) {apps}"""

USAGE = """
SELECT d.connection_id, d.app_id,
  MAX(CASE WHEN d.successes > 0 THEN d.day END) AS last_used_on,
  COUNT(DISTINCT CASE WHEN d.day >= ? AND d.successes > 0 THEN d.user_entra_id END)
    AS active_users,
  SUM(CASE WHEN d.day >= ? THEN d.successes ELSE 0 END) AS window_successes,
  SUM(CASE WHEN d.day >= ? THEN d.failures ELSE 0 END) AS window_failures
FROM usage_daily d
WHERE d.day <= ? AND d.connection_id IN ({connections}) {apps}
GROUP BY d.connection_id, d.app_id"""

# Users still in the directory who signed in without a direct or group assignment.
UNASSIGNED = """
SELECT d.connection_id, d.app_id, COUNT(DISTINCT d.user_entra_id) AS unassigned_users
FROM usage_daily d
JOIN application a
  ON a.connection_id = d.connection_id AND a.app_id = d.app_id AND a.removed_at IS NULL
LEFT JOIN directory_user u
  ON u.connection_id = d.connection_id AND u.entra_id = d.user_entra_id
WHERE d.day >= ? AND d.day <= ? AND d.successes > 0 AND u.removed_at IS NULL
  AND d.connection_id IN ({connections}) {apps}{not_assigned}
GROUP BY d.connection_id, d.app_id""".replace("{not_assigned}", NOT_ASSIGNED)

LAST_USE = """
SELECT e.connection_id, e.app_id, MAX(e.occurred_at) AS last_used_at
FROM sign_in_event e
WHERE e.error_code = 0 AND e.user_entra_id IS NOT NULL
  AND e.occurred_at >= ? AND e.occurred_at < ?
  AND e.connection_id IN ({connections}) {apps}
GROUP BY e.connection_id, e.app_id"""


def app_row(row: dict[str, Any], **figures: Any) -> AppFacts:
    """An app's own columns (and its remembered verdict) as facts, with the figures given."""
    amount = row["seat_cost_amount"]
    return AppFacts(
        id=int(row["id"]),
        connection_id=as_uuid(row["connection_id"]),
        tenant_id=row["tenant_id"],
        entra_id=row["entra_id"],
        app_id=row["app_id"],
        display_name=row["display_name"],
        publisher_name=row["publisher_name"],
        verified_publisher=row["verified_publisher"],
        owner_tenant_id=row["owner_tenant_id"],
        account_enabled=as_bool(row["account_enabled"]),
        stage=AppStage(row["stage"]) if row["stage"] else None,
        category_override=row["category_override"],
        seat_cost_amount=None if amount is None else Decimal(str(amount)),
        seat_cost_currency=row["seat_cost_currency"],
        first_seen_at=as_datetime_required(row["first_seen_at"]),
        removed_at=as_datetime(row["removed_at"]),
        status=row["status"],
        status_changed_at=as_datetime(row["status_changed_at"]),
        shadow_detected_at=as_datetime(row["shadow_detected_at"]),
        **figures,
    )


def _app_filter(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID | None,
    app_ids: Sequence[int] | None,
    stage: AppStage | None,
    include_removed: bool,
) -> tuple[str, list[Any]]:
    sql, params = APP_SCOPE, [db_uuid(organization_id)]
    if connection_id is not None:
        sql, params = sql + " AND a.connection_id = ?", [*params, db_uuid(connection_id)]
    if app_ids is not None:
        sql, params = sql + f" AND a.id IN ({marks(app_ids) or 'NULL'})", [*params, *app_ids]
    if stage is not None:
        sql, params = sql + " AND a.stage = ?", [*params, stage.value]
    if not include_removed:
        sql += " AND a.removed_at IS NULL"
    return sql, params


async def count_apps(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID | None = None,
    stage: AppStage | None = None,
    include_removed: bool = False,
) -> int:
    """How many apps `app_facts` lists without a limit."""
    scope, params = _app_filter(
        organization_id=organization_id,
        connection_id=connection_id,
        app_ids=None,
        stage=stage,
        include_removed=include_removed,
    )
    return int((await fetch("SELECT COUNT(*) AS n " + scope, params))[0]["n"])


async def _grouped(
    template: str,
    apps: list[AppFacts],
    *,
    attr: str,
    column: str,
    some: bool,
    leading: Sequence[object] = (),
) -> dict[tuple[str, str], dict[str, Any]]:
    sql, params = scoped(template, apps, attr=attr, column=column, some=some)
    rows = await fetch(sql, [*leading, *params])
    return {(str(as_uuid(row["connection_id"])), row[attr]): row for row in rows}


async def app_facts(
    *,
    organization_id: uuid.UUID,
    window: Window,
    connection_id: uuid.UUID | None = None,
    app_ids: Sequence[int] | None = None,
    stage: AppStage | None = None,
    include_removed: bool = False,
    after: tuple[str, int] | None = None,
    limit: int | None = None,
    offset: int = 0,
    count_unassigned: bool = True,
) -> list[AppFacts]:
    """Apps of the organization (managed identities left out) with their figures, computed
    from the inventory (what derive stores; reads use the stored figures). Without
    `count_unassigned`, `unassigned_users` is left at 0 for the caller to fill.

    Ordered by (display name, id); `after` is a keyset cursor on that order.
    """
    scope, params = _app_filter(
        organization_id=organization_id,
        connection_id=connection_id,
        app_ids=app_ids,
        stage=stage,
        include_removed=include_removed,
    )
    if after is not None:
        scope += " AND (a.display_name > ? OR (a.display_name = ? AND a.id > ?))"
        params += [after[0], after[0], after[1]]
    sql = APP_COLUMNS + scope + " ORDER BY a.display_name, a.id"
    if limit is not None:
        sql, params = sql + " LIMIT ? OFFSET ?", [*params, limit, offset]
    apps = [app_row(row) for row in await fetch(sql, params)]
    if not apps:
        return []
    some = any(f is not None for f in (app_ids, stage, after, limit))
    by_entra = functools.partial(_grouped, apps=apps, attr="entra_id", some=some)
    by_app = functools.partial(_grouped, apps=apps, attr="app_id", some=some)
    access = await by_entra(ACCESS, column="x.app_entra_id")
    admin = await by_entra(ADMIN_CONSENTS, column="g.client_entra_id")
    window_params = [window.start, window.start, window.start, window.end]
    usage = await by_app(USAGE, column="d.app_id", leading=window_params)
    unassigned = {}
    if count_unassigned:
        unassigned = await by_app(UNASSIGNED, column="d.app_id", leading=[window.start, window.end])
    figures = [_with_figures(app, access, admin, usage, unassigned) for app in apps]
    return await _with_first_day_times(figures, window)


async def _with_first_day_times(apps: list[AppFacts], window: Window) -> list[AppFacts]:
    """Apps last used on the window's first day, with the exact time of that last use."""
    edge = [app for app in apps if app.last_used_on == window.start]
    if not edge:
        return apps
    day = dt.datetime.combine(window.start, dt.time(), tzinfo=dt.UTC)
    found = await _grouped(
        LAST_USE,
        edge,
        attr="app_id",
        column="e.app_id",
        some=True,
        leading=[day, day + dt.timedelta(1)],
    )
    return [
        replace(app, last_used_at=as_datetime(found[key]["last_used_at"]))
        if app.last_used_on == window.start
        and (key := (str(app.connection_id), app.app_id)) in found
        else app
        for app in apps
    ]


def _with_figures(app: AppFacts, access: dict, admin: dict, usage: dict, unassigned: dict):
    by_entra = (str(app.connection_id), app.entra_id)
    by_app_id = (str(app.connection_id), app.app_id)
    counts = access.get(by_entra, {})
    used = usage.get(by_app_id, {})
    return replace(
        app,
        assigned_users=int(counts.get("assigned_users") or 0),
        assigned_groups=int(counts.get("assigned_groups") or 0),
        group_members=int(counts.get("group_members") or 0),
        consented_users=int(counts.get("consented_users") or 0),
        users_with_access=int(counts.get("users_with_access") or 0),
        users_gone=int(counts.get("users_gone") or 0),
        access_users=int(counts.get("access_users") or 0),
        admin_consented=by_entra in admin,
        last_used_on=as_date(used.get("last_used_on")),
        active_users=int(used.get("active_users") or 0),
        window_successes=int(used.get("window_successes") or 0),
        window_failures=int(used.get("window_failures") or 0),
        unassigned_users=int(unassigned.get(by_app_id, {}).get("unassigned_users") or 0),
    )
