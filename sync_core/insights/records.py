"""Records of the insights layer: verdicts with their evidence, as every door renders them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sync_core.records import Actor, AppStage
from sync_core.store.insights.state import StageChangeEntry
from sync_core.store.insights.usage import DailyCount

__all__ = [
    "AppOrigin",
    "AppStatus",
    "AppSummary",
    "DailyCount",
    "DepartmentUsage",
    "EventKind",
    "InsightEvent",
    "LicenseWaste",
    "Money",
    "Overlap",
    "OverlapApp",
    "Problem",
    "ProblemKind",
    "ShadowApp",
    "ShadowReason",
    "StageChangeEntry",
    "UserRef",
]


class AppStatus(StrEnum):
    """Usage status: derived from sign-ins, never set by people."""

    IN_USE = "in_use"
    INACTIVE = "inactive"
    DISCOVERED = "discovered"


class AppOrigin(StrEnum):
    """Whose app it is, from the service principal's owner tenant."""

    MICROSOFT = "microsoft"
    TENANT = "tenant"  # registered in the connected tenant itself
    THIRD_PARTY = "third_party"
    UNKNOWN = "unknown"  # no owner tenant: legacy or special service principals


class EventKind(StrEnum):
    """Kinds of insight events; each is also the activity trail's `kind`."""

    BECAME_IN_USE = "app.became_in_use"
    BECAME_INACTIVE = "app.became_inactive"
    SHADOW_IT_DETECTED = "shadow_it.detected"
    STAGE_CHANGED = "app.stage_changed"
    CATEGORY_CHANGED = "app.category_changed"
    SEAT_COST_CHANGED = "app.seat_cost_changed"


class ShadowReason(StrEnum):
    USER_CONSENT = "user_consent"
    UNASSIGNED_USE = "unassigned_use"


class ProblemKind(StrEnum):
    HIGH_FAILURE_RATE = "high_failure_rate"
    RISKY_USER_CONSENT = "risky_user_consent"
    DISABLED_STILL_USED = "disabled_still_used"
    NO_ACTIVE_USERS = "no_active_users"  # every user with access is disabled or removed


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class UserRef:
    """A user named in evidence."""

    entra_id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AppSummary:
    """One application with its usage figures at `now`."""

    id: int
    connection_id: uuid.UUID
    entra_id: str
    app_id: str
    name: str
    publisher: str | None
    verified_publisher: str | None
    origin: AppOrigin
    status: AppStatus
    stage: AppStage | None
    category: str | None
    assigned_users: int  # directly or through a group, still in the directory
    assigned_groups: int
    consented_users: int
    active_users: int  # successful sign-ins within the window
    last_used_on: dt.date | None
    first_seen_at: dt.datetime
    account_enabled: bool | None
    seat_cost: Money | None
    removed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ShadowApp:
    """A third-party app that got in without IT, with the evidence for the verdict."""

    app: AppSummary
    reasons: tuple[ShadowReason, ...]
    consenting_users: int
    consented_by: tuple[UserRef, ...]  # the first few, oldest consent first
    scopes: tuple[str, ...]
    unassigned_users: int
    unassigned_sample: tuple[UserRef, ...]
    first_seen_at: dt.datetime
    detected_at: dt.datetime | None  # when the shadow IT event was raised


@dataclass(frozen=True, slots=True)
class OverlapApp:
    id: int
    name: str
    active_users: int


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two or more In Use apps of one category in one tenant."""

    connection_id: uuid.UUID
    category: str
    apps: tuple[OverlapApp, ...]
    users_in_several: int  # users who used more than one of them in the window
    users_total: int


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an app, in words and with the figures behind it."""

    app: AppSummary
    kind: ProblemKind
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LicenseWaste:
    """Seats of one app: who is assigned, who has not signed in, what it costs."""

    app: AppSummary
    assigned_users: int
    active_seats: int
    inactive_seats: int
    in_grace: int
    monthly_waste: Money | None
    inactive_users: tuple[UserRef, ...]  # the first few


@dataclass(frozen=True, slots=True)
class DepartmentUsage:
    """Usage and seat cost of one department of one tenant."""

    connection_id: uuid.UUID
    department: str | None
    users: int
    active_users: int
    apps_used: int
    seats: int
    inactive_seats: int
    monthly_cost: tuple[Money, ...]
    monthly_waste: tuple[Money, ...]


@dataclass(frozen=True, slots=True)
class InsightEvent:
    """Something notifiers announce; already recorded in the activity trail."""

    kind: EventKind
    organization_id: uuid.UUID
    connection_id: uuid.UUID
    app_id: int
    app_entra_id: str
    app_name: str
    actor: Actor
    occurred_at: dt.datetime
    details: dict[str, Any] = field(default_factory=dict)
