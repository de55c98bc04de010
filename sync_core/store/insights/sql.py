"""Raw SQL for the insight aggregates, alike on SQLite and PostgreSQL.

Statements are written with `?` placeholders; values are bound as Tortoise binds them, and
read back into Python types whichever driver answered.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sync_core.store import models

# Tables derive reads; statistics of tables this large are close enough for plan choice.
ANALYZED_TABLES = (
    "application",
    "directory_user",
    "app_access",
    "group_member",
    "permission_grant",
    "usage_daily",
    "sign_in_event",
    "app_insight",
)
TRUSTED_ROWS = 1_000_000
# Up to this many apps an aggregate names them in an IN list; beyond, it groups whole tenants
# and drops the rows nobody asked for (both backends cap bound parameters near 32k).
LISTED_APPS = 5_000
# Neither assigned directly nor through a group (`d`: a usage row, `a`: its application; the
# statement keeps only users still in the directory, so the `group_access` view's own check
# that a member has not left is left out). Groups are reached from the user's memberships (a
# few) to the app's assignment of each, through the unique indexes (CROSS JOIN keeps that order
# on SQLite; PostgreSQL plans it as any join): through the view, SQLite
# walked every access row of the app for each usage row, and PostgreSQL hashed the whole
# tenant's group access, checking each member's directory row on the way.
NOT_ASSIGNED = """
  AND NOT EXISTS (
    SELECT 1 FROM app_access x
    WHERE x.connection_id = d.connection_id AND x.app_entra_id = a.entra_id
      AND x.principal_entra_id = d.user_entra_id AND x.source = 'assignment'
      AND x.removed_at IS NULL)
  AND NOT EXISTS (
    SELECT 1 FROM group_member m CROSS JOIN app_access g
    WHERE m.connection_id = d.connection_id AND m.member_entra_id = d.user_entra_id
      AND m.removed_at IS NULL AND g.connection_id = m.connection_id
      AND g.app_entra_id = a.entra_id AND g.principal_entra_id = m.group_entra_id
      AND g.source = 'assignment' AND g.principal_type = 'Group' AND g.removed_at IS NULL)"""
BELIEVED_ROWS = "SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)"
# Counting stops at the limit: enough to tell "far more than the planner believes".
COUNT_ROWS = "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {} WHERE connection_id = $1 LIMIT $2) s"


def _db_value(model: type[models.Model], field: str, value: object) -> object:
    return model._meta.fields_map[field].to_db_value(value, model)


def db_uuid(value: uuid.UUID) -> object:
    """A UUID as Tortoise binds it on the active backend (text on SQLite)."""
    return _db_value(models.Connection, "id", value)


def marks(values: Sequence[object]) -> str:
    """Placeholders for an IN list."""
    return ", ".join("?" for _ in values)


async def fetch(sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    """Run a read written with `?` placeholders on the active backend."""
    db = models.Application._meta.db
    if db.capabilities.dialect == "postgres":
        parts = sql.split("?")
        sql = "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]
    return await db.execute_query_dict(sql, list(params))


# SQLite hands raw results back as text; PostgreSQL as typed values.
def as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_datetime(value: object) -> dt.datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


# The same for NOT NULL columns (and aggregates over them): NULL there is a broken query.
def as_date_required(value: object) -> dt.date:
    day = as_date(value)
    if day is None:
        raise ValueError("NULL read where a date was required")
    return day


def as_datetime_required(value: object) -> dt.datetime:
    moment = as_datetime(value)
    if moment is None:
        raise ValueError("NULL read where a datetime was required")
    return moment


def as_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def as_decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def per_app(
    template: str,
    apps: Sequence[Any],
    *,
    attr: str,
    column: str,
    params: Sequence = (),
    after: Sequence = (),
) -> list[tuple[Any, dict[str, Any]]]:
    """Rows of an aggregate over the given apps, each with its app."""
    if not apps:
        return []
    sql, scope = scoped(template, list(apps), attr=attr, column=column, some=True)
    rows = await fetch(sql, [*params, *scope, *after])
    index = {(str(app.connection_id), getattr(app, attr)): app for app in apps}
    found = ((index.get((str(as_uuid(r["connection_id"])), r[attr])), r) for r in rows)
    return [(app, row) for app, row in found if app is not None]


def scoped(
    template: str, apps: Sequence[Any], *, attr: str, column: str, some: bool
) -> tuple[str, list]:
    """Limit an aggregate to the apps' connections, and to the apps themselves when `some`.

    `some` says the apps are a selection (a page, a batch) rather than whole tenants.
    """
    connections = sorted({app.connection_id for app in apps}, key=str)
    params = [db_uuid(c) for c in connections]
    apps_sql = ""
    if some and len(apps) <= LISTED_APPS:
        values = sorted({getattr(app, attr) for app in apps})
        apps_sql, params = f"AND {column} IN ({marks(values)})", [*params, *values]
    return template.format(connections=marks(connections), apps=apps_sql), params


async def refresh_statistics(*, connection_id: uuid.UUID) -> list[str]:
    """On PostgreSQL, analyze inventory tables whose planner statistics this tenant outgrew.

    A first sync loads a whole tenant and derive runs right after it, before autovacuum's
    analyze: with statistics that say "nearly empty", PostgreSQL picks nested loops that turn
    seconds into minutes. Returns the tables analyzed.
    """
    db = models.Application._meta.db
    if db.capabilities.dialect != "postgres":
        return []
    stale = []
    for table in ANALYZED_TABLES:
        rows = await db.execute_query_dict(BELIEVED_ROWS, [table])
        believed = float(rows[0]["reltuples"]) if rows else -1.0
        if believed >= TRUSTED_ROWS:
            continue
        limit = int(2 * max(believed, 0) + 10_000)
        found = await db.execute_query_dict(COUNT_ROWS.format(table), [connection_id, limit])
        if believed < 0 or found[0]["n"] >= limit:
            stale.append(table)
    for table in stale:
        await db.execute_script(f"ANALYZE {table}")
    return stale
