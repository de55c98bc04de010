"""The naive baseline: what a straightforward script would do to sync the same tenant.

One request at a time, following each `@odata.nextLink` to the end before the next listing;
no rate limiter, no concurrency, no prefetch; a 429 is retried after its Retry-After and nothing
else is retried. It reads what our engine reads (users, service principals, grants, every
assignable app's assignments, assigned groups' members, 30 days of sign-ins, signInActivity)
and writes the same rows into the same store through the same store functions, page by page.
The benchmark runs it in the same process against the same sandbox, into a second connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from sync_core import mapping
from sync_core.records import UpsertCounts
from sync_core.store import access, inventory, signins
from sync_core.store import groups as store_groups

SCOPE = "https://graph.microsoft.com/.default"
MAX_429_RETRIES = 50


@dataclass
class NaiveResult:
    """One naive sync, measured."""

    wall_seconds: float = 0.0
    requests: int = 0
    throttled: int = 0
    seconds_waited: float = 0.0
    rows_written: int = 0
    pages: dict[str, int] = field(default_factory=dict)

    def count(self, counts: UpsertCounts | int) -> None:
        if isinstance(counts, int):
            self.rows_written += counts
        else:
            self.rows_written += counts.created + counts.updated


class NaiveClient:
    """GET with a bearer token; 429 is the only answer worth retrying."""

    def __init__(self, http: httpx.AsyncClient, *, base_url: str, result: NaiveResult) -> None:
        self.http, self.base_url, self.result = http, base_url.rstrip("/"), result
        self.token = ""

    async def sign_in(self, *, tenant_id: str, client_id: str, client_secret: str) -> None:
        answer = await self.http.post(
            f"{self.base_url}/{tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": SCOPE,
            },
        )
        answer.raise_for_status()
        self.token = answer.json()["access_token"]

    async def get(self, url: str) -> dict[str, Any]:
        for _ in range(MAX_429_RETRIES):
            self.result.requests += 1
            answer = await self.http.get(url, headers={"Authorization": f"Bearer {self.token}"})
            if answer.status_code != 429:
                answer.raise_for_status()
                return answer.json()
            self.result.throttled += 1
            wait = float(answer.headers.get("Retry-After", "1"))
            self.result.seconds_waited += wait
            await asyncio.sleep(wait)
        raise RuntimeError(f"still throttled after {MAX_429_RETRIES} attempts: {url}")

    async def pages(self, what: str, path: str) -> AsyncIterator[list[dict[str, Any]]]:
        url: str | None = f"{self.base_url}/v1.0/{path}"
        while url:
            body = await self.get(url)
            self.result.pages[what] = self.result.pages.get(what, 0) + 1
            yield body.get("value", [])
            link = body.get("@odata.nextLink")
            url = self._local(link) if link else None

    def _local(self, link: str) -> str:
        """The sandbox may name the public Graph host in links; keep path and query."""
        parts = urlsplit(link)
        return f"{self.base_url}{parts.path}?{parts.query}"


async def naive_sync(
    client: NaiveClient, *, connection_id: uuid.UUID, now: dt.datetime, backfill_days: int = 30
) -> None:
    """Read the tenant and write it, one listing after the other."""
    result = client.result
    async for items in client.pages("users", f"users?$select={mapping.USER_SELECT}&$top=999"):
        users = [u for raw in items if (u := mapping.user(raw))]
        result.count(
            await inventory.upsert_users(connection_id=connection_id, users=users, seen_at=now)
        )
    async for items in client.pages(
        "apps", f"servicePrincipals?$select={mapping.APP_SELECT}&$top=999"
    ):
        apps = [a for raw in items if (a := mapping.app(raw))]
        result.count(
            await inventory.upsert_apps(connection_id=connection_id, apps=apps, seen_at=now)
        )
    async for items in client.pages(
        "grants", f"oauth2PermissionGrants?$select={mapping.GRANT_SELECT}&$top=999"
    ):
        grants = [g for raw in items if (g := mapping.grant(raw))]
        result.count(
            await access.upsert_grants(connection_id=connection_id, grants=grants, seen_at=now)
        )
    await _assignments(client, connection_id=connection_id, now=now)
    await _sign_ins(client, connection_id=connection_id, now=now, days=backfill_days)
    async for items in client.pages(
        "sign_in_activity", f"users?$select={mapping.SIGN_IN_ACTIVITY_SELECT}&$top=120"
    ):
        rows = [r for raw in items if (r := mapping.last_sign_in(raw))]
        result.count(await signins.set_last_sign_ins(connection_id=connection_id, activity=rows))


async def _assignments(client: NaiveClient, *, connection_id: uuid.UUID, now: dt.datetime) -> None:
    members: dict[str, list[str]] = {}  # each group is read once, as our engine does
    select = f"$select={mapping.ASSIGNMENT_SELECT}&$top=999"
    for app_id in await inventory.assignable_apps(connection_id=connection_id):
        groups: dict[str, str] = {}
        async for items in client.pages(
            "assignments", f"servicePrincipals/{app_id}/appRoleAssignedTo?{select}"
        ):
            rows = [r for raw in items if (r := mapping.assignment(raw, app_entra_id=app_id))]
            groups |= {
                r.principal_entra_id: r.entra_id for r in rows if r.principal_type == "Group"
            }
            client.result.count(
                await access.upsert_assignments(
                    connection_id=connection_id, assignments=rows, seen_at=now
                )
            )
        for group_id in groups:
            if group_id in members:
                continue
            members[group_id] = [
                raw["id"]
                async for items in client.pages(
                    "group_members", f"groups/{group_id}/members?$select=id&$top=999"
                )
                for raw in items
                if raw.get("@odata.type", "#microsoft.graph.user") == "#microsoft.graph.user"
            ]
            # Membership is stored once per group, as our store keeps it.
            client.result.count(
                await store_groups.upsert_members(
                    connection_id=connection_id,
                    members=[(group_id, user) for user in members[group_id]],
                    seen_at=now,
                )
            )


async def _sign_ins(
    client: NaiveClient, *, connection_id: uuid.UUID, now: dt.datetime, days: int
) -> None:
    start = (now - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    query = f"$filter=createdDateTime ge {start} and createdDateTime le {end}&$top=1000"
    async for items in client.pages("sign_ins", f"auditLogs/signIns?{query}"):
        events = [e for raw in items if (e := mapping.sign_in(raw))]
        new = await signins.add_sign_ins(connection_id=connection_id, events=events)
        client.result.count(len(new))


async def run_naive(
    *,
    base_url: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    connection_id: uuid.UUID,
) -> NaiveResult:
    """Sign in, sync, and time it (the token request included, as for our engine)."""
    result = NaiveResult()
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=httpx.Timeout(120, connect=10)) as http:
        client = NaiveClient(http, base_url=base_url, result=result)
        await client.sign_in(tenant_id=tenant_id, client_id=client_id, client_secret=client_secret)
        await naive_sync(client, connection_id=connection_id, now=dt.datetime.now(dt.UTC))
    result.wall_seconds = time.perf_counter() - started
    return result
