"""What the insight rules decide on about one application, as the store reads it.

Plain records in their own module so the rules depend on data, not on the store that fills it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sync_core.records import AppStage


@dataclass(frozen=True, slots=True)
class AppFacts:
    """One application with the figures rules decide on; windows are whole UTC days."""

    id: int
    connection_id: uuid.UUID
    tenant_id: str
    entra_id: str
    app_id: str
    display_name: str
    publisher_name: str | None
    verified_publisher: str | None
    owner_tenant_id: str | None
    account_enabled: bool | None
    stage: AppStage | None
    category_override: str | None
    seat_cost_amount: Decimal | None
    seat_cost_currency: str | None
    first_seen_at: dt.datetime
    removed_at: dt.datetime | None
    status: str | None = None  # as concluded by the last derive
    status_changed_at: dt.datetime | None = None
    shadow_detected_at: dt.datetime | None = None
    assigned_users: int = 0  # users still in the directory, assigned directly or by group
    assigned_groups: int = 0
    group_members: int = 0  # users the sync expanded from assigned groups (0: not expanded)
    consented_users: int = 0  # users still in the directory with a live user consent
    users_with_access: int = 0  # users assigned directly or consented, gone or not
    users_gone: int = 0  # of those, disabled or removed from the directory
    access_users: int = 0  # users in the directory with access: assigned, by group or consent
    admin_consented: bool = False  # a live tenant-wide (AllPrincipals) grant
    last_used_on: dt.date | None = None  # last day with a successful user sign-in
    # The exact time, read from raw sign-ins only when that day is the window's first day:
    # there the day alone cannot tell whether the use was inside the window.
    last_used_at: dt.datetime | None = None
    active_users: int = 0  # users with a successful sign-in within the window
    window_successes: int = 0
    window_failures: int = 0
    unassigned_users: int = 0  # active users without a direct assignment


@dataclass(frozen=True, slots=True)
class Window:
    """Whole UTC days from `start` to `end`, both included."""

    start: dt.date
    end: dt.date
