"""Graph's front door: authenticate, route the path, throttle, answer."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.graph import applications, auditlogs, organization, users
from sandbox.graph.auth import authenticate
from sandbox.graph.call import GraphCall
from sandbox.graph.delta import DeltaFeed
from sandbox.graph.errors import (
    GraphError,
    RequestContext,
    access_denied,
    bad_request,
    error_response,
    json_response,
    unknown_segment,
)
from sandbox.graph.grants_delta import GrantsDeltaFeed
from sandbox.graph.groups_delta import GroupsDeltaFeed
from sandbox.graph.query import parse_query
from sandbox.requestlog import mark_tenant
from sandbox.state import SandboxState
from sandbox.throttling import Verdict, request_cost

log = logging.getLogger(__name__)
DELTA = ("delta", "delta()")


@dataclass
class Endpoint:
    """A routed request: how it is throttled and what answers it."""

    cost_route: str
    run: Callable[[], dict[str, Any]]
    reports: bool = False


def _service_principal(call: GraphCall, segments: list[str]) -> Endpoint:
    by_app_id = segments[0].lower().startswith("serviceprincipals(")
    if not by_app_id and len(segments) > 1 and segments[1].lower() in ("delta", "delta()"):
        if len(segments) > 2:
            raise unknown_segment(segments[2])
        feed = DeltaFeed(call, "servicePrincipals", applications.sp_resource(call))
        return Endpoint("servicePrincipals/delta", feed.respond)
    if not by_app_id and len(segments) == 1:
        return Endpoint("servicePrincipals", lambda: applications.list_service_principals(call))
    app = applications.find_service_principal(call, segments[0], None if by_app_id else segments[1])
    rest = segments[1:] if by_app_id else segments[2:]
    if not rest:
        return Endpoint(
            "servicePrincipals/id", lambda: applications.get_service_principal(call, app)
        )
    if len(rest) > 1:
        raise unknown_segment(rest[1])
    nav = rest[0].lower()
    if nav == "approleassignedto":
        return Endpoint(
            "servicePrincipals/appRoleAssignedTo", lambda: applications.list_assigned_to(call, app)
        )
    if nav == "approleassignments":
        return Endpoint(
            "servicePrincipals/appRoleAssignments",
            lambda: applications.list_app_role_assignments(call, app),
        )
    if nav == "oauth2permissiongrants":
        return Endpoint("oauth2PermissionGrants", lambda: applications.list_grants(call, app))
    raise unknown_segment(rest[0])


def _users(call: GraphCall, segments: list[str]) -> Endpoint:
    if len(segments) == 1:
        return Endpoint("users", lambda: users.list_users(call))
    if segments[1].lower() in ("delta", "delta()"):
        if len(segments) > 2:
            raise unknown_segment(segments[2])
        return Endpoint("users/delta", DeltaFeed(call, "users", users.USER).respond)
    key = segments[1]
    if len(segments) == 2:
        return Endpoint("users/id", lambda: users.get_user(call, key))
    if len(segments) == 3 and segments[2].lower() == "approleassignments":
        return Endpoint("users/appRoleAssignments", lambda: users.list_user_assignments(call, key))
    nav = segments[2].lower()
    if (
        len(segments) == 4
        and nav in ("memberof", "transitivememberof")
        and (segments[3].lower() == "microsoft.graph.directoryrole")
    ):
        return Endpoint(
            "users/memberOf",
            lambda: users.list_directory_roles(call, key, transitive=nav == "transitivememberof"),
        )
    raise unknown_segment(
        segments[3] if segments[2].lower() == "approleassignments" else segments[2]
    )


def _simple(call: GraphCall, segments: list[str]) -> Endpoint:
    head, size = segments[0].lower(), len(segments)
    if head == "organization" and size <= 2:
        return Endpoint(
            "organization",
            (lambda: organization.list_organization(call))
            if size == 1
            else (lambda: organization.get_organization(call, segments[1])),
        )
    if head == "oauth2permissiongrants" and size == 2 and segments[1].lower() in DELTA:
        return Endpoint("oauth2PermissionGrants/delta", GrantsDeltaFeed(call).respond)
    if head == "oauth2permissiongrants" and size <= 2:
        return Endpoint(
            "oauth2PermissionGrants",
            (lambda: applications.list_grants(call))
            if size == 1
            else (lambda: applications.get_grant(call, segments[1])),
        )
    if head == "groups" and size == 2 and segments[1].lower() in DELTA:
        return Endpoint("groups/delta", GroupsDeltaFeed(call).respond)
    if head == "groups" and size <= 2:
        return Endpoint(
            "groups",
            (lambda: organization.list_groups(call))
            if size == 1
            else (lambda: organization.get_group(call, segments[1])),
        )
    if head == "groups" and size == 3 and segments[2].lower() == "members":
        return Endpoint("groups/members", lambda: organization.list_members(call, segments[1]))
    if head == "auditlogs" and size >= 2 and segments[1].lower() == "signins" and size <= 3:
        run = (
            (lambda: auditlogs.list_sign_ins(call))
            if size == 2
            else (lambda: auditlogs.get_sign_in(call, segments[2]))
        )
        return Endpoint("auditLogs/signIns", run, reports=True)
    if (
        head == "reports"
        and call.version == "beta"
        and size == 2
        and (segments[1].lower() == "serviceprincipalsigninactivities")
    ):
        return Endpoint("reports", lambda: auditlogs.list_app_activity(call), reports=True)
    if head == "me":
        raise bad_request("/me request is only valid with delegated authentication flow.")
    known = {"organization", "oauth2permissiongrants", "groups", "auditlogs", "reports"}
    raise unknown_segment(segments[-1] if head in known else segments[0])


def resolve(call: GraphCall) -> Endpoint:
    """Map the path to an endpoint; unknown segments get Graph's 400."""
    segments = [s for s in call.path.split("/") if s]
    if not segments:
        raise unknown_segment(call.version)
    head = segments[0].lower()
    if head == "serviceprincipals" or head.startswith("serviceprincipals("):
        return _service_principal(call, segments)
    if head == "users":
        return _users(call, segments)
    return _simple(call, segments)


def _throttle(call: GraphCall, endpoint: Endpoint) -> tuple[Verdict, int | None]:
    sandbox, caller = call.sandbox, call.caller
    now = call.now
    verdict = sandbox.throttle.request(app_id=caller.app_id, tenant_id=caller.tenant.id, now=now)
    if not verdict.allowed:
        return verdict, None
    if endpoint.reports:
        return sandbox.throttle.reports(
            app_id=caller.app_id, tenant_id=caller.tenant.id, now=now
        ), None
    query = call.query
    try:
        top = query.top
    except GraphError:
        top = None
    cost = request_cost(
        endpoint.cost_route, select=query.has("$select"), expand=query.has("$expand"), top=top
    )
    verdict = sandbox.throttle.directory(
        app_id=caller.app_id,
        tenant_id=caller.tenant.id,
        size=caller.tenant.spec.size,
        cost=cost,
        now=now,
    )
    return verdict, cost


def retry_after(seconds: float, *, time_scale: float) -> str:
    """Graph sends whole seconds; a sandbox whose windows are compressed sends the compressed
    wait as a decimal (a whole second would be many windows long)."""
    if time_scale == 1:
        return str(max(1, math.ceil(seconds)))
    return f"{max(seconds, 0.001):.3f}"


def _throttled(verdict: Verdict, *, time_scale: float) -> GraphError:
    wait = retry_after(verdict.retry_after, time_scale=time_scale)
    return GraphError(
        429,
        "TooManyRequests",
        "Please retry again later.",
        inner_code="429",
        headers={
            "Retry-After": wait,
            "x-ms-throttle-scope": verdict.scope,
            "x-ms-throttle-information": verdict.information,
        },
    )


def _answer(request: Request, sandbox: SandboxState, ctx: RequestContext) -> Response:
    sandbox.catch_up()
    caller = authenticate(sandbox, request.headers.get("authorization"))
    mark_tenant(request, caller.tenant.id)
    if request.path_params["path"].lower() == "$batch":
        raise GraphError(501, "NotImplemented", "The sandbox does not implement JSON batching.")
    if request.method != "GET":
        raise access_denied()  # the sandbox only ever grants read permissions
    version = request.url.path.split("/")[1]
    call = GraphCall(
        sandbox,
        caller,
        ctx,
        parse_query(request.url.query),
        version,
        request.path_params["path"],
        request.headers,
    )
    endpoint = resolve(call)
    verdict, cost = _throttle(call, endpoint)
    if not verdict.allowed:
        raise _throttled(verdict, time_scale=sandbox.config.time_scale)
    headers = call.response_headers
    if cost is not None:
        headers["x-ms-resource-unit"] = str(cost)
        if verdict.used > 0.8:
            headers["x-ms-throttle-limit-percentage"] = f"{min(verdict.used, 1.8):.1f}"
    return json_response(ctx, endpoint.run(), headers=headers)


async def graph_endpoint(request: Request) -> Response:
    """Every /v1.0 and /beta request."""
    ctx = RequestContext.of(request)
    try:
        return _answer(request, request.app.state.sandbox, ctx)
    except GraphError as error:
        return error_response(ctx, error)


async def unknown_version(request: Request) -> Response:
    """Anything outside /v1.0 and /beta that is not a login URL either."""
    ctx = RequestContext.of(request)
    version = request.path_params["version"]
    if version[:1].lower() == "v" and version[1:2].isdigit():
        return error_response(ctx, bad_request(f"Invalid version: {version}"))
    return error_response(ctx, GraphError(404, "NotFound", f"No such resource: {request.url.path}"))


METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
ROUTES = [
    Route("/v1.0/{path:path}", graph_endpoint, methods=METHODS),
    Route("/beta/{path:path}", graph_endpoint, methods=METHODS),
]
FALLBACK = [Route("/{version}/{path:path}", unknown_version, methods=METHODS)]
