"""What goes on the wire: headers, bearer refresh, GET only, the reports limiter, concurrency."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import respx

from sync_core.graph import (
    GraphAuth,
    GraphAuthError,
    GraphClient,
    GraphStats,
    ReadOnlyViolation,
    RetryPolicy,
    is_report_url,
)
from tests.graph.conftest import TENANT, V1, FakeTime, FakeTokens, Waits, graph_error

ORG = {"value": [{"id": "org-1"}]}
SIGN_INS = {"value": [{"id": "s1"}]}


async def test_every_request_carries_required_headers(graph: respx.MockRouter, make_client):
    route = graph.get("/organization").mock(return_value=httpx.Response(200, json=ORG))
    client = make_client()
    await client.get_json("organization")
    await client.get_json("organization")
    sent = [call.request for call in route.calls]
    ids = [uuid.UUID(r.headers["client-request-id"]) for r in sent]
    assert all(i.version == 4 for i in ids)
    assert ids[0] != ids[1]
    assert all(r.headers["x-ms-throttle-priority"] == "Low" for r in sent)
    assert all(r.headers["Authorization"] == "Bearer token-1" for r in sent)
    assert all(r.method == "GET" for r in sent)


async def test_401_refreshes_token_and_retries_once(
    graph: respx.MockRouter, make_client, tokens: FakeTokens
) -> None:
    expired = graph_error(401, "InvalidAuthenticationToken", "Access token has expired")
    route = graph.get("/users").mock(side_effect=[expired, httpx.Response(200, json=ORG)])
    client = make_client()
    assert await client.get_json("users") == ORG
    assert tokens.invalidated == ["token-1"]
    auth = [call.request.headers["Authorization"] for call in route.calls]
    assert auth == ["Bearer token-1", "Bearer token-2"]
    ids = {call.request.headers["client-request-id"] for call in route.calls}
    assert len(ids) == 2
    assert client.stats.requests == 2
    assert client.stats.retries == 0


async def test_second_401_raises_graph_auth_error(
    graph: respx.MockRouter, make_client, tokens: FakeTokens
) -> None:
    route = graph.get("/users").mock(return_value=graph_error(401, "InvalidAuthenticationToken"))
    with pytest.raises(GraphAuthError):
        await make_client().get_json("users")
    assert route.call_count == 2
    assert tokens.invalidated == ["token-1"]


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
async def test_non_get_raises_before_anything_is_sent(
    graph: respx.MockRouter, http: httpx.AsyncClient, tokens: FakeTokens, method: str
) -> None:
    route = graph.route().mock(return_value=httpx.Response(204))
    auth = GraphAuth(tokens, tenant_id=TENANT)
    with pytest.raises(ReadOnlyViolation):
        await http.request(method, f"{V1}/users/abc", auth=auth, json={"accountEnabled": False})
    assert route.call_count == 0


def test_client_exposes_no_way_to_send_other_methods() -> None:
    public = {name for name in dir(GraphClient) if not name.startswith("_")}
    assert public == {"pages", "get_json", "url"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{V1}/auditLogs/signIns?$top=1000", True),
        (f"{V1}/auditLogs/directoryAudits", True),
        ("https://graph.microsoft.com/beta/reports/servicePrincipalSignInActivities", True),
        (f"{V1}/users", False),
        (f"{V1}/servicePrincipals/abc/appRoleAssignedTo", False),
    ],
)
def test_report_urls_are_detected(url: str, expected: bool) -> None:
    assert is_report_url(url) is expected


async def test_reports_limiter_spaces_the_sixth_call(
    graph: respx.MockRouter, make_client, fake_time: FakeTime, waits: Waits
) -> None:
    graph.get("/auditLogs/signIns").mock(return_value=httpx.Response(200, json=SIGN_INS))
    client = make_client(reports_limit=5, reports_period=10.0)
    started: list[float] = []
    for _ in range(6):
        await client.get_json("auditLogs/signIns")
        started.append(fake_time.now)
    assert fake_time.sleeps == [10.0]
    assert started == [1000.0] * 5 + [1010.0]
    assert waits.calls == [(10.0, "reports-limiter")]
    assert client.stats.seconds_waited == 10.0
    assert client.stats.retries == 0


async def test_reports_limiter_covers_next_links(
    graph: respx.MockRouter, make_client, fake_time: FakeTime
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "0"))
        if n < 10:
            link = f"{V1}/auditLogs/signIns?page={n + 1}"
            return httpx.Response(200, json={"value": [], "@odata.nextLink": link})
        return httpx.Response(200, json={"value": []})

    graph.get("/auditLogs/signIns").mock(side_effect=answer)
    client = make_client(reports_limit=5, reports_period=10.0)
    pages = [p async for p in client.pages("auditLogs/signIns")]
    assert len(pages) == 11
    assert fake_time.sleeps == [10.0, 10.0]


async def test_reports_flag_limits_any_path_and_other_paths_are_free(
    graph: respx.MockRouter, make_client, fake_time: FakeTime
) -> None:
    graph.get("/users").mock(return_value=httpx.Response(200, json=ORG))
    client = make_client(reports_limit=5, reports_period=10.0)
    for _ in range(6):
        await client.get_json("users")
    assert fake_time.sleeps == []
    for _ in range(6):
        await client.get_json("users", reports=True)
    assert fake_time.sleeps == [10.0]


async def test_reports_limiter_under_concurrency_never_exceeds_window(
    graph: respx.MockRouter, make_client, fake_time: FakeTime
) -> None:
    started: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        started.append(fake_time.now)
        return httpx.Response(200, json=SIGN_INS)

    graph.get("/auditLogs/signIns").mock(side_effect=answer)
    client = make_client(reports_limit=5, reports_period=10.0, max_concurrency=8)
    await asyncio.gather(*(client.get_json("auditLogs/signIns") for _ in range(12)))
    assert len(started) == 12
    for t in started:
        assert sum(1 for s in started if t <= s < t + 10.0) <= 5


async def test_reports_limiter_counts_from_the_answer_so_a_late_send_cannot_overrun(
    graph: respx.MockRouter, make_client, fake_time: FakeTime
) -> None:
    # The first request reaches Graph 3 s after we started it (a busy loop, a token refresh);
    # the rest arrive at once. Graph counts arrivals: six within its 10 s window would be a 429.
    arrivals: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        fake_time.now += 3.0 if not arrivals else 0.0
        arrivals.append(fake_time.now)
        return httpx.Response(200, json=SIGN_INS)

    graph.get("/auditLogs/signIns").mock(side_effect=answer)
    client = make_client(reports_limit=5, reports_period=10.0)
    for _ in range(6):
        await client.get_json("auditLogs/signIns")
    assert arrivals[-1] - arrivals[0] >= 10.0
    for t in arrivals:
        assert sum(1 for a in arrivals if t <= a < t + 10.0) <= 5


async def test_next_page_is_requested_while_the_caller_works_on_this_one(
    graph: respx.MockRouter, make_client
) -> None:
    requested: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "0"))
        requested.append(n)
        link = {"@odata.nextLink": f"{V1}/users?page={n + 1}"} if n < 2 else {}
        return httpx.Response(200, json={"value": [{"id": str(n)}], **link})

    graph.get("/users").mock(side_effect=answer)
    client = make_client()
    seen = []
    async for page in client.pages("users"):
        await asyncio.sleep(0)  # the caller's own await (a store write) lets the prefetch go
        seen.append((page.items[0]["id"], list(requested)))
    assert seen == [("0", [0, 1]), ("1", [0, 1, 2]), ("2", [0, 1, 2])]


async def test_a_caller_that_stops_early_leaves_no_request_running(
    graph: respx.MockRouter, make_client
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("page", "0"))
        return httpx.Response(
            200, json={"value": [], "@odata.nextLink": f"{V1}/users?page={n + 1}"}
        )

    graph.get("/users").mock(side_effect=answer)
    client = make_client()
    pages = client.pages("users")
    async for _ in pages:
        break
    await pages.aclose()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not [t for t in tasks if "_fetch" in repr(t.get_coro())]
    assert client.stats.requests <= 2


async def test_concurrency_bound_is_honoured(tokens: FakeTokens) -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json=ORG)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = GraphClient(
            http,
            tokens=tokens,
            tenant_id=TENANT,
            policy=RetryPolicy(max_concurrency=3),
            stats=GraphStats(),
        )
        await asyncio.gather(*(client.get_json(f"servicePrincipals/{i}") for i in range(10)))
    assert peak == 3
    assert client.stats.requests == 10
