"""Graph's error envelope, authentication failures and unknown paths (docs/graph.md#errors)."""

from __future__ import annotations

import pytest

from tests.sandbox.support import error_code

WWW = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000"'
)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Access token is empty."),
        ("Bearer ", "Access token is empty."),
        ("Basic abc", "Access token is empty."),
        ("Bearer not-a-jwt", "CompactToken parsing failed with error code: 80049217"),
        ("Bearer a.b.c", "CompactToken parsing failed with error code: 80049217"),
    ],
)
async def test_missing_or_garbled_tokens_are_401(client, authorization, message):
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/v1.0/users", headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"] == message
    assert response.headers["WWW-Authenticate"] == WWW


async def test_tampered_token_signature_is_401(graph):
    header, payload, signature = graph.headers["Authorization"][7:].split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    response = await graph.get("/v1.0/users", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "validation failed" in response.json()["error"]["message"]


async def test_error_body_has_inner_error_and_ids_are_echoed(graph):
    response = await graph.get(
        "/v1.0/users/nobody@nowhere.example", headers={"client-request-id": "my-own-id"}
    )
    error = response.json()["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    assert error["innerError"]["client-request-id"] == "my-own-id"
    assert response.headers["client-request-id"] == "my-own-id"
    assert response.headers["request-id"] == error["innerError"]["request-id"]
    ok = await graph.get("/v1.0/organization")
    assert ok.headers["request-id"] and ok.headers["client-request-id"] == ok.headers["request-id"]


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        ("/v1.0/foo", "foo"),
        ("/v1.0/users/delta/extra", "extra"),
        ("/v1.0/servicePrincipals/0b3d7a5e-1111-4222-8333-944455556666/owners", None),
        ("/v1.0/groups/x/owners", "owners"),
    ],
)
async def test_unknown_segments_are_400_bad_request(graph, path, segment):
    response = await graph.get(path)
    if segment is None:  # the id is resolved first: an unknown SP is a 404
        assert response.status_code == 404
        return
    assert response.status_code == 400
    assert error_code(response) == "BadRequest"
    assert response.json()["error"]["message"] == f"Resource not found for the segment '{segment}'."


async def test_me_is_only_for_delegated_tokens(graph):
    response = await graph.get("/v1.0/me")
    assert response.status_code == 400
    assert "delegated" in response.json()["error"]["message"]


async def test_unknown_version_and_unknown_query_option(graph):
    version = await graph.get("/v2.0/users")
    assert version.status_code == 400
    assert version.json()["error"]["message"] == "Invalid version: v2.0"
    option = await graph.get("/v1.0/users?$frobnicate=1")
    assert option.status_code == 400


async def test_writes_are_refused(graph):
    response = await graph.post("/v1.0/users", json={"displayName": "x"})
    assert response.status_code == 403
    assert error_code(response) == "Authorization_RequestDenied"


async def test_graph_responses_carry_odata_headers(graph):
    response = await graph.get("/v1.0/organization")
    assert response.headers["content-type"].startswith("application/json;odata.metadata=minimal")
    assert response.headers["OData-Version"] == "4.0"
    assert "x-ms-ags-diagnostic" in response.headers


async def test_json_batching_is_not_implemented(graph):
    response = await graph.post("/v1.0/$batch", json={"requests": []})
    assert response.status_code == 501
