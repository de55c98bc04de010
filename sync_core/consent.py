"""Connecting a tenant: admin consent, then a sign-in that proves who consented.

Microsoft's admin-consent redirect carries `tenant`, which anyone can forge, and a tenant that
consented once (for any AppVentory customer) hands our app a working token forever after. So a
consent callback connects nothing by itself: it only proves the tenant consented, then sends the
browser to sign in to that tenant. The tenant is connected when the person who signs in holds a
role that can grant this consent there. Threat model: docs/security.md.

Each step's `state` is signed, single use, expires in ten minutes and is bound server-side to
the organization and person who asked, and to the tenant once one is known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from sync_core import records
from sync_core.graph.signin import SignInError
from sync_core.records import ConnectionStatus
from sync_core.store import activity, connections, consents
from sync_core.store.consents import PendingConsent
from sync_core.sync.tenant import CONSENT_ADMIN_ROLES, TenantAdmin, TenantCheck

log = logging.getLogger(__name__)
STATE_TTL = dt.timedelta(minutes=10)
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
CALLBACK_PATH = "/connect/microsoft/callback"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SHOWN = 300  # characters of Microsoft's text quoted back to the person
TenantChecker = Callable[[str], Awaitable[TenantCheck]]


class ConsentError(Exception):
    """The consent round trip cannot be completed; the message is for the person."""


class AdminProof(Protocol):
    """A delegated sign-in to a tenant, and the signed-in person's directory roles there."""

    async def begin(self, *, tenant_id: str, redirect_uri: str, state: str) -> dict[str, Any]:
        """MSAL's auth-code flow; its `auth_uri` is where the browser goes."""
        ...

    async def finish(
        self,
        *,
        tenant_id: str,
        flow: dict[str, Any],
        response: Mapping[str, str],
        now: dt.datetime,
    ) -> TenantAdmin:
        """Redeem the redirect's code: who signed in, with which roles."""
        ...


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
    admin: TenantAdmin | None = None


@dataclass(frozen=True)
class SignInRequired:
    """The tenant consented; now its admin signs in at `url` to prove it was them."""

    url: str
    tenant_id: str


def _signature(nonce: str, key: bytes) -> str:
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()[:32]


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _new_state(config: ConsentConfig) -> str:
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_signature(nonce, config.signing_key)}"


def bound_tenant(tenant_hint: str) -> str | None:
    """The tenant a consent link is for, when the link names one by id."""
    return tenant_hint.lower() if _GUID.match(tenant_hint) else None


async def begin(
    *,
    config: ConsentConfig,
    organization_id: uuid.UUID,
    actor: records.Actor,
    now: dt.datetime,
    tenant_hint: str = "organizations",
    context: Mapping[str, object] | None = None,
) -> str:
    """The admin-consent URL for this organization and person, valid for ten minutes; a link
    that names a tenant (refresh, re-grant) can only connect that tenant."""
    state = _new_state(config)
    await consents.create(
        organization_id=organization_id,
        state_hash=_hash(state),
        actor=actor,
        expires_at=now + STATE_TTL,
        context=dict(context or {}),
        tenant_id=bound_tenant(tenant_hint),
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
    prove: AdminProof,
) -> ConsentResult | SignInRequired:
    """One callback of the round trip: after consent, where to sign in; after the sign-in,
    the recorded connection. ConsentError says why nothing was connected."""
    pending = await _consume(config=config, params=params, now=now)
    if pending.signin_flow is None:
        return await _after_consent(
            config=config, params=params, now=now, check=check, prove=prove, pending=pending
        )
    return await _after_sign_in(params=params, now=now, check=check, prove=prove, pending=pending)


async def _consume(
    *, config: ConsentConfig, params: Mapping[str, str], now: dt.datetime
) -> PendingConsent:
    state = params.get("state", "")
    nonce, _, signature = state.partition(".")
    if not nonce or not hmac.compare_digest(signature, _signature(nonce, config.signing_key)):
        raise ConsentError(
            "This consent link is not one AppVentory issued. Start again with /connect."
        )
    pending = await consents.consume(state_hash=_hash(state), now=now)
    if pending is None:
        raise ConsentError(
            "This consent link was already used or has expired. Start again with /connect."
        )
    return pending


async def _after_consent(
    *,
    config: ConsentConfig,
    params: Mapping[str, str],
    now: dt.datetime,
    check: TenantChecker,
    prove: AdminProof,
    pending: PendingConsent,
) -> SignInRequired:
    """Microsoft's admin-consent redirect: the tenant must work, then its admin signs in."""
    if params.get("error"):
        detail = (params.get("error_description") or params["error"])[:_SHOWN]
        raise ConsentError(f"Microsoft reported that consent was not granted: {detail}")
    tenant = params.get("tenant", "")
    if params.get("admin_consent", "").lower() != "true" or not _GUID.match(tenant):
        raise ConsentError("Microsoft did not confirm admin consent for a tenant. Try again.")
    tenant = tenant.lower()
    if pending.tenant_id is not None and pending.tenant_id != tenant:
        raise ConsentError(
            f"This consent link was for tenant {pending.tenant_id}, but Microsoft answered for "
            f"{tenant}. Sign in to the right tenant and start again with /connect."
        )
    await check(tenant)  # a forged tenant that never consented stops here
    state = _new_state(config)
    flow = await prove.begin(tenant_id=tenant, redirect_uri=config.redirect_uri, state=state)
    await consents.create(
        organization_id=pending.organization_id,
        state_hash=_hash(state),
        actor=pending.actor,
        expires_at=now + STATE_TTL,
        context=pending.context,
        tenant_id=tenant,
        signin_flow=flow,
    )
    return SignInRequired(url=str(flow["auth_uri"]), tenant_id=tenant)


async def _after_sign_in(
    *,
    params: Mapping[str, str],
    now: dt.datetime,
    check: TenantChecker,
    prove: AdminProof,
    pending: PendingConsent,
) -> ConsentResult:
    """The sign-in redirect: connect only for an admin of the very tenant that consented."""
    tenant = pending.tenant_id or ""
    try:
        admin = await prove.finish(
            tenant_id=tenant, flow=pending.signin_flow or {}, response=params, now=now
        )
    except SignInError as exc:
        raise ConsentError(f"{exc} Nothing was connected; start again with /connect.") from exc
    who = admin.user.username or admin.user.user_id
    if admin.user.tenant_id != tenant:
        raise ConsentError(
            f"{who} signed in to tenant {admin.user.tenant_id}, not to {tenant}, which "
            "consented. Nothing was connected."
        )
    if not admin.consent_roles:
        needed = " or ".join(CONSENT_ADMIN_ROLES.values())
        raise ConsentError(
            f"{who} is not a {needed} of tenant {tenant}, so cannot connect it. Ask one of "
            "its administrators to run /connect. Nothing was connected."
        )
    verified = await check(tenant)
    result = await record_connection(
        organization_id=pending.organization_id,
        actor=pending.actor,
        verified=verified,
        context=pending.context,
        admin=admin,
    )
    await _tell_other_organizations(result)
    return result


async def record_connection(
    *,
    organization_id: uuid.UUID,
    actor: records.Actor,
    verified: TenantCheck,
    context: dict | None = None,
    admin: TenantAdmin | None = None,
) -> ConsentResult:
    """Store a proven tenant as connected, with its permissions (and, from the consent flow,
    the admin who proved it) in the activity trail."""
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
                    **_proof(admin),
                },
            )
        ],
    )
    refreshed = await connections.sync_state(connection_id=conn.id)
    return ConsentResult(
        connection=refreshed.connection,
        check=verified,
        actor=actor,
        context=context or {},
        admin=admin,
    )


def _proof(admin: TenantAdmin | None) -> dict[str, object]:
    if admin is None:
        return {}
    return {
        "proven_by": admin.user.username or admin.user.user_id,
        "proven_by_id": admin.user.user_id,
        "proven_by_roles": list(admin.consent_roles),
    }


async def _tell_other_organizations(result: ConsentResult) -> None:
    """A tenant another organization also has connected is never joined silently: each of
    them finds who connected it (and which admin proved it) in its activity trail."""
    tenant = result.connection.tenant_id
    others = await connections.other_organizations(
        tenant_id=tenant, organization_id=result.connection.organization_id
    )
    for organization_id in others:
        log.warning("tenant %s also connected to organization %s", tenant, organization_id)
        await activity.record(
            organization_id=organization_id,
            events=[
                activity.NewActivity(
                    kind="connection.shared",
                    actor=result.actor,
                    subject_type="connection",
                    subject_id=tenant,
                    subject_name=result.check.name,
                    details={
                        "organization_id": str(result.connection.organization_id),
                        **_proof(result.admin),
                    },
                )
            ],
        )
