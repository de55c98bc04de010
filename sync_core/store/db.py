"""Opening, migrating and checking the database. The only place that configures Tortoise."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext, _current_context
from tortoise.exceptions import DBConnectionError as BaseDBConnectionError
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.executor import MigrationExecutor

log = logging.getLogger(__name__)

APP_LABEL = "appventory"
MODELS_MODULE = "sync_core.store.models"
MIGRATIONS_MODULE = "sync_core.store.migrations"


class StoreUnavailable(Exception):
    """The database cannot be reached or opened."""


def _connection_name(database_url: str) -> str:
    # Tortoise caches compiled queries per connection name, not per dialect: naming the
    # connection after its backend keeps SQLite and PostgreSQL apart within one process (tests).
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


def _connection(database_url: str) -> str | dict[str, Any]:
    if not database_url.startswith("postgres"):
        return database_url
    config = expand_db_url(database_url)
    # asyncpg caches prepared statements, and after five runs PostgreSQL switches them to a
    # generic plan that ignores the actual `entra_id IN (...)` values and scans the whole
    # connection: each page of a sync then gets slower as the tenant grows. Plan every run.
    settings = config["credentials"].setdefault("server_settings", {})
    settings.setdefault("plan_cache_mode", "force_custom_plan")
    # Short, index-driven reads whose estimated cost crosses jit_above_cost (a page of 50 apps
    # with their users: 50 UNION ALL branches) spent most of their time compiling: 1.4 s of JIT
    # for a 0.9 s statement at 100k users. Nothing here runs long enough to repay it.
    settings.setdefault("jit", "off")
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for one database URL (already validated by settings)."""
    name = _connection_name(database_url)
    return {
        "connections": {name: _connection(database_url)},
        "apps": {
            APP_LABEL: {
                "models": [
                    MODELS_MODULE,
                    "sync_core.store.insights.models",
                    "sync_core.store.slack_models",
                ],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": name,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _sqlite_path(database_url: str) -> Path | None:
    parts = urlsplit(database_url)
    path = (parts.netloc + parts.path).strip()
    if parts.scheme != "sqlite" or not path or path == ":memory:":
        return None
    return Path(path)


def _prepare_sqlite_path(database_url: str) -> None:
    if path := _sqlite_path(database_url):
        path.parent.mkdir(parents=True, exist_ok=True)


async def _pending_migrations(context: TortoiseContext, database_url: str) -> list[str]:
    app_config = tortoise_config(database_url)["apps"][APP_LABEL]
    executor = MigrationExecutor(context.db(), {APP_LABEL: app_config})
    return [step.migration.name for step in await executor.plan() if not step.backward]


@asynccontextmanager
async def driver(conn: BaseDBAsyncClient) -> AsyncIterator[Any]:
    """The driver's connection (aiosqlite or asyncpg) behind an open Tortoise transaction.

    For batched writes that skip the ORM. Its errors come out as Tortoise's, as the ORM's did.
    """
    try:
        async with conn.acquire_connection() as raw:
            yield raw
    except (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError) as exc:
        raise IntegrityError(exc) from exc
    except (sqlite3.OperationalError, asyncpg.SyntaxOrAccessError, asyncpg.DataError) as exc:
        raise OperationalError(exc) from exc


class Store:
    """An open database: a Tortoise context that request tasks and jobs activate."""

    def __init__(self, context: TortoiseContext) -> None:
        self._context = context

    @contextmanager
    def activated(self) -> Iterator[None]:
        """Make this store the current one for the calling task (e.g. one web request)."""
        # Not `with self._context`: TortoiseContext keeps one reset token on the instance, so
        # concurrent requests overwrote each other's and failed ("created in a different Context").
        token = _current_context.set(self._context)
        try:
            yield
        finally:
            _current_context.reset(token)

    async def ping(self, *, timeout: float = 2.0) -> None:
        """Round-trip `SELECT 1`; raise StoreUnavailable when the database does not answer."""
        try:
            async with asyncio.timeout(timeout):
                await self._context.db().execute_query("SELECT 1")
        except Exception as exc:  # any driver error means the same thing to the caller
            raise StoreUnavailable(f"database did not answer: {exc or type(exc).__name__}") from exc


@asynccontextmanager
async def open_store(database_url: str) -> AsyncIterator[Store]:
    """Open a migrated database for the lifetime of a process (web app, worker, CLI command)."""
    path = _sqlite_path(database_url)
    if path is not None and not path.exists():
        raise StoreUnavailable(f"no database at {path}: run `appventory migrate` first")
    context = TortoiseContext()
    async with context:
        await context.init(config=tortoise_config(database_url))
        store = Store(context)
        await store.ping(timeout=10)
        pending = await _pending_migrations(context, database_url)
        if pending:
            raise StoreUnavailable(
                f"the database lacks {len(pending)} migration(s) ({', '.join(pending)}): "
                "run `appventory migrate`"
            )
        yield store


async def migrate(database_url: str) -> None:
    """Apply every pending migration (Tortoise's own migration engine)."""
    _prepare_sqlite_path(database_url)
    async with TortoiseContext():
        try:
            await tortoise_migrate(config=tortoise_config(database_url))
        except (OSError, BaseDBConnectionError) as exc:
            raise StoreUnavailable(f"cannot reach the database: {exc}") from exc
