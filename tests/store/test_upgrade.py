"""A store synced before group membership was stored once upgrades cleanly: the per-app rows
expanded from groups go, everything else stays, and the next sync reads groups in full."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from sync_core.store import models
from sync_core.store.db import migrate, open_store, tortoise_config
from tests.conftest import ADMIN_URL, BACKENDS, _create_database, _drop_database

BEFORE = "appventory.0009_app_figures"
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
ORG, CONN = uuid.uuid4(), uuid.uuid4()
ROWS = [  # (principal, type, source): what a sync before the change wrote for one app
    ("u-direct", "User", "assignment"),
    ("g-sales", "Group", "assignment"),
    ("u-in-sales", "User", "group_assignment"),
    ("u-consent", "User", "consent"),
]


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with no migrations applied."""
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'old.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without a server
    given = os.environ.get("APPVENTORY_TEST_POSTGRES_URL")
    admin = f"{given.rpartition('/')[0]}/postgres" if given else ADMIN_URL
    name = f"appventory_upgrade_{uuid.uuid4().hex[:10]}"
    asyncio.run(_create_database(admin, name))
    try:
        yield f"{admin.rpartition('/')[0]}/{name}"
    finally:
        asyncio.run(_drop_database(admin, name))


async def _migrate_to(url: str, target: str) -> None:
    async with TortoiseContext():
        await tortoise_migrate(config=tortoise_config(url), target=target)


async def _write_old_rows(url: str) -> None:
    """Rows as the store held them at BEFORE, written with the driver (the ORM is newer)."""
    statements = [
        ("INSERT INTO organization (id, name, created_at) VALUES (?, ?, ?)", [ORG, "Old", NOW]),
        (
            "INSERT INTO connection (id, tenant_id, status, permissions, has_sign_in_data, "
            "sync_interval_minutes, created_at, organization_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [CONN, "11111111-0000-0000-0000-000000000001", "connected", "[]", True, 240, NOW, ORG],
        ),
        *(
            (
                "INSERT INTO app_access (app_entra_id, principal_entra_id, principal_type, "
                "source, first_seen_at, last_seen_at, connection_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ["sp-zoom", who, kind, source, NOW, NOW, CONN],
            )
            for who, kind, source in ROWS
        ),
    ]
    if url.startswith("sqlite"):
        import sqlite3

        db = sqlite3.connect(url.removeprefix("sqlite://"))
        with db:
            for sql, params in statements:
                db.execute(
                    sql, [str(p) if isinstance(p, uuid.UUID | dt.datetime) else p for p in params]
                )
        db.close()
        return
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        for sql, params in statements:
            numbered = sql
            for n in range(1, sql.count("?") + 1):
                numbered = numbered.replace("?", f"${n}", 1)
            await conn.execute(numbered, *params)
    finally:
        await conn.close()


async def test_upgrading_drops_group_expanded_rows_and_keeps_the_rest(fresh_url):
    await _migrate_to(fresh_url, BEFORE)
    await _write_old_rows(fresh_url)

    await migrate(fresh_url)

    async with open_store(fresh_url) as store:
        with store.activated():
            access = models.AppAccess.all().order_by("principal_entra_id")
            kept = await access.values_list("principal_entra_id", "source")
            connection = await models.Connection.get(id=CONN)
            assert await models.GroupMember.all().count() == 0
    assert kept == [("g-sales", "assignment"), ("u-consent", "consent"), ("u-direct", "assignment")]
    # No groups deltaLink yet: the next sync reads every group's members in a full round.
    assert connection.groups_delta_link is None
