"""Batched upserts and scoped reads of the directory inventory (users, apps)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.store import bulk, models
from sync_core.store.columns import column

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


async def write_rows(
    conn: BaseDBAsyncClient,
    *,
    model: type[Model],
    connection_id: uuid.UUID,
    keys: tuple[str, ...],
    rows: dict[tuple[Any, ...], dict[str, Any]],
    update_fields: Sequence[str],
    seen_at: dt.datetime,
) -> records.UpsertCounts:
    """`upsert_rows` inside a transaction the caller holds open."""
    if not rows:
        return records.UpsertCounts()
    common = {"connection_id": connection_id, "first_seen_at": seen_at}
    common |= {"last_seen_at": seen_at, "removed_at": None}
    bound = bulk.bind(model, given=bulk.keyed_columns(rows, keys=keys), common=common)
    written = await bulk.upsert(
        conn,
        model=model,
        keys=keys,
        bound=bound,
        update=[*update_fields, *SEEN_FIELDS],
        compare=[*update_fields, "removed_at"],
    )
    key_of = bulk.key_getter(model, keys=keys)
    created = [key for key, row in zip(rows, bound, strict=True) if key_of(row) in written.created]
    # Updated means a stored value changed (or a removed row came back), not merely seen again:
    # a delta replaying an object, or a full round re-reading it, is no change to report.
    updated = sum(key_of(row) in written.changed for row in bound)
    return records.UpsertCounts(created=len(created), updated=updated, created_keys=created)


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
    New rows get first_seen_at; every row gets last_seen_at and loses removed_at. Counts
    as updated only the rows whose `update_fields` changed, or that were removed.
    """
    if not rows:
        return records.UpsertCounts()
    async with in_transaction() as conn:
        return await write_rows(
            conn,
            model=model,
            connection_id=connection_id,
            keys=keys,
            rows=rows,
            update_fields=update_fields,
            seen_at=seen_at,
        )


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
    ids: list[str] = await column(live, "entra_id")
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
    ids: list[str] = await column(query, "entra_id")
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
    return await column(query.order_by("entra_id"), "entra_id")


async def app_names(*, connection_id: uuid.UUID, entra_ids: Sequence[str]) -> dict[str, str]:
    """Display names of apps by Entra id."""
    rows = await models.Application.filter(
        connection_id=connection_id, entra_id__in=list(entra_ids)
    ).values_list("entra_id", "display_name")
    return dict(rows)
