"""One app in full: its summary, departments, granted scopes, problems, shadow IT verdict,
seats, stage history and daily sign-ins, read for that app alone (never the whole tenant):
figures, department split, verdicts and evidence as derive stored them; grants, history and
daily sign-ins from the inventory."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sync_core.insights import figures, verdicts
from sync_core.insights.decisions import stage_history
from sync_core.insights.logins import login_activity
from sync_core.insights.records import (
    AppSummary,
    DailyCount,
    LicenseWaste,
    Problem,
    ShadowApp,
    StageChangeEntry,
)
from sync_core.insights.summary import summary_of
from sync_core.store.app_grants import ScopeConsent, scope_consents
from sync_core.store.insights import app_figures, tenant_figures
from sync_core.store.insights.app_figures import Selection

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


def departments_of(
    counted: Sequence[tuple[str | None, int]],
) -> tuple[tuple[str | None, int], ...]:
    """Assigned users per department, most first (then by name; no department last)."""
    return tuple(sorted(counted, key=lambda item: (-item[1], item[0] is None, item[0] or "")))


def granted_scopes(grants: Sequence[ScopeConsent]) -> tuple[GrantedScope, ...]:
    """Each scope once, with whether an admin granted it tenant-wide and how many users did."""
    admin: set[str] = set()
    users: dict[str, set[str]] = {}
    for grant in grants:
        for scope in grant.scopes:
            if grant.consent_type == ADMIN_CONSENT:
                admin.add(scope)
            elif grant.user_entra_id is not None:
                users.setdefault(scope, set()).add(grant.user_entra_id)
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
    rows = await figures.read(
        organization_id=organization_id,
        now=now,
        active_days=active_days,
        inactive_days=inactive_days,
        detail=app_figures.DETAILS,
        selection=Selection(app_ids=[app_id], include_removed=True),
    )
    if not rows:
        return None
    row = rows[0]
    summary = summary_of(row, now=now, active_days=active_days)
    split = await tenant_figures.app_departments(organization_id=organization_id, app_id=app_id)
    grants = await scope_consents(organization_id=organization_id, app_pk=app_id)
    usage = await login_activity(
        organization_id=organization_id, days=active_days, now=now, app_id=app_id
    )
    return AppDetails(
        app=summary,
        departments=departments_of(split),
        scopes=granted_scopes(grants),
        shadow=verdicts.shadow(row, summary),
        problems=tuple(verdicts.problems(row, summary)),
        waste=verdicts.waste(row, summary),
        history=tuple(await stage_history(organization_id=organization_id, app_id=app_id)),
        usage=tuple(usage),
    )
