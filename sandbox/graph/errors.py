"""Graph's response envelope: request ids, headers and the documented error body."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

JSON_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)
DIAGNOSTIC = json.dumps(
    {
        "ServerInfo": {
            "DataCenter": "Sandbox",
            "Slice": "E",
            "Ring": "5",
            "ScaleUnit": "000",
            "RoleInstance": "SBX000001",
        }
    },
    separators=(",", ":"),
)
WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
    'common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
)


class GraphError(Exception):
    """An error Graph answers with; rendered as {"error": {code, message, innerError}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        inner_code: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.inner_code = inner_code


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    """400 with Graph's generic code (directory endpoints say Request_BadRequest)."""
    return GraphError(400, code, message)


def unsupported_query(message: str) -> GraphError:
    """The directory's 400 for a query it understands but will not run."""
    return GraphError(400, "Request_UnsupportedQuery", message)


def not_found(key: str) -> GraphError:
    """404 for an unknown directory object id."""
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def access_denied() -> GraphError:
    """403 when the token's roles do not cover the call."""
    return GraphError(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def unknown_segment(segment: str) -> GraphError:
    """Graph's answer to a path it cannot route."""
    return bad_request(f"Resource not found for the segment '{segment}'.")


@dataclass
class RequestContext:
    """Per-request ids and the base URL absolute links are built on."""

    request_id: str
    client_request_id: str
    base_url: str

    @classmethod
    def of(cls, request: Request) -> RequestContext:
        """Ids for this request; the client's client-request-id is echoed."""
        request_id = str(uuid.uuid4())
        client_id = request.headers.get("client-request-id") or request_id
        return cls(request_id, client_id, str(request.base_url).rstrip("/"))

    def headers(self) -> dict[str, str]:
        """Headers Graph puts on every response."""
        return {
            "request-id": self.request_id,
            "client-request-id": self.client_request_id,
            "x-ms-ags-diagnostic": DIAGNOSTIC,
            "OData-Version": "4.0",
            "Strict-Transport-Security": "max-age=31536000",
            "Cache-Control": "no-cache",
        }

    def error_body(self, code: str, message: str, inner_code: str | None = None) -> dict[str, Any]:
        """The documented error shape."""
        inner: dict[str, Any] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": self.request_id,
            "client-request-id": self.client_request_id,
        }
        if inner_code:
            inner = {"code": inner_code, **inner}
        return {"error": {"code": code, "message": message, "innerError": inner}}


def dumps(body: Any) -> bytes:
    """Compact JSON."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    ctx: RequestContext, body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A Graph JSON response with the standard headers."""
    return Response(
        dumps(body),
        status_code=status,
        media_type=JSON_TYPE,
        headers={**ctx.headers(), **(headers or {})},
    )


def error_response(ctx: RequestContext, error: GraphError) -> Response:
    """Render a GraphError."""
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    body = ctx.error_body(error.code, error.message, error.inner_code)
    return json_response(ctx, body, status=error.status, headers=headers)
