"""Requests served at the same time each see the store, and none fails for another's sake."""

from __future__ import annotations

import asyncio

from sync_core.store import organizations


async def test_twenty_concurrent_requests_all_answer(api):
    _, token = await organizations.create_organization(name="Busy")

    async def ask() -> int:
        response = await api.post(token.secret, "{ organization { name } apps { totalCount } }")
        assert response.json()["data"]["organization"]["name"] == "Busy", response.text
        return response.status_code

    assert await asyncio.gather(*(ask() for _ in range(20))) == [200] * 20
