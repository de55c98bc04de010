"""Derive goes through a tenant's apps in slices (bounded memory and write transactions): the
stored figures, department seats, overlaps and events are the same whatever the slice size,
and figures of apps derive no longer covers are dropped (both databases)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from sync_core import insights
from sync_core.store import models
from sync_core.store.insights.sql import db_uuid, fetch
from tests.insights import tenant as t
from tests.insights.tenant import NOW

# The module (the package exports its `derive` function under the same name).
derive_module = importlib.import_module("sync_core.insights.derive")

OTHER_TENANT = "22222222-3333-4444-5555-666666666666"
# Every stored figure of a tenant, by app name (ids differ between tenants).
FIGURES = """
SELECT a.display_name, f.sort_name, f.assigned_users, f.active_users, f.seats, f.active_seats,
  f.inactive_seats, f.seats_in_grace, f.catalog_category, f.shadow, f.problems, f.evidence,
  f.last_used_on
FROM app_figures f JOIN application a ON a.id = f.application_id
WHERE f.connection_id = ? ORDER BY a.display_name"""
SEATS = """
SELECT a.display_name, s.department, s.seats, s.inactive_seats
FROM app_department_seats s JOIN application a ON a.id = s.application_id
WHERE s.connection_id = ? ORDER BY a.display_name, s.department"""
OVERLAPS = """
SELECT category, users_in_several, users_total, app_ids FROM overlap_figures
WHERE connection_id = ? ORDER BY category"""


async def _stored(tenant: t.Tenant) -> dict[str, Any]:
    conn = db_uuid(tenant.connection.id)
    names = {
        a.id: a.display_name
        for a in await models.Application.filter(connection_id=tenant.connection.id)
    }
    overlaps = [
        {**row, "app_ids": sorted(names[int(i)] for i in _ids(row["app_ids"]))}
        for row in await fetch(OVERLAPS, [conn])
    ]
    return {
        "figures": await fetch(FIGURES, [conn]),
        "seats": await fetch(SEATS, [conn]),
        "overlaps": overlaps,
    }


def _ids(value: Any) -> list[int]:
    return json.loads(value) if isinstance(value, str) else list(value)


async def _derived(name: str, tenant_id: str, slice_size: int, monkeypatch) -> tuple:
    monkeypatch.setattr(derive_module, "SLICE", slice_size)
    tenant = await t.build(name, tenant_id=tenant_id)
    events = await insights.derive(connection_id=tenant.connection.id, now=NOW)
    return tenant, sorted((e.kind, e.app_name) for e in events)


@pytest.mark.parametrize("size", [1, 3])
async def test_slices_store_what_one_slice_stores(store, monkeypatch, size):
    whole, whole_events = await _derived("Whole", t.TENANT, 10_000, monkeypatch)
    sliced, sliced_events = await _derived("Sliced", OTHER_TENANT, size, monkeypatch)

    assert sliced_events == whole_events and len(whole_events) == 4
    expected, found = await _stored(whole), await _stored(sliced)
    assert len(expected["figures"]) == 12 and expected["overlaps"]  # four slices or more
    assert found == expected


async def test_figures_of_an_app_no_longer_covered_are_dropped(store, monkeypatch):
    monkeypatch.setattr(derive_module, "SLICE", 2)
    tenant = await t.build()
    conn = tenant.connection.id
    gone = await tenant.app_id("Zoom")
    # Zoom turns out to be a managed identity: derive does not cover those.
    await models.Application.filter(id=gone).update(principal_type="ManagedIdentity")

    await insights.derive(connection_id=conn, now=NOW)

    apps = {r["display_name"] for r in (await _stored(tenant))["figures"]}
    assert "Zoom" not in apps and "Team Board" in apps
    seats = await fetch(
        "SELECT application_id FROM app_department_seats WHERE application_id = ?", [gone]
    )
    assert seats == []
