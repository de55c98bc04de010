"""Usage aggregates behind the insights: seats, departments, daily counts, evidence samples."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sync_core.app_facts import AppFacts, Window
from sync_core.store import models
from sync_core.store.insights.sql import (
    as_bool,
    as_date,
    as_date_required,
    as_datetime,
    as_decimal,
    as_uuid,
    db_uuid,
    fetch,
    marks,
    per_app,
)


@dataclass(frozen=True, slots=True)
class DailyCount:
    """Sign-ins on one day."""

    day: dt.date
    successes: int
    failures: int


@dataclass(frozen=True, slots=True)
class Seat:
    """A user directly assigned to an app, with their last successful use of it."""

    app: int
    connection_id: uuid.UUID
    user_entra_id: str
    user_name: str | None
    department: str | None
    account_enabled: bool | None
    granted_at: dt.datetime | None
    last_used_on: dt.date | None
    seat_cost_amount: Decimal | None = None
    seat_cost_currency: str | None = None


@dataclass(frozen=True, slots=True)
class DepartmentActivity:
    connection_id: uuid.UUID
    department: str | None
    users: int
    active_users: int = 0
    apps_used: int = 0


# One seat per user and app, whether assigned directly or through a group. A seat's start is
# its assignment's creation; for a group member it is the group's assignment, unless we saw the
# member join later (membership has no date of its own in Graph): `group_access.starts_at`.
SEATS = """
SELECT s.app, s.connection_id, s.user_entra_id,
  COALESCE(u.display_name, u.user_principal_name) AS user_name, u.department,
  u.account_enabled, s.granted_at, s.seat_cost_amount, s.seat_cost_currency,
  (SELECT MAX(d.day) FROM usage_daily d
   WHERE d.connection_id = s.connection_id AND d.app_id = s.app_id
     AND d.user_entra_id = s.user_entra_id AND d.successes > 0 AND d.day <= ?)
  AS last_used_on
FROM (
  SELECT a.id AS app, a.app_id, a.seat_cost_amount, a.seat_cost_currency, x.connection_id,
    x.principal_entra_id AS user_entra_id, MIN(x.starts_at) AS granted_at
  FROM (
    SELECT connection_id, app_entra_id, principal_entra_id, granted_at AS starts_at
    FROM app_access
    WHERE source = 'assignment' AND principal_type = 'User' AND removed_at IS NULL
    UNION ALL
    SELECT connection_id, app_entra_id, principal_entra_id, starts_at FROM group_access
  ) x
  JOIN application a ON a.connection_id = x.connection_id AND a.entra_id = x.app_entra_id
  JOIN connection c ON c.id = x.connection_id
  WHERE c.organization_id = ? AND a.removed_at IS NULL {filters}
  GROUP BY a.id, a.app_id, a.seat_cost_amount, a.seat_cost_currency, x.connection_id,
    x.principal_entra_id
) s
LEFT JOIN directory_user u ON u.connection_id = s.connection_id AND u.entra_id = s.user_entra_id
WHERE u.removed_at IS NULL
ORDER BY s.app, user_name, s.user_entra_id"""

DEPARTMENT_USERS = """
SELECT u.connection_id, u.department, COUNT(*) AS users
FROM directory_user u JOIN connection c ON c.id = u.connection_id
WHERE c.organization_id = ? AND u.removed_at IS NULL {connection}
GROUP BY u.connection_id, u.department"""

# Distinct (user, app) pairs first, then their users; apps are matched through a row-value
# IN, because a join lets SQLite scan every app of the tenant for each rollup row.
DEPARTMENT_ACTIVE = """
SELECT u.connection_id, u.department, COUNT(DISTINCT u.id) AS active_users,
  COUNT(DISTINCT p.app_id) AS apps_used
FROM (
  SELECT DISTINCT d.connection_id, d.user_entra_id, d.app_id
  FROM usage_daily d
  WHERE d.connection_id IN (SELECT c.id FROM connection c WHERE c.organization_id = ?)
    AND d.day >= ? AND d.day <= ? AND d.successes > 0
    AND (d.connection_id, d.app_id) IN (
      SELECT a.connection_id, a.app_id FROM application a WHERE a.removed_at IS NULL)
    {connection}
) p
JOIN directory_user u ON u.connection_id = p.connection_id AND u.entra_id = p.user_entra_id
WHERE u.removed_at IS NULL
GROUP BY u.connection_id, u.department"""

DAILY = """
SELECT d.day, SUM(d.successes) AS successes, SUM(d.failures) AS failures
FROM usage_daily d JOIN connection c ON c.id = d.connection_id {joins}
WHERE c.organization_id = ? AND d.day >= ? AND d.day <= ? {connection}
GROUP BY d.day ORDER BY d.day"""

PAIRS = """
SELECT DISTINCT d.connection_id, d.app_id, d.user_entra_id FROM usage_daily d
WHERE d.day >= ? AND d.day <= ? AND d.successes > 0
  AND d.connection_id IN ({connections}) {apps}"""


def _connection(sql: str, alias: str, connection_id: uuid.UUID | None) -> tuple[str, list]:
    if connection_id is None:
        return sql.format(connection="", joins="{joins}"), []
    clause = f"AND {alias}.connection_id = ?"
    return sql.format(connection=clause, joins="{joins}"), [db_uuid(connection_id)]


async def seats(
    *,
    organization_id: uuid.UUID,
    until: dt.date,
    connection_id: uuid.UUID | None = None,
    app_ids: Sequence[int] | None = None,
) -> list[Seat]:
    """Users assigned (directly or by group) to live apps, while still in the directory."""
    filters, params = "", [until, db_uuid(organization_id)]
    if connection_id is not None:
        filters, params = " AND x.connection_id = ?", [*params, db_uuid(connection_id)]
    if app_ids is not None:
        filters += f" AND a.id IN ({marks(app_ids) or 'NULL'})"
        params += list(app_ids)
    return [
        Seat(
            app=int(r["app"]),
            connection_id=as_uuid(r["connection_id"]),
            user_entra_id=r["user_entra_id"],
            user_name=r["user_name"],
            department=r["department"],
            account_enabled=as_bool(r["account_enabled"]),
            granted_at=as_datetime(r["granted_at"]),
            last_used_on=as_date(r["last_used_on"]),
            seat_cost_amount=as_decimal(r["seat_cost_amount"]),
            seat_cost_currency=r["seat_cost_currency"],
        )
        for r in await fetch(SEATS.format(filters=filters), params)
    ]


async def department_activity(
    *, organization_id: uuid.UUID, window: Window, connection_id: uuid.UUID | None = None
) -> list[DepartmentActivity]:
    """Users, active users and apps used per department (and connection)."""
    sql, extra = _connection(DEPARTMENT_USERS, "u", connection_id)
    totals = await fetch(sql, [db_uuid(organization_id), *extra])
    sql, extra = _connection(DEPARTMENT_ACTIVE, "d", connection_id)
    active = {
        (str(as_uuid(r["connection_id"])), r["department"]): r
        for r in await fetch(sql, [db_uuid(organization_id), window.start, window.end, *extra])
    }
    result = []
    for row in totals:
        found = active.get((str(as_uuid(row["connection_id"])), row["department"]), {})
        result.append(
            DepartmentActivity(
                connection_id=as_uuid(row["connection_id"]),
                department=row["department"],
                users=int(row["users"]),
                active_users=int(found.get("active_users") or 0),
                apps_used=int(found.get("apps_used") or 0),
            )
        )
    return result


async def daily_counts(
    *,
    organization_id: uuid.UUID,
    window: Window,
    connection_id: uuid.UUID | None = None,
    app_id: int | None = None,
    user_id: int | None = None,
) -> list[DailyCount]:
    """Sign-ins per day from the rollup, for one app and/or one user when given."""
    sql, extra = _connection(DAILY, "d", connection_id)
    joins = ""
    params: list[object] = []
    if app_id is not None:
        joins += (
            " JOIN application a ON a.connection_id = d.connection_id"
            " AND a.app_id = d.app_id AND a.id = ?"
        )
        params.append(app_id)
    if user_id is not None:
        joins += (
            " JOIN directory_user u ON u.connection_id = d.connection_id"
            " AND u.entra_id = d.user_entra_id AND u.id = ?"
        )
        params.append(user_id)
    params += [db_uuid(organization_id), window.start, window.end, *extra]
    return [
        DailyCount(as_date_required(r["day"]), int(r["successes"] or 0), int(r["failures"] or 0))
        for r in await fetch(sql.format(joins=joins), params)
    ]


async def usage_pairs(*, apps: Sequence[AppFacts], window: Window) -> set[tuple[int, str]]:
    """(app, user) pairs with a successful sign-in within the window."""
    rows = await per_app(
        PAIRS, apps, attr="app_id", column="d.app_id", params=[window.start, window.end]
    )
    return {(app.id, row["user_entra_id"]) for app, row in rows}


async def prune_sign_ins(*, before: dt.datetime, connection_id: uuid.UUID | None = None) -> int:
    """Delete raw sign-in events older than `before`; the daily rollup keeps their counts."""
    query = models.SignInEvent.filter(occurred_at__lt=before)
    if connection_id is not None:
        query = query.filter(connection_id=connection_id)
    return await query.delete()


# Daily counts for many apps, or many users, in one grouped statement (for DataLoaders). The
# owners are materialized first: joined from `connection`, SQLite (without statistics) would
# start from the tenant's whole rollup.
DAILY_BY = {
    "app": """
WITH owners AS MATERIALIZED (
  SELECT a.id, a.connection_id, a.app_id AS key
  FROM application a JOIN connection c ON c.id = a.connection_id
  WHERE c.organization_id = ? AND a.id IN ({ids})
)
SELECT o.id AS owner, d.day, SUM(d.successes) AS successes, SUM(d.failures) AS failures
FROM owners o JOIN usage_daily d ON d.connection_id = o.connection_id AND d.app_id = o.key
WHERE d.day >= ? AND d.day <= ?
GROUP BY o.id, d.day ORDER BY o.id, d.day""",
    "user": """
WITH owners AS MATERIALIZED (
  SELECT u.id, u.connection_id, u.entra_id AS key
  FROM directory_user u JOIN connection c ON c.id = u.connection_id
  WHERE c.organization_id = ? AND u.id IN ({ids})
)
SELECT o.id AS owner, d.day, SUM(d.successes) AS successes, SUM(d.failures) AS failures
FROM owners o JOIN usage_daily d ON d.connection_id = o.connection_id AND d.user_entra_id = o.key
WHERE d.day >= ? AND d.day <= ?
GROUP BY o.id, d.day ORDER BY o.id, d.day""",
}


async def daily_counts_by(
    *, organization_id: uuid.UUID, window: Window, kind: str, ids: Sequence[int]
) -> dict[int, list[DailyCount]]:
    """Sign-ins per day of each app (kind "app") or user (kind "user"), by our ids."""
    result: dict[int, list[DailyCount]] = {i: [] for i in ids}
    if not result:
        return result
    sql = DAILY_BY[kind].format(ids=marks(list(result)))
    for r in await fetch(sql, [db_uuid(organization_id), *result, window.start, window.end]):
        result[int(r["owner"])].append(
            DailyCount(
                as_date_required(r["day"]), int(r["successes"] or 0), int(r["failures"] or 0)
            )
        )
    return result
