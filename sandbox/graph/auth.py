"""Bearer token checks and per-endpoint application permissions."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.directory import Tenant
from sandbox.graph.errors import GraphError, access_denied
from sandbox.state import SandboxState
from sandbox.tokens import GRAPH_AUDIENCE, TokenRejected

CLOCK_SKEW = 300.0
_READ_DIRECTORY = ("Directory.Read.All", "Directory.ReadWrite.All")

# Application permissions that allow each endpoint (docs/graph.md#permissions).
USERS = frozenset({"User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All", *_READ_DIRECTORY})
APPLICATIONS = frozenset(
    {
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Application.ReadWrite.OwnedBy",
        *_READ_DIRECTORY,
    }
)
USER_ASSIGNMENTS = frozenset({"AppRoleAssignment.ReadWrite.All", *_READ_DIRECTORY})
GRANTS = frozenset(
    {
        "DelegatedPermissionGrant.Read.All",
        "DelegatedPermissionGrant.ReadWrite.All",
        *_READ_DIRECTORY,
    }
)
SIGN_INS = frozenset({"AuditLog.Read.All"})
ORGANIZATION = frozenset({"Organization.Read.All", "Organization.ReadWrite.All", *_READ_DIRECTORY})
GROUPS = frozenset(
    {"Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All", *_READ_DIRECTORY}
)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's tenant, app and roles."""

    tenant: Tenant
    app_id: str
    roles: frozenset[str]

    def require(self, allowed: frozenset[str]) -> None:
        """403 Authorization_RequestDenied unless one of the roles allows the call."""
        if not self.roles & allowed:
            raise access_denied()


def _unauthorized(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message)


def authenticate(sandbox: SandboxState, header: str | None) -> Caller:
    """Validate the bearer token the way Graph does; 401 InvalidAuthenticationToken otherwise."""
    scheme, _, token = (header or "").partition(" ")
    if not token.strip() or scheme.lower() != "bearer":
        raise _unauthorized("Access token is empty.")
    try:
        claims = sandbox.access_tokens.verify(token.strip())
    except TokenRejected as exc:
        if exc.reason == "parse":
            raise _unauthorized("CompactToken parsing failed with error code: 80049217") from exc
        raise _unauthorized("CompactToken validation failed with reason code: 80049228.") from exc
    if claims.get("aud") != GRAPH_AUDIENCE:
        raise _unauthorized("Access token validation failure. Invalid audience.")
    tenant = sandbox.tenant(str(claims.get("tid", "")))
    if tenant is None:
        raise _unauthorized("Access token validation failure.")
    now = sandbox.clock.now()
    issued = float(claims.get("iat", 0))
    if (
        float(claims.get("exp", 0)) <= now
        or float(claims.get("nbf", 0)) > now + CLOCK_SKEW
        or issued < tenant.tokens_not_before
    ):
        raise _unauthorized("Access token has expired or is not yet valid.")
    roles = claims.get("roles") or []
    return Caller(tenant, str(claims.get("appid", "")), frozenset(map(str, roles)))
