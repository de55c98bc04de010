"""Typed errors for Microsoft Graph and the identity platform, keyed by their error codes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from sync_core.graph.policy import retry_after_seconds

CONSENT_HINT = "An admin of the tenant must grant admin consent to the app: run /connect."


class ReadOnlyViolation(RuntimeError):
    """A non-GET request was about to be sent to Graph: a programming error, never retried."""


class GraphError(Exception):
    """A failed Graph call; `hint` says what a person can do about it."""

    default_hint: ClassVar[str] = "Retry later; if it keeps failing, report the request id."

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        status: int | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.hint = hint or self.default_hint

    def __str__(self) -> str:
        where = f" (status {self.status})" if self.status else ""
        # Microsoft's own messages already start with their AADSTS code: say it once.
        code = f"{self.code}: " if self.code and not self.message.startswith(self.code) else ""
        return f"{code}{self.message}{where}"


class TransientGraphError(GraphError):
    """An error the retry policy retries; raised as is once attempts run out."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class GraphAuthError(GraphError):
    default_hint = "Graph rejected the access token twice; check the app's credentials."


class MissingPermission(GraphError):
    default_hint = (
        "The app lacks a Graph permission for this call: an admin should re-grant admin "
        "consent (/connect) and review the app's API scopes (User.Read.All, "
        "Application.Read.All, AuditLog.Read.All, Directory.Read.All)."
    )


class PremiumLicenseRequired(GraphError):
    default_hint = (
        "Sign-in data needs a Microsoft Entra ID P1 or P2 licence in the tenant; "
        "the rest of the inventory still syncs."
    )


class DeltaExpired(GraphError):
    default_hint = "The delta token is no longer valid: start a full sync round."

    def __init__(self, message: str, *, location: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.location = location


class NotFound(GraphError):
    default_hint = "The object no longer exists in the tenant (it may have just been deleted)."


class BadQuery(GraphError):
    default_hint = "Graph rejected the query (or an expired page link): a bug, or restart paging."


class Throttled(TransientGraphError):
    default_hint = "Graph kept throttling after all retries; the next sync will continue."


class ServiceUnavailable(TransientGraphError):
    default_hint = "Microsoft Graph is unavailable right now; try again in a few minutes."


class MalformedResponse(TransientGraphError):
    default_hint = "Graph kept sending an unreadable response; try again later."


class GraphConnectionError(TransientGraphError):
    default_hint = "Could not reach Microsoft Graph (connection dropped or timed out)."


class TokenError(GraphError):
    """The identity platform refused or failed to issue an app-only token."""

    default_hint = "Could not get a token from Microsoft Entra ID; check the app registration."

    def __init__(self, message: str, *, tenant_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.tenant_id = tenant_id


class ConsentMissing(TokenError):
    default_hint = CONSENT_HINT


class InvalidClientSecret(TokenError):
    default_hint = "The app's client secret is wrong: set the current secret in the settings."


class ClientSecretExpired(TokenError):
    default_hint = "The app's client secret has expired: create a new one and update settings."


class TenantNotFound(TokenError):
    default_hint = "No such tenant: check the tenant id or domain."


class TokenServiceUnavailable(TokenError, TransientGraphError):
    """The identity platform could not be reached or answered garbage; retried like Graph."""

    default_hint = "Microsoft Entra ID is unreachable right now; try again in a few minutes."


# Branch on error.code, never on message (docs/graph.md#errors). Keys are casefolded.
_GRAPH_CODES: dict[str, type[GraphError]] = {
    "invalidauthenticationtoken": GraphAuthError,
    "authorization_requestdenied": MissingPermission,
    "accessdenied": MissingPermission,
    "authentication_requestfromnonpremiumtenantorb2ctenant": PremiumLicenseRequired,
    "syncstatenotfound": DeltaExpired,
    "resyncrequired": DeltaExpired,
    "request_resourcenotfound": NotFound,
    "resourcenotfound": NotFound,
    "itemnotfound": NotFound,
    "request_unsupportedquery": BadQuery,
    "badrequest": BadQuery,
    "request_badrequest": BadQuery,
    "invalidrequest": BadQuery,
    "notimplemented": BadQuery,
    "toomanyrequests": Throttled,
    "activitylimitreached": Throttled,
    "serviceunavailable": ServiceUnavailable,
    "servicenotavailable": ServiceUnavailable,
}

_GRAPH_STATUSES: dict[int, type[GraphError]] = {
    400: BadQuery,
    401: GraphAuthError,
    403: MissingPermission,
    404: NotFound,
    410: DeltaExpired,
    429: Throttled,
    501: BadQuery,
}


def _graph_class(status: int, codes: list[str]) -> type[GraphError]:
    for code in codes:
        if found := _GRAPH_CODES.get(code.casefold()):
            return found
    if status in _GRAPH_STATUSES:
        return _GRAPH_STATUSES[status]
    return ServiceUnavailable if status >= 500 else GraphError


def _error_object(body: bytes | str) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        return {}
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return error if isinstance(error, dict) else {}


def error_from_response(
    status: int, *, body: bytes | str, headers: Mapping[str, str] | None = None
) -> GraphError:
    """Map a Graph error response to its exception; the body is parsed once here."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    error = _error_object(body)
    inner = error.get("innerError") or error.get("innererror") or {}
    inner = inner if isinstance(inner, dict) else {}
    codes = [str(c) for c in (error.get("code"), inner.get("code")) if c]
    cls = _graph_class(status, codes)
    raw_text = body.decode(errors="replace") if isinstance(body, bytes) else body
    message = str(error.get("message") or raw_text[:200] or f"HTTP {status}")
    common: dict[str, Any] = {
        "code": codes[0] if codes else "",
        "status": status,
        "request_id": inner.get("request-id") or headers.get("request-id"),
    }
    if issubclass(cls, TransientGraphError):
        common["retry_after"] = retry_after_seconds(headers.get("retry-after"))
    if cls is DeltaExpired:
        common["location"] = headers.get("location")
    return cls(message, **common)


_TOKEN_CODES: dict[int, type[TokenError]] = {
    700016: ConsentMissing,  # app not found in the tenant: typical before consent
    65001: ConsentMissing,
    65004: ConsentMissing,
    90094: ConsentMissing,
    7000215: InvalidClientSecret,
    7000222: ClientSecretExpired,
    90002: TenantNotFound,
}

_TOKEN_ERRORS: dict[str, type[TokenError]] = {
    "unauthorized_client": ConsentMissing,
    "invalid_client": InvalidClientSecret,
    "invalid_tenant": TenantNotFound,
}

_AADSTS = re.compile(r"AADSTS(\d+)")


def aadsts_codes(text: str) -> list[int]:
    """The AADSTS numbers quoted in a text, in order."""
    return [int(n) for n in _AADSTS.findall(text)]


def token_error_class(codes: list[int], *, error: str = "") -> type[TokenError]:
    """The TokenError subclass for AADSTS codes, falling back to the OAuth `error` value."""
    for code in codes:
        if found := _TOKEN_CODES.get(code):
            return found
    return _TOKEN_ERRORS.get(error, TokenError)


def token_error_from_msal(result: Mapping[str, Any], *, tenant_id: str) -> TokenError:
    """Turn MSAL's error dict into the matching TokenError."""
    error = str(result.get("error") or "")
    description = str(result.get("error_description") or error or "token request failed")
    listed = [int(c) for c in result.get("error_codes") or [] if str(c).isdigit()]
    codes = listed or aadsts_codes(description)
    cls = token_error_class(codes, error=error)
    return cls(
        description.splitlines()[0],
        code=f"AADSTS{codes[0]}" if codes else error,
        request_id=result.get("correlation_id"),
        tenant_id=tenant_id,
    )
