"""Who has access to one app, and the grants it holds: reads for the doors, scoped."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sync_core.records import AccessSource, StoredUser
from sync_core.store import models
from sync_core.store.insights.sql import db_uuid, fetch, marks

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


# The users are materialized first: joined from `connection`, SQLite (without statistics)
# scanned every access row of the tenant. Group access is read from the user's memberships to
# the groups' assignments (both through their indexes; CROSS JOIN keeps that order on SQLite),
# not through the `group_access` view: SQLite built the whole view (a row per app and member,
# millions at 100k users) for it.
USER_APPS = """
WITH users AS MATERIALIZED (
  SELECT u.id, u.connection_id, u.entra_id, u.removed_at
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
CROSS JOIN group_member m
CROSS JOIN app_access g
JOIN application a ON a.connection_id = g.connection_id AND a.entra_id = g.app_entra_id
WHERE m.connection_id = u.connection_id AND m.member_entra_id = u.entra_id
  AND g.connection_id = m.connection_id AND g.principal_entra_id = m.group_entra_id
  AND u.removed_at IS NULL AND m.removed_at IS NULL AND g.source = 'assignment'
  AND g.principal_type = 'Group' AND g.removed_at IS NULL AND a.removed_at IS NULL"""


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
