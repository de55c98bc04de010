"""Proving a tenant right after consent: the token endpoint may refuse for a little while."""

from __future__ import annotations

import datetime as dt

import pytest

from sync_core.graph import AccessToken, ConsentMissing
from sync_core.sync.tenant import check_tenant

TENANT = "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"


class Propagating:
    """Refuses the first `refusals` token requests, as Entra does while consent propagates."""

    def __init__(self, refusals: int) -> None:
        self.refusals, self.asked = refusals, 0

    async def token(self, tenant_id: str) -> AccessToken:
        self.asked += 1
        if self.asked <= self.refusals:
            raise ConsentMissing("AADSTS700016: not found", code="AADSTS700016")
        return AccessToken(
            value="t",
            expires_at=dt.datetime.now(dt.UTC),
            roles=frozenset({"User.Read.All"}),
            tenant_id=tenant_id,
        )


class Graph:
    tenant_id = TENANT

    async def get_json(self, path: str, **_: object) -> dict:
        return {"value": [{"id": TENANT, "displayName": "Contoso"}]}


async def test_a_refusal_while_consent_propagates_is_retried():
    tokens = Propagating(refusals=2)
    check = await check_tenant(Graph(), tokens, attempts=3, delay=0)
    assert (check.name, check.permissions, tokens.asked) == ("Contoso", ("User.Read.All",), 3)


async def test_a_lasting_refusal_is_raised_after_the_last_attempt():
    tokens = Propagating(refusals=5)
    with pytest.raises(ConsentMissing):
        await check_tenant(Graph(), tokens, attempts=2, delay=0)
    assert tokens.asked == 2
