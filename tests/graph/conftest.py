"""Fakes for the Graph client tests: a token source, a clock that sleeps instantly, respx."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import respx

from sync_core.graph import AccessToken, GraphClient, GraphStats, RetryPolicy

GRAPH = "https://graph.microsoft.com"
V1 = f"{GRAPH}/v1.0"
TENANT = "11111111-2222-3333-4444-555555555555"


class FakeTokens:
    """A TokenSource whose token changes each time it is invalidated."""

    def __init__(self) -> None:
        self.generation = 1
        self.invalidated: list[str | None] = []
        self.fail_next: list[Exception] = []

    async def token(self, tenant_id: str) -> AccessToken:
        if self.fail_next:
            raise self.fail_next.pop(0)
        return AccessToken(
            value=f"token-{self.generation}",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
            roles=frozenset({"User.Read.All"}),
            tenant_id=tenant_id,
        )

    async def invalidate(self, tenant_id: str, *, stale: str | None = None) -> None:
        self.invalidated.append(stale)
        self.generation += 1


@dataclass
class FakeTime:
    """A monotonic clock plus a sleep that advances it instead of waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Waits:
    """Records on_wait calls."""

    calls: list[tuple[float, str]] = field(default_factory=list)

    def __call__(self, seconds: float, reason: str) -> None:
        self.calls.append((seconds, reason))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def graph() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=V1, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def make_policy(fake_time: FakeTime, **overrides: float) -> RetryPolicy:
    """A policy on the fake clock: no real sleeping anywhere."""
    values: dict = {"max_attempts": 4, "base_backoff": 1.0, "max_backoff": 8.0}
    values.update(overrides)
    return RetryPolicy(sleep=fake_time.sleep, clock=fake_time.clock, **values)


@pytest.fixture
def make_client(http: httpx.AsyncClient, tokens: FakeTokens, fake_time: FakeTime, waits: Waits):
    """Build a GraphClient on the fake clock; keyword overrides go to the RetryPolicy."""

    def build(*, graph_url: str = GRAPH, **overrides: float) -> GraphClient:
        return GraphClient(
            http,
            tokens=tokens,
            tenant_id=TENANT,
            graph_url=graph_url,
            policy=make_policy(fake_time, **overrides),
            stats=GraphStats(),
            on_wait=waits,
        )

    return build


def graph_error(
    status: int, code: str, message: str = "failed", headers: dict[str, str] | None = None
) -> httpx.Response:
    """A Graph-shaped error response."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2024-05-01T12:00:00", "request-id": "req-123"},
        }
    }
    return httpx.Response(status, json=body, headers=headers)
