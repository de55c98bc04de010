"""/auditLogs/signIns: newest first, createdDateTime windows, 30-day retention, 1000 per page."""

from __future__ import annotations

import base64
from typing import Any

from sandbox.apps import App
from sandbox.auditlog import SIGNIN_PROPERTIES, signin_id, signin_resource
from sandbox.clock import iso
from sandbox.graph.applications import positional
from sandbox.graph.auth import SIGN_INS
from sandbox.graph.call import GraphCall, Resource, list_response
from sandbox.graph.errors import bad_request, not_found
from sandbox.graph.filters import compile_filter
from sandbox.graph.paging import Cursor, Items, Pager, collect
from sandbox.graph.query import check_page_size, project, resolve_select
from sandbox.graph.users import require_premium

SIGN_IN = Resource("signIn", SIGNIN_PROPERTIES)
_ACTIVITY_KINDS = (
    "lastSignInActivity",
    "delegatedClientSignInActivity",
    "delegatedResourceSignInActivity",
    "applicationAuthenticationClientSignInActivity",
    "applicationAuthenticationResourceSignInActivity",
)
APP_ACTIVITY = Resource(
    "servicePrincipalSignInActivity", frozenset({"id", "appId", *_ACTIVITY_KINDS})
)
PAGE = 1000  # default and maximum page size for sign-ins
DAY = 86_400.0


def _start(call: GraphCall, pager: Pager) -> Cursor:
    """The cursor; paging walks the overlay down from the newest entry at the first request,
    so sign-ins added meanwhile never shift later pages."""
    if call.query.skiptoken is not None:
        return pager.cursor()
    overlay = call.caller.tenant.signins.overlay
    return Cursor(-(len(overlay) + 1) if overlay else 0)


def list_sign_ins(call: GraphCall) -> dict[str, Any]:
    """GET /auditLogs/signIns."""
    call.caller.require(SIGN_INS)
    require_premium(call)
    if call.query.has("$skip"):
        raise bad_request("'$skip' is not supported by the service.")
    select = resolve_select(call.query.select, properties=SIGN_IN.properties, entity="signIn")
    top = call.query.top
    check_page_size(top, maximum=PAGE)
    keep, bound = compile_filter(call.query.filter, properties=SIGN_IN.properties, entity="signIn")
    pager = Pager(call, "auditLogs/signIns")
    cursor = _start(call, pager)
    retention = call.now - call.sandbox.config.signin_retention_days * DAY
    low, high = max(bound.low, retention), bound.high
    body: dict[str, Any] = {"@odata.context": call.context_url("auditLogs/signIns", select)}
    if call.query.skiptoken is not None and pager.is_empty_page(cursor):
        body["@odata.nextLink"] = pager.next_link(Cursor(cursor.position, True))
        body["value"] = []
        return body
    found, position = collect(_items(call, cursor.position, low, high), size=top or PAGE, keep=keep)
    if position is not None:
        body["@odata.nextLink"] = pager.next_link(Cursor(position, False))
    body["value"] = [project(r, select) if select else r for r in found]
    return body


def _items(call: GraphCall, position: int, low: float, high: float) -> Items:
    """Overlay sign-ins (negative positions, newest first), then generated ones by index."""
    tenant = call.caller.tenant
    log = tenant.signins
    if position < 0:
        for o in range(-position - 2, -1, -1):
            hit = log.overlay[o]
            if hit.time >= high:
                continue
            if hit.time < low:
                break
            yield -(o + 2), signin_resource(log, hit)
        position = 0
    start, stop = max(position, log.first_before(high)), log.first_before(low)
    for k in range(start, stop):
        yield k, signin_resource(log, log.hit(k))


def get_sign_in(call: GraphCall, key: str) -> dict[str, Any]:
    """GET /auditLogs/signIns/{id} (a scan: sign-in ids are not indexed)."""
    call.caller.require(SIGN_INS)
    require_premium(call)
    retention = call.now - call.sandbox.config.signin_retention_days * DAY
    for _, record in _items(
        call, -(len(call.caller.tenant.signins.overlay) + 1), retention, call.now + 1
    ):
        if record["id"] == key.lower():
            return {"@odata.context": call.context_url("auditLogs/signIns", entity=True), **record}
    raise not_found(key)


def list_app_activity(call: GraphCall) -> dict[str, Any]:
    """GET /beta/reports/servicePrincipalSignInActivities: last sign-in per application."""
    call.caller.require(SIGN_INS)
    require_premium(call)
    tenant = call.caller.tenant
    log = tenant.signins
    last = log.last_success_by_app()
    apps = [a for a in tenant.apps if a.sp_id in last]

    def render(app: App) -> dict[str, Any]:
        hit = last[app.sp_id]
        seen = {"lastSignInDateTime": iso(hit.time), "lastSignInRequestId": signin_id(log, hit)}
        empty = {"lastSignInDateTime": None, "lastSignInRequestId": None}
        record: dict[str, Any] = {
            "id": base64.b64encode(app.app_id.encode()).decode(),
            "appId": app.app_id,
        }
        for kind in _ACTIVITY_KINDS:
            record[kind] = seen if kind in _ACTIVITY_KINDS[:2] else empty
        return record

    return list_response(
        call,
        resource=APP_ACTIVITY,
        context="reports/servicePrincipalSignInActivities",
        route="reports/servicePrincipalSignInActivities",
        source=positional(apps, render),
    )
