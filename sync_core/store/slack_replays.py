"""Signed Slack requests already accepted, shared by every process on the database.

A replay is a second delivery of the same signed request; remembering each one until Slack's
timestamp window closes refuses replays whichever web process they reach.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from tortoise.exceptions import IntegrityError

from sync_core.store import slack_models


def request_key(*, timestamp: str, signature: str) -> str:
    """What identifies a signed request: its signature covers the timestamp and the body."""
    return hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()


async def first_delivery(*, key: str, expires_at: dt.datetime) -> bool:
    """Remember a request (one INSERT); False when it was already seen: a replay."""
    try:
        await slack_models.SlackSeenRequest.create(key=key, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


async def forget_expired(*, now: dt.datetime) -> int:
    """Delete requests whose window has closed (Slack refuses them by timestamp anyway)."""
    return await slack_models.SlackSeenRequest.filter(expires_at__lt=now).delete()
