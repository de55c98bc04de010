"""Seats and departments computed on the fly, seat by seat: the reference the tests hold the
stored seat figures (which derive counts in SQL) to. Seats nobody uses, what they cost, usage
per department."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sync_core.app_facts import AppFacts
from sync_core.insights import names, rules
from sync_core.insights.records import (
    AppSummary,
    DepartmentUsage,
    LicenseWaste,
    Money,
    UserRef,
)
from sync_core.insights.rules import SeatState
from sync_core.insights.summary import summarise
from sync_core.store.insights import usage as insight_usage
from sync_core.store.insights.usage import Seat

Totals = dict[str, Decimal]
# Seats read and judged in one step. A 2,000-user tenant's ~27,000 seats, all at once, held
# the event loop for ~260 ms (turning rows into records and states): Slack acks waited behind.
SEATS_PER_STEP = 3_000


def _states(seats: Sequence[Seat], *, now: dt.datetime, inactive_days: int) -> list[SeatState]:
    start = rules.window(now=now, days=inactive_days).start
    return [
        rules.seat_state_since(start, last_used_on=s.last_used_on, granted_at=s.granted_at)
        for s in seats
    ]


def waste_of(
    app: AppSummary,
    seats: Sequence[Seat],
    *,
    now: dt.datetime,
    inactive_days: int,
    evidence_users: int,
) -> LicenseWaste:
    """One app's seats sorted into active, idle and too new to tell, and what idle ones cost."""
    states = _states(seats, now=now, inactive_days=inactive_days)
    idle = [s for s, state in zip(seats, states, strict=True) if state is SeatState.INACTIVE]
    return LicenseWaste(
        app=app,
        assigned_users=len(states),
        active_seats=states.count(SeatState.ACTIVE),
        inactive_seats=len(idle),
        in_grace=states.count(SeatState.GRACE),
        monthly_waste=rules.monthly_waste(inactive_seats=len(idle), seat_cost=app.seat_cost),
        inactive_users=tuple(UserRef(s.user_entra_id, s.user_name) for s in idle[:evidence_users]),
    )


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
) -> list[LicenseWaste]:
    """Apps with user assignments, most monthly waste (then most idle seats) first.

    `app_ids` and `name` (part of a name, any case) limit the read to those apps. Seats are
    read and judged about `SEATS_PER_STEP` at a time, yielding to the event loop in between.
    """
    facts = await names.facts_of(
        organization_id=organization_id,
        connection_id=connection_id,
        window=rules.window(now=now, days=active_days),
        app_ids=app_ids,
        name=name,
    )
    result: list[LicenseWaste] = []
    for n, step in enumerate(steps([f for f in facts if f.assigned_users])):
        if n:
            await asyncio.sleep(0)  # let other requests (Slack acks) in between steps
        seats = await insight_usage.seats(
            organization_id=organization_id,
            until=rules.window(now=now, days=0).end,
            connection_id=connection_id,
            app_ids=[app.id for app in step],
        )
        by_app: dict[int, list[Seat]] = defaultdict(list)
        for seat in seats:
            by_app[seat.app].append(seat)
        result += [
            waste_of(
                summarise(app, now=now, active_days=active_days),
                by_app[app.id],
                now=now,
                inactive_days=inactive_days,
                evidence_users=evidence_users,
            )
            for app in step
            if by_app[app.id]
        ]
    return sorted(result, key=lambda w: (-_amount(w.monthly_waste), -w.inactive_seats, w.app.name))


def steps(apps: Sequence[AppFacts], *, seats: int = SEATS_PER_STEP) -> list[list[AppFacts]]:
    """Apps in groups of about `seats` assigned users (an app larger than that alone)."""
    groups: list[list[AppFacts]] = [[]]
    weight = 0
    for app in apps:
        if groups[-1] and weight + app.assigned_users > seats:
            groups.append([])
            weight = 0
        groups[-1].append(app)
        weight += app.assigned_users
    return [g for g in groups if g]


def _amount(money: Money | None) -> Decimal:
    return money.amount if money else Decimal(0)


def _money(totals: Totals) -> tuple[Money, ...]:
    return tuple(Money(amount, currency) for currency, amount in sorted(totals.items()))


@dataclass
class _Tally:
    """Seats of one department, counted as they stream by."""

    seats: int = 0
    inactive: int = 0
    cost: Totals = field(default_factory=lambda: defaultdict(Decimal))
    waste: Totals = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, state: SeatState, cost: Money | None) -> None:
        self.seats += 1
        self.inactive += state is SeatState.INACTIVE
        if cost is not None:
            self.cost[cost.currency] += cost.amount
            if state is SeatState.INACTIVE:
                self.waste[cost.currency] += cost.amount


def _cost(seat: Seat) -> Money | None:
    if seat.seat_cost_amount is None or not seat.seat_cost_currency:
        return None
    return Money(seat.seat_cost_amount, seat.seat_cost_currency)


async def departments(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    connection_id: uuid.UUID | None = None,
    active_days: int = 30,
    inactive_days: int = 60,
) -> list[DepartmentUsage]:
    """Per tenant and department: users, active users, apps used, seats and their cost."""
    activity = await insight_usage.department_activity(
        organization_id=organization_id,
        connection_id=connection_id,
        window=rules.window(now=now, days=active_days),
    )
    seats = await insight_usage.seats(
        organization_id=organization_id,
        until=rules.window(now=now, days=0).end,
        connection_id=connection_id,
    )
    tallies: dict[tuple[uuid.UUID, str | None], _Tally] = defaultdict(_Tally)
    for seat, state in zip(
        seats, _states(seats, now=now, inactive_days=inactive_days), strict=True
    ):
        tallies[(seat.connection_id, seat.department)].add(state, _cost(seat))
    rows = {(a.connection_id, a.department): a for a in activity}
    result = []
    for key in rows.keys() | tallies.keys():
        row, tally = rows.get(key), tallies.get(key, _Tally())
        result.append(
            DepartmentUsage(
                connection_id=key[0],
                department=key[1],
                users=row.users if row else 0,
                active_users=row.active_users if row else 0,
                apps_used=row.apps_used if row else 0,
                seats=tally.seats,
                inactive_seats=tally.inactive,
                monthly_cost=_money(tally.cost),
                monthly_waste=_money(tally.waste),
            )
        )
    return sorted(result, key=lambda d: (str(d.connection_id), d.department or ""))
