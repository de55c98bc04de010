"""A fresh, migrated store per benchmark run: a SQLite file or a throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg

from appventory.runtime import Runtime
from sync_core.store.db import migrate

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path, *, keep: bool) -> AsyncIterator[dict[str, Any]]:
    """A fresh, migrated store: a SQLite file in workdir, or a throwaway PostgreSQL database."""
    if kind == "sqlite":
        path = workdir / "bench.sqlite3"
        url = f"sqlite://{path}"
        await migrate(url)
        yield {"url": url, "path": path}
        return
    name = f"appventory_bench_{uuid.uuid4().hex[:10]}"
    admin = ADMIN_URL.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        await migrate(url)
        yield {"url": url, "name": name}
    finally:
        if keep:
            print(f"kept PostgreSQL database {name}")
        else:
            conn = await asyncpg.connect(admin, timeout=5)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()


async def database_size(kind: str, db: dict[str, Any], runtime: Runtime) -> int | None:
    """Bytes on disk (SQLite file + WAL) or pg_database_size."""
    if kind == "sqlite":
        path: Path = db["path"]
        return sum(
            p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
        )
    conn = runtime.store._context.db()  # a one-off read for the report
    rows = await conn.execute_query_dict("SELECT pg_database_size(current_database()) AS size")
    return int(rows[0]["size"])
