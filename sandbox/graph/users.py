"""/users, /users/{id}, /users/{id}/appRoleAssignments and signInActivity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.access import ASSIGNMENT_PROPERTIES, Assignment, assignment_resource
from sandbox.auditlog import sign_in_activity
from sandbox.directory import Tenant
from sandbox.graph.auth import USER_ASSIGNMENTS, USERS
from sandbox.graph.call import GraphCall, Resource, entity_response, list_response
from sandbox.graph.errors import GraphError, not_found
from sandbox.graph.paging import Items
from sandbox.roles import role_object
from sandbox.users import USER_DEFAULT, USER_PROPERTIES, USER_SINGLE_ONLY

USER = Resource("user", USER_PROPERTIES, USER_DEFAULT, USER_SINGLE_ONLY)
ASSIGNMENT = Resource("appRoleAssignment", ASSIGNMENT_PROPERTIES)
SIGN_IN_ACTIVITY_PAGE = 120  # Graph's page cap when signInActivity is selected


def require_premium(call: GraphCall) -> None:
    """Sign-in data needs Entra ID P1/P2 in the tenant."""
    if not call.caller.tenant.premium:
        raise GraphError(
            403,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        )


def _wants_activity(call: GraphCall) -> bool:
    select = call.query.select or []
    if not any(p.lower() == "signinactivity" for p in select):
        return False
    if "AuditLog.Read.All" not in call.caller.roles:
        raise GraphError(
            403,
            "Authentication_MSGraphPermissionMissing",
            "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
        )
    require_premium(call)
    return True


def user_source(tenant: Tenant) -> Callable[[list[str] | None], Callable[[int], Items]]:
    """Live users in index order, generated as the page needs them."""

    def for_select(select: list[str] | None) -> Callable[[int], Items]:
        activity = bool(select and "signInActivity" in select)

        def items(start: int) -> Items:
            for i in range(start, tenant.user_total):
                if i in tenant.removed_users:
                    continue
                record = tenant.user_record(i)
                if activity:
                    record["signInActivity"] = sign_in_activity(tenant.signins, i)
                yield i, record

        return items

    return for_select


def list_users(call: GraphCall) -> dict[str, Any]:
    """GET /users."""
    call.caller.require(USERS)
    cap = SIGN_IN_ACTIVITY_PAGE if _wants_activity(call) else None
    return list_response(
        call,
        resource=USER,
        context="users",
        route="users",
        source=user_source(call.caller.tenant),
        cap=cap,
    )


def find_user(call: GraphCall, key: str) -> int:
    """A live user's index by id or UPN, else 404."""
    found = call.caller.tenant.find_user(key)
    if found is None:
        raise not_found(key)
    return found


def get_user(call: GraphCall, key: str) -> dict[str, Any]:
    """GET /users/{id | userPrincipalName}."""
    call.caller.require(USERS)
    tenant = call.caller.tenant
    user = find_user(call, key)
    record = tenant.user_record(user)
    if _wants_activity(call):
        record["signInActivity"] = sign_in_activity(tenant.signins, user)
    return entity_response(call, record, resource=USER, context="users")


def assignment_record(tenant: Tenant, item: Assignment) -> dict[str, Any]:
    """An appRoleAssignment with its principal's current name."""
    if item.principal_type == "User":
        uid, _, name = tenant.users.identity(int(item.principal))
        return assignment_resource(item, principal_name=name, principal_id=uid)
    if item.principal_type == "Group":
        group = tenant.group(str(item.principal))
        return assignment_resource(
            item, principal_name=group.name if group else "", principal_id=str(item.principal)
        )
    app = tenant.app(str(item.principal))
    return assignment_resource(
        item, principal_name=app.name if app else "", principal_id=str(item.principal)
    )


def user_assignments(tenant: Tenant, user: int) -> list[Assignment]:
    """Assignments to the user and to groups the user is a direct member of."""
    groups = {g.id for g in tenant.groups if tenant.is_member(g, user)}
    return [
        a
        for a in tenant.assignments
        if a.removed_at is None
        and a.resource.is_live
        and (
            (a.principal_type == "User" and a.principal == user)
            or (a.principal_type == "Group" and a.principal in groups)
        )
    ]


def list_user_assignments(call: GraphCall, key: str) -> dict[str, Any]:
    """GET /users/{id}/appRoleAssignments (includes direct-group assignments)."""
    call.caller.require(USER_ASSIGNMENTS)
    tenant = call.caller.tenant
    user = find_user(call, key)
    items = user_assignments(tenant, user)

    def source(select: list[str] | None) -> Callable[[int], Items]:
        return lambda start: (
            (j, assignment_record(tenant, items[j])) for j in range(start, len(items))
        )

    uid = tenant.users.user_id(user)
    return list_response(
        call,
        resource=ASSIGNMENT,
        context=f"users('{uid}')/appRoleAssignments",
        route=f"users/{uid}/appRoleAssignments",
        source=source,
    )


DIRECTORY_ROLE = Resource(
    "directoryRole", frozenset({"id", "displayName", "description", "roleTemplateId"})
)


def list_directory_roles(call: GraphCall, key: str, *, transitive: bool) -> dict[str, Any]:
    """GET /users/{id}/(transitive)memberOf/microsoft.graph.directoryRole (needs advanced
    query: ConsistencyLevel: eventual, as Graph documents for OData casts on memberOf)."""
    call.caller.require(USERS)
    if call.headers.get("consistencylevel", "").lower() != "eventual":
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            "The specified type cast is only supported with advanced queries: "
            "add the ConsistencyLevel: eventual header and $count=true.",
        )
    tenant = call.caller.tenant
    user = find_user(call, key)
    roles = [
        role_object(t, tenant_id=tenant.id) for t in sorted(tenant.directory_roles.get(user, ()))
    ]

    def source(select: list[str] | None) -> Callable[[int], Items]:
        return lambda start: ((j, roles[j]) for j in range(start, len(roles)))

    uid = tenant.users.user_id(user)
    nav = "transitiveMemberOf" if transitive else "memberOf"
    return list_response(
        call,
        resource=DIRECTORY_ROLE,
        context="directoryObjects/microsoft.graph.directoryRole",
        route=f"users/{uid}/{nav}/microsoft.graph.directoryRole",
        source=source,
    )
