"""Stored per-app figures: indexed, keyset-paged reads of what derive computed after a sync.

Each read is one statement over `app_figures`, scoped by `organization_id` (the first column of
its list index), joined by primary key to the application's own row for what people or the sync
change between derives (name, stage, category, seat cost, removal). Lists are ordered by
(`sort_name`, application id), the index's order, so a page reads about as many rows as it
returns. Status is judged in SQL from the stored dates against the caller's `now`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sync_core.app_facts import AppFacts
from sync_core.store.insights.facts import app_row
from sync_core.store.insights.sql import (
    as_bool,
    as_date,
    as_datetime,
    as_datetime_required,
    db_uuid,
    fetch,
    marks,
)

COUNTS = (
    "assigned_users",
    "assigned_groups",
    "group_members",
    "consented_users",
    "users_with_access",
    "users_gone",
    "active_users",
    "window_successes",
    "window_failures",
    "unassigned_users",
    "access_users",
)
FIGURE_COUNTS = ("seats", "active_seats", "inactive_seats", "seats_in_grace")
COLUMNS = f"""
SELECT a.id, a.connection_id, c.tenant_id, a.entra_id, a.app_id, a.display_name,
       a.publisher_name, a.verified_publisher, a.owner_tenant_id, a.account_enabled, a.stage,
       a.category_override, a.seat_cost_amount, a.seat_cost_currency, a.first_seen_at,
       a.removed_at, i.status, i.status_changed_at, i.shadow_detected_at,
       f.sort_name, f.computed_at, f.active_days, f.inactive_days, f.admin_consented,
       f.last_used_on, f.last_used_at, f.catalog_category, f.shadow,
       {", ".join(f"f.{c}" for c in (*COUNTS, *FIGURE_COUNTS))}"""
DETAILS = ("problems", "evidence")  # JSON columns, read only when asked for
SCOPE = """
FROM app_figures f
JOIN application a ON a.id = f.application_id
JOIN connection c ON c.id = f.connection_id
LEFT JOIN app_insight i ON i.application_id = f.application_id
WHERE f.organization_id = ?"""
COUNT_SCOPE = """
FROM app_figures f JOIN application a ON a.id = f.application_id
WHERE f.organization_id = ?"""
ORDER = " ORDER BY f.sort_name, f.application_id"
# Other orders a read can ask for, so that a short list of the worst is a LIMIT in SQL:
# "consent" as verdicts.by_consent (most consenting, then most unassigned users), "waste" as
# verdicts.by_waste (most monthly waste at today's seat cost, then most idle seats).
ORDERS = {
    "name": ORDER,
    "consent": " ORDER BY f.consented_users DESC, f.unassigned_users DESC,"
    " f.sort_name, f.application_id",
    "waste": " ORDER BY COALESCE(a.seat_cost_amount, 0) * f.inactive_seats DESC,"
    " f.inactive_seats DESC, f.sort_name, f.application_id",
}
# Shadow IT as rules.shadow_reasons judges it: derive stores whether the app would be shadow IT
# unless approved; approval and removal are read live.
SHADOW = "(f.shadow = TRUE AND a.removed_at IS NULL AND (a.stage IS NULL OR a.stage <> 'approved'))"
# Status as rules.status judges it, from the last day of use and, on the window's first day,
# the exact time of that use (bound to: first day, first day, edge).
STATUS = {
    "in_use": "(f.last_used_on > ? OR (f.last_used_on = ? AND "
    "(f.last_used_at IS NULL OR f.last_used_at >= ?)))",
    "inactive": "(f.last_used_on < ? OR (f.last_used_on = ? AND f.last_used_at < ?))",
    "discovered": "(f.last_used_on IS NULL)",
}


@dataclass(frozen=True, slots=True)
class Figures:
    """What derive stored beside an app's facts: seats, verdict inputs and evidence."""

    computed_at: dt.datetime
    active_days: int
    inactive_days: int
    sort_name: str = ""
    seats: int = 0  # users assigned (directly or by group) and still in the directory
    active_seats: int = 0
    inactive_seats: int = 0
    seats_in_grace: int = 0
    catalog_category: str | None = None
    shadow: bool = False  # shadow IT unless people approve it
    problems: tuple[dict[str, Any], ...] = ()  # {kind, summary, evidence}, default thresholds
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredApp:
    """An app's facts (live columns plus stored figures) and the rest of its stored figures."""

    facts: AppFacts
    figures: Figures


@dataclass(frozen=True, slots=True)
class Bounds:
    """Where the status window starts for the caller's `now`."""

    start: dt.date  # the window's first day
    edge: dt.datetime  # on the first day, a use at or after this moment is inside


@dataclass(frozen=True, slots=True)
class Selection:
    """Which apps a read returns; every field narrows it (AND)."""

    connection_id: uuid.UUID | None = None
    app_ids: Sequence[int] | None = None
    stages: Sequence[str] = ()  # stage values: any of them
    statuses: Sequence[str] = ()  # "in_use", "inactive", "discovered": any of them
    bounds: Bounds | None = None  # needed with statuses
    shadow: bool | None = None
    category: str | None = None  # the effective category, ignoring case
    seated: bool = False  # only apps with seats
    idle: bool = False  # only apps with inactive seats
    with_problems: bool = False
    include_removed: bool = False


def _json(value: object, empty: Any) -> Any:
    if value is None:
        return empty
    return json.loads(value) if isinstance(value, str | bytes) else value


def _stored(row: dict[str, Any]) -> StoredApp:
    facts = app_row(
        row,
        admin_consented=bool(as_bool(row["admin_consented"])),
        last_used_on=as_date(row["last_used_on"]),
        last_used_at=as_datetime(row["last_used_at"]),
        **{name: int(row[name] or 0) for name in COUNTS},
    )
    figures = Figures(
        computed_at=as_datetime_required(row["computed_at"]),
        active_days=int(row["active_days"]),
        inactive_days=int(row["inactive_days"]),
        sort_name=row["sort_name"],
        catalog_category=row["catalog_category"],
        shadow=bool(as_bool(row["shadow"])),
        problems=tuple(_json(row.get("problems"), [])),
        evidence=_json(row.get("evidence"), {}),
        **{name: int(row[name] or 0) for name in FIGURE_COUNTS},
    )
    return StoredApp(facts, figures)


def _bound(status: str, bounds: Bounds) -> list[Any]:
    return [] if status == "discovered" else [bounds.start, bounds.start, bounds.edge]


def _where(selection: Selection) -> tuple[str, list[Any]]:
    s, sql = selection, ""
    params: list[Any] = []
    if s.connection_id is not None:
        sql, params = sql + " AND f.connection_id = ?", [*params, db_uuid(s.connection_id)]
    if s.app_ids is not None:
        sql += f" AND f.application_id IN ({marks(s.app_ids) or 'NULL'})"
        params += list(s.app_ids)
    if s.stages:
        sql, params = sql + f" AND a.stage IN ({marks(s.stages)})", [*params, *s.stages]
    if s.statuses:
        if s.bounds is None:
            raise ValueError("a status filter needs the window's bounds")
        sql += " AND (" + " OR ".join(STATUS[status] for status in s.statuses) + ")"
        params += [p for status in s.statuses for p in _bound(status, s.bounds)]
    if s.shadow is not None:
        sql += f" AND {'' if s.shadow else 'NOT '}{SHADOW}"
    if s.category:
        sql += " AND LOWER(COALESCE(a.category_override, f.catalog_category)) = LOWER(?)"
        params.append(s.category)
    if s.seated:
        sql += " AND f.seats > 0"
    if s.idle:
        sql += " AND f.inactive_seats > 0"
    if s.with_problems:
        sql += " AND f.problem_count > 0"
    if not s.include_removed:
        sql += " AND a.removed_at IS NULL"
    return sql, params


async def read(
    *,
    organization_id: uuid.UUID,
    selection: Selection = Selection(),
    after: tuple[str, int] | None = None,
    limit: int | None = None,
    offset: int = 0,
    detail: Sequence[str] = (),
    order: str = "name",
) -> list[StoredApp]:
    """Apps with stored figures, by (sort name, id) or another of `ORDERS`; `after` is a
    keyset cursor on the name order.

    `detail` adds stored JSON columns to each app: "problems", "evidence" (see `DETAILS`).
    """
    where, params = _where(selection)
    extra = "".join(f", f.{name}" for name in DETAILS if name in detail)
    sql = COLUMNS + extra + SCOPE + where
    params = [db_uuid(organization_id), *params]
    if after is not None:
        sql, params = sql + " AND (f.sort_name, f.application_id) > (?, ?)", [*params, *after]
    sql += ORDERS[order]
    if limit is not None:
        sql, params = sql + " LIMIT ? OFFSET ?", [*params, limit, offset]
    return [_stored(row) for row in await fetch(sql, params)]


async def count(
    *,
    organization_id: uuid.UUID,
    selection: Selection = Selection(),
) -> int:
    """How many apps `read` returns with the same selection and no limit."""
    where, params = _where(selection)
    rows = await fetch(
        "SELECT COUNT(*) AS n" + COUNT_SCOPE + where, [db_uuid(organization_id), *params]
    )
    return int(rows[0]["n"])


async def status_counts(
    *,
    organization_id: uuid.UUID,
    bounds: Bounds,
    selection: Selection = Selection(),
) -> dict[str, int]:
    """How many of the selected apps are in each status at the caller's `now`, in one read."""
    where, params = _where(replace(selection, statuses=()))
    sums = ", ".join(
        f"SUM(CASE WHEN {predicate} THEN 1 ELSE 0 END) AS {status}"
        for status, predicate in STATUS.items()
    )
    window = [p for status in STATUS for p in _bound(status, bounds)]
    rows = await fetch(
        f"SELECT {sums}" + COUNT_SCOPE + where, [*window, db_uuid(organization_id), *params]
    )
    return {status: int(rows[0][status] or 0) for status in STATUS}


async def names(
    *, organization_id: uuid.UUID, connection_id: uuid.UUID | None = None
) -> list[tuple[int, str, str | None]]:
    """(id, name, publisher) of the apps with stored figures, removed ones too (a cheap read
    for matching names in Python, where case folding works in every language)."""
    sql = "SELECT a.id, a.display_name, a.publisher_name" + COUNT_SCOPE
    params: list[Any] = [db_uuid(organization_id)]
    if connection_id is not None:
        sql, params = sql + " AND f.connection_id = ?", [*params, db_uuid(connection_id)]
    rows = await fetch(sql + ORDER, params)
    return [(int(r["id"]), r["display_name"] or "", r["publisher_name"]) for r in rows]
