"""Problem rules: each is a pure function of an app's figures, giving a finding or None."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_core.app_facts import AppFacts
from sync_core.insights.records import ProblemKind
from sync_core.insights.rules import Thresholds, is_unverified, knows_assignees, risky_scopes

TOP_ERRORS = 5

# (scopes of one consent, users who gave it, first seen) as the store groups user consents.
Consent = tuple[tuple[str, ...], int, dt.datetime | None]
# (error code, reason, failed sign-ins) from the raw events still kept.
FailureCount = tuple[int, str | None, int]


@dataclass(frozen=True, slots=True)
class Finding:
    kind: ProblemKind
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


def high_failure_rate(
    app: AppFacts, *, thresholds: Thresholds, days: int, errors: Sequence[FailureCount] = ()
) -> Finding | None:
    """Many sign-ins in the window, and too large a share of them failed."""
    total = app.window_successes + app.window_failures
    if total == 0 or total < thresholds.min_sign_ins:
        return None
    rate = app.window_failures / total
    if rate < thresholds.failure_rate:
        return None
    top = sorted(errors, key=lambda e: (-e[2], e[0]))[:TOP_ERRORS]
    return Finding(
        ProblemKind.HIGH_FAILURE_RATE,
        f"{app.window_failures} of {total} sign-ins failed ({rate:.0%}) in the last {days} days",
        {
            "sign_ins": total,
            "failures": app.window_failures,
            "failure_rate": round(rate, 4),
            "days": days,
            "min_sign_ins": thresholds.min_sign_ins,
            "threshold": thresholds.failure_rate,
            "top_errors": [
                {"error_code": code, "reason": reason, "sign_ins": n} for code, reason, n in top
            ],
        },
    )


def risky_user_consent(
    app: AppFacts, *, consents: Sequence[Consent], thresholds: Thresholds
) -> Finding | None:
    """Users granted mail, file or directory-write scopes to an unverified publisher."""
    if not is_unverified(app):
        return None
    users_per_scope: Counter[str] = Counter()
    for scopes, users, _first_seen in consents:
        for scope in risky_scopes(scopes, thresholds=thresholds):
            users_per_scope[scope] += users
    if not users_per_scope:
        return None
    names = ", ".join(sorted(users_per_scope))
    most = max(users_per_scope.values())
    return Finding(
        ProblemKind.RISKY_USER_CONSENT,
        f"{most} user(s) granted {names} to an unverified publisher",
        {
            "scopes": dict(sorted(users_per_scope.items())),
            "consenting_users": app.consented_users,
            "publisher": app.publisher_name,
        },
    )


def disabled_still_used(app: AppFacts, *, days: int) -> Finding | None:
    """Disabled in Entra, yet still assigned or still being signed into."""
    if app.account_enabled is not False:
        return None
    attempts = app.window_successes + app.window_failures
    if not (app.assigned_users or app.assigned_groups or attempts):
        return None
    return Finding(
        ProblemKind.DISABLED_STILL_USED,
        f"Disabled, but assigned to {app.assigned_users} user(s) and {app.assigned_groups} "
        f"group(s), with {attempts} sign-in attempt(s) in the last {days} days",
        {
            "assigned_users": app.assigned_users,
            "assigned_groups": app.assigned_groups,
            "sign_in_attempts": attempts,
            "successes": app.window_successes,
            "days": days,
        },
    )


def no_active_users(app: AppFacts) -> Finding | None:
    """Every user given access (assigned, by group or consent) is disabled or removed.

    Apps assigned to groups whose members the sync did not expand are left out: nobody can tell.
    """
    if app.users_with_access == 0 or not knows_assignees(app):
        return None
    if app.users_gone < app.users_with_access:
        return None
    return Finding(
        ProblemKind.NO_ACTIVE_USERS,
        f"All {app.users_with_access} user(s) with access are disabled or removed",
        {"users_with_access": app.users_with_access, "users_gone": app.users_gone},
    )
