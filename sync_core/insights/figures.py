"""Per-app figures: computed for a whole tenant when `derive` runs after a sync, then stored.

What is stored is what does not depend on the reader's `now`, or depends on it only through a
window: dates (last day of use and the exact time of that use) from which status is judged at
read time; counts over the active and seat windows as of the derive (`computed_at`); verdict
inputs and their evidence (shadow IT, problems with the default thresholds, idle seats). Seat
costs, stages, categories and removal are read live from the application row.

A full recompute per derive, in set-based SQL (one grouped statement per figure family).
Reads asking for other window lengths than the stored ones recompute the apps they return.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from sync_core.app_facts import AppFacts, Window
from sync_core.insights import catalog, rules
from sync_core.insights.live import problems_of
from sync_core.insights.live import shadow_verdicts as verdicts
from sync_core.insights.records import AppStatus
from sync_core.store.insights import app_figures, figure_inputs, figure_writes
from sync_core.store.insights import evidence as insight_evidence
from sync_core.store.insights import facts as store
from sync_core.store.insights import usage as insight_usage
from sync_core.store.insights.app_figures import Bounds, Figures, Selection, StoredApp
from sync_core.store.insights.evidence import Sample
from sync_core.store.insights.figure_writes import (
    DepartmentRow,
    DepartmentSeats,
    OverlapRow,
    TenantFigures,
)

EVIDENCE_USERS = 10  # users named per app in stored evidence (consenters, unassigned, idle)


def bounds(*, now: dt.datetime, active_days: int) -> Bounds:
    """The status window's first day and, on that day, the earliest use still inside it."""
    start = rules.window(now=now, days=active_days).start
    return Bounds(start, now - dt.timedelta(days=active_days))


def _pairs(samples) -> list[list[str | None]]:
    return [[s.entra_id, s.name] for s in samples]


async def _with_last_use_times(
    facts: list[AppFacts], *, connection_id: uuid.UUID, start: dt.date
) -> list[AppFacts]:
    """The exact time of each app's last use, for apps last used within the window: each such
    day becomes the window's first day as days pass, and there the time decides the status."""
    recent = {a.app_id: a.last_used_on for a in facts if a.last_used_on and a.last_used_on >= start}
    times = await figure_inputs.last_use_times(connection_id=connection_id, last_days=recent)
    return [
        replace(a, last_used_at=times.get(a.app_id) if a.app_id in recent else None) for a in facts
    ]


async def _with_unassigned(
    facts: list[AppFacts], *, window: Window
) -> tuple[list[AppFacts], list[Sample]]:
    """Each app's count of users who used it unassigned, and the first few of them, from one
    statement (the costliest derive runs: counting and naming apart read the window twice)."""
    live = [a for a in facts if a.removed_at is None]
    found = await insight_evidence.unassigned(apps=live, window=window, limit=EVIDENCE_USERS)
    # Keyed as the count was (by appId): a removed app shares it with its live successor.
    counts = {(a.connection_id, a.app_id): found.counts.get(a.id, 0) for a in live}
    facts = [replace(a, unassigned_users=counts.get((a.connection_id, a.app_id), 0)) for a in facts]
    return facts, found.sample


async def _evidence(
    facts: list[AppFacts], *, window, now: dt.datetime, active_days: int, unassigned: list[Sample]
):
    """Shadow IT evidence (judged as if nobody had approved the app yet) and problems."""
    unapproved = [replace(a, stage=None) for a in facts]
    shadow = await verdicts(
        unapproved,
        window=window,
        now=now,
        active_days=active_days,
        evidence_users=EVIDENCE_USERS,
        unassigned_sample=unassigned,
    )
    problems = await problems_of(facts, window=window, now=now, active_days=active_days)
    by_app: dict[int, list[dict]] = defaultdict(list)
    for p in problems:
        by_app[p.app.id].append(
            {"kind": p.kind.value, "summary": p.summary, "evidence": p.evidence}
        )
    return {s.app.id: s for s in shadow}, by_app


async def compute(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    now: dt.datetime,
    active_days: int,
    inactive_days: int,
    app_ids: Sequence[int] | None = None,
) -> TenantFigures:
    """A tenant's figures at `now` (only `app_ids`' apps, without tenant totals, when given)."""
    window = rules.window(now=now, days=active_days)
    facts = await store.app_facts(
        organization_id=organization_id,
        connection_id=connection_id,
        window=window,
        app_ids=app_ids,
        include_removed=True,
        count_unassigned=False,
    )
    facts, unassigned = await _with_unassigned(facts, window=window)
    facts = await _with_last_use_times(facts, connection_id=connection_id, start=window.start)
    seats = await figure_inputs.seat_figures(
        connection_id=connection_id,
        start=rules.window(now=now, days=inactive_days).start,
        today=window.end,
        sample=EVIDENCE_USERS,
        app_ids=app_ids,
    )
    shadow, problems = await _evidence(
        facts, window=window, now=now, active_days=active_days, unassigned=unassigned
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for count in seats.counts:
        total = totals[count.app]
        total[0], total[1], total[2] = (
            total[0] + count.seats,
            total[1] + count.active,
            total[2] + count.grace,
        )
    known = catalog.default()
    apps = []
    for app in facts:
        seated, active, grace = totals[app.id]
        found = shadow.get(app.id)
        evidence = {"inactive_users": [list(u) for u in seats.idle.get(app.id, [])]}
        if found is not None:
            evidence |= {
                "consented_by": _pairs(found.consented_by),
                "scopes": list(found.scopes),
                "unassigned_sample": _pairs(found.unassigned_sample),
            }
        figures = Figures(
            computed_at=now,
            active_days=active_days,
            inactive_days=inactive_days,
            sort_name=app.display_name,
            seats=seated,
            active_seats=active,
            inactive_seats=seated - active - grace,
            seats_in_grace=grace,
            catalog_category=catalog.category_of(
                override=None, app_id=app.app_id, name=app.display_name, catalog=known
            ),
            shadow=found is not None,
            problems=tuple(problems.get(app.id, ())),
            evidence=evidence,
        )
        apps.append((app, figures))
    department_seats = [
        DepartmentSeats(c.app, c.department, c.seats, c.inactive) for c in seats.counts
    ]
    if app_ids is not None:
        return TenantFigures(now, apps, department_seats, [], [])
    whole = await tenant_rows(
        organization_id=organization_id,
        connection_id=connection_id,
        facts=facts,
        now=now,
        active_days=active_days,
    )
    return TenantFigures(now, apps, department_seats, whole.departments, whole.overlaps)


async def tenant_rows(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    facts: Sequence[AppFacts],
    now: dt.datetime,
    active_days: int,
) -> TenantFigures:
    """A tenant's department figures and overlaps (no apps); `facts` need only hold the apps
    that can overlap (`overlap_candidates`)."""
    window = rules.window(now=now, days=active_days)
    activity = await insight_usage.department_activity(
        organization_id=organization_id, window=window, connection_id=connection_id
    )
    departments = [
        DepartmentRow(a.department, a.users, a.active_users, a.apps_used) for a in activity
    ]
    overlaps = await _overlaps(facts, connection_id=connection_id, now=now, active_days=active_days)
    return TenantFigures(now, [], [], departments, overlaps)


def overlap_candidates(
    facts: Sequence[AppFacts], *, now: dt.datetime, active_days: int
) -> list[AppFacts]:
    """The apps an overlap can hold: live, In Use, with a category."""
    return [app for app, _category in _live_in_use(facts, now=now, active_days=active_days)]


def _live_in_use(facts: Sequence[AppFacts], *, now: dt.datetime, active_days: int):
    known = catalog.default()
    for app in facts:
        if app.removed_at is not None:
            continue
        category = catalog.category_of(
            override=app.category_override, app_id=app.app_id, name=app.display_name, catalog=known
        )
        if category and rules.app_status(app, now=now, active_days=active_days) is AppStatus.IN_USE:
            yield app, category


async def _overlaps(
    facts: Sequence[AppFacts], *, connection_id: uuid.UUID, now: dt.datetime, active_days: int
) -> list[OverlapRow]:
    """Categories with two or more In Use apps, and how many users use one or several of them."""
    window = rules.window(now=now, days=active_days)
    by_category: dict[str, list[tuple[AppFacts, str]]] = defaultdict(list)
    for app, category in _live_in_use(facts, now=now, active_days=active_days):
        by_category[category.casefold()].append((app, category))
    overlapping = [
        (members[0][1], sorted((a for a, _ in members), key=_by_use))
        for _key, members in sorted(by_category.items())
        if len(members) >= 2
    ]
    shared = await figure_inputs.shared_users(
        connection_id=connection_id,
        app_sets=[[a.app_id for a in apps] for _name, apps in overlapping],
        start=window.start,
        end=window.end,
    )
    return [
        OverlapRow(name, tuple(a.id for a in apps), several, total)
        for (name, apps), (total, several) in zip(overlapping, shared, strict=True)
    ]


def _by_use(app: AppFacts) -> tuple[int, str]:
    """Most active users first, then by name."""
    return (-app.active_users, app.display_name)


async def refresh(
    *,
    organization_id: uuid.UUID,
    connection_id: uuid.UUID,
    now: dt.datetime,
    active_days: int = 30,
    inactive_days: int = 60,
) -> TenantFigures:
    """Compute a tenant's figures and store them in place of the previous ones."""
    tenant = await compute(
        organization_id=organization_id,
        connection_id=connection_id,
        now=now,
        active_days=active_days,
        inactive_days=inactive_days,
    )
    await figure_writes.replace_figures(
        organization_id=organization_id, connection_id=connection_id, tenant=tenant
    )
    return tenant


async def refresh_overlaps(
    *, organization_id: uuid.UUID, connection_id: uuid.UUID, now: dt.datetime
) -> None:
    """Recompute a tenant's overlaps alone (after people change a category), with the window
    length its stored figures were computed with."""
    rows = await app_figures.read(
        organization_id=organization_id, selection=Selection(connection_id=connection_id)
    )
    if not rows:
        return
    active_days = rows[0].figures.active_days
    overlaps = await _overlaps(
        [r.facts for r in rows], connection_id=connection_id, now=now, active_days=active_days
    )
    await figure_writes.replace_figures(
        organization_id=organization_id,
        connection_id=connection_id,
        tenant=TenantFigures(now, [], [], [], overlaps),
        only=("overlap_figures",),
    )


def _stale(row: StoredApp, active_days: int | None, inactive_days: int | None) -> bool:
    f = row.figures
    return (active_days is not None and f.active_days != active_days) or (
        inactive_days is not None and f.inactive_days != inactive_days
    )


async def read(
    *,
    organization_id: uuid.UUID,
    now: dt.datetime,
    active_days: int | None = None,
    inactive_days: int | None = None,
    selection: Selection = Selection(),  # noqa: B008 - frozen, so one shared default is safe
    after: tuple[str, int] | None = None,
    limit: int | None = None,
    offset: int = 0,
    detail: Sequence[str] = (),
    order: str = "name",
) -> list[StoredApp]:
    """Stored apps with their figures; apps stored with other window lengths than asked for
    (settings changed since the derive) are recomputed for this read, not stored."""
    rows = await app_figures.read(
        organization_id=organization_id,
        selection=selection,
        after=after,
        limit=limit,
        offset=offset,
        detail=detail,
        order=order,
    )
    stale = [r for r in rows if _stale(r, active_days, inactive_days)]
    if not stale:
        return rows
    fresh: dict[int, StoredApp] = {}
    by_connection: dict[uuid.UUID, list[StoredApp]] = defaultdict(list)
    for row in stale:
        by_connection[row.facts.connection_id].append(row)
    for connection_id, group in by_connection.items():
        tenant = await compute(
            organization_id=organization_id,
            connection_id=connection_id,
            now=now,
            active_days=active_days or group[0].figures.active_days,
            inactive_days=inactive_days or group[0].figures.inactive_days,
            app_ids=[r.facts.id for r in group],
        )
        fresh |= {app.id: StoredApp(app, figures) for app, figures in tenant.apps}
    return [fresh.get(r.facts.id, r) for r in rows]
