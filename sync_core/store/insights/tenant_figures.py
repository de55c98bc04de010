"""Stored tenant-level figures: departments, department seats with their live costs, overlaps.

Every read is one statement scoped by `organization_id`. Seat costs are read from the
application rows at read time, so a cost people set shows in cost and waste at once.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sync_core.store.insights.sql import (
    as_datetime_required,
    as_decimal,
    as_uuid,
    db_uuid,
    fetch,
)

DEPARTMENTS = """
SELECT d.connection_id, d.department, d.users, d.active_users, d.apps_used, d.computed_at
FROM department_figures d WHERE d.organization_id = ? {connection}"""
# Seats and inactive seats per tenant, department and currency of the seat cost (none: NULL).
DEPARTMENT_SEATS = """
SELECT s.connection_id, s.department, a.seat_cost_currency AS currency,
  SUM(s.seats) AS seats, SUM(s.inactive_seats) AS inactive_seats,
  SUM(s.seats * a.seat_cost_amount) AS cost, SUM(s.inactive_seats * a.seat_cost_amount) AS waste
FROM app_department_seats s JOIN application a ON a.id = s.application_id
WHERE s.organization_id = ? AND a.removed_at IS NULL {connection}
GROUP BY s.connection_id, s.department, a.seat_cost_currency"""
APP_DEPARTMENTS = """
SELECT s.department, s.seats FROM app_department_seats s
WHERE s.organization_id = ? AND s.application_id = ?"""
OVERLAPS = """
SELECT o.connection_id, o.category, o.app_ids, o.users_in_several, o.users_total, o.computed_at
FROM overlap_figures o WHERE o.organization_id = ? {connection}
ORDER BY o.connection_id, o.category"""


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    """One department of one tenant: people (at the last derive) and seats (costed live)."""

    connection_id: uuid.UUID
    department: str | None
    users: int = 0
    active_users: int = 0
    apps_used: int = 0
    seats: int = 0
    inactive_seats: int = 0
    cost: tuple[tuple[str, Decimal], ...] = ()  # (currency, amount)
    waste: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True, slots=True)
class StoredOverlap:
    connection_id: uuid.UUID
    category: str
    app_ids: tuple[int, ...]
    users_in_several: int
    users_total: int
    computed_at: dt.datetime


def _connection(sql: str, alias: str, connection_id: uuid.UUID | None) -> tuple[str, list]:
    if connection_id is None:
        return sql.format(connection=""), []
    return sql.format(connection=f"AND {alias}.connection_id = ?"), [db_uuid(connection_id)]


def _key(row: dict) -> tuple[str, str | None]:
    return str(as_uuid(row["connection_id"])), row["department"]


def _empty() -> dict:
    return {
        "users": 0,
        "active_users": 0,
        "apps_used": 0,
        "seats": 0,
        "inactive_seats": 0,
        "cost": {},
        "waste": {},
    }


async def departments(
    *, organization_id: uuid.UUID, connection_id: uuid.UUID | None = None
) -> list[DepartmentFigures]:
    """Per tenant and department: users, active users, apps used, seats, cost and waste."""
    org = db_uuid(organization_id)
    sql, extra = _connection(DEPARTMENTS, "d", connection_id)
    found: dict[tuple[str, str | None], dict] = {}
    for row in await fetch(sql, [org, *extra]):
        entry = found.setdefault(_key(row), _empty())
        for name in ("users", "active_users", "apps_used"):
            entry[name] = int(row[name])
    sql, extra = _connection(DEPARTMENT_SEATS, "s", connection_id)
    for row in await fetch(sql, [org, *extra]):
        entry = found.setdefault(_key(row), _empty())
        entry["seats"] += int(row["seats"] or 0)
        entry["inactive_seats"] += int(row["inactive_seats"] or 0)
        if row["currency"] and row["cost"] is not None:
            entry["cost"][row["currency"]] = as_decimal(row["cost"])
            if int(row["inactive_seats"] or 0):  # as summed seat by seat: idle seats only
                entry["waste"][row["currency"]] = as_decimal(row["waste"])
    return [
        DepartmentFigures(
            connection_id=uuid.UUID(key[0]),
            department=key[1],
            users=e["users"],
            active_users=e["active_users"],
            apps_used=e["apps_used"],
            seats=e["seats"],
            inactive_seats=e["inactive_seats"],
            cost=tuple(sorted(e["cost"].items())),
            waste=tuple(sorted(e["waste"].items())),
        )
        for key, e in found.items()
    ]


async def app_departments(
    *, organization_id: uuid.UUID, app_id: int
) -> list[tuple[str | None, int]]:
    """Seats of one app per department, as the last derive counted them."""
    rows = await fetch(APP_DEPARTMENTS, [db_uuid(organization_id), app_id])
    return [(row["department"], int(row["seats"])) for row in rows]


async def overlaps(
    *, organization_id: uuid.UUID, connection_id: uuid.UUID | None = None
) -> list[StoredOverlap]:
    """Overlapping categories per tenant, as the last derive found them."""
    sql, extra = _connection(OVERLAPS, "o", connection_id)
    result = []
    for row in await fetch(sql, [db_uuid(organization_id), *extra]):
        ids = row["app_ids"]
        ids = json.loads(ids) if isinstance(ids, str | bytes) else ids
        result.append(
            StoredOverlap(
                connection_id=as_uuid(row["connection_id"]),
                category=row["category"],
                app_ids=tuple(int(i) for i in ids),
                users_in_several=int(row["users_in_several"]),
                users_total=int(row["users_total"]),
                computed_at=as_datetime_required(row["computed_at"]),
            )
        )
    return result
