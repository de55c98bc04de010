"""Shadow IT: third-party apps that got in without IT, with who, which scopes and since when.

Read from stored figures: derive judged each app as if nobody had approved it and kept the
evidence; approval (a stage people set) and removal are applied at read time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sync_core.insights import figures, names, verdicts
from sync_core.insights.apps import selection
from sync_core.insights.records import ShadowApp
from sync_core.insights.summary import summary_of


async def shadow_it(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    evidence_users: int = 10,
    app_ids: Sequence[int] | None = None,
    name: str | None = None,
    limit: int | None = None,
) -> list[ShadowApp]:
    """Shadow IT apps, most consenting users first, each with its evidence (up to 10 users).

    `app_ids` and `name` (part of a name, any case) limit the read to those apps; `limit` to
    the first apps in that order (counted in the database).
    """
    app_ids = await names.restrict(
        organization_id=organization_id, connection_id=connection_id, app_ids=app_ids, name=name
    )
    chosen = selection(
        now=now, active_days=active_days, connection_id=connection_id, app_ids=app_ids, shadow=True
    )
    rows = await figures.read(
        organization_id=organization_id,
        now=now,
        active_days=active_days,
        selection=chosen,
        detail=("evidence",),
        order="consent",
        limit=limit,
    )
    found = (
        verdicts.shadow(
            r, summary_of(r, now=now, active_days=active_days), evidence_users=evidence_users
        )
        for r in rows
    )
    return verdicts.by_consent([s for s in found if s is not None])
