"""Who may ask, and how much: tokens, depth, aliases, size, batching, masked errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from graphql_api.schema import schema
from sync_core.store import organizations, people


async def test_schema_graphql_file_matches_the_code():
    committed = Path(__file__).parents[2] / "schema.graphql"
    assert committed.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: regenerate it with `python -m graphql_api.export`"
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Send an API token"),
        ("Basic abc", "Send an API token"),
        ("Bearer avt_not-a-real-token", "unknown or revoked"),
        ("Bearer ", "Send an API token"),
    ],
)
async def test_missing_or_unknown_token_is_401_with_a_graphql_error(api, header, message):
    headers = {"Authorization": header} if header else {}
    response = await api.client.post(
        "/graphql", json={"query": "{ organization { name } }"}, headers=headers
    )
    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert message in error["message"]


async def test_revoked_token_is_refused(api):
    _, token = await organizations.create_organization(name="Acme")
    assert (await api.query(token.secret, "{ organization { name } }")) == {
        "organization": {"name": "Acme"}
    }
    await organizations.revoke_token(token_id=token.id)
    assert (await api.post(token.secret, "{ organization { name } }")).status_code == 401


async def _token() -> str:
    _, token = await organizations.create_organization(name="Acme")
    return token.secret


async def test_deep_queries_are_refused(api):
    deep = "{ organization " + "{ connections " * 12 + "{ id }" + " }" * 12 + " }"
    response = await api.post(await _token(), deep)
    assert response.status_code == 200
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


async def test_alias_floods_are_refused(api):
    aliases = " ".join(f"a{i}: organization {{ name }}" for i in range(40))
    response = await api.post(await _token(), "{ " + aliases + " }")
    assert "aliases" in response.json()["errors"][0]["message"].lower()


async def test_oversized_queries_are_refused(api):
    huge = "{ organization { " + " ".join(["name"] * 3000) + " } }"
    response = await api.post(await _token(), huge)
    assert response.status_code < 500
    assert "token" in response.json()["errors"][0]["message"].lower()


async def test_batched_requests_are_not_accepted(api):
    token = await _token()
    response = await api.client.post(
        "/graphql",
        json=[{"query": "{ organization { name } }"}] * 3,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert 400 <= response.status_code < 500


async def test_first_is_capped_at_100(api):
    response = await api.post(await _token(), "{ users(first: 101) { totalCount } }")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_tampered_cursor_is_bad_input_not_a_crash(api):
    response = await api.post(await _token(), '{ users(after: "%%%") { totalCount } }')
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unexpected_errors_are_masked_with_a_reference_in_the_log(api, monkeypatch, caplog):
    async def broken(**_):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(people, "users_page", broken)
    with caplog.at_level(logging.ERROR):
        response = await api.post(await _token(), "{ users { totalCount } }")
    [error] = response.json()["errors"]
    reference = error["extensions"]["reference"]
    assert "secret internals" not in response.text
    assert error["message"] == f"Unexpected error (reference {reference})."
    assert reference in caplog.text
