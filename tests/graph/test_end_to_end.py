"""GraphClient with the real TokenProvider: MSAL over sync httpx, Graph over async httpx."""

from __future__ import annotations

import httpx
import respx

from sync_core.graph import GraphClient, GraphStats, RetryPolicy, TokenProvider
from tests.graph.identity import CLIENT_ID, ROLES, SANDBOX, TENANT, Login, token_body

GRAPH_SANDBOX = "http://127.0.0.1:8766"


async def test_token_expiry_mid_run_refreshes_through_msal() -> None:
    provider = TokenProvider(CLIENT_ID, client_secret="s3cret", login_url=SANDBOX)
    with respx.mock(assert_all_called=False) as router:
        login = Login(router, SANDBOX)
        login.token.mock(
            side_effect=[
                httpx.Response(200, json=token_body(roles=["User.Read.All"])),
                httpx.Response(200, json=token_body(roles=ROLES)),
            ]
        )
        expired = httpx.Response(
            401,
            json={"error": {"code": "InvalidAuthenticationToken", "message": "expired"}},
            headers={"WWW-Authenticate": 'Bearer realm=""'},
        )
        users = router.get(f"{GRAPH_SANDBOX}/v1.0/users").mock(
            side_effect=[
                httpx.Response(200, json={"value": [{"id": "u1"}]}),
                expired,
                httpx.Response(200, json={"value": [{"id": "u2"}]}),
            ]
        )
        async with httpx.AsyncClient() as http:
            client = GraphClient(
                http,
                tokens=provider,
                tenant_id=TENANT,
                graph_url=GRAPH_SANDBOX,
                policy=RetryPolicy(max_attempts=2),
                stats=GraphStats(),
            )
            first = await client.get_json("users")
            second = await client.get_json("users")
    provider.close()
    assert [first["value"], second["value"]] == [[{"id": "u1"}], [{"id": "u2"}]]
    bearer = [call.request.headers["Authorization"] for call in users.calls]
    assert bearer[0] == bearer[1] != bearer[2]
    assert login.token.call_count == 2
    assert client.stats.requests == 3
