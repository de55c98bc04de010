"""AppFacts for the pure rule tables: a plain third-party app, changed per row."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

from sync_core.app_facts import AppFacts

TENANT = "11111111-2222-3333-4444-555555555555"
VENDOR = "99999999-0000-0000-0000-000000000001"
MICROSOFT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

BASE = AppFacts(
    id=1,
    connection_id=uuid.UUID(int=1),
    tenant_id=TENANT,
    entra_id="sp-1",
    app_id="app-1",
    display_name="Some SaaS",
    publisher_name="Some SaaS Inc.",
    verified_publisher=None,
    owner_tenant_id=VENDOR,
    account_enabled=True,
    stage=None,
    category_override=None,
    seat_cost_amount=None,
    seat_cost_currency=None,
    first_seen_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    removed_at=None,
)


def facts(**changes) -> AppFacts:
    return replace(BASE, **changes)
