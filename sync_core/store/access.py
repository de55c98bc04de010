"""Who can use which app: app role assignments and delegated permission grants."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.records import AccessSource
from sync_core.store import models
from sync_core.store.columns import column
from sync_core.store.inventory import upsert_rows, write_rows

ACCESS_KEYS = ("app_entra_id", "principal_entra_id", "source")
ACCESS_FIELDS = ("principal_type", "source_entra_id", "app_role_id", "granted_at")
GRANT_FIELDS = (
    "client_entra_id",
    "resource_entra_id",
    "consent_type",
    "principal_entra_id",
    "scopes",
)


async def upsert_assignments(
    *, connection_id: uuid.UUID, assignments: Sequence[records.Assignment], seen_at: dt.datetime
) -> records.UpsertCounts:
    """Store assignments as access rows; several roles of one principal on one app are one row."""
    rows = {
        (a.app_entra_id, a.principal_entra_id, AccessSource.ASSIGNMENT.value): {
            "principal_type": a.principal_type,
            "source_entra_id": a.entra_id,
            "app_role_id": a.app_role_id,
            "granted_at": a.created_at,
        }
        for a in assignments
    }
    return await upsert_rows(
        models.AppAccess,
        connection_id=connection_id,
        keys=ACCESS_KEYS,
        rows=rows,
        update_fields=ACCESS_FIELDS,
        seen_at=seen_at,
    )


async def upsert_group_access(
    *,
    connection_id: uuid.UUID,
    app_entra_id: str,
    members: dict[str, str],
    seen_at: dt.datetime,
) -> records.UpsertCounts:
    """Store users who reach an app through assigned groups: {user id: group assignment id}."""
    rows = {
        (app_entra_id, user, AccessSource.GROUP_ASSIGNMENT.value): {
            "principal_type": "User",
            "source_entra_id": assignment_id,
            "app_role_id": None,
            "granted_at": None,
        }
        for user, assignment_id in members.items()
    }
    return await upsert_rows(
        models.AppAccess,
        connection_id=connection_id,
        keys=ACCESS_KEYS,
        rows=rows,
        update_fields=ACCESS_FIELDS,
        seen_at=seen_at,
    )


async def group_assignments(*, connection_id: uuid.UUID) -> dict[str, dict[str, str]]:
    """Live group assignments: {app Entra id: {group id: assignment id}}."""
    rows = await models.AppAccess.filter(
        connection_id=connection_id,
        source=AccessSource.ASSIGNMENT,
        principal_type="Group",
        removed_at=None,
    ).values_list("app_entra_id", "principal_entra_id", "source_entra_id")
    result: dict[str, dict[str, str]] = {}
    for app, group, assignment in rows:
        result.setdefault(app, {})[group] = assignment
    return result


async def remove_unseen_assignments(
    *,
    connection_id: uuid.UUID,
    app_entra_ids: Iterable[str],
    refreshed_since: dt.datetime,
    removed_at: dt.datetime,
    sources: Iterable[AccessSource] = (AccessSource.ASSIGNMENT, AccessSource.GROUP_ASSIGNMENT),
) -> int:
    """Soft-delete access of fully re-read apps that the re-read did not return."""
    ids = list(app_entra_ids)
    if not ids:
        return 0
    return await models.AppAccess.filter(
        connection_id=connection_id,
        source__in=list(sources),
        app_entra_id__in=ids,
        last_seen_at__lt=refreshed_since,
        removed_at=None,
    ).update(removed_at=removed_at)


async def upsert_grants(
    *, connection_id: uuid.UUID, grants: Sequence[records.Grant], seen_at: dt.datetime
) -> records.UpsertCounts:
    """Store delegated grants, and a consent access row for each user consent."""
    rows = {
        (g.entra_id,): {
            "client_entra_id": g.client_entra_id,
            "resource_entra_id": g.resource_entra_id,
            "consent_type": g.consent_type,
            "principal_entra_id": g.principal_entra_id,
            "scopes": " ".join(g.scopes),
        }
        for g in grants
    }
    if not rows:
        return records.UpsertCounts()
    consents = {
        (g.client_entra_id, g.principal_entra_id, AccessSource.CONSENT.value): {
            "principal_type": "User",
            "source_entra_id": g.entra_id,
            "app_role_id": None,
            "granted_at": None,
        }
        for g in grants
        if g.is_user_consent and g.principal_entra_id
    }
    # One transaction: a grant is never stored without the consent row it implies.
    async with in_transaction() as conn:
        counts = await write_rows(
            conn,
            model=models.PermissionGrant,
            connection_id=connection_id,
            keys=("entra_id",),
            rows=rows,
            update_fields=GRANT_FIELDS,
            seen_at=seen_at,
        )
        await write_rows(
            conn,
            model=models.AppAccess,
            connection_id=connection_id,
            keys=ACCESS_KEYS,
            rows=consents,
            update_fields=ACCESS_FIELDS,
            seen_at=seen_at,
        )
    return counts


async def remove_unseen_grants(
    *, connection_id: uuid.UUID, round_started_at: dt.datetime, removed_at: dt.datetime
) -> int:
    """After a complete grants listing: soft-delete grants and consents it did not return."""
    removed = await models.PermissionGrant.filter(
        connection_id=connection_id, last_seen_at__lt=round_started_at, removed_at=None
    ).update(removed_at=removed_at)
    await models.AppAccess.filter(
        connection_id=connection_id,
        source=AccessSource.CONSENT,
        last_seen_at__lt=round_started_at,
        removed_at=None,
    ).update(removed_at=removed_at)
    return removed


async def remove_for_apps(
    *, connection_id: uuid.UUID, app_entra_ids: Sequence[str], removed_at: dt.datetime
) -> None:
    """An app left the tenant: its assignments, consents and grants went with it."""
    if not app_entra_ids:
        return
    ids = list(app_entra_ids)
    await models.AppAccess.filter(
        connection_id=connection_id, app_entra_id__in=ids, removed_at=None
    ).update(removed_at=removed_at)
    await models.PermissionGrant.filter(
        connection_id=connection_id, client_entra_id__in=ids, removed_at=None
    ).update(removed_at=removed_at)


async def group_access_users(*, connection_id: uuid.UUID, app_entra_id: str) -> set[str]:
    """Users who currently reach an app through assigned groups."""
    query = models.AppAccess.filter(
        connection_id=connection_id,
        app_entra_id=app_entra_id,
        source=AccessSource.GROUP_ASSIGNMENT,
        removed_at=None,
    )
    return set(await column(query, "principal_entra_id"))


async def remove_group_access(
    *, connection_id: uuid.UUID, app_entra_id: str, users: Iterable[str], removed_at: dt.datetime
) -> int:
    """Users who no longer reach an app through any assigned group."""
    ids = list(users)
    if not ids:
        return 0
    return await models.AppAccess.filter(
        connection_id=connection_id,
        app_entra_id=app_entra_id,
        source=AccessSource.GROUP_ASSIGNMENT,
        principal_entra_id__in=ids,
        removed_at=None,
    ).update(removed_at=removed_at)
