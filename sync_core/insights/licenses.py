"""License optimisation: seats nobody uses, what they cost, and usage per department.

Seats were counted by derive (SQL, per app and department, against `inactive_days`); their
cost is today's seat cost, read live, so a cost people set shows in the waste at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sync_core.insights import figures, names, verdicts
from sync_core.insights.apps import selection
from sync_core.insights.records import DepartmentUsage, LicenseWaste, Money
from sync_core.insights.summary import summary_of
from sync_core.store.insights import tenant_figures


async def license_waste(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    inactive_days: int = 60,
    active_days: int = 30,
    app_ids: Sequence[int] | None = None,
    evidence_users: int = 10,
    name: str | None = None,
    idle_only: bool = False,
    limit: int | None = None,
) -> list[LicenseWaste]:
    """Apps with user assignments, most monthly waste (then most idle seats) first.

    `app_ids` and `name` (part of a name, any case) limit the read to those apps,
    `idle_only` to apps with inactive seats, `limit` to the first apps in that order.
    """
    app_ids = await names.restrict(
        organization_id=organization_id, connection_id=connection_id, app_ids=app_ids, name=name
    )
    chosen = selection(
        now=now,
        active_days=active_days,
        connection_id=connection_id,
        app_ids=app_ids,
        seated=True,
        idle=idle_only,
    )
    rows = await figures.read(
        organization_id=organization_id,
        now=now,
        active_days=active_days,
        inactive_days=inactive_days,
        selection=chosen,
        detail=("evidence",),
        order="waste",
        limit=limit,
    )
    found = (
        verdicts.waste(
            r, summary_of(r, now=now, active_days=active_days), evidence_users=evidence_users
        )
        for r in rows
    )
    return verdicts.by_waste([w for w in found if w is not None])


def _money(totals: Sequence[tuple[str, Decimal]]) -> tuple[Money, ...]:
    return tuple(Money(amount, currency) for currency, amount in totals)


async def departments(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    inactive_days: int = 60,
) -> list[DepartmentUsage]:
    """Per tenant and department: users, active users, apps used, seats and their cost.

    As derive counted them after the last sync (`now` and the windows are those of the derive).
    """
    found = await tenant_figures.departments(
        organization_id=organization_id, connection_id=connection_id
    )
    result = [
        DepartmentUsage(
            connection_id=d.connection_id,
            department=d.department,
            users=d.users,
            active_users=d.active_users,
            apps_used=d.apps_used,
            seats=d.seats,
            inactive_seats=d.inactive_seats,
            monthly_cost=_money(d.cost),
            monthly_waste=_money(d.waste),
        )
        for d in found
    ]
    return sorted(result, key=lambda d: (str(d.connection_id), d.department or ""))
