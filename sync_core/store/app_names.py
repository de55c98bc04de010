"""App names of an organization: the cheap read behind finding apps by name.

Only ids and names are read (one statement, no figures), so a name filter narrows the
expensive per-app aggregates to the apps it matches.
"""

from __future__ import annotations

import uuid

from sync_core.store.insights.facts import APP_SCOPE
from sync_core.store.insights.sql import db_uuid, fetch


async def app_names(
    *, organization_id: uuid.UUID, connection_id: uuid.UUID | None = None
) -> list[tuple[int, str]]:
    """(id, name) of the apps `insights.app_facts` can list (removed ones too)."""
    sql, params = "SELECT a.id, a.display_name" + APP_SCOPE, [db_uuid(organization_id)]
    if connection_id is not None:
        sql, params = sql + " AND a.connection_id = ?", [*params, db_uuid(connection_id)]
    rows = await fetch(sql + " ORDER BY a.display_name, a.id", params)
    return [(int(row["id"]), row["display_name"] or "") for row in rows]
