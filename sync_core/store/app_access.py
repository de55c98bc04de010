"""Who has access to one app, and the grants it holds: reads for the doors, scoped."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sync_core.records import AccessSource, StoredUser
from sync_core.store import models, people
from sync_core.store.insights.sql import db_uuid, fetch, marks
from sync_core.store.people import stored_user

USER_SOURCES = (AccessSource.ASSIGNMENT, AccessSource.GROUP_ASSIGNMENT, AccessSource.CONSENT)
# The sources stored as one access row per user; access through a group is the group's
# assignment joined to its members (the `group_access` view).
STORED_SOURCES = (AccessSource.ASSIGNMENT, AccessSource.CONSENT)


@dataclass(frozen=True)
class AppUser:
    """A user with access to an app: how they got it and when they last used it."""

    user: StoredUser
    sources: tuple[AccessSource, ...]
    last_used_on: dt.date | None


@dataclass(frozen=True)
class AppGrant:
    """A delegated grant held by an app, with who consented."""

    consent_type: str
    scopes: tuple[str, ...]
    consented_by: StoredUser | None
    first_seen_at: dt.datetime


async def _app(organization_id: uuid.UUID, app_pk: int) -> models.Application | None:
    return await models.Application.get_or_none(
        id=app_pk, connection__organization_id=organization_id
    )


async def app_grants(*, organization_id: uuid.UUID, app_pk: int) -> list[AppGrant]:
    """Live delegated grants the app holds, oldest first."""
    app = await _app(organization_id, app_pk)
    if app is None:
        return []
    grants = await models.PermissionGrant.filter(
        connection_id=app.connection_id, client_entra_id=app.entra_id, removed_at=None
    ).order_by("first_seen_at", "id")
    principals = [g.principal_entra_id for g in grants if g.principal_entra_id]
    users = {
        row.entra_id: stored_user(row)
        for row in await models.DirectoryUser.filter(
            connection_id=app.connection_id, entra_id__in=principals
        )
    }
    return [
        AppGrant(
            consent_type=g.consent_type,
            scopes=tuple(g.scopes.split()),
            consented_by=users.get(g.principal_entra_id or ""),
            first_seen_at=g.first_seen_at,
        )
        for g in grants
    ]


async def app_grants_by_app(
    *, organization_id: uuid.UUID, app_pks: Sequence[int]
) -> dict[int, list[AppGrant]]:
    """`app_grants` for many apps in three statements; other organizations' apps get []."""
    result: dict[int, list[AppGrant]] = {pk: [] for pk in app_pks}
    apps = await models.Application.filter(
        id__in=list(result), connection__organization_id=organization_id
    ).values_list("id", "connection_id", "entra_id")
    if not apps:
        return result
    by_client = {(str(conn), entra): pk for pk, conn, entra in apps}
    grants = await models.PermissionGrant.filter(
        connection_id__in=list({conn for _, conn, _ in apps}),
        client_entra_id__in=list({entra for _, _, entra in apps}),
        removed_at=None,
    ).order_by("first_seen_at", "id")
    principals = await people.users_by_entra_id(
        connection_ids=[g.connection_id for g in grants],
        entra_ids=[g.principal_entra_id for g in grants if g.principal_entra_id],
    )
    for g in grants:
        pk = by_client.get((str(g.connection_id), g.client_entra_id))
        if pk is None:  # a grant of another app of the same connections
            continue
        result[pk].append(
            AppGrant(
                consent_type=g.consent_type,
                scopes=tuple(g.scopes.split()),
                consented_by=principals.get((g.connection_id, g.principal_entra_id or "")),
                first_seen_at=g.first_seen_at,
            )
        )
    return result


# The users are materialized first: joined from `connection`, SQLite (without statistics)
# scanned every access row of the tenant.
USER_APPS = """
WITH users AS MATERIALIZED (
  SELECT u.id, u.connection_id, u.entra_id
  FROM directory_user u JOIN connection c ON c.id = u.connection_id
  WHERE c.organization_id = ? AND u.id IN ({users})
)
SELECT u.id AS user_pk, a.id AS app
FROM users u
JOIN app_access x ON x.connection_id = u.connection_id AND x.principal_entra_id = u.entra_id
JOIN application a ON a.connection_id = x.connection_id AND a.entra_id = x.app_entra_id
WHERE x.principal_type = 'User' AND x.source IN ({sources}) AND x.removed_at IS NULL
  AND a.removed_at IS NULL
UNION
SELECT u.id AS user_pk, a.id AS app
FROM users u
JOIN group_access x ON x.connection_id = u.connection_id AND x.principal_entra_id = u.entra_id
JOIN application a ON a.connection_id = x.connection_id AND a.entra_id = x.app_entra_id
WHERE a.removed_at IS NULL"""


async def apps_of_users(
    *, organization_id: uuid.UUID, user_pks: Sequence[int]
) -> dict[int, list[int]]:
    """Our ids of the live apps each user can use (assignment, group or consent), one read."""
    result: dict[int, list[int]] = {pk: [] for pk in user_pks}
    if not result:
        return result
    sql = USER_APPS.format(users=marks(list(result)), sources=marks(STORED_SOURCES))
    params = [db_uuid(organization_id), *result, *(s.value for s in STORED_SOURCES)]
    for r in await fetch(sql, params):
        result[int(r["user_pk"])].append(int(r["app"]))
    return result
