"""What a person can do about a sync error, worded after the product's troubleshooting table.

| Issue                | Resolution                                      |
| Sync not starting    | Verify admin consent and permissions            |
| Partial data sync    | Review API scopes under Permissions             |
| Integration failure  | Reconfigure or re-add AppVentory                |
| Missing applications | Confirm apps are linked to Microsoft accounts   |
| Persistent errors    | Refresh scope permissions and re-consent        |
"""

from __future__ import annotations

from sync_core.graph import errors

# The application permissions each entity needs (docs/graph.md#permissions).
PERMISSIONS = {
    "users": ("User.Read.All",),
    "apps": ("Application.Read.All",),
    "assignments": ("Application.Read.All",),
    # Group members need Directory.Read.All (or GroupMember.Read.All).
    "groups": ("Directory.Read.All",),
    "grants": ("Directory.Read.All",),
    "sign_ins": ("AuditLog.Read.All", "Directory.Read.All"),
    "sign_in_activity": ("AuditLog.Read.All",),
}
REQUIRED_PERMISSIONS = (
    "User.Read.All",
    "Application.Read.All",
    "AuditLog.Read.All",
    "Directory.Read.All",
)

SYNC_NOT_STARTING = (
    "Sync not starting: verify admin consent and permissions. An Entra admin must grant "
    "AppVentory admin consent (Slack: /connect, or `appventory connect`)."
)
CLIENT_CREDENTIALS = (
    "Integration failure: AppVentory's own Entra client secret was refused. The operator must "
    "set a valid APPVENTORY_ENTRA_CLIENT_SECRET; if it persists, reconfigure or re-add AppVentory."
)
TENANT_NOT_FOUND = (
    "Integration failure: Microsoft does not know this tenant. Check the tenant id, or remove "
    "and re-add the connection."
)
PREMIUM = (
    "Sign-in data needs a Microsoft Entra ID P1 or P2 licence; users and apps are complete, "
    "usage status relies on assignments and consents until a licence is added."
)
BUSY = (
    "Microsoft Graph was throttling or unavailable and retries ran out. Nothing stored was "
    "lost; the next sync continues. If it persists, refresh scope permissions and re-consent."
)
MISSING_APPS = (
    "Missing applications: only apps linked to Microsoft accounts (enterprise apps in Entra) are "
    "discovered. Confirm the apps you expect are linked to the tenant."
)


def missing_permission(entity: str) -> str:
    """The hint for a 403 on one entity."""
    needed = " and ".join(PERMISSIONS.get(entity, ("the required permissions",)))
    return (
        f"Partial data sync: {needed} is not granted. Review API scopes under Enterprise "
        "applications > AppVentory > Security > Permissions, then re-grant admin consent "
        "(Slack: /connect refresh)."
    )


def for_error(error: BaseException, *, entity: str | None = None) -> str:
    """A hint for any error a sync can meet."""
    match error:
        case errors.InvalidClientSecret() | errors.ClientSecretExpired():
            return CLIENT_CREDENTIALS
        case errors.TenantNotFound():
            return TENANT_NOT_FOUND
        case errors.TokenError() | errors.GraphAuthError():
            return SYNC_NOT_STARTING
        case errors.PremiumLicenseRequired():
            return PREMIUM
        case errors.MissingPermission():
            return missing_permission(entity or "")
        case errors.TransientGraphError():
            return BUSY
    return "Unexpected error: the run's log has the details; the next sync retries."
