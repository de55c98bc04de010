"""Insight rules: data plus small pure functions; time and thresholds are passed in.

Windows are whole UTC days, because the daily rollup (which outlives raw sign-ins) is the
source: a window of 30 days at `now` runs from the day 30 days before today through today,
and a day exactly on its start still counts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sync_core.app_facts import AppFacts, Window
from sync_core.insights.records import (
    AppOrigin,
    AppStatus,
    EventKind,
    Money,
    Overlap,
    OverlapApp,
    ShadowReason,
)
from sync_core.records import AppStage

# Microsoft's first-party apps are owned by these tenants ("Microsoft Services" and Microsoft's
# corporate tenant).
MICROSOFT_TENANTS = frozenset(
    ("f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47")
)
# Delegated scopes that read mail or files or write the directory: what an unverified app
# should not hold on a user's behalf.
# fmt: off
RISKY_SCOPES = frozenset((
    "Mail.Read", "Mail.ReadBasic", "Mail.ReadWrite", "Mail.Send", "Mail.Read.Shared",
    "Mail.ReadWrite.Shared", "Mail.Send.Shared", "MailboxSettings.ReadWrite",
    "EWS.AccessAsUser.All", "full_access_as_user", "Files.Read.All", "Files.ReadWrite",
    "Files.ReadWrite.All", "Sites.Read.All", "Sites.ReadWrite.All", "Sites.Manage.All",
    "Sites.FullControl.All", "Notes.ReadWrite.All", "Contacts.ReadWrite", "Calendars.ReadWrite",
    "Directory.ReadWrite.All", "Directory.AccessAsUser.All", "User.ReadWrite.All",
    "Group.ReadWrite.All", "Application.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
))
# fmt: on


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Settings of the problem rules."""

    min_sign_ins: int = 20  # below this many sign-ins a failure rate says little
    failure_rate: float = 0.30
    risky_scopes: frozenset[str] = RISKY_SCOPES


class SeatState(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    GRACE = "grace"  # assigned within the window: too new to call unused


def window(*, now: dt.datetime, days: int) -> Window:
    """The last `days` whole UTC days up to and including today."""
    today = now.astimezone(dt.UTC).date()
    return Window(start=today - dt.timedelta(days=days), end=today)


def origin(*, owner_tenant_id: str | None, tenant_id: str) -> AppOrigin:
    """Whose app a service principal is, from the tenant that owns its registration."""
    owner = (owner_tenant_id or "").strip().lower()
    if not owner:
        return AppOrigin.UNKNOWN
    if owner in MICROSOFT_TENANTS:
        return AppOrigin.MICROSOFT
    return AppOrigin.TENANT if owner == tenant_id.strip().lower() else AppOrigin.THIRD_PARTY


def app_origin(app: AppFacts) -> AppOrigin:
    """The origin of an app as the store describes it."""
    return origin(owner_tenant_id=app.owner_tenant_id, tenant_id=app.tenant_id)


def status(
    *,
    last_used_on: dt.date | None,
    now: dt.datetime,
    active_days: int,
    last_used_at: dt.datetime | None = None,
) -> AppStatus:
    """In use when used within the window, inactive when used before it, else discovered.

    On the window's first day the exact time decides (the use must be no older than
    `active_days`); without it (raw sign-ins pruned) the day counts as inside.
    """
    if last_used_on is None:
        return AppStatus.DISCOVERED
    start = window(now=now, days=active_days).start
    if last_used_on < start:
        return AppStatus.INACTIVE
    if last_used_on > start or last_used_at is None:
        return AppStatus.IN_USE
    inside = last_used_at >= now - dt.timedelta(days=active_days)
    return AppStatus.IN_USE if inside else AppStatus.INACTIVE


def app_status(app: AppFacts, *, now: dt.datetime, active_days: int) -> AppStatus:
    """The status of an app as the store describes it."""
    return status(
        last_used_on=app.last_used_on,
        last_used_at=app.last_used_at,
        now=now,
        active_days=active_days,
    )


def transition(*, previous: AppStatus | None, current: AppStatus) -> EventKind | None:
    """The event a status change raises; the first verdict on an app raises none."""
    if previous is None or previous == current:
        return None
    if current is AppStatus.IN_USE:
        return EventKind.BECAME_IN_USE
    if current is AppStatus.INACTIVE and previous is AppStatus.IN_USE:
        return EventKind.BECAME_INACTIVE
    return None


def needs_review(app: AppFacts) -> bool:
    """A live third-party app nobody has staged yet starts in needs review."""
    return app.stage is None and app.removed_at is None and app_origin(app) is AppOrigin.THIRD_PARTY


def knows_assignees(app: AppFacts) -> bool:
    """Whether every assigned user is known: no groups assigned, or their members expanded."""
    return app.assigned_groups == 0 or app.group_members > 0


def shadow_reasons(app: AppFacts) -> tuple[ShadowReason, ...]:
    """Why a live, unapproved third-party app is shadow IT; empty when it is not.

    Use without an assignment (direct or through a group) does not count where IT let everyone
    in by tenant-wide admin consent, nor where groups are assigned but their members were not
    expanded by the sync (nobody can tell who is assigned).
    """
    if app.removed_at is not None or app.stage is AppStage.APPROVED:
        return ()
    if app_origin(app) is not AppOrigin.THIRD_PARTY:
        return ()
    reasons = []
    if app.consented_users > 0:
        reasons.append(ShadowReason.USER_CONSENT)
    let_in_by_it = app.admin_consented or not knows_assignees(app)
    if app.unassigned_users > 0 and not let_in_by_it:
        reasons.append(ShadowReason.UNASSIGNED_USE)
    return tuple(reasons)


def seat_state(
    *,
    last_used_on: dt.date | None,
    granted_at: dt.datetime | None,
    now: dt.datetime,
    inactive_days: int,
) -> SeatState:
    """Whether an assigned user used the app within the window, or is too new to tell."""
    start = window(now=now, days=inactive_days).start
    return seat_state_since(start, last_used_on=last_used_on, granted_at=granted_at)


def seat_state_since(
    start: dt.date, *, last_used_on: dt.date | None, granted_at: dt.datetime | None
) -> SeatState:
    """`seat_state` for a window starting on `start` (computed once for many seats)."""
    if last_used_on is not None and last_used_on >= start:
        return SeatState.ACTIVE
    if granted_at is not None and granted_at.astimezone(dt.UTC).date() >= start:
        return SeatState.GRACE
    return SeatState.INACTIVE


def monthly_waste(*, inactive_seats: int, seat_cost: Money | None) -> Money | None:
    """What unused seats cost per month; unknown without a seat cost."""
    if seat_cost is None:
        return None
    return Money(seat_cost.amount * inactive_seats, seat_cost.currency)


def risky_scopes(scopes: Iterable[str], *, thresholds: Thresholds) -> tuple[str, ...]:
    """The risky ones among granted scopes (Graph scope names are case-insensitive)."""
    risky = {s.casefold() for s in thresholds.risky_scopes}
    return tuple(sorted({s for s in scopes if s.casefold() in risky}))


def is_unverified(app: AppFacts) -> bool:
    """A third-party app whose publisher Microsoft has not verified."""
    return app_origin(app) is AppOrigin.THIRD_PARTY and not (app.verified_publisher or "").strip()


def find_overlaps(
    *,
    connection_id: uuid.UUID,
    apps: Sequence[tuple[OverlapApp, str]],
    pairs: Iterable[tuple[int, str]],
) -> list[Overlap]:
    """Categories with two or more of one tenant's In Use apps, and who uses several of them.

    `apps` pairs each app with its category; `pairs` are (app id, user) who used it.
    """
    by_category: dict[str, list[OverlapApp]] = defaultdict(list)
    spelled: dict[str, str] = {}
    for app, category in apps:
        by_category[category.casefold()].append(app)
        spelled.setdefault(category.casefold(), category)
    users_of: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    category_of = {app.id: key for key, members in by_category.items() for app in members}
    for app_id, user in set(pairs):
        if app_id in category_of:
            users_of[category_of[app_id]][user] += 1
    result = []
    for key, members in sorted(by_category.items()):
        if len(members) < 2:
            continue
        counts = users_of[key]
        result.append(
            Overlap(
                connection_id=connection_id,
                category=spelled[key],
                apps=tuple(sorted(members, key=lambda a: (-a.active_users, a.name))),
                users_in_several=sum(1 for n in counts.values() if n > 1),
                users_total=len(counts),
            )
        )
    return result
