"""What every entity pass of one run shares."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field

from sync_core.graph import GraphClient, TokenError
from sync_core.records import SyncState
from sync_core.sync.progress import RunProgress


@dataclass(frozen=True)
class SyncOptions:
    """Tunables of a sync, from settings."""

    full_refresh: dt.timedelta = dt.timedelta(hours=24)
    sign_in_backfill: dt.timedelta = dt.timedelta(days=30)
    sign_in_overlap: dt.timedelta = dt.timedelta(minutes=10)
    concurrency: int = 8
    active_days: int = 30
    inactive_days: int = 60


@dataclass
class PassContext:
    """One run's shared state: the Graph client, the progress, what earlier passes found."""

    graph: GraphClient
    progress: RunProgress
    state: SyncState
    now: dt.datetime
    full: bool
    options: SyncOptions
    # Apps created or changed by this run's apps pass (their assignments are re-read).
    changed_apps: set[str] = field(default_factory=set)
    has_premium: bool | None = None
    # Set once the sign-in pass has shown whether the tenant has P1/P2 (or has ended).
    licence_known: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when a token request failed mid-run (consent revoked, secret expired).
    token_error: TokenError | None = None
    # Passes that raised something other than a Graph error (a bug, the store failing).
    crashed: list[str] = field(default_factory=list)

    @property
    def connection_id(self) -> uuid.UUID:
        return self.state.connection.id

    @property
    def initial(self) -> bool:
        """True on a connection's first sync: its import is summarised, not itemised."""
        return self.state.last_sync_at is None and self.state.users_delta_link is None
