"""The GraphQL API through the real web app, over HTTP (httpx ASGI transport)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from appventory.web import create_app
from sync_core.crypto import generate_key
from sync_core.settings import Settings
from tests.support import asgi_with_state


@dataclass
class Api:
    client: httpx.AsyncClient

    async def post(self, token: str | None, query: str, **variables: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )

    async def query(self, token: str, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.post(token, query, **variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


class RecordingRunner:
    """Stands in for the job queue: remembers which runs were handed over."""

    def __init__(self) -> None:
        self.submitted: list[uuid.UUID] = []

    async def submit(self, run_id: uuid.UUID) -> None:
        self.submitted.append(run_id)


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
async def api(database_url: str, runner: RecordingRunner) -> AsyncIterator[Api]:
    """The web app on a migrated database; the store is active for the test's own writes."""
    settings = Settings(_env_file=None, secret_key=generate_key(), database_url=database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        state = dict(state)
        state["graphql_services"] = state["graphql_services"].__class__(
            runner=runner, active_days=30, inactive_days=60
        )
        runtime = state["runtime"]
        transport = httpx.ASGITransport(app=asgi_with_state(app, state))
        with runtime.store.activated():
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield Api(client)
