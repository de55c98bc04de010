"""Helpers for sandbox tests: small tenants, tokens and paging."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette

from sandbox.config import SandboxConfig, TenantSpec, ThrottleLimits
from sandbox.state import SandboxState

# Generated history ends here; kept near real time so sign-ins fall inside retention.
ANCHOR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
BASE = "http://sandbox.test"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
TENANT_KEYS = {
    "users",
    "apps",
    "days",
    "seed",
    "premium",
    "granted_roles",
    "consented",
    "signins_per_user_per_day",
    "name",
    "tenant_id",
}


def small_config(*, throttling: bool = False, **changes: Any) -> SandboxConfig:
    """One small tenant (40 users, 20 apps, 20 days), no throttling, no empty pages."""
    tenant: dict[str, Any] = {"users": 40, "apps": 20, "days": 20, "seed": 11}
    tenant.update({k: v for k, v in changes.items() if k in TENANT_KEYS})
    rest = {k: v for k, v in changes.items() if k not in TENANT_KEYS}
    rest.setdefault("empty_page_rate", 0.0)
    rest.setdefault("delta_duplicate_rate", 0.0)
    rest.setdefault("anchor", ANCHOR)
    rest.setdefault("throttling", ThrottleLimits(enabled=throttling))
    return SandboxConfig(tenants=[TenantSpec(**tenant)], **rest)


async def get_token(
    client: httpx.AsyncClient, config: SandboxConfig, tenant_id: str | None = None
) -> str:
    """A Graph token from the sandbox's token endpoint."""
    response = await client.post(
        f"/{tenant_id or config.primary.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "scope": GRAPH_SCOPE,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def page_all(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Follow nextLinks: (all items, number of pages)."""
    items: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["value"]
        pages += 1
        url = body.get("@odata.nextLink", "")
    return items, pages


def state_of(app: Starlette) -> SandboxState:
    """The sandbox behind an app."""
    return app.state.sandbox


def error_code(response: httpx.Response) -> str:
    """error.code of a Graph error body."""
    return response.json()["error"]["code"]
