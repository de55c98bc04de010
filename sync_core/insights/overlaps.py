"""Overlaps (beta): two or more In Use apps of one category, and who uses more than one.

Found by derive after each sync, and again when people change a category; read as stored.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sync_core.insights import figures
from sync_core.insights.records import Overlap, OverlapApp
from sync_core.store.insights import tenant_figures
from sync_core.store.insights.app_figures import Selection


async def overlaps(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
) -> list[Overlap]:
    """Overlapping apps per tenant and category; users count within the same window."""
    found = await tenant_figures.overlaps(
        organization_id=organization_id, connection_id=connection_id
    )
    ids = sorted({i for o in found for i in o.app_ids})
    rows = await figures.read(
        organization_id=organization_id, now=now, selection=Selection(app_ids=ids)
    )
    apps = {
        r.facts.id: OverlapApp(r.facts.id, r.facts.display_name, r.facts.active_users) for r in rows
    }
    return [
        Overlap(
            connection_id=o.connection_id,
            category=o.category,
            apps=tuple(apps[i] for i in o.app_ids if i in apps),
            users_in_several=o.users_in_several,
            users_total=o.users_total,
        )
        for o in sorted(found, key=lambda o: (str(o.connection_id), o.category.casefold()))
    ]
