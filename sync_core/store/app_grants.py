"""The delegated grants each app of a page holds, with who consented: one statement for a
DataLoader batch, rows read straight into records (the ORM's objects cost more than the read).
Replaces `app_access.app_grants_by_app` (three statements through ORM models) for `App.permissions`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sync_core.records import StoredUser
from sync_core.store.app_access import AppGrant
from sync_core.store.insights.sql import (
    as_bool,
    as_datetime,
    as_datetime_required,
    as_uuid,
    db_uuid,
    fetch,
    marks,
)

# The requested apps are materialized first, for the reason given at app_access.SCOPED_APPS.
GRANTS = """
WITH apps AS MATERIALIZED (
  SELECT a.id, a.connection_id, a.entra_id
  FROM application a JOIN connection c ON c.id = a.connection_id
  WHERE c.organization_id = ? AND a.id IN ({ids})
)
SELECT p.id AS app, g.consent_type, g.scopes, g.first_seen_at,
  u.id AS user_pk, u.connection_id, u.entra_id, u.display_name, u.mail, u.user_principal_name,
  u.job_title, u.department, u.account_enabled, u.last_sign_in_at,
  u.last_successful_sign_in_at, u.first_seen_at AS user_first_seen_at, u.removed_at
FROM apps p
JOIN permission_grant g ON g.connection_id = p.connection_id AND g.client_entra_id = p.entra_id
LEFT JOIN directory_user u
  ON u.connection_id = g.connection_id AND u.entra_id = g.principal_entra_id
WHERE g.removed_at IS NULL
ORDER BY g.first_seen_at, g.id"""


def _user(row: dict[str, Any]) -> StoredUser | None:
    if row["user_pk"] is None:
        return None
    return StoredUser(
        id=int(row["user_pk"]),
        connection_id=as_uuid(row["connection_id"]),
        entra_id=row["entra_id"],
        display_name=row["display_name"],
        mail=row["mail"],
        user_principal_name=row["user_principal_name"],
        job_title=row["job_title"],
        department=row["department"],
        account_enabled=as_bool(row["account_enabled"]),
        last_sign_in_at=as_datetime(row["last_sign_in_at"]),
        last_successful_sign_in_at=as_datetime(row["last_successful_sign_in_at"]),
        first_seen_at=as_datetime_required(row["user_first_seen_at"]),
        removed_at=as_datetime(row["removed_at"]),
    )


async def app_grants_by_app(
    *, organization_id: uuid.UUID, app_pks: Sequence[int]
) -> dict[int, list[AppGrant]]:
    """Live grants of each app, oldest first; other organizations' apps get []."""
    result: dict[int, list[AppGrant]] = {pk: [] for pk in app_pks}
    if not result:
        return result
    rows = await fetch(GRANTS.format(ids=marks(list(result))), [db_uuid(organization_id), *result])
    for row in rows:
        result[int(row["app"])].append(
            AppGrant(
                consent_type=row["consent_type"],
                scopes=tuple((row["scopes"] or "").split()),
                consented_by=_user(row),
                first_seen_at=as_datetime_required(row["first_seen_at"]),
            )
        )
    return result
