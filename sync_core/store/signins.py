"""Sign-in events, the daily usage rollup that outlives them, and users' last sign-in."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.store import bulk, models
from sync_core.store.columns import value
from sync_core.store.db import driver

ROLLUP_COLUMNS = "connection_id, app_id, user_entra_id, day, successes, failures"
# Increment instead of overwrite, so a day keeps counting across incremental syncs.
ROLLUP_CONFLICT = (
    "ON CONFLICT (connection_id, app_id, user_entra_id, day) DO UPDATE SET "
    "successes = usage_daily.successes + EXCLUDED.successes, "
    "failures = usage_daily.failures + EXCLUDED.failures"
)


UPDATE_LAST_SIGN_IN = {
    "sqlite": "UPDATE directory_user SET last_sign_in_at = ?, last_successful_sign_in_at = ? "
    "WHERE connection_id = ? AND entra_id = ?",
    "postgres": "UPDATE directory_user SET last_sign_in_at = $1, last_successful_sign_in_at = $2 "
    "WHERE connection_id = $3 AND entra_id = $4",
}


def _db_value(model: type[models.Model], field: str, value: object) -> object:
    """A value as Tortoise itself would bind it, so raw statements store the same format."""
    return model._meta.fields_map[field].to_db_value(value, model)


# Every column of a sign-in row but the connection, as the record's attribute of the same name.
SIGN_IN_FIELDS = (
    "entra_id",
    "occurred_at",
    "user_entra_id",
    "user_principal_name",
    "app_id",
    "app_display_name",
    "resource_id",
    "error_code",
    "failure_reason",
    "client_app_used",
    "ip_address",
    "city",
    "country",
    "is_interactive",
)


def _is_counted(event: records.SignIn) -> bool:
    """The rollup counts sign-ins with an app and a user."""
    return bool(event.app_id and event.user_entra_id)


def _day(day: dt.date, days: dict[dt.date, object]) -> object:
    """A rollup day as Tortoise binds it (converted once per distinct day)."""
    if day not in days:
        days[day] = _db_value(models.UsageDaily, "day", day)
    return days[day]


def _rollup(connection_id: uuid.UUID, events: Sequence[records.SignIn]) -> list[tuple]:
    counted = Counter(
        (e.app_id, e.user_entra_id, e.occurred_at.date(), e.succeeded)
        for e in events
        if e.app_id and e.user_entra_id  # _is_counted, spelled out so the types narrow
    )
    totals: dict[tuple[str, str, dt.date], list[int]] = {}
    for (app_id, user, day, succeeded), n in counted.items():
        totals.setdefault((app_id, user, day), [0, 0])[0 if succeeded else 1] += n
    conn_value = _db_value(models.UsageDaily, "connection_id", connection_id)
    days: dict[dt.date, object] = {}
    return [
        (conn_value, app_id, user, _day(day, days), successes, failures)
        for (app_id, user, day), (successes, failures) in totals.items()
    ]


# SQLite: the rollup of the events a batch added, as one executemany.
ROLLUP_SQL = (
    f"INSERT INTO usage_daily ({ROLLUP_COLUMNS}) "  # noqa: S608 - constant SQL
    f"VALUES ({bulk.marks('sqlite', count=6)}) {ROLLUP_CONFLICT}"
)


# PostgreSQL: the staged events carry their rollup day (NULL when not counted) and outcome, so
# one statement inserts the new events and counts exactly those (RETURNING) into the rollup.
STAGE_EXTRA = (("day", "date"), ("succeeded", "boolean"))
PG_ADD = """
WITH new AS (
  INSERT INTO sign_in_event ({columns}) SELECT {columns} FROM {stage} ORDER BY n
  ON CONFLICT (connection_id, entra_id) DO NOTHING RETURNING entra_id
), counted AS (
  INSERT INTO usage_daily ({rollup})
  SELECT s.connection_id, s.app_id, s.user_entra_id, s.day,
    COUNT(*) FILTER (WHERE s.succeeded), COUNT(*) FILTER (WHERE NOT s.succeeded)
  FROM {stage} AS s JOIN new ON new.entra_id = s.entra_id
  WHERE s.day IS NOT NULL
  GROUP BY s.connection_id, s.app_id, s.user_entra_id, s.day
  {conflict}
), cleared AS (DELETE FROM {stage})
SELECT entra_id FROM new"""


def _pg_add_sql() -> str:
    return PG_ADD.format(
        columns=", ".join(bulk.shape(models.SignInEvent).columns),
        stage=f"pg_temp.{bulk.stage_name(models.SignInEvent)}",
        rollup=ROLLUP_COLUMNS,
        conflict=ROLLUP_CONFLICT,
    )


async def _add_postgres(raw: Any, bound: list[tuple], events: Sequence[records.SignIn]) -> set[str]:
    days: dict[dt.date, object] = {}
    rows = [
        (*row, _day(e.occurred_at.date(), days) if _is_counted(e) else None, e.succeeded)
        for row, e in zip(bound, events, strict=True)
    ]
    await bulk.pg_stage(raw, model=models.SignInEvent, rows=rows, extra=STAGE_EXTRA)
    return {entra_id for (entra_id,) in await bulk.pg_fetch(raw, sql=_pg_add_sql())}


async def _add_sqlite(
    raw: Any, connection_id: uuid.UUID, bound: list[tuple], events: Sequence[records.SignIn]
) -> set[str]:
    key, conn = bulk.positions(models.SignInEvent, names=("entra_id", "connection_id"))
    stored = await bulk.sqlite_existing(
        raw,
        models.SignInEvent,
        connection=bound[0][conn],
        keys=("entra_id",),
        wanted=[(row[key],) for row in bound],
    )
    seen = {entra_id for (entra_id,) in stored}
    new = [(row, event) for row, event in zip(bound, events, strict=True) if row[key] not in seen]
    if not new:
        return set()
    target = ("connection_id", "entra_id")
    conflict = bulk.conflict_sql(models.SignInEvent, target=target, update=())
    sql = bulk.insert_sql(models.SignInEvent, dialect="sqlite", conflict=conflict)
    await bulk.sqlite_write(raw, sql=sql, rows=[row for row, _ in new])
    rollup = _rollup(connection_id, [event for _, event in new])
    if rollup:
        await bulk.sqlite_write(raw, sql=ROLLUP_SQL, rows=rollup)
    return {row[key] for row, _ in new}


async def add_sign_ins(
    *, connection_id: uuid.UUID, events: Sequence[records.SignIn]
) -> list[records.SignIn]:
    """Store new sign-ins and count them into the daily rollup; returns the ones that were new.

    Incremental pulls overlap their window, so events already stored are dropped here, before the
    rollup, and each sign-in is counted once. One transaction: events and rollup, or neither.
    """
    unique = {event.entra_id: event for event in events}
    if not unique:
        return []
    kept = list(unique.values())
    columns = zip(*map(attrgetter(*SIGN_IN_FIELDS), kept), strict=True)
    bound = bulk.bind(
        models.SignInEvent,
        given=dict(zip(SIGN_IN_FIELDS, columns, strict=True)),
        common={"connection_id": connection_id},
    )
    async with in_transaction() as conn, driver(conn) as raw:
        if conn.capabilities.dialect == "postgres":
            added = await _add_postgres(raw, bound, kept)
        else:
            added = await _add_sqlite(raw, connection_id, bound, kept)
    return [event for key, event in unique.items() if key in added]


async def set_last_sign_ins(
    *, connection_id: uuid.UUID, activity: Sequence[records.LastSignIn]
) -> int:
    """Record users' last sign-in times from signInActivity; returns how many users matched."""
    if not activity:
        return 0
    async with in_transaction() as conn:
        sql = UPDATE_LAST_SIGN_IN[conn.capabilities.dialect]
        await conn.execute_many(
            sql,
            [
                [
                    _db_value(models.DirectoryUser, "last_sign_in_at", a.last_sign_in_at),
                    _db_value(
                        models.DirectoryUser,
                        "last_successful_sign_in_at",
                        a.last_successful_sign_in_at,
                    ),
                    _db_value(models.DirectoryUser, "connection_id", connection_id),
                    a.user_entra_id,
                ]
                for a in activity
            ],
        )
    return len(activity)


async def latest_sign_in(*, connection_id: uuid.UUID) -> dt.datetime | None:
    """The newest stored sign-in time of a connection."""
    latest = models.SignInEvent.filter(connection_id=connection_id).order_by("-occurred_at")
    return await value(latest.first(), "occurred_at")
