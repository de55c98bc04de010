"""/servicePrincipals (v1.0 and beta), their assignments, and /oauth2PermissionGrants."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sandbox.access import GRANT_PROPERTIES, Assignment, Grant, grant_resource
from sandbox.apps import SP_BETA_PROPERTIES, SP_PROPERTIES, App
from sandbox.directory import Tenant
from sandbox.graph.auth import APPLICATIONS, GRANTS
from sandbox.graph.call import GraphCall, Resource, entity_response, list_response
from sandbox.graph.errors import bad_request, not_found
from sandbox.graph.paging import Items
from sandbox.graph.users import ASSIGNMENT, assignment_record
from sandbox.state import GUID

SERVICE_PRINCIPAL = Resource("servicePrincipal", SP_PROPERTIES)
SERVICE_PRINCIPAL_BETA = Resource("servicePrincipal", SP_BETA_PROPERTIES)
GRANT = Resource("oAuth2PermissionGrant", GRANT_PROPERTIES)
APP_ID_KEY = re.compile(r"^servicePrincipals\(appId='([^']*)'\)$", re.IGNORECASE)


def sp_resource(call: GraphCall) -> Resource:
    """publisherName exists only on /beta."""
    return SERVICE_PRINCIPAL_BETA if call.version == "beta" else SERVICE_PRINCIPAL


def positional(
    records: Sequence[Any],
    render: Callable[[Any], dict[str, Any] | None],
) -> Callable[[list[str] | None], Callable[[int], Items]]:
    """A source over an append-only list; render returns None for deleted entries."""

    def for_select(select: list[str] | None) -> Callable[[int], Items]:
        def items(start: int) -> Items:
            for j in range(start, len(records)):
                record = render(records[j])
                if record is not None:
                    yield j, record

        return items

    return for_select


def _live_app(app: App) -> dict[str, Any] | None:
    return app.record if app.is_live else None


def list_service_principals(call: GraphCall) -> dict[str, Any]:
    """GET /servicePrincipals."""
    call.caller.require(APPLICATIONS)
    tenant = call.caller.tenant
    return list_response(
        call,
        resource=sp_resource(call),
        context="servicePrincipals",
        route=f"{call.version}/servicePrincipals",
        source=positional(tenant.apps, _live_app),
    )


def find_service_principal(call: GraphCall, segment: str, key: str | None) -> App:
    """An SP from /servicePrincipals/{id} or /servicePrincipals(appId='…')."""
    tenant = call.caller.tenant
    by_app_id = APP_ID_KEY.match(segment)
    if by_app_id:
        app = tenant.app_by_app_id(by_app_id.group(1))
        if app is None:
            raise not_found(f"appId={by_app_id.group(1)}")
        return app
    assert key is not None
    if not GUID.match(key):
        raise bad_request(f"Invalid object identifier '{key}'.", "Request_BadRequest")
    app = tenant.app(key)
    if app is None:
        raise not_found(key)
    return app


def get_service_principal(call: GraphCall, app: App) -> dict[str, Any]:
    """GET /servicePrincipals/{id}."""
    call.caller.require(APPLICATIONS)
    return entity_response(
        call, app.record, resource=sp_resource(call), context="servicePrincipals"
    )


def _assignments(call: GraphCall, app: App, *, outgoing: bool) -> dict[str, Any]:
    call.caller.require(APPLICATIONS)
    tenant = call.caller.tenant
    items = [
        a
        for a in tenant.assignments
        if (a.principal == app.sp_id if outgoing else a.resource is app)
    ]

    def render(item: Assignment) -> dict[str, Any] | None:
        live = (
            item.removed_at is None
            and item.resource.is_live
            and (item.principal_type != "User" or tenant.is_live_user(int(item.principal)))
        )
        return assignment_record(tenant, item) if live else None

    name = "appRoleAssignments" if outgoing else "appRoleAssignedTo"
    return list_response(
        call,
        resource=ASSIGNMENT,
        context=f"servicePrincipals('{app.sp_id}')/{name}",
        route=f"servicePrincipals/{app.sp_id}/{name}",
        source=positional(items, render),
    )


def list_assigned_to(call: GraphCall, app: App) -> dict[str, Any]:
    """GET /servicePrincipals/{id}/appRoleAssignedTo: who is assigned to this app."""
    return _assignments(call, app, outgoing=False)


def list_app_role_assignments(call: GraphCall, app: App) -> dict[str, Any]:
    """GET /servicePrincipals/{id}/appRoleAssignments: roles this SP holds on others."""
    return _assignments(call, app, outgoing=True)


def grant_record(tenant: Tenant, grant: Grant) -> dict[str, Any] | None:
    """A live grant as Graph shows it (principalId null for AllPrincipals)."""
    if grant.removed_at is not None or not grant.client.is_live:
        return None
    principal = grant.principal
    if principal is not None and not tenant.is_live_user(principal):
        return None
    principal_id = None if principal is None else tenant.users.user_id(principal)
    return grant_resource(grant, principal_id=principal_id)


def list_grants(call: GraphCall, app: App | None = None) -> dict[str, Any]:
    """GET /oauth2PermissionGrants (or one SP's grants)."""
    call.caller.require(GRANTS)
    tenant = call.caller.tenant
    grants = tenant.grants if app is None else [g for g in tenant.grants if g.client is app]
    context = (
        "oauth2PermissionGrants"
        if app is None
        else (f"servicePrincipals('{app.sp_id}')/oauth2PermissionGrants")
    )
    return list_response(
        call,
        resource=GRANT,
        context=context,
        route=context,
        source=positional(grants, lambda g: grant_record(tenant, g)),
    )


def get_grant(call: GraphCall, key: str) -> dict[str, Any]:
    """GET /oauth2PermissionGrants/{id}."""
    call.caller.require(GRANTS)
    tenant = call.caller.tenant
    for grant in tenant.grants:
        if grant.id == key and (record := grant_record(tenant, grant)) is not None:
            return entity_response(call, record, resource=GRANT, context="oauth2PermissionGrants")
    raise not_found(key)
