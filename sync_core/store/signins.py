"""Sign-in events, the daily usage rollup that outlives them, and users' last sign-in."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence

from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.store import models

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


def _placeholders(dialect: str, count: int) -> str:
    if dialect == "postgres":
        return ", ".join(f"${i}" for i in range(1, count + 1))
    return ", ".join("?" for _ in range(count))


def _sign_in_row(connection_id: uuid.UUID, event: records.SignIn) -> models.SignInEvent:
    return models.SignInEvent(
        connection_id=connection_id,
        entra_id=event.entra_id,
        occurred_at=event.occurred_at,
        user_entra_id=event.user_entra_id,
        user_principal_name=event.user_principal_name,
        app_id=event.app_id,
        app_display_name=event.app_display_name,
        resource_id=event.resource_id,
        error_code=event.error_code,
        failure_reason=event.failure_reason,
        client_app_used=event.client_app_used,
        ip_address=event.ip_address,
        city=event.city,
        country=event.country,
        is_interactive=event.is_interactive,
    )


def _rollup(connection_id: uuid.UUID, events: Sequence[records.SignIn]) -> list[tuple]:
    successes: Counter[tuple[str, str, dt.date]] = Counter()
    failures: Counter[tuple[str, str, dt.date]] = Counter()
    for event in events:
        if not (event.app_id and event.user_entra_id):
            continue
        key = (event.app_id, event.user_entra_id, event.occurred_at.date())
        (successes if event.succeeded else failures)[key] += 1
    conn_value = _db_value(models.UsageDaily, "connection_id", connection_id)
    return [
        (
            conn_value,
            app_id,
            user,
            _db_value(models.UsageDaily, "day", day),
            successes[(app_id, user, day)],
            failures[(app_id, user, day)],
        )
        for (app_id, user, day) in successes.keys() | failures.keys()
    ]


async def add_sign_ins(
    *, connection_id: uuid.UUID, events: Sequence[records.SignIn]
) -> list[records.SignIn]:
    """Store new sign-ins and count them into the daily rollup; returns the ones that were new.

    Incremental pulls overlap their window, so events already stored are dropped here, before the
    rollup, and each sign-in is counted once.
    """
    unique = {event.entra_id: event for event in events}
    if not unique:
        return []
    async with in_transaction() as conn:
        stored = await models.SignInEvent.filter(
            connection_id=connection_id, entra_id__in=list(unique)
        ).values_list("entra_id", flat=True)
        new = [event for key, event in unique.items() if key not in set(stored)]
        await models.SignInEvent.bulk_create(
            [_sign_in_row(connection_id, event) for event in new], ignore_conflicts=True
        )
        rollup = _rollup(connection_id, new)
        if rollup:
            values = _placeholders(conn.capabilities.dialect, 6)
            await conn.execute_many(
                f"INSERT INTO usage_daily ({ROLLUP_COLUMNS}) VALUES ({values}) {ROLLUP_CONFLICT}",  # noqa: S608 - constant SQL
                rollup,
            )
    return new


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
    row = (
        await models.SignInEvent.filter(connection_id=connection_id)
        .order_by("-occurred_at")
        .first()
        .values_list("occurred_at", flat=True)
    )
    return row
