"""Admin consent: a signed, single-use, expiring `state` bound server-side to who asked.

Microsoft redirects back with `tenant`, which anyone can forge: it is trusted only after a token
for that tenant works and Graph answers `/organization` (graph-contract §1.1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from sync_core import records
from sync_core.records import ConnectionStatus
from sync_core.store import activity, connections, consents
from sync_core.sync.tenant import TenantCheck

STATE_TTL = dt.timedelta(minutes=10)
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
CALLBACK_PATH = "/connect/microsoft/callback"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
TenantChecker = Callable[[str], Awaitable[TenantCheck]]


class ConsentError(Exception):
    """The consent round trip cannot be completed; the message is for the person."""


@dataclass(frozen=True)
class ConsentConfig:
    """Where consent happens and comes back to."""

    login_url: str
    client_id: str
    public_url: str
    signing_key: bytes

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + CALLBACK_PATH


@dataclass(frozen=True)
class ConsentResult:
    """A completed consent: the connection and what the tenant granted."""

    connection: records.Connection
    check: TenantCheck
    actor: records.Actor
    context: dict


def _signature(nonce: str, key: bytes) -> str:
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()[:32]


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


async def begin(
    *,
    config: ConsentConfig,
    organization_id: uuid.UUID,
    actor: records.Actor,
    now: dt.datetime,
    tenant_hint: str = "organizations",
    context: Mapping[str, object] | None = None,
) -> str:
    """The admin-consent URL for this organization and person, valid for ten minutes."""
    nonce = secrets.token_urlsafe(24)
    state = f"{nonce}.{_signature(nonce, config.signing_key)}"
    await consents.create(
        organization_id=organization_id,
        state_hash=_hash(state),
        actor=actor,
        expires_at=now + STATE_TTL,
        context=dict(context or {}),
    )
    query = urlencode(
        {
            "client_id": config.client_id,
            "scope": GRAPH_DEFAULT_SCOPE,
            "redirect_uri": config.redirect_uri,
            "state": state,
        }
    )
    return f"{config.login_url.rstrip('/')}/{tenant_hint}/v2.0/adminconsent?{query}"


async def complete(
    *,
    config: ConsentConfig,
    params: Mapping[str, str],
    now: dt.datetime,
    check: TenantChecker,
) -> ConsentResult:
    """Validate the callback, prove the tenant, and record the connection."""
    state = params.get("state", "")
    nonce, _, signature = state.partition(".")
    if not nonce or not hmac.compare_digest(signature, _signature(nonce, config.signing_key)):
        raise ConsentError(
            "This consent link is not one AppVentory issued. Start again with /connect."
        )
    request = await consents.consume(state_hash=_hash(state), now=now)
    if request is None:
        raise ConsentError(
            "This consent link was already used or has expired. Start again with /connect."
        )
    if params.get("error"):
        detail = params.get("error_description") or params["error"]
        raise ConsentError(f"Microsoft reported that consent was not granted: {detail}")
    tenant = params.get("tenant", "")
    if params.get("admin_consent", "").lower() != "true" or not _GUID.match(tenant):
        raise ConsentError("Microsoft did not confirm admin consent for a tenant. Try again.")
    verified = await check(tenant.lower())
    return await record_connection(
        organization_id=request.organization_id, actor=request.actor, verified=verified,
        context=request.context,
    )


async def record_connection(
    *,
    organization_id: uuid.UUID,
    actor: records.Actor,
    verified: TenantCheck,
    context: dict | None = None,
) -> ConsentResult:
    """Store a proven tenant as connected, with its permissions, in the activity trail."""
    conn = await connections.add_connection(
        organization_id=organization_id, tenant_id=verified.tenant_id
    )
    await connections.update(
        connection_id=conn.id,
        status=ConnectionStatus.CONNECTED,
        permissions=list(verified.permissions),
        tenant_name=verified.name,
    )
    await activity.record(
        organization_id=organization_id,
        events=[
            activity.NewActivity(
                kind="connection.connected",
                actor=actor,
                connection_id=conn.id,
                subject_type="connection",
                subject_id=verified.tenant_id,
                subject_name=verified.name,
                details={
                    "permissions": list(verified.permissions),
                    "missing": list(verified.missing),
                },
            )
        ],
    )
    refreshed = await connections.sync_state(connection_id=conn.id)
    return ConsentResult(
        connection=refreshed.connection, check=verified, actor=actor, context=context or {}
    )
