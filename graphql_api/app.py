"""The `/graphql` endpoint: bearer-token authentication, then Strawberry."""

from __future__ import annotations

import json
import logging

import strawberry
from cross_web import HTTPException  # what Strawberry's views turn into an HTTP error response
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from graphql_api.context import Context
from sync_core import records
from sync_core.records import ActorType, ApiTokenInfo
from sync_core.store import organizations

log = logging.getLogger(__name__)
TOKEN_SCOPE_KEY = "appventory.api_token"


def _unauthenticated(message: str) -> JSONResponse:
    body = {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}],
    }
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _wants_ide(request: Request) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


SERVICES_STATE_KEY = "graphql_services"


class _StrawberryApp(GraphQL):
    def decode_json(self, data: str | bytes) -> object:
        """A GraphQL request is a JSON object (a list is a batch, which Strawberry refuses)."""
        try:
            value = json.loads(data)
        except RecursionError:
            raise HTTPException(400, "The JSON body is nested too deeply.") from None
        except ValueError:  # not JSON, or bytes in no encoding JSON allows
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(value, dict | list):
            raise HTTPException(400, 'A GraphQL request is a JSON object: {"query": ...}.')
        return value

    # The schema has no subscriptions, so Strawberry hands over an HTTP Request, never the
    # WebSocket its signature also allows.
    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        token: ApiTokenInfo = request.scope[TOKEN_SCOPE_KEY]
        actor = records.Actor(ActorType.API_TOKEN, str(token.id), token.name or token.prefix)
        return Context(
            organization_id=token.organization_id,
            actor=actor,
            services=request.state.graphql_services,
            request=request,
            response=response,
        )


class GraphQLEndpoint:
    """ASGI app: refuses unauthenticated requests with 401 before any GraphQL runs."""

    def __init__(self, schema: strawberry.Schema, *, graphiql: bool) -> None:
        self._graphiql = graphiql
        self._app = _StrawberryApp(
            schema, graphql_ide="graphiql" if graphiql else None, allow_queries_via_get=False
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if self._graphiql and _wants_ide(request):
            # The IDE is a static page (its queries carry the token): Strawberry would build a
            # context, which needs a token, before rendering it.
            await HTMLResponse(self._app.graphql_ide_html)(scope, receive, send)
            return
        secret = _bearer(request)
        if secret is None:
            await _unauthenticated("Send an API token: 'Authorization: Bearer <token>'.")(
                scope, receive, send
            )
            return
        token = await organizations.authenticate(secret=secret)
        if token is None:
            await _unauthenticated("The API token is unknown or revoked.")(scope, receive, send)
            return
        scope[TOKEN_SCOPE_KEY] = token
        await self._app(scope, receive, send)
