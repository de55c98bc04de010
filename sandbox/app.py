"""The sandbox as one Starlette app: login at /{tenant}/..., Graph at /v1.0 and /beta, control."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from sandbox import authcode, control, identity
from sandbox.config import SandboxConfig
from sandbox.faults import FaultMiddleware
from sandbox.graph import routes as graph
from sandbox.requestlog import RequestLogMiddleware
from sandbox.state import SandboxState


def create_app(config: SandboxConfig) -> Starlette:
    """A fake login.microsoftonline.com + graph.microsoft.com serving `config`'s tenants."""
    sandbox = SandboxState(config)
    app = Starlette(
        routes=[
            *control.ROUTES,
            *graph.ROUTES,
            *identity.ROUTES,
            *authcode.ROUTES,
            *graph.FALLBACK,
        ],
        middleware=[
            Middleware(RequestLogMiddleware, log=sandbox.requests),
            Middleware(FaultMiddleware, injector=sandbox.faults),
        ],
    )
    app.state.sandbox = sandbox
    return app
