"""Batched upserts and scoped reads of the directory inventory (users, apps)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.store import models

USER_FIELDS = (
    "display_name",
    "mail",
    "user_principal_name",
    "job_title",
    "department",
    "account_enabled",
    "entra_created_at",
)
APP_FIELDS = (
    "app_id",
    "display_name",
    "publisher_name",
    "owner_tenant_id",
    "principal_type",
    "tags",
    "account_enabled",
    "verified_publisher",
    "homepage",
    "sign_in_audience",
)
# Every upsert refreshes these; first_seen_at and people's own state are never overwritten.
SEEN_FIELDS = ("last_seen_at", "removed_at")


def _default(field: Any) -> Any:
    """The Python-side default a new model object would carry for a column not given."""
    default = field.default
    return default() if callable(default) else default  # e.g. tags=list: a fresh []


def _upsert_sql(
    model: type[Model], dialect: str, columns: Sequence[str], conflict: Sequence[str],
    update: Sequence[str],
) -> str:  # fmt: skip
    """INSERT ... ON CONFLICT DO UPDATE, as bulk_create(on_conflict=, update_fields=) builds it."""
    names = model._meta.fields_db_projection
    marks = (f"${i}" if dialect == "postgres" else "?" for i in range(1, len(columns) + 1))
    sets = ", ".join(f"{names[f]} = EXCLUDED.{names[f]}" for f in update)
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(names[c] for c in columns)}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(marks)}) "
        f"ON CONFLICT ({', '.join(names[c] for c in conflict)}) DO UPDATE SET {sets}"
    )


def _insert_columns(model: type[Model]) -> list[str]:
    """Every column Tortoise's own insert writes (all but generated ones such as the id)."""
    fields = model._meta.fields_map
    return [name for name in model._meta.fields_db_projection if not fields[name].generated]


def _db_value(field: Any, value: Any, model: type[Model]) -> Any:
    """A given value as a new model object binds it: through to_python_value, then to_db_value.

    The first step matters: it moves aware datetimes to the default timezone (UTC) as stored.
    """
    if value is None and not field.null:
        raise ValueError(f"{field.model_field_name} is non nullable field, but null was passed")
    return field.to_db_value(field.to_python_value(value), model)


def _db_rows(
    model: type[Model], columns: Sequence[str], common: dict[str, Any], keys: tuple[str, ...],
    rows: dict[tuple[Any, ...], dict[str, Any]],
) -> list[list[Any]]:  # fmt: skip
    """Bind values as Tortoise's bulk_create would, so the stored format is Tortoise's.

    Building a model object per row was most of the sync's CPU; this skips it and keeps the
    defaults a new object would have had for columns not given.
    """
    fields = [model._meta.fields_map[c] for c in columns]
    # Defaults and the values shared by every row are converted once per batch, not per row.
    fixed = {
        f.model_field_name: None if f.default is None else f.to_db_value(_default(f), model)
        for f in fields
    }
    fixed |= {name: _db_value(model._meta.fields_map[name], v, model) for name, v in common.items()}
    result = []
    for key, values in rows.items():
        given = {**dict(zip(keys, key, strict=True)), **values}
        result.append([
            _db_value(f, given[f.model_field_name], model) if f.model_field_name in given
            else fixed[f.model_field_name]
            for f in fields
        ])  # fmt: skip
    return result


async def upsert_rows(
    model: type[Model],
    *,
    connection_id: uuid.UUID,
    keys: tuple[str, ...],
    rows: dict[tuple[Any, ...], dict[str, Any]],
    update_fields: Sequence[str],
    seen_at: dt.datetime,
) -> records.UpsertCounts:
    """Insert or update rows keyed by (connection, *keys), in one transaction.

    `rows` maps each key tuple to the other column values; a key seen twice is stored once.
    """
    if not rows:
        return records.UpsertCounts()
    columns = _insert_columns(model)
    common = {"connection_id": connection_id, "first_seen_at": seen_at}
    common |= {"last_seen_at": seen_at, "removed_at": None}
    async with in_transaction() as conn:
        found = await model.filter(
            connection_id=connection_id, **{f"{keys[0]}__in": list({key[0] for key in rows})}
        ).values_list(*keys)
        existing = {tuple(row) for row in found} & rows.keys()
        sql = _upsert_sql(
            model, conn.capabilities.dialect, columns, ["connection_id", *keys],
            [*update_fields, *SEEN_FIELDS],
        )  # fmt: skip
        await conn.execute_many(sql, _db_rows(model, columns, common, keys, rows))
    created = [key for key in rows if key not in existing]
    return records.UpsertCounts(created=len(created), updated=len(existing), created_keys=created)


def _user_values(user: records.User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "mail": user.mail,
        "user_principal_name": user.user_principal_name,
        "job_title": user.job_title,
        "department": user.department,
        "account_enabled": user.account_enabled,
        "entra_created_at": user.created_at,
    }


def _app_values(app: records.App) -> dict[str, Any]:
    return {
        "app_id": app.app_id,
        "display_name": app.display_name,
        "publisher_name": app.publisher_name,
        "owner_tenant_id": app.owner_tenant_id,
        "principal_type": app.principal_type,
        "tags": list(app.tags),
        "account_enabled": app.account_enabled,
        "verified_publisher": app.verified_publisher,
        "homepage": app.homepage,
        "sign_in_audience": app.sign_in_audience,
    }


async def upsert_users(
    *, connection_id: uuid.UUID, users: Sequence[records.User], seen_at: dt.datetime
) -> records.UpsertCounts:
    """Store a batch of users; a user seen twice in one batch is stored once (last wins)."""
    rows = {(user.entra_id,): _user_values(user) for user in users}
    return await upsert_rows(
        models.DirectoryUser,
        connection_id=connection_id,
        keys=("entra_id",),
        rows=rows,
        update_fields=USER_FIELDS,
        seen_at=seen_at,
    )


async def upsert_apps(
    *, connection_id: uuid.UUID, apps: Sequence[records.App], seen_at: dt.datetime
) -> records.UpsertCounts:
    """Store a batch of service principals; stage, category and seat cost are left alone."""
    rows = {(app.entra_id,): _app_values(app) for app in apps}
    return await upsert_rows(
        models.Application,
        connection_id=connection_id,
        keys=("entra_id",),
        rows=rows,
        update_fields=APP_FIELDS,
        seen_at=seen_at,
    )


def _user_record(row: models.DirectoryUser) -> records.User:
    return records.User(
        entra_id=row.entra_id,
        display_name=row.display_name,
        mail=row.mail,
        user_principal_name=row.user_principal_name,
        job_title=row.job_title,
        department=row.department,
        account_enabled=row.account_enabled,
        created_at=row.entra_created_at,
    )


async def list_users(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID | None = None,
    include_removed: bool = False,
) -> list[records.User]:
    """Users of the organization's tenants (one tenant when given), by display name."""
    query = models.DirectoryUser.filter(connection__organization_id=organization_id)
    if connection_id is not None:
        query = query.filter(connection_id=connection_id)
    if not include_removed:
        query = query.filter(removed_at=None)
    return [_user_record(row) for row in await query.order_by("display_name", "id")]


async def mark_removed(
    model: type[Model], *, connection_id: uuid.UUID, entra_ids: Sequence[str], at: dt.datetime
) -> list[str]:
    """Soft-delete objects a delta round reported as removed; returns those that were live."""
    if not entra_ids:
        return []
    live = model.filter(connection_id=connection_id, entra_id__in=list(entra_ids), removed_at=None)
    ids = list(await live.values_list("entra_id", flat=True))
    if ids:
        await model.filter(connection_id=connection_id, entra_id__in=ids).update(removed_at=at)
    return ids


async def mark_unseen_removed(
    model: type[Model],
    *,
    connection_id: uuid.UUID,
    round_started_at: dt.datetime,
    removed_at: dt.datetime,
) -> list[str]:
    """Soft-delete what a complete full round did not see; returns their Entra ids."""
    query = model.filter(
        connection_id=connection_id, last_seen_at__lt=round_started_at, removed_at=None
    )
    ids = list(await query.values_list("entra_id", flat=True))
    if ids:
        await model.filter(connection_id=connection_id, entra_id__in=ids).update(
            removed_at=removed_at
        )
    return ids


MICROSOFT_TENANTS = frozenset(
    {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}
)


async def assignable_apps(*, connection_id: uuid.UUID) -> list[str]:
    """Live service principals that can carry user assignments (not Microsoft's, not identities)."""
    query = models.Application.filter(
        connection_id=connection_id, removed_at=None, principal_type="Application"
    ).exclude(owner_tenant_id__in=list(MICROSOFT_TENANTS))
    return list(await query.order_by("entra_id").values_list("entra_id", flat=True))


async def app_names(*, connection_id: uuid.UUID, entra_ids: Sequence[str]) -> dict[str, str]:
    """Display names of apps by Entra id."""
    rows = await models.Application.filter(
        connection_id=connection_id, entra_id__in=list(entra_ids)
    ).values_list("entra_id", "display_name")
    return dict(rows)
