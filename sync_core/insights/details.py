"""One app in full: its summary, departments, granted scopes, problems, shadow IT verdict,
seats, stage history and daily sign-ins, read for that app alone (never the whole tenant)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sync_core.insights import rules
from sync_core.insights.apps import summarise
from sync_core.insights.decisions import stage_history
from sync_core.insights.licenses import waste_of
from sync_core.insights.logins import login_activity
from sync_core.insights.problems import problems_of
from sync_core.insights.records import (
    AppSummary,
    DailyCount,
    LicenseWaste,
    Problem,
    ShadowApp,
    StageChangeEntry,
)
from sync_core.insights.shadow import verdicts
from sync_core.store import app_access, insight_usage
from sync_core.store import insights as store
from sync_core.store.app_access import AppGrant
from sync_core.store.insight_usage import Seat

ADMIN_CONSENT = "AllPrincipals"


@dataclass(frozen=True, slots=True)
class GrantedScope:
    """A delegated permission the app holds: tenant-wide by an admin, and/or by users."""

    scope: str
    admin_consented: bool
    users: int  # users who consented themselves


@dataclass(frozen=True, slots=True)
class AppDetails:
    """Everything known about one app at `now`."""

    app: AppSummary
    departments: tuple[tuple[str | None, int], ...] = ()  # assigned users, most first
    scopes: tuple[GrantedScope, ...] = ()
    shadow: ShadowApp | None = None
    problems: tuple[Problem, ...] = ()
    waste: LicenseWaste | None = None  # None: nobody is assigned
    history: tuple[StageChangeEntry, ...] = ()
    usage: tuple[DailyCount, ...] = ()  # one per day of the window, oldest first


def departments_of(seats: Sequence[Seat]) -> tuple[tuple[str | None, int], ...]:
    """Assigned users per department, most first (then by name; no department last)."""
    counted = Counter(s.department for s in seats)
    return tuple(sorted(counted.items(), key=lambda item: (-item[1], item[0] is None,
                                                           item[0] or "")))  # fmt: skip


def granted_scopes(grants: Sequence[AppGrant]) -> tuple[GrantedScope, ...]:
    """Each scope once, with whether an admin granted it tenant-wide and how many users did."""
    admin: set[str] = set()
    users: dict[str, set[str]] = {}
    for grant in grants:
        for scope in grant.scopes:
            if grant.consent_type == ADMIN_CONSENT:
                admin.add(scope)
            elif grant.consented_by is not None:
                users.setdefault(scope, set()).add(grant.consented_by.entra_id)
            else:
                users.setdefault(scope, set())
    found = admin | users.keys()
    return tuple(
        GrantedScope(scope, scope in admin, len(users.get(scope, ())))
        for scope in sorted(found, key=str.casefold)
    )


async def app_details(
    *,
    organization_id: uuid.UUID,
    app_id: int,
    now: dt.datetime,
    active_days: int = 30,
    inactive_days: int = 60,
) -> AppDetails | None:
    """One app of the organization in full; None when it has no such app."""
    window = rules.window(now=now, days=active_days)
    facts = await store.app_facts(organization_id=organization_id, window=window,
                                  app_ids=[app_id], include_removed=True)  # fmt: skip
    if not facts:
        return None
    summary = summarise(facts[0], now=now, active_days=active_days)
    seats = await insight_usage.seats(
        organization_id=organization_id, until=rules.window(now=now, days=0).end,
        app_ids=[app_id],
    )  # fmt: skip
    shadow = await verdicts(facts, window=window, now=now, active_days=active_days)
    waste = waste_of(summary, seats, now=now, inactive_days=inactive_days, evidence_users=10)
    grants = await app_access.app_grants(organization_id=organization_id, app_pk=app_id)
    usage = await login_activity(
        organization_id=organization_id, days=active_days, now=now, app_id=app_id
    )
    return AppDetails(
        app=summary,
        departments=departments_of(seats),
        scopes=granted_scopes(grants),
        shadow=shadow[0] if shadow else None,
        problems=tuple(await problems_of(facts, window=window, now=now, active_days=active_days)),
        waste=waste if seats else None,
        history=tuple(await stage_history(organization_id=organization_id, app_id=app_id)),
        usage=tuple(usage),
    )
