"""Overlaps (beta): two or more In Use apps of one category, and who uses more than one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from sync_core.insights import catalog, rules
from sync_core.insights.records import AppStatus, Overlap, OverlapApp
from sync_core.store import insight_usage
from sync_core.store import insights as store
from sync_core.store.insights import AppFacts


async def overlaps(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
) -> list[Overlap]:
    """Overlapping apps per tenant and category; users count within the same window."""
    window = rules.window(now=now, days=active_days)
    known = catalog.default()
    facts = await store.app_facts(
        organization_id=organization_id, connection_id=connection_id, window=window
    )
    in_use: dict[uuid.UUID, list[tuple[AppFacts, str]]] = defaultdict(list)
    for app in facts:
        category = catalog.category_of(
            override=app.category_override,
            app_id=app.app_id,
            name=app.display_name,
            catalog=known,
        )
        used = rules.app_status(app, now=now, active_days=active_days)
        if category and used is AppStatus.IN_USE:
            in_use[app.connection_id].append((app, category))
    result: list[Overlap] = []
    for tenant, apps in sorted(in_use.items(), key=lambda item: str(item[0])):
        counts: dict[str, int] = defaultdict(int)
        for _app, category in apps:
            counts[category.casefold()] += 1
        candidates = [(a, c) for a, c in apps if counts[c.casefold()] > 1]
        pairs = await insight_usage.usage_pairs(apps=[a for a, _ in candidates], window=window)
        result += rules.find_overlaps(
            connection_id=tenant,
            apps=[(OverlapApp(a.id, a.display_name, a.active_users), c) for a, c in candidates],
            pairs=pairs,
        )
    return result
