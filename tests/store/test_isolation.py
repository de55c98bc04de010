"""Tenancy: queries scoped to organization A never return organization B's rows."""

from __future__ import annotations

import datetime as dt

from sync_core import records
from sync_core.store import connections, inventory, organizations

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
SHARED_TENANT = "22222222-2222-2222-2222-222222222222"


async def _org_with_user(name: str, user_name: str):
    org, token = await organizations.create_organization(name=name)
    conn = await connections.add_connection(organization_id=org.id, tenant_id=SHARED_TENANT)
    user = records.User(entra_id="same-entra-id", display_name=user_name)
    await inventory.upsert_users(connection_id=conn.id, users=[user], seen_at=NOW)
    return org, token, conn


async def test_users_and_connections_are_scoped_to_the_organization(store):
    # Both organizations connect the same tenant: still two separate inventories.
    a, _, conn_a = await _org_with_user("A", "Ada of A")
    b, _, conn_b = await _org_with_user("B", "Bo of B")

    assert [u.display_name for u in await inventory.list_users(organization_id=a.id)] == [
        "Ada of A"
    ]
    assert [u.display_name for u in await inventory.list_users(organization_id=b.id)] == ["Bo of B"]
    # Asking for B's connection with A's organization yields nothing.
    assert await inventory.list_users(organization_id=a.id, connection_id=conn_b.id) == []
    assert [c.id for c in await connections.list_connections(organization_id=a.id)] == [conn_a.id]


async def test_tokens_authenticate_to_their_own_organization_only(store):
    a, token_a, _ = await _org_with_user("A", "Ada")
    b, token_b, _ = await _org_with_user("B", "Bo")
    assert (await organizations.authenticate(secret=token_a.secret)).organization_id == a.id
    assert (await organizations.authenticate(secret=token_b.secret)).organization_id == b.id
    assert await organizations.authenticate(secret=token_a.secret + "x") is None
    assert await organizations.authenticate(secret="Bearer nonsense") is None


async def test_revoked_token_stops_working_and_revoking_twice_reports_it(store):
    org, token = await organizations.create_organization(name="A")
    second = await organizations.create_token(organization_id=org.id, name="ci")
    assert await organizations.revoke_token(secret=token.secret) is True
    assert await organizations.authenticate(secret=token.secret) is None
    assert await organizations.revoke_token(secret=token.secret) is False
    assert (await organizations.authenticate(secret=second.secret)).organization_id == org.id
    assert await organizations.revoke_token(token_id=second.id) is True
    assert await organizations.authenticate(secret=second.secret) is None
