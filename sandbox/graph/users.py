"""/users, /users/{id}, /users/{id}/appRoleAssignments and signInActivity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sandbox.access import ASSIGNMENT_PROPERTIES, Assignment, assignment_resource
from sandbox.auditlog import sign_in_activity
from sandbox.directory import Tenant
from sandbox.graph.auth import USER_ASSIGNMENTS, USERS
from sandbox.graph.call import (
    GraphCall,
    PageReader,
    Resource,
    advanced_query,
    entity_response,
    list_response,
)
from sandbox.graph.errors import GraphError, not_found
from sandbox.graph.expand import Expansion, parse_expand
from sandbox.graph.filters import Predicate
from sandbox.graph.ordering import (
    Keys,
    OrderBy,
    Sortable,
    check_orderby,
    ordered_page,
    parse_orderby,
    sort_key,
)
from sandbox.graph.paging import Items, Page, Pager
from sandbox.graph.query import project
from sandbox.roles import role_object
from sandbox.users import USER_DEFAULT, USER_PROPERTIES, USER_SINGLE_ONLY

USER = Resource("user", USER_PROPERTIES, USER_DEFAULT, USER_SINGLE_ONLY)
ASSIGNMENT = Resource("appRoleAssignment", ASSIGNMENT_PROPERTIES)
SIGN_IN_ACTIVITY_PAGE = 120  # Graph's page cap when signInActivity is selected
EXPAND_PAGE = 100  # Graph's page cap on directory collections read with $expand
# Graph's table of $orderby support on users: these two by default, the dates only in
# advanced queries; every other property is refused either way.
USER_SORTING = Sortable(
    "User",
    default=frozenset({"displayName", "userPrincipalName"}),
    advanced=frozenset({"createdDateTime", "deletedDateTime"}),
)
EXPANDABLE = frozenset({"manager"})
# The user's other navigation properties: Graph expands them, the sandbox does not model them.
USER_NAVIGATIONS = frozenset(
    {
        "appRoleAssignments",
        "calendar",
        "contacts",
        "createdObjects",
        "directReports",
        "drive",
        "events",
        "extensions",
        "licenseDetails",
        "mailFolders",
        "memberOf",
        "messages",
        "oauth2PermissionGrants",
        "ownedDevices",
        "ownedObjects",
        "photo",
        "registeredDevices",
        "sponsors",
        "transitiveMemberOf",
    }
)
# An expanded manager without a nested $select carries every property a list can return.
EXPANDED_USER_FIELDS = tuple(sorted(USER_PROPERTIES - USER_SINGLE_ONLY - {"signInActivity"}))


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


def user_with_activity(tenant: Tenant, i: int, *, activity: bool) -> dict[str, Any]:
    """User i's record, with signInActivity when it was selected."""
    record = tenant.user_record(i)
    if activity:
        record["signInActivity"] = sign_in_activity(tenant.signins, i)
    return record


def user_source(tenant: Tenant) -> Callable[[list[str] | None], Callable[[int], Items]]:
    """Live users in index order, generated as the page needs them."""

    def for_select(select: list[str] | None) -> Callable[[int], Items]:
        activity = bool(select and "signInActivity" in select)

        def items(start: int) -> Items:
            for i in range(start, tenant.user_total):
                if i in tenant.removed_users:
                    continue
                yield i, user_with_activity(tenant, i, activity=activity)

        return items

    return for_select


def user_order(call: GraphCall) -> OrderBy | None:
    """$orderby, held to Graph's rules for users."""
    if not call.query.has("$orderby"):
        return None
    order = parse_orderby(call.query.options["$orderby"], properties=USER_PROPERTIES, entity="user")
    check_orderby(
        order,
        USER_SORTING,
        advanced=advanced_query(call),
        filtered=call.query.filter is not None,
    )
    return order


def user_sort_value(tenant: Tenant, i: int, prop: str) -> Any:
    """The value user i sorts by; names come from the cheap identity, not the full record."""
    if prop == "userPrincipalName":
        return tenant.users.identity(i)[1]
    if prop == "displayName":
        return tenant.user_changes.get(i, {}).get("displayName", tenant.users.identity(i)[2])
    return tenant.user_record(i).get(prop)


# Sorted keys per tenant and property, valid while the tenant's change log stands still:
# a client paging 100k users in order sorts once, not once a page.
_SORTED: WeakKeyDictionary[Tenant, dict[str, tuple[int, Keys]]] = WeakKeyDictionary()


def sorted_users(tenant: Tenant, prop: str) -> Keys:
    """Live users' sort keys, ascending."""
    saved = _SORTED.setdefault(tenant, {})
    hit = saved.get(prop)
    if hit is not None and hit[0] == tenant.seq:
        return hit[1]
    keys = sorted(
        (sort_key(user_sort_value(tenant, i, prop), tenant.users.user_id(i)), i)
        for i in range(tenant.user_total)
        if i not in tenant.removed_users
    )
    saved[prop] = (tenant.seq, keys)
    return keys


def ordered_users(tenant: Tenant, order: OrderBy, *, activity: bool) -> PageReader:
    """Pages of users in $orderby order."""

    def read(pager: Pager, size: int, keep: Predicate | None) -> Page:
        return ordered_page(
            pager,
            sorted_users(tenant, order.prop),
            lambda i: user_with_activity(tenant, i, activity=activity),
            order,
            size=size,
            keep=keep,
        )

    return read


def user_expansion(call: GraphCall) -> Expansion | None:
    """$expand on users: manager only, optionally with a nested $select."""
    if not call.query.has("$expand"):
        return None
    return parse_expand(
        call.query.options["$expand"],
        supported=EXPANDABLE,
        navigations=USER_NAVIGATIONS,
        properties=USER_PROPERTIES,
        entity="user",
    )


def manager_expander(
    tenant: Tenant, expansion: Expansion
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Adds `manager` (a directoryObject saying it is a user) to records of users that have
    one; like Graph, a user without a manager gets no `manager` key."""
    fields = expansion.select or EXPANDED_USER_FIELDS

    def expand(record: dict[str, Any]) -> dict[str, Any]:
        user = tenant.find_user(str(record["id"]))
        manager = None if user is None else tenant.manager_of(user)
        if manager is None:
            return {}
        shown = project(tenant.user_record(manager), fields)
        return {"manager": {"@odata.type": "#microsoft.graph.user", **shown}}

    return expand


def list_users(call: GraphCall) -> dict[str, Any]:
    """GET /users, with $orderby and $expand=manager as Graph serves them."""
    call.caller.require(USERS)
    tenant = call.caller.tenant
    activity = _wants_activity(call)
    order = user_order(call)
    expansion = user_expansion(call)
    caps = [SIGN_IN_ACTIVITY_PAGE if activity else None, EXPAND_PAGE if expansion else None]
    return list_response(
        call,
        resource=USER,
        context="users",
        route="users",
        source=user_source(tenant),
        cap=min((c for c in caps if c is not None), default=None),
        allowed=frozenset({"$orderby", "$expand"}),
        pages=None if order is None else ordered_users(tenant, order, activity=activity),
        expand=None if expansion is None else manager_expander(tenant, expansion),
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
    record = user_with_activity(tenant, user, activity=_wants_activity(call))
    expansion = user_expansion(call)
    body = entity_response(call, record, resource=USER, context="users")
    if expansion is not None:
        body.update(manager_expander(tenant, expansion)(record))
    return body


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
