"""Who may use which app: groups, app role assignments and delegated permission grants."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from sandbox.apps import App, AppKind
from sandbox.catalog import BASE_SCOPES, DEFAULT_ACCESS_ROLE, GRAPH_APP_ROLES
from sandbox.clock import iso
from sandbox.people import DEPARTMENT_NAMES
from sandbox.randomness import AffinePermutation, Draws, guid

DAY = 86_400.0
ASSIGNMENT_PROPERTIES = frozenset(
    {
        "id",
        "deletedDateTime",
        "appRoleId",
        "createdDateTime",
        "principalDisplayName",
        "principalId",
        "principalType",
        "resourceDisplayName",
        "resourceId",
    }
)
GRANT_PROPERTIES = frozenset(
    {"id", "clientId", "consentType", "principalId", "resourceId", "scope"}
)
GROUP_PROPERTIES = frozenset(
    {
        "id",
        "deletedDateTime",
        "classification",
        "createdDateTime",
        "description",
        "displayName",
        "groupTypes",
        "mail",
        "mailEnabled",
        "mailNickname",
        "membershipRule",
        "securityEnabled",
        "visibility",
        "securityIdentifier",
    }
)
EXTRA_GROUPS = (
    ("Leadership", 0.03),
    ("IT Admins", 0.02),
    ("Project Phoenix", 0.05),
    ("Remote Workers", 0.15),
    ("Contractors", 0.06),
)
ALL_EMPLOYEES = "All Employees"


def object_key(*parts: object) -> str:
    """A 43-character base64url id, the shape Graph uses for assignments and grants."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=32).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class Group:
    """A security group; membership is a rule over users, not a stored list."""

    id: str
    name: str
    department: str | None = None  # department groups hold that department
    share: float = 0.0  # extra groups hold this share of users, by hash
    created: float = 0.0

    def record(self) -> dict[str, Any]:
        """The group resource."""
        nickname = self.name.lower().replace(" ", "-")
        return {
            "id": self.id,
            "deletedDateTime": None,
            "classification": None,
            "createdDateTime": iso(self.created),
            "description": f"{self.name} members",
            "displayName": self.name,
            "groupTypes": [],
            "mail": None,
            "mailEnabled": False,
            "mailNickname": nickname,
            "membershipRule": None,
            "securityEnabled": True,
            "visibility": None,
            "securityIdentifier": None,
        }


@dataclass(slots=True)
class Assignment:
    """An appRoleAssignment on a resource service principal."""

    id: str
    resource: App
    principal_type: str  # "User", "Group" or "ServicePrincipal"
    principal: int | str  # user index, group id or service principal id
    app_role_id: str
    created: float
    removed_at: float | None = None


@dataclass(slots=True)
class Grant:
    """An oauth2PermissionGrant; principal is a user index for consentType Principal."""

    id: str
    client: App
    resource_sp_id: str
    consent_type: str  # "AllPrincipals" or "Principal"
    principal: int | None
    scope: str
    removed_at: float | None = None


def build_groups(seed: int, anchor: float) -> list[Group]:
    """Department groups, everyone, and a few cross-cutting groups."""
    groups = [
        Group(
            guid(seed, "group", name), f"{name} Team", department=name, created=anchor - 900 * DAY
        )
        for name in DEPARTMENT_NAMES
    ]
    groups.append(
        Group(
            guid(seed, "group", ALL_EMPLOYEES),
            ALL_EMPLOYEES,
            share=1.0,
            created=anchor - 1200 * DAY,
        )
    )
    groups += [
        Group(guid(seed, "group", name), name, share=share, created=anchor - 400 * DAY)
        for name, share in EXTRA_GROUPS
    ]
    return groups


def assignments_for(
    seed: int, app: App, *, groups: list[Group], user_count: int, anchor: float
) -> list[Assignment]:
    """IT-managed apps are assigned to department groups (or everyone) plus a few users."""
    if app.kind not in (AppKind.THIRD_PARTY, AppKind.TENANT_OWN) or app.consent != "admin":
        return []
    draws = Draws(seed, "assign", app.app_id)
    roles = [r["id"] for r in app.record["appRoles"]] or [DEFAULT_ACCESS_ROLE]
    by_department = {g.department: g for g in groups if g.department}
    if app.kind is AppKind.TENANT_OWN:
        targets = [draws.choice([g for g in groups if g.department])]
    elif "*" in app.departments:
        targets = [g for g in groups if g.name == ALL_EMPLOYEES]
    else:
        targets = [by_department[d] for d in app.departments if d in by_department]
    result = []
    for group in targets:
        created = anchor - (30 + draws.below(700)) * DAY
        result.append(
            Assignment(
                object_key(app.sp_id, group.id),
                app,
                "Group",
                group.id,
                DEFAULT_ACCESS_ROLE,
                created,
            )
        )
    direct = min(200, 1 + draws.below(max(2, user_count // 40))) if user_count else 0
    perm = AffinePermutation(user_count, seed, f"direct:{app.app_id}")
    for j in range(direct):
        user = perm.forward(j)
        role = DEFAULT_ACCESS_ROLE if draws.chance(0.7) else draws.choice(roles)
        created = anchor - (5 + draws.below(600)) * DAY
        result.append(
            Assignment(object_key(app.sp_id, "user", user), app, "User", user, role, created)
        )
    return result


def graph_permission(
    graph: App,
    client: App,
    roles: list[str],
    *,
    created: float,
) -> list[Assignment]:
    """Application permissions on Microsoft Graph, as ServicePrincipal assignments."""
    return [
        Assignment(
            object_key(graph.sp_id, client.sp_id, role),
            graph,
            "ServicePrincipal",
            client.sp_id,
            GRAPH_APP_ROLES[role],
            created,
        )
        for role in roles
        if role in GRAPH_APP_ROLES
    ]


def grants_for(seed: int, app: App, *, graph_sp_id: str, user_count: int) -> list[Grant]:
    """Admin consent for IT-managed apps, user consent (Principal) for the rest."""
    if app.kind not in (AppKind.THIRD_PARTY, AppKind.TENANT_OWN) or app.consent == "none":
        return []
    scope = f"{BASE_SCOPES} {app.scopes}".strip()
    draws = Draws(seed, "grant", app.app_id)
    if app.consent == "admin" and (app.sso == "oidc" or draws.chance(0.5)):
        return [
            Grant(
                object_key(app.sp_id, graph_sp_id), app, graph_sp_id, "AllPrincipals", None, scope
            )
        ]
    if app.consent != "user" or not user_count:
        return []
    share = min(0.2, 0.01 + 0.015 * app.popularity * (0.5 + draws.random())) * app.audience
    count = min(5_000, max(1, round(user_count * share)))
    perm = AffinePermutation(user_count, seed, f"consent:{app.app_id}")
    return [
        Grant(
            object_key(app.sp_id, graph_sp_id, perm.forward(j)),
            app,
            graph_sp_id,
            "Principal",
            perm.forward(j),
            scope,
        )
        for j in range(count)
    ]


def assignment_resource(
    item: Assignment,
    *,
    principal_name: str,
    principal_id: str,
) -> dict[str, Any]:
    """The appRoleAssignment resource."""
    return {
        "id": item.id,
        "deletedDateTime": None,
        "appRoleId": item.app_role_id,
        "createdDateTime": iso(item.created, fraction=True),
        "principalDisplayName": principal_name,
        "principalId": principal_id,
        "principalType": item.principal_type,
        "resourceDisplayName": item.resource.name,
        "resourceId": item.resource.sp_id,
    }


def grant_resource(item: Grant, *, principal_id: str | None) -> dict[str, Any]:
    """The oauth2PermissionGrant resource (scope is space-separated)."""
    return {
        "id": item.id,
        "clientId": item.client.sp_id,
        "consentType": item.consent_type,
        "principalId": principal_id,
        "resourceId": item.resource_sp_id,
        "scope": item.scope,
    }
