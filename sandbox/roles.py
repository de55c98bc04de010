"""Directory roles: who in a tenant is an administrator, and who "clicks" at sign-in.

Template ids are Microsoft's built-in role template ids (the same in every tenant):
https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
"""

from __future__ import annotations

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"

ROLE_NAMES = {
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    PRIVILEGED_ROLE_ADMINISTRATOR: "Privileged Role Administrator",
    APPLICATION_ADMINISTRATOR: "Application Administrator",
    USER_ADMINISTRATOR: "User Administrator",
}


def role_object(template_id: str, *, tenant_id: str) -> dict[str, str]:
    """A directoryRole as Graph lists it (an activated role's id differs from its template)."""
    return {
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": f"{template_id[:24]}{tenant_id[-12:]}",
        "displayName": ROLE_NAMES.get(template_id, "Directory role"),
        "description": "",
        "roleTemplateId": template_id,
    }
