"""The server-side half of admin-consent `state` values: single use, expiring."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sync_core import records
from sync_core.records import ActorType
from sync_core.store import models


@dataclass(frozen=True)
class PendingConsent:
    """Who asked for a consent link, for which organization."""

    organization_id: uuid.UUID
    actor: records.Actor
    context: dict
    # The tenant this request may connect (None: any, until Microsoft names one).
    tenant_id: str | None = None
    # MSAL's auth-code flow when this is the admin sign-in step, else None.
    signin_flow: dict | None = None


async def create(
    *,
    organization_id: uuid.UUID,
    state_hash: str,
    actor: records.Actor,
    expires_at: dt.datetime,
    context: dict,
    tenant_id: str | None = None,
    signin_flow: dict | None = None,
) -> None:
    """Remember a state value (by hash) until it is used or expires."""
    await models.ConsentRequest.create(
        organization_id=organization_id,
        state_hash=state_hash,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        expires_at=expires_at,
        context=context,
        tenant_id=tenant_id,
        signin_flow=signin_flow,
    )


async def consume(*, state_hash: str, now: dt.datetime) -> PendingConsent | None:
    """Use a state once: None when unknown, already used or expired."""
    used = await models.ConsentRequest.filter(
        state_hash=state_hash, used_at=None, expires_at__gt=now
    ).update(used_at=now)
    if used != 1:
        return None
    row = await models.ConsentRequest.get(state_hash=state_hash)
    return PendingConsent(
        organization_id=row.organization_id,
        actor=records.Actor(ActorType(row.actor_type), row.actor_id, row.actor_name),
        context=row.context or {},
        tenant_id=row.tenant_id,
        signin_flow=row.signin_flow,
    )
