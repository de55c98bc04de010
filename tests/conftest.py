"""Shared fixtures: the store on every configured backend, and settings built directly.

DB tests run on SQLite and on PostgreSQL. PostgreSQL tests use APPVENTORY_TEST_POSTGRES_URL
when set (CI creates a throwaway database and passes it), otherwise they create and drop a
throwaway database on 127.0.0.1:5432, and skip with the reason when none is reachable.
With APPVENTORY_TEST_REQUIRE_POSTGRES=1 (set by .ci/run) an unreachable server fails instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from sync_core.crypto import generate_key
from sync_core.settings import Settings
from sync_core.store.db import Store, migrate, open_store

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BACKENDS = [
    b for b in os.environ.get("APPVENTORY_TEST_BACKENDS", "sqlite,postgres").split(",") if b
]
REQUIRE_POSTGRES = os.environ.get("APPVENTORY_TEST_REQUIRE_POSTGRES") == "1"
TABLES = (
    "slack_seen_request, slack_sync_message, slack_oauth_state, slack_invite, slack_installation, "
    "app_figures, app_department_seats, department_figures, overlap_figures, "
    "app_stage_change, app_insight, "
    "usage_daily, sign_in_event, permission_grant, group_member, app_access, application, "
    "directory_user, "
    "activity, sync_run, consent_request, slack_workspace, connection, api_token, organization"
)


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://"), timeout=3)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://"), timeout=3)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session (for each xdist worker its own)."""
    given = os.environ.get("APPVENTORY_TEST_POSTGRES_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if given and not worker:
        asyncio.run(migrate(given))
        yield given
        return
    admin = ADMIN_URL
    if given:  # CI's database names this run; each worker gets a sibling of it
        base, _, given_name = given.rpartition("/")
        admin, name = f"{base}/postgres", f"{given_name}_{worker}"
    else:
        name = f"appventory_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_create_database(admin, name))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL required but not reachable at {admin}: {exc}")
        pytest.skip(
            f"PostgreSQL not reachable at 127.0.0.1:5432 ({exc}); set "
            "APPVENTORY_TEST_POSTGRES_URL to run these tests"
        )
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        asyncio.run(migrate(url))
        yield url
    finally:
        asyncio.run(_drop_database(admin, name))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session: tests copy it rather than migrate again."""
    path = tmp_path_factory.mktemp("template") / "store.sqlite3"
    asyncio.run(migrate(f"sqlite://{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        return f"sqlite://{path}"
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_truncate(url))
    return url


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        await conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """An open store, active for the test."""
    async with open_store(database_url) as opened:
        with opened.activated():
            yield opened


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a test: a fresh key, a SQLite file, nothing read from the environment."""
    return Settings(
        _env_file=None,
        secret_key=generate_key(),
        database_url=f"sqlite://{tmp_path / 'app.sqlite3'}",
    )
