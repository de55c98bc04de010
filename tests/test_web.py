"""Health endpoints through the real web app and its lifespan."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from appventory.web import create_app
from sync_core.crypto import generate_key
from sync_core.settings import Settings
from sync_core.store.db import migrate
from tests.conftest import ADMIN_URL, REQUIRE_POSTGRES, _create_database
from tests.support import asgi_with_state


async def _get(settings: Settings, *paths: str) -> list[httpx.Response]:
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=asgi_with_state(app, state))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.get(path) for path in paths]


async def test_healthz_and_readyz_on_a_migrated_database(database_url):
    settings = Settings(_env_file=None, secret_key=generate_key(), database_url=database_url)
    health, ready = await _get(settings, "/healthz", "/readyz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok"})


async def test_readyz_reports_503_when_the_database_goes_away():
    name = f"appventory_readyz_{uuid.uuid4().hex[:8]}"
    try:
        await _create_database(ADMIN_URL, name)
    except (OSError, asyncpg.PostgresError) as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL required but not reachable at {ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc}")
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    await migrate(url)
    settings = Settings(_env_file=None, secret_key=generate_key(), database_url=url)
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=asgi_with_state(app, state))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/readyz")).status_code == 200
            admin = await asyncpg.connect(ADMIN_URL.replace("postgres://", "postgresql://"))
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()
            await asyncio.sleep(0.1)
            ready = await client.get("/readyz")
            health = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert health.status_code == 200
