"""The Microsoft identity platform: discovery, client-credentials and auth-code tokens,
admin consent."""

from __future__ import annotations

import base64
import hmac
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox import authcode
from sandbox.directory import Tenant
from sandbox.requestlog import mark_tenant
from sandbox.state import SandboxState
from sandbox.tokens import token_claims

GRAPH_SCOPES = {
    "https://graph.microsoft.com/.default",
    "https://graph.microsoft.com//.default",
    "00000003-0000-0000-c000-000000000000/.default",
}
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}


def _sandbox(request: Request) -> SandboxState:
    return request.app.state.sandbox


def sts_error(
    request: Request,
    status: int,
    error: str,
    code: int,
    description: str,
    *,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The identity platform's error body: error, AADSTS description, codes and ids."""
    trace = str(uuid.uuid4())
    correlation = request.headers.get("client-request-id") or str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: "
        f"{correlation} Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"{_sandbox(request).config.public_login_host}/error?code={code}",
    }
    return JSONResponse(
        body,
        status_code=status,
        headers={"x-ms-request-id": trace, "client-request-id": correlation, **(headers or {})},
    )


def tenant_not_found(request: Request, segment: str, error: str = "invalid_request") -> Response:
    """AADSTS90002 for an unknown tenant id or domain."""
    return sts_error(
        request,
        400,
        error,
        90002,
        f"Tenant '{segment}' not found. Check to make sure you have the correct "
        "tenant ID and are signing into the correct cloud. Check with your "
        "subscription administrator, this may happen if there are no active "
        "subscriptions for the tenant.",
    )


def missing_parameter(request: Request, name: str, status: int = 400) -> Response:
    """AADSTS900144 for a missing request parameter."""
    error = "invalid_client" if status == 401 else "invalid_request"
    return sts_error(
        request,
        status,
        error,
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


async def openid_configuration(request: Request) -> Response:
    """Tenant discovery; endpoints are https URLs whose first path segment is the tenant."""
    sandbox = _sandbox(request)
    segment = request.path_params["tenant"]
    tenant = sandbox.resolve(segment)
    if tenant is None:
        return tenant_not_found(request, segment, "invalid_tenant")
    mark_tenant(request, tenant.id)
    host = sandbox.config.public_login_host.rstrip("/")
    issuer_tenant = "{tenantid}" if segment.lower() in ("organizations", "common") else tenant.id
    base = f"{host}/{segment}"
    return JSONResponse(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{host}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "cloud_instance_name",
                "aud",
                "exp",
                "iat",
                "nbf",
                "tid",
                "oid",
            ],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
    )


async def keys(request: Request) -> Response:
    """The signing keys document (sandbox tokens are HMAC-signed, so it is empty)."""
    return JSONResponse({"keys": []})


def _credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """(client_id, client_secret) from the form, or from HTTP Basic (RFC 6749 §2.3.1)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
            user, _, password = decoded.partition(":")
            return form.get("client_id") or unquote(user), form.get("client_secret") or unquote(
                password
            )
        except ValueError:
            pass
    return form.get("client_id", ""), form.get("client_secret")


async def token(request: Request) -> Response:
    """Client credentials grant, with the documented AADSTS failures."""
    sandbox = _sandbox(request)
    segment = request.path_params["tenant"]
    raw = (await request.body()).decode()
    form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    if segment.lower() in ("common", "consumers"):
        return sts_error(
            request,
            400,
            "invalid_request",
            9001023,
            "The grant type is not supported over the /common or /consumers "
            "endpoints. Please use the /organizations or tenant-specific endpoint.",
        )
    tenant = sandbox.resolve(segment)
    if tenant is None:
        return tenant_not_found(request, segment)
    mark_tenant(request, tenant.id)
    grant_type = form.get("grant_type")
    if not grant_type:
        return missing_parameter(request, "grant_type")
    if grant_type not in ("client_credentials", "authorization_code"):
        return sts_error(
            request,
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )
    client_id, secret = _credentials(request, form)
    if not client_id:
        return missing_parameter(request, "client_id")
    if grant_type == "authorization_code":
        return _redeem(request, sandbox, tenant, client_id, secret, form)
    return _issue(request, sandbox, tenant, client_id, secret, form)


def _redeem(
    request: Request,
    sandbox: SandboxState,
    tenant: Tenant,
    client_id: str,
    secret: str | None,
    form: dict[str, str],
) -> Response:
    """The auth-code grant: the client authenticates, then the code is checked and spent."""
    refused = _credential_error(request, sandbox, tenant, client_id, secret, form)
    if refused is not None:
        return refused
    try:
        body = authcode.redeem(sandbox, tenant, form)
    except authcode.GrantRefused as exc:
        return sts_error(request, 400, exc.error, exc.code, exc.description)
    return JSONResponse(body, headers={"Cache-Control": "no-store, no-cache"})


def _issue(
    request: Request,
    sandbox: SandboxState,
    tenant: Tenant,
    client_id: str,
    secret: str | None,
    form: dict[str, str],
) -> Response:
    refused = _credential_error(request, sandbox, tenant, client_id, secret, form)
    if refused is not None:
        return refused
    scope_error = _scope_error(request, form.get("scope"))
    if scope_error is not None:
        return scope_error
    # Never issue a token that an earlier "expire all tokens" would already reject.
    now = max(sandbox.clock.now(), tenant.tokens_not_before)
    lifetime = sandbox.token_lifetime()
    config = sandbox.config
    client = tenant.app_by_app_id(config.client_id.lower())
    claims = token_claims(
        tenant_id=tenant.id,
        client_id=config.client_id,
        client_sp_id=client.sp_id if client else "",
        roles=tenant.granted_roles,
        now=now,
        lifetime=lifetime,
    )
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": sandbox.access_tokens.issue(claims),
    }
    return JSONResponse(
        body, headers={"Cache-Control": "no-store, no-cache", "x-ms-request-id": str(uuid.uuid4())}
    )


def _credential_error(
    request: Request,
    sandbox: SandboxState,
    tenant: Tenant,
    client_id: str,
    secret: str | None,
    form: dict[str, str],
) -> Response | None:
    """The app must be installed in the tenant and present its current secret."""
    config = sandbox.config
    if client_id.lower() != config.client_id.lower() or not tenant.consented:
        return sts_error(
            request,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the "
            f"directory '{tenant.spec.name}'. This can happen if the application "
            "has not been installed by the administrator of the tenant or consented "
            "to by any user in the tenant. You may have sent your authentication "
            "request to the wrong tenant.",
        )
    if form.get("client_assertion"):
        return sts_error(
            request, 401, "invalid_client", 700027, "Client assertion failed signature validation."
        )
    if secret is None:
        return sts_error(
            request,
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: "
            "'client_assertion' or 'client_secret'.",
        )
    if not hmac.compare_digest(secret.encode(), config.client_secret.encode()):
        return sts_error(
            request,
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID, for a "
            f"secret added to app '{client_id}'.",
        )
    if sandbox.client_secret_expired:
        return sts_error(
            request,
            401,
            "invalid_client",
            7000222,
            f"The provided client secret keys for app '{client_id}' are expired. "
            "Visit the Azure portal to create new keys for your app: "
            "https://aka.ms/NewClientSecret, or consider using certificate "
            "credentials for added security: https://aka.ms/certCreds.",
        )
    return None


def _scope_error(request: Request, scope: str | None) -> Response | None:
    if not scope:
        return missing_parameter(request, "scope")
    wanted = [s for s in scope.split() if s not in RESERVED_SCOPES]
    if len(wanted) != 1 or wanted[0] not in GRAPH_SCOPES:
        return sts_error(
            request,
            400,
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter. The "
            "provided value for the input parameter 'scope' is not valid. The scope "
            f"{scope} is not valid.",
        )
    return None


async def admin_consent(request: Request) -> Response:
    """No human here: grant (or refuse, if told to) at once and redirect back."""
    sandbox = _sandbox(request)
    segment = request.path_params["tenant"]
    v2 = "/v2.0/" in request.url.path
    query = request.query_params
    tenant = sandbox.resolve(segment)
    if tenant is None:
        return tenant_not_found(request, segment)
    mark_tenant(request, tenant.id)
    for name in ("client_id", "redirect_uri", *(("scope",) if v2 else ())):
        if not query.get(name):
            return missing_parameter(request, name)
    client_id, redirect_uri = query["client_id"], query["redirect_uri"]
    if client_id.lower() != sandbox.config.client_id.lower():
        return sts_error(
            request,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the "
            f"directory '{tenant.spec.name}'.",
        )
    allowed = sandbox.config.redirect_uris
    if allowed and redirect_uri not in allowed:
        return sts_error(
            request,
            400,
            "invalid_request",
            50011,
            f"The redirect URI '{redirect_uri}' specified in the request does not "
            f"match the redirect URIs configured for the application '{client_id}'.",
        )
    params: dict[str, str] = {}
    if tenant.consent_error:
        if v2:
            params["admin_consent"] = "True"
        params.update(
            error=tenant.consent_error,
            error_description="AADSTS65004: User declined to consent to access the app.",
        )
    else:
        tenant.install_client(at=sandbox.clock.now())
        params.update(admin_consent="True", tenant=tenant.id)
        if v2:
            params["scope"] = query["scope"]
    if "state" in query:
        params["state"] = query["state"]
    glue = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{glue}{urlencode(params)}", status_code=302)


ROUTES = [
    Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration),
    Route("/{tenant}/discovery/v2.0/keys", keys),
    Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
    Route("/{tenant}/v2.0/adminconsent", admin_consent),
    Route("/{tenant}/adminconsent", admin_consent),
]
