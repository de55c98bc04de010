"""Writing a tenant's derived figures: derive replaces its apps' figures slice by slice, each
slice in one transaction, then the tenant's department figures and overlaps in one more.

Readers see each app's figures whole (the previous derive's or this one's); while a derive
runs, apps of different slices may come from derives a few seconds apart. Rows go in with one
multi-row statement per batch, not through ORM objects.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from sync_core.app_facts import AppFacts
from sync_core.store.insights.app_figures import COUNTS, FIGURE_COUNTS, Figures
from sync_core.store.insights.sql import db_uuid

TABLES = ("app_figures", "app_department_seats", "department_figures", "overlap_figures")
BATCH = 500  # rows per INSERT: 500 x 35 columns stays under both backends' parameter caps
APP_COLUMNS = (
    "organization_id",
    "connection_id",
    "application_id",
    "sort_name",
    "computed_at",
    "active_days",
    "inactive_days",
    *COUNTS,
    "admin_consented",
    "last_used_on",
    "last_used_at",
    *FIGURE_COUNTS,
    "catalog_category",
    "shadow",
    "problem_count",
    "problems",
    "evidence",
)
DEPARTMENT_SEAT_COLUMNS = (
    "organization_id",
    "connection_id",
    "application_id",
    "department",
    "seats",
    "inactive_seats",
)
DEPARTMENT_COLUMNS = (
    "organization_id",
    "connection_id",
    "department",
    "users",
    "active_users",
    "apps_used",
    "computed_at",
)
OVERLAP_COLUMNS = (
    "organization_id",
    "connection_id",
    "category",
    "app_ids",
    "users_in_several",
    "users_total",
    "computed_at",
)


@dataclass(frozen=True, slots=True)
class DepartmentSeats:
    app: int
    department: str | None
    seats: int
    inactive_seats: int


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    department: str | None
    users: int
    active_users: int
    apps_used: int


@dataclass(frozen=True, slots=True)
class OverlapRow:
    category: str
    app_ids: tuple[int, ...]
    users_in_several: int
    users_total: int


@dataclass(frozen=True, slots=True)
class TenantFigures:
    """Everything derive stores for one tenant."""

    computed_at: dt.datetime
    apps: Sequence[tuple[AppFacts, Figures]]
    department_seats: Sequence[DepartmentSeats]
    departments: Sequence[DepartmentRow]
    overlaps: Sequence[OverlapRow]


def _app_values(app: AppFacts, figures: Figures) -> list[Any]:
    return [
        app.id,
        figures.sort_name,
        figures.computed_at,
        figures.active_days,
        figures.inactive_days,
        *(getattr(app, name) for name in COUNTS),
        app.admin_consented,
        app.last_used_on,
        app.last_used_at,
        *(getattr(figures, name) for name in FIGURE_COUNTS),
        figures.catalog_category,
        figures.shadow,
        len(figures.problems),
        json.dumps(list(figures.problems)),
        json.dumps(figures.evidence),
    ]


def _rows(tenant: TenantFigures) -> dict[str, list[list[Any]]]:
    at = tenant.computed_at
    return {
        "app_figures": [_app_values(app, figures) for app, figures in tenant.apps],
        "app_department_seats": [
            [s.app, s.department, s.seats, s.inactive_seats] for s in tenant.department_seats
        ],
        "department_figures": [
            [d.department, d.users, d.active_users, d.apps_used, at] for d in tenant.departments
        ],
        "overlap_figures": [
            [o.category, json.dumps(list(o.app_ids)), o.users_in_several, o.users_total, at]
            for o in tenant.overlaps
        ],
    }


COLUMNS_OF = {
    "app_figures": APP_COLUMNS,
    "app_department_seats": DEPARTMENT_SEAT_COLUMNS,
    "department_figures": DEPARTMENT_COLUMNS,
    "overlap_figures": OVERLAP_COLUMNS,
}


def _insert(table: str, rows: int, *, postgres: bool) -> str:
    width = len(COLUMNS_OF[table])
    numbers = iter(range(1, rows * width + 1))
    mark = (lambda: f"${next(numbers)}") if postgres else (lambda: "?")
    values = ", ".join("(" + ", ".join(mark() for _ in range(width)) + ")" for _ in range(rows))
    columns = ", ".join(COLUMNS_OF[table])
    return f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 - constant names


async def replace_figures(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    tenant: TenantFigures,
    only: Sequence[str] = TABLES,
) -> None:
    """Replace a tenant's stored figures (the tables in `only`) in one transaction."""
    await _replace(organization_id, connection_id, tenant, only=only, app_ids=None)


async def replace_apps(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    tenant: TenantFigures,
    app_ids: Sequence[int],
) -> None:
    """Replace the figures and department seats of some apps of a tenant (`app_ids`, those
    without figures in `tenant` left with none) in one transaction."""
    tables = ("app_figures", "app_department_seats")
    await _replace(organization_id, connection_id, tenant, only=tables, app_ids=app_ids)


# Figures of apps derive no longer covers (managed identities, deleted rows): derive writes
# apps slice by slice, so nothing else removes them.
UNCOVERED = """
DELETE FROM {table} WHERE connection_id = {first} AND application_id NOT IN (
  SELECT a.id FROM application a
  WHERE a.connection_id = {second} AND COALESCE(a.principal_type, '') <> 'ManagedIdentity')"""


async def drop_uncovered(*, connection_id: uuid.UUID) -> None:
    """Delete stored figures of apps that are no longer the tenant's apps derive covers."""
    async with in_transaction() as conn:
        marks = ("$1", "$2") if conn.capabilities.dialect == "postgres" else ("?", "?")
        for table in ("app_figures", "app_department_seats"):
            sql = UNCOVERED.format(table=table, first=marks[0], second=marks[1])
            await conn.execute_query(sql, [db_uuid(connection_id)] * 2)


async def _replace(
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    tenant: TenantFigures,
    *,
    only: Sequence[str],
    app_ids: Sequence[int] | None,
) -> None:
    scope = [db_uuid(organization_id), db_uuid(connection_id)]
    rows = _rows(tenant)
    async with in_transaction() as conn:
        postgres = conn.capabilities.dialect == "postgres"
        numbers = iter(range(1, 2 + len(app_ids or ())))
        mark = (lambda: f"${next(numbers)}") if postgres else (lambda: "?")
        where = f"connection_id = {mark()}"
        if app_ids is not None:
            where += f" AND application_id IN ({', '.join(mark() for _ in app_ids) or 'NULL'})"
        for table in only:
            delete = f"DELETE FROM {table} WHERE {where}"  # noqa: S608 - constant names
            await conn.execute_query(delete, [scope[1], *(app_ids or ())])
            for start in range(0, len(rows[table]), BATCH):
                batch = rows[table][start : start + BATCH]
                values = [v for row in batch for v in (*scope, *row)]
                await conn.execute_query(_insert(table, len(batch), postgres=postgres), values)
