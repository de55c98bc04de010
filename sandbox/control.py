"""The control API under /_sandbox: ground truth, request log, faults, churn, tenant state."""

from __future__ import annotations

import logging
from dataclasses import asdict, fields
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.churn import apply_churn
from sandbox.clock import iso
from sandbox.config import ThrottleLimits
from sandbox.directory import Tenant
from sandbox.state import SandboxState
from sandbox.throttling import Throttle
from sandbox.truth import ground_truth

log = logging.getLogger(__name__)


class ControlError(Exception):
    """A bad control request (answered 400 or 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _sandbox(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _tenant(request: Request) -> Tenant:
    found = _sandbox(request).tenant(request.path_params["tenant_id"])
    if found is None:
        raise ControlError(404, f"unknown tenant {request.path_params['tenant_id']}")
    return found


async def _payload(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise ControlError(400, "body must be JSON") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "body must be a JSON object")
    return data


def _describe_tenant(tenant: Tenant) -> dict[str, Any]:
    spec = tenant.spec
    return {
        "tenant_id": tenant.id,
        "name": spec.name,
        "domain": spec.domain,
        "seed": spec.seed,
        "users": tenant.live_user_count(),
        "apps": spec.apps,
        "days": spec.days,
        "signins_generated": tenant.signins.total,
        "size": spec.size.value,
        **tenant_state(tenant),
    }


def tenant_state(tenant: Tenant) -> dict[str, Any]:
    """The switches a test can flip."""
    return {
        "premium": tenant.premium,
        "granted_roles": tenant.granted_roles,
        "consented": tenant.consented,
        "consent_error": tenant.consent_error,
        "delta_epoch": tenant.delta_epoch,
        "tokens_not_before": tenant.tokens_not_before,
        "signin_as": tenant.signin_as,
        "admin": _admin_upn(tenant),
    }


def _admin_upn(tenant: Tenant) -> str | None:
    """The UPN the sign-in page uses by default (the first Global Administrator)."""
    admin = tenant.admin_index()
    return None if admin is None else tenant.users.identity(admin)[1]


async def info(request: Request) -> Response:
    """GET /_sandbox: credentials, tenants and the clock."""
    sandbox = _sandbox(request)
    config = sandbox.config
    return JSONResponse(
        {
            "base_url": str(request.base_url).rstrip("/"),
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "public_login_host": config.public_login_host,
            "now": iso(sandbox.clock.now()),
            "tenants": [_describe_tenant(t) for t in sandbox.tenants.values()],
        }
    )


async def truth(request: Request) -> Response:
    """GET /_sandbox/tenants/{id}/ground-truth[?inactive_days=30]."""
    sandbox = _sandbox(request)
    sandbox.catch_up()
    inactive = float(request.query_params.get("inactive_days", 30))
    return JSONResponse(
        ground_truth(
            _tenant(request),
            now=sandbox.clock.now(),
            retention_days=sandbox.config.signin_retention_days,
            inactive_days=inactive,
        )
    )


async def requests_log(request: Request) -> Response:
    """GET (optionally ?since=seq) or DELETE the request log."""
    log_ = _sandbox(request).requests
    if request.method == "DELETE":
        log_.clear()
        return JSONResponse({"cleared": True})
    return JSONResponse({"requests": log_.since(int(request.query_params.get("since", 0)))})


async def faults(request: Request) -> Response:
    """GET or POST fault settings (rates, latency, scripted faults, reset)."""
    injector = _sandbox(request).faults
    if request.method == "POST":
        try:
            injector.update(await _payload(request))
        except (ValueError, TypeError) as exc:
            raise ControlError(400, str(exc)) from exc
    return JSONResponse(injector.describe())


async def throttling(request: Request) -> Response:
    """GET or POST throttling limits; POST also empties every bucket."""
    sandbox = _sandbox(request)
    if request.method == "POST":
        changes = await _payload(request)
        changes.pop("reset", None)
        known = {f.name for f in fields(ThrottleLimits)}
        if set(changes) - known:
            raise ControlError(400, f"unknown limits: {sorted(set(changes) - known)}")
        for name, value in changes.items():
            setattr(sandbox.config.throttling, name, value)
        sandbox.throttle = Throttle(sandbox.config.throttling)
    return JSONResponse(asdict(sandbox.config.throttling))


async def churn(request: Request) -> Response:
    """POST churn counts (users_added, ..., signins_added), optionally "delay_seconds"."""
    sandbox, tenant = _sandbox(request), _tenant(request)
    payload = await _payload(request)
    delay = float(payload.pop("delay_seconds", 0) or 0)
    try:
        if delay > 0:
            apply_churn(tenant, now=sandbox.clock.now(), **{k: 0 for k in payload})  # validate
            due = sandbox.schedule_churn(tenant, payload, delay=delay)
            return JSONResponse({"scheduled_for": iso(due), "seq": tenant.seq})
        sandbox.catch_up()
        touched = apply_churn(tenant, now=sandbox.clock.now(), **payload)
    except (ValueError, TypeError) as exc:
        raise ControlError(400, str(exc)) from exc
    log.info("churn in %s: %s", tenant.id, {k: len(v) for k, v in touched.items()})
    return JSONResponse({"touched": touched, "seq": tenant.seq})


async def state(request: Request) -> Response:
    """GET or POST tenant switches: licence, roles, consent, token expiry, delta reset."""
    sandbox, tenant = _sandbox(request), _tenant(request)
    if request.method == "POST":
        apply_state(tenant, await _payload(request), now=sandbox.clock.now())
    return JSONResponse(tenant_state(tenant))


def apply_state(tenant: Tenant, changes: dict[str, Any], *, now: float) -> None:
    """Flip tenant switches as the control API asks."""
    known = {
        "premium",
        "granted_roles",
        "consented",
        "expire_tokens",
        "reset_delta",
        "consent_error",
        "signin_as",
        "directory_roles",
    }
    if set(changes) - known:
        raise ControlError(400, f"unknown state fields: {sorted(set(changes) - known)}")
    if "premium" in changes:
        tenant.premium = bool(changes["premium"])
    if "granted_roles" in changes:
        tenant.set_roles([str(r) for r in changes["granted_roles"]], at=now)
    if "consented" in changes:
        if changes["consented"]:
            tenant.install_client(at=now)
        elif (client := tenant.app_by_app_id(tenant.client_id)) is not None:
            tenant.remove_app(client, at=now)
            tenant.consented = False
        else:
            tenant.consented = False
    if "consent_error" in changes:
        tenant.consent_error = changes["consent_error"] or None
    if "signin_as" in changes:
        tenant.signin_as = changes["signin_as"] or None
    if "directory_roles" in changes:
        _set_directory_roles(tenant, changes["directory_roles"])
    if changes.get("expire_tokens"):
        tenant.tokens_not_before = float(int(now) + 1)
    if changes.get("reset_delta"):
        tenant.delta_epoch += 1


def _set_directory_roles(tenant: Tenant, roles: Any) -> None:
    """{"<upn or id>": ["<role template id>", ...]}: replace those users' directory roles."""
    if not isinstance(roles, dict):
        raise ControlError(400, "directory_roles must map a user to a list of role template ids")
    for key, templates in roles.items():
        user = tenant.find_user(str(key))
        if user is None:
            raise ControlError(400, f"no such user: {key}")
        tenant.directory_roles[user] = {str(t) for t in templates or ()}


async def clock(request: Request) -> Response:
    """GET or POST {"advance_seconds": n}: move the sandbox clock (token and delta expiry)."""
    sandbox = _sandbox(request)
    if request.method == "POST":
        sandbox.clock.advance(float((await _payload(request)).get("advance_seconds", 0)))
    return JSONResponse({"now": iso(sandbox.clock.now()), "offset_seconds": sandbox.clock.offset})


async def client(request: Request) -> Response:
    """GET or POST {"secret_expired": bool}: the app's credential state."""
    sandbox = _sandbox(request)
    if request.method == "POST":
        payload = await _payload(request)
        if "secret_expired" in payload:
            sandbox.client_secret_expired = bool(payload["secret_expired"])
    return JSONResponse(
        {"client_id": sandbox.config.client_id, "secret_expired": sandbox.client_secret_expired}
    )


def _guard(handler: Any) -> Any:
    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    guarded.__doc__ = handler.__doc__
    return guarded


ROUTES = [
    Route("/_sandbox", _guard(info)),
    Route("/_sandbox/tenants/{tenant_id}/ground-truth", _guard(truth)),
    Route("/_sandbox/tenants/{tenant_id}/churn", _guard(churn), methods=["POST"]),
    Route("/_sandbox/tenants/{tenant_id}/state", _guard(state), methods=["GET", "POST"]),
    Route("/_sandbox/requests", _guard(requests_log), methods=["GET", "DELETE"]),
    Route("/_sandbox/faults", _guard(faults), methods=["GET", "POST"]),
    Route("/_sandbox/throttling", _guard(throttling), methods=["GET", "POST"]),
    Route("/_sandbox/clock", _guard(clock), methods=["GET", "POST"]),
    Route("/_sandbox/client", _guard(client), methods=["GET", "POST"]),
]
