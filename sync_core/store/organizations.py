"""Organizations and their API tokens (stored as SHA-256 hashes, shown once)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from tortoise.transactions import in_transaction

from sync_core import records
from sync_core.crypto import new_token_secret
from sync_core.store import models

TOKEN_PREFIX = "avt_"


class NotFound(LookupError):
    """The object does not exist in the caller's organization."""


def _hash(secret: str) -> str:
    # API tokens are 256-bit random values, so a fast unsalted hash is enough to find them.
    return hashlib.sha256(secret.encode()).hexdigest()


def _organization(row: models.Organization) -> records.Organization:
    return records.Organization(id=row.id, name=row.name, created_at=row.created_at)


async def create_organization(*, name: str) -> tuple[records.Organization, records.IssuedToken]:
    """A new organization and its first API token, in one transaction."""
    name = name.strip()
    if not name:
        raise ValueError("an organization needs a name")
    async with in_transaction():
        row = await models.Organization.create(name=name)
        token = await create_token(organization_id=row.id, name="initial")
    return _organization(row), token


async def get_organization(*, organization_id: uuid.UUID) -> records.Organization:
    """The organization, or NotFound."""
    row = await models.Organization.get_or_none(id=organization_id)
    if row is None:
        raise NotFound(f"no organization {organization_id}")
    return _organization(row)


async def create_token(*, organization_id: uuid.UUID, name: str = "") -> records.IssuedToken:
    """Issue a new API token for an organization; only its hash is kept."""
    if not await models.Organization.exists(id=organization_id):
        raise NotFound(f"no organization {organization_id}")
    secret = new_token_secret(TOKEN_PREFIX)
    row = await models.ApiToken.create(
        organization_id=organization_id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash(secret),
    )
    return records.IssuedToken(id=row.id, organization_id=organization_id, secret=secret)


async def revoke_token(*, token_id: uuid.UUID | None = None, secret: str | None = None) -> bool:
    """Revoke a token by id or by its value; False when it does not exist or was revoked."""
    query = models.ApiToken.filter(revoked_at=None)
    if token_id is not None:
        query = query.filter(id=token_id)
    elif secret is not None:
        query = query.filter(token_hash=_hash(secret))
    else:
        raise ValueError("give a token id or a token")
    return await query.update(revoked_at=dt.datetime.now(dt.UTC)) > 0


async def authenticate(*, secret: str) -> records.ApiTokenInfo | None:
    """The live token with this value (and so its organization), or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = await models.ApiToken.get_or_none(token_hash=_hash(secret), revoked_at=None)
    if row is None:
        return None
    return records.ApiTokenInfo(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
