"""One pagination primitive: nextLinks followed exactly as given, deltaLink on the last page."""

from __future__ import annotations

import httpx
import pytest
import respx

from sync_core.graph import DeltaExpired, Page
from tests.graph.conftest import GRAPH, V1, graph_error

NEXT_1 = f"{V1}/users?$select=id,displayName&$top=2&$skiptoken=RFNwdAIAAQAAAD8"
NEXT_2 = f"{V1}/users?$select=id,displayName&$top=2&$skiptoken=X%2B%2Fopaque%3D%3D"
DELTA = f"{V1}/users/delta?$deltatoken=abc123"


def pages_by_url(responses: dict[str, httpx.Response], seen: list[str]):
    """A respx side effect that answers by exact URL and records every URL requested."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return responses[str(request.url)]

    return answer


async def collect(client, *args, **kwargs) -> list[Page]:
    return [page async for page in client.pages(*args, **kwargs)]


async def test_follows_next_links_exactly_including_empty_page(
    graph: respx.MockRouter, make_client
) -> None:
    first = f"{V1}/users?%24select=id%2CdisplayName&%24top=2"
    responses = {
        first: httpx.Response(
            200, json={"value": [{"id": "1"}, {"id": "2"}], "@odata.nextLink": NEXT_1}
        ),
        NEXT_1: httpx.Response(200, json={"value": [], "@odata.nextLink": NEXT_2}),
        NEXT_2: httpx.Response(200, json={"value": [{"id": "3"}]}),
    }
    seen: list[str] = []
    graph.route(method="GET").mock(side_effect=pages_by_url(responses, seen))
    pages = await collect(make_client(), "users", params={"$select": "id,displayName", "$top": 2})
    assert seen == [first, NEXT_1, NEXT_2]
    assert [[item["id"] for item in p.items] for p in pages] == [["1", "2"], [], ["3"]]
    assert [p.next_link for p in pages] == [NEXT_1, NEXT_2, None]
    assert pages[-1].delta_link is None


async def test_delta_round_ends_with_delta_link(graph: respx.MockRouter, make_client) -> None:
    start = f"{V1}/users/delta?%24select=id"
    responses = {
        start: httpx.Response(200, json={"value": [{"id": "1"}], "@odata.nextLink": NEXT_1}),
        NEXT_1: httpx.Response(
            200,
            json={
                "value": [{"id": "2", "@removed": {"reason": "deleted"}}],
                "@odata.deltaLink": DELTA,
            },
        ),
    }
    seen: list[str] = []
    graph.route(method="GET").mock(side_effect=pages_by_url(responses, seen))
    pages = await collect(make_client(), "users/delta", params={"$select": "id"})
    assert [p.delta_link for p in pages] == [None, DELTA]
    assert pages[-1].next_link is None
    assert pages[-1].items == [{"id": "2", "@removed": {"reason": "deleted"}}]


async def test_stored_delta_link_is_requested_as_given(graph: respx.MockRouter, make_client):
    seen: list[str] = []
    later = f"{V1}/users/delta?$deltatoken=def456"
    responses = {
        DELTA: httpx.Response(200, json={"value": [], "@odata.deltaLink": later}),
    }
    graph.route(method="GET").mock(side_effect=pages_by_url(responses, seen))
    pages = await collect(make_client(), DELTA)
    assert seen == [DELTA]
    assert pages == [Page(items=[], next_link=None, delta_link=later)]


async def test_delta_gone_raises_delta_expired_with_location(
    graph: respx.MockRouter, make_client, fake_time
) -> None:
    fresh = f"{V1}/users/delta?$deltaToken="
    route = graph.get("/users/delta").mock(
        return_value=httpx.Response(410, headers={"Location": fresh})
    )
    with pytest.raises(DeltaExpired) as caught:
        await collect(make_client(), DELTA)
    assert caught.value.location == fresh
    assert caught.value.status == 410
    assert route.call_count == 1
    assert fake_time.sleeps == []


async def test_expired_delta_token_code_raises_delta_expired(graph: respx.MockRouter, make_client):
    graph.get("/users/delta").mock(return_value=graph_error(400, "syncStateNotFound"))
    with pytest.raises(DeltaExpired):
        await collect(make_client(), DELTA)


async def test_extra_headers_are_resent_on_every_page(graph: respx.MockRouter, make_client):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if "skiptoken" in str(request.url):
            return httpx.Response(200, json={"value": []})
        return httpx.Response(200, json={"value": [], "@odata.nextLink": NEXT_1})

    graph.route(method="GET").mock(side_effect=answer)
    await collect(make_client(), "users", headers={"ConsistencyLevel": "eventual"})
    assert len(seen) == 2
    assert all(r.headers["ConsistencyLevel"] == "eventual" for r in seen)


async def test_page_retry_mid_collection_resumes_same_link(
    graph: respx.MockRouter, make_client, fake_time
) -> None:
    seen: list[str] = []
    answers = iter(
        [
            httpx.Response(200, json={"value": [{"id": "1"}], "@odata.nextLink": NEXT_1}),
            graph_error(429, "TooManyRequests", headers={"Retry-After": "1.5"}),
            httpx.Response(200, json={"value": [{"id": "2"}]}),
        ]
    )

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return next(answers)

    graph.route(method="GET").mock(side_effect=answer)
    pages = await collect(make_client(), "users")
    assert seen[1:] == [NEXT_1, NEXT_1]
    assert [p.items for p in pages] == [[{"id": "1"}], [{"id": "2"}]]
    assert fake_time.sleeps == [1.5]


async def test_links_naming_another_host_are_rebased_onto_graph_url(make_client) -> None:
    sandbox = "http://127.0.0.1:8765"
    seen: list[str] = []
    public_next = f"{GRAPH}/v1.0/users?$skiptoken=p2"
    with respx.mock(base_url=sandbox) as mock:

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            if len(seen) == 1:
                return httpx.Response(200, json={"value": [], "@odata.nextLink": public_next})
            return httpx.Response(200, json={"value": []})

        mock.route(method="GET").mock(side_effect=answer)
        await collect(make_client(graph_url=sandbox), "users")
    assert seen == [f"{sandbox}/v1.0/users", f"{sandbox}/v1.0/users?$skiptoken=p2"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("users", f"{V1}/users"),
        ("/users/delta", f"{V1}/users/delta"),
        (
            "beta/reports/servicePrincipalSignInActivities",
            f"{GRAPH}/beta/reports/servicePrincipalSignInActivities",
        ),
        ("v1.0/organization", f"{V1}/organization"),
        (NEXT_1, NEXT_1),
    ],
)
def test_url_building(make_client, given: str, expected: str) -> None:
    assert make_client().url(given) == expected
