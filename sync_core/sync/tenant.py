"""Proving a tenant: a token for it works, and Graph answers `/organization`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sync_core.graph import GraphClient, GraphError, TokenError, TokenSource
from sync_core.sync.hints import REQUIRED_PERMISSIONS

log = logging.getLogger(__name__)

PERMISSION_MEANINGS = {
    "User.Read.All": "users: names, emails, job titles, departments",
    "Application.Read.All": "enterprise applications and who is assigned to them",
    "AuditLog.Read.All": "sign-in logs and last sign-in (needs Entra ID P1/P2)",
    "Directory.Read.All": "delegated consents (who granted which scopes to which app)",
}


@dataclass(frozen=True)
class TenantCheck:
    """What a working connection to a tenant looks like."""

    tenant_id: str
    name: str | None
    permissions: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(p for p in REQUIRED_PERMISSIONS if p not in self.permissions)


async def check_tenant(
    graph: GraphClient, tokens: TokenSource, *, attempts: int = 1, delay: float = 2.0
) -> TenantCheck:
    """Get a token and read the tenant's name; retry while a fresh consent propagates."""
    for attempt in range(1, attempts + 1):
        try:
            token = await tokens.token(graph.tenant_id)
            break
        except TokenError:
            if attempt == attempts:
                raise
            log.info("token for %s refused, consent may still be propagating", graph.tenant_id)
            await asyncio.sleep(delay * attempt)
    name = None
    try:
        organization = await graph.get_json("organization", params={"$select": "id,displayName"})
        values = organization.get("value") or [{}]
        name = values[0].get("displayName")
    except GraphError as exc:
        log.info("tenant name of %s unavailable: %s", graph.tenant_id, exc)
    return TenantCheck(tenant_id=token.tenant_id, name=name, permissions=tuple(sorted(token.roles)))
