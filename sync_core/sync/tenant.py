"""Proving a tenant: a token for it works and Graph answers `/organization`; proving a person:
they signed in to it and hold a role that can grant admin consent."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_incrementing,
)

from sync_core.graph import (
    AccessToken,
    GraphClient,
    GraphError,
    TokenError,
    TokenProvider,
    TokenSource,
    signin,
)
from sync_core.graph.signin import SignedInUser
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
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(TokenError),
        stop=stop_after_attempt(attempts),
        wait=wait_incrementing(start=delay, increment=delay),
        before_sleep=lambda _: log.info(
            "token for %s refused, consent may still be propagating", graph.tenant_id
        ),
        reraise=True,
    )
    token: AccessToken = await retrying(tokens.token, graph.tenant_id)
    name = None
    try:
        organization = await graph.get_json("organization", params={"$select": "id,displayName"})
        values = organization.get("value") or [{}]
        name = values[0].get("displayName")
    except GraphError as exc:
        log.info("tenant name of %s unavailable: %s", graph.tenant_id, exc)
    return TenantCheck(tenant_id=token.tenant_id, name=name, permissions=tuple(sorted(token.roles)))


# Who can grant tenant-wide admin consent to Microsoft Graph application permissions (other
# admin roles, e.g. Application Administrator, cannot grant Graph app roles). Template ids:
# https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
CONSENT_ADMIN_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
}
_ROLES_OF = "users/{user}/transitiveMemberOf/microsoft.graph.directoryRole"


@dataclass(frozen=True)
class TenantAdmin:
    """A person who signed in to a tenant, with the directory roles they hold there."""

    user: SignedInUser
    roles: frozenset[str]

    @property
    def consent_roles(self) -> tuple[str, ...]:
        """Names of the roles that let this person grant AppVentory's consent."""
        return tuple(name for rid, name in CONSENT_ADMIN_ROLES.items() if rid in self.roles)


async def directory_roles(graph: GraphClient, *, user_id: str) -> frozenset[str]:
    """Role template ids the user holds directly or through role-assignable groups."""
    found: set[str] = set()
    # Graph documents OData casts on memberOf as an advanced query: eventual consistency.
    async for page in graph.pages(
        _ROLES_OF.format(user=user_id),
        params={"$select": "roleTemplateId", "$count": "true"},
        headers={"ConsistencyLevel": "eventual"},
    ):
        found.update(
            str(r["roleTemplateId"]).lower() for r in page.items if r.get("roleTemplateId")
        )
    return frozenset(found)


@dataclass(frozen=True)
class AdminSignIn:
    """Proves who is at the keyboard: a delegated sign-in, then their roles from Graph."""

    tokens: TokenProvider
    client_id: str
    graph_for: Callable[[str], GraphClient]

    async def begin(self, *, tenant_id: str, redirect_uri: str, state: str) -> dict[str, Any]:
        """MSAL's auth-code flow for the tenant (its `auth_uri` is the next stop)."""
        return await signin.begin(
            self.tokens, tenant_id=tenant_id, redirect_uri=redirect_uri, state=state
        )

    async def finish(
        self,
        *,
        tenant_id: str,
        flow: dict[str, Any],
        response: Mapping[str, str],
        now: dt.datetime,
    ) -> TenantAdmin:
        """Who signed in, and their directory roles in the tenant they signed in to."""
        user = await signin.finish(
            self.tokens,
            tenant_id=tenant_id,
            client_id=self.client_id,
            flow=flow,
            response=response,
            now=now,
        )
        roles = await directory_roles(self.graph_for(user.tenant_id), user_id=user.user_id)
        return TenantAdmin(user=user, roles=roles)
