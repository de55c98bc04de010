"""Fixtures for sandbox tests: a small tenant served through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from tests.sandbox.support import BASE, get_token, small_config


@pytest.fixture
def config() -> SandboxConfig:
    return small_config()


@pytest.fixture
def app(config: SandboxConfig) -> Starlette:
    return create_app(config)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


@pytest.fixture
async def graph(client: httpx.AsyncClient, config: SandboxConfig) -> httpx.AsyncClient:
    """The ASGI client, authorised for the primary tenant."""
    client.headers["Authorization"] = f"Bearer {await get_token(client, config)}"
    return client
