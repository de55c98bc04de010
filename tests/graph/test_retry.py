"""One retry policy: Retry-After (fractional too), backoff with jitter, bounded attempts."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import respx

from sync_core.graph import (
    BadQuery,
    GraphConnectionError,
    MalformedResponse,
    MissingPermission,
    NotFound,
    ServiceUnavailable,
    Throttled,
    TokenServiceUnavailable,
)
from sync_core.graph.policy import backoff_seconds, retry_after_seconds
from tests.graph.conftest import FakeTime, FakeTokens, Waits, graph_error

ORG = {"value": [{"id": "org-1", "displayName": "Contoso"}]}


def throttled(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return graph_error(429, "TooManyRequests", "Please retry again later.", headers=headers)


@pytest.mark.parametrize(("header", "seconds"), [("2", 2.0), ("2.128", 2.128), ("0", 0.0)])
async def test_429_waits_for_retry_after(
    graph: respx.MockRouter, make_client, fake_time: FakeTime, waits: Waits, header, seconds
) -> None:
    graph.get("/organization").mock(side_effect=[throttled(header), httpx.Response(200, json=ORG)])
    client = make_client()
    assert await client.get_json("organization") == ORG
    assert fake_time.sleeps == [pytest.approx(seconds)]
    assert waits.calls == [(pytest.approx(seconds), "retry-after")]
    stats = client.stats
    assert (stats.requests, stats.throttled, stats.retries) == (2, 1, 1)
    assert stats.seconds_waited == pytest.approx(seconds)


async def test_429_without_retry_after_backs_off_exponentially(
    graph: respx.MockRouter, make_client, fake_time: FakeTime, waits: Waits
) -> None:
    graph.get("/organization").mock(
        side_effect=[throttled(), throttled(), throttled(), httpx.Response(200, json=ORG)]
    )
    await make_client(base_backoff=1.0, max_backoff=8.0).get_json("organization")
    first, second, third = fake_time.sleeps
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0
    assert 2.0 <= third <= 4.0
    assert {reason for _, reason in waits.calls} == {"backoff"}


async def test_backoff_is_capped(graph: respx.MockRouter, make_client, fake_time: FakeTime):
    graph.get("/organization").mock(
        side_effect=[graph_error(503, "serviceNotAvailable")] * 5 + [httpx.Response(200, json=ORG)]
    )
    await make_client(max_attempts=6, base_backoff=1.0, max_backoff=3.0).get_json("organization")
    assert len(fake_time.sleeps) == 5
    assert max(fake_time.sleeps) <= 3.0


async def test_retries_exhausted_raise_throttled_with_stats(
    graph: respx.MockRouter, make_client, fake_time: FakeTime
) -> None:
    route = graph.get("/users").mock(return_value=throttled("1"))
    client = make_client(max_attempts=3)
    with pytest.raises(Throttled) as caught:
        await client.get_json("users")
    assert caught.value.retry_after == 1.0
    assert caught.value.hint
    assert route.call_count == 3
    assert fake_time.sleeps == [1.0, 1.0]
    assert client.stats.as_dict() == {
        "requests": 3,
        "throttled": 3,
        "retries": 2,
        "seconds_waited": 2.0,
    }


async def test_retry_after_is_clamped(graph: respx.MockRouter, make_client, fake_time: FakeTime):
    graph.get("/users").mock(side_effect=[throttled("86400"), httpx.Response(200, json=ORG)])
    await make_client(max_retry_after=30.0).get_json("users")
    assert fake_time.sleeps == [30.0]


async def test_503_with_retry_after_then_200(
    graph: respx.MockRouter, make_client, fake_time: FakeTime
) -> None:
    unavailable = graph_error(503, "serviceNotAvailable", headers={"Retry-After": "3"})
    graph.get("/users").mock(side_effect=[unavailable, httpx.Response(200, json=ORG)])
    client = make_client()
    assert await client.get_json("users") == ORG
    assert fake_time.sleeps == [3.0]
    assert client.stats.throttled == 0


async def test_504_then_200(graph: respx.MockRouter, make_client, fake_time: FakeTime) -> None:
    graph.get("/users").mock(
        side_effect=[graph_error(504, "GatewayTimeout"), httpx.Response(200, json=ORG)]
    )
    assert await make_client().get_json("users") == ORG
    assert len(fake_time.sleeps) == 1


async def test_5xx_exhausted_raises_service_unavailable(graph: respx.MockRouter, make_client):
    graph.get("/users").mock(return_value=httpx.Response(502, text="Bad Gateway"))
    with pytest.raises(ServiceUnavailable):
        await make_client(max_attempts=2).get_json("users")


@pytest.mark.parametrize(
    "dropped",
    [
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadTimeout("timed out"),
    ],
)
async def test_dropped_connection_then_200(
    graph: respx.MockRouter, make_client, fake_time: FakeTime, dropped: Exception
) -> None:
    graph.get("/users").mock(side_effect=[dropped, httpx.Response(200, json=ORG)])
    client = make_client()
    assert await client.get_json("users") == ORG
    assert (client.stats.requests, client.stats.retries) == (2, 1)
    assert len(fake_time.sleeps) == 1


async def test_connection_errors_exhausted(graph: respx.MockRouter, make_client) -> None:
    graph.get("/users").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(GraphConnectionError) as caught:
        await make_client(max_attempts=2).get_json("users")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize(
    "bad",
    [
        httpx.Response(200, text="<html>oops</html>"),
        httpx.Response(200, text='{"value": [1, 2'),
        httpx.Response(200, json=[1, 2]),
    ],
)
async def test_malformed_body_then_200(graph: respx.MockRouter, make_client, bad) -> None:
    graph.get("/users").mock(side_effect=[bad, httpx.Response(200, json=ORG)])
    client = make_client()
    assert await client.get_json("users") == ORG
    assert client.stats.retries == 1


async def test_malformed_page_shape_is_retried_then_raised(
    graph: respx.MockRouter, make_client
) -> None:
    route = graph.get("/users").mock(return_value=httpx.Response(200, json={"value": "nope"}))
    with pytest.raises(MalformedResponse):
        async for _ in make_client(max_attempts=3).pages("users"):
            pass
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "Request_UnsupportedQuery", BadQuery),
        (403, "Authorization_RequestDenied", MissingPermission),
        (404, "Request_ResourceNotFound", NotFound),
    ],
)
async def test_4xx_is_not_retried(
    graph: respx.MockRouter, make_client, fake_time: FakeTime, status, code, expected
) -> None:
    route = graph.get("/users").mock(return_value=graph_error(status, code))
    with pytest.raises(expected):
        await make_client().get_json("users")
    assert route.call_count == 1
    assert fake_time.sleeps == []


async def test_transient_token_failure_is_retried(
    graph: respx.MockRouter, make_client, tokens: FakeTokens
) -> None:
    tokens.fail_next.append(TokenServiceUnavailable("login unreachable"))
    route = graph.get("/users").mock(return_value=httpx.Response(200, json=ORG))
    client = make_client()
    assert await client.get_json("users") == ORG
    assert route.call_count == 1
    assert (client.stats.requests, client.stats.retries) == (1, 1)


def test_stats_reset(make_client) -> None:
    client = make_client()
    client.stats.requests = 5
    client.stats.seconds_waited = 2.5
    client.stats.reset()
    assert client.stats.as_dict() == {
        "requests": 0,
        "throttled": 0,
        "retries": 0,
        "seconds_waited": 0.0,
    }


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2.128", 2.128),
        (" 7 ", 7.0),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("Wed, 01 May 2024 12:00:05 GMT", 5.0),
    ],
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    now = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(header, now=now) == expected


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(1, 0.5, 1), (2, 1, 2), (4, 4, 8), (9, 5, 10)]
)
def test_backoff_bounds(attempt: int, low: float, high: float) -> None:
    assert backoff_seconds(attempt, base=1.0, cap=10.0, rand=lambda: 0.0) == low
    assert backoff_seconds(attempt, base=1.0, cap=10.0, rand=lambda: 1.0) == high
