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


async def _upsert(
    model: type[Model],
    *,
    connection_id: uuid.UUID,
    rows: dict[str, dict[str, Any]],
    update_fields: Sequence[str],
    seen_at: dt.datetime,
) -> records.UpsertCounts:
    """Insert or update rows keyed by (connection, entra_id), in one transaction."""
    if not rows:
        return records.UpsertCounts()
    async with in_transaction():
        existing = set(
            await model.filter(connection_id=connection_id, entra_id__in=list(rows)).values_list(
                "entra_id", flat=True
            )
        )
        objects = [
            model(
                connection_id=connection_id,
                entra_id=entra_id,
                first_seen_at=seen_at,
                last_seen_at=seen_at,
                removed_at=None,
                **values,
            )
            for entra_id, values in rows.items()
        ]
        await model.bulk_create(
            objects,
            on_conflict=["connection_id", "entra_id"],
            update_fields=[*update_fields, *SEEN_FIELDS],
        )
    return records.UpsertCounts(created=len(rows) - len(existing), updated=len(existing))


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
    rows = {user.entra_id: _user_values(user) for user in users}
    return await _upsert(
        models.DirectoryUser,
        connection_id=connection_id,
        rows=rows,
        update_fields=USER_FIELDS,
        seen_at=seen_at,
    )


async def upsert_apps(
    *, connection_id: uuid.UUID, apps: Sequence[records.App], seen_at: dt.datetime
) -> records.UpsertCounts:
    """Store a batch of service principals; stage, category and seat cost are left alone."""
    rows = {app.entra_id: _app_values(app) for app in apps}
    return await _upsert(
        models.Application,
        connection_id=connection_id,
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


async def mark_unseen_users_removed(
    *, connection_id: uuid.UUID, round_started_at: dt.datetime, removed_at: dt.datetime
) -> int:
    """Soft-delete users a complete full round did not see; returns how many."""
    return await models.DirectoryUser.filter(
        connection_id=connection_id, last_seen_at__lt=round_started_at, removed_at=None
    ).update(removed_at=removed_at)
