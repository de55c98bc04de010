"""The composition root: builds the store and services once per process, from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sync_core.crypto import Vault
from sync_core.settings import Settings
from sync_core.store.db import Store, open_store


@dataclass(frozen=True)
class Runtime:
    """Everything a door needs, opened once and passed down."""

    settings: Settings
    store: Store
    vault: Vault


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Open the store and build services; close them all on exit."""
    async with open_store(settings.database_url) as store:
        with store.activated():
            yield Runtime(settings=settings, store=store, vault=settings.vault())
