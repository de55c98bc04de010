"""Store benchmark: upsert throughput of users and sign-ins against the raw driver's executemany.

    .venv/bin/python -m bench.store --users 20000 --signins 100000 --db sqlite postgres

For each database, in one fresh store: our store functions (`inventory.upsert_users`,
`signins.add_sign_ins`) write the rows into one connection, and the raw driver (aiosqlite or
asyncpg, the drivers Tortoise itself uses) writes the same rows, as the same column values,
into a second connection of the same tables with one `executemany` per batch. Batches alternate
(ours, then raw) so both see the same table sizes and the same machine load. Batch sizes are
the sync's: 200 users (a delta page) and 1,000 sign-ins (a sign-in page).

What the raw side does NOT do, and ours does: for users, report created vs updated keys (one
SELECT per batch); for sign-ins, skip events already stored (one SELECT) and count each new one
into the daily usage rollup (a second executemany). The ratio is what that bookkeeping and the
ORM cost on top of the bare inserts. Prints a table and writes bench/results/store.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from bench.harness.database import ADMIN_URL, database
from bench.harness.machine import machine_info
from sync_core import records
from sync_core.store import inventory, models, organizations, signins
from sync_core.store.connections import add_connection
from sync_core.store.db import open_store

RESULTS = Path(__file__).resolve().parent / "results" / "store.json"
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
USER_COLUMNS = (
    "connection_id", "entra_id", "display_name", "mail", "user_principal_name", "job_title",
    "department", "account_enabled", "entra_created_at", "first_seen_at", "last_seen_at",
    "removed_at",
)  # fmt: skip
SIGN_IN_COLUMNS = (
    "connection_id", "entra_id", "occurred_at", "user_entra_id", "user_principal_name", "app_id",
    "app_display_name", "resource_id", "error_code", "failure_reason", "client_app_used",
    "ip_address", "city", "country", "is_interactive",
)  # fmt: skip


def make_users(count: int, *, seed: int, generation: int) -> list[records.User]:
    """Users as mapping.user returns them; a later generation changes titles (an update)."""
    rng = random.Random(seed)
    titles = ("Engineer", "Analyst", "Manager", "Designer", "Consultant")
    return [
        records.User(
            entra_id=str(uuid.UUID(int=rng.getrandbits(128))),
            display_name=f"User {i}",
            mail=f"user{i}@contoso.example",
            user_principal_name=f"user{i}@contoso.example",
            job_title=titles[(i + generation) % len(titles)],
            department="Sales",
            account_enabled=True,
            created_at=NOW - dt.timedelta(days=i % 900),
        )
        for i in range(count)
    ]


def make_sign_ins(count: int, *, seed: int) -> list[records.SignIn]:
    rng = random.Random(seed)
    apps = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(50)]
    users = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(2_000)]
    return [
        records.SignIn(
            entra_id=str(uuid.UUID(int=rng.getrandbits(128))),
            occurred_at=NOW - dt.timedelta(seconds=i * 7),
            user_entra_id=rng.choice(users),
            user_principal_name="someone@contoso.example",
            app_id=rng.choice(apps),
            app_display_name="Some App",
            error_code=0 if rng.random() < 0.9 else 50126,
            client_app_used="Browser",
            ip_address="203.0.113.7",
            city="Paris",
            country="FR",
        )
        for i in range(count)
    ]


def _db(model: type[models.Model], column: str, value: object) -> object:
    """A value as Tortoise binds it, so both sides store exactly the same thing."""
    return model._meta.fields_map[column].to_db_value(value, model)


def user_rows(connection_id: uuid.UUID, users: Sequence[records.User]) -> list[tuple]:
    conn = _db(models.DirectoryUser, "connection_id", connection_id)
    seen = _db(models.DirectoryUser, "first_seen_at", NOW)
    return [
        (conn, u.entra_id, u.display_name, u.mail, u.user_principal_name, u.job_title,
         u.department, u.account_enabled,
         _db(models.DirectoryUser, "entra_created_at", u.created_at), seen, seen, None)
        for u in users
    ]  # fmt: skip


def sign_in_rows(connection_id: uuid.UUID, events: Sequence[records.SignIn]) -> list[tuple]:
    conn = _db(models.SignInEvent, "connection_id", connection_id)
    return [
        (conn, e.entra_id, _db(models.SignInEvent, "occurred_at", e.occurred_at),
         e.user_entra_id, e.user_principal_name, e.app_id, e.app_display_name, e.resource_id,
         e.error_code, e.failure_reason, e.client_app_used, e.ip_address, e.city, e.country,
         e.is_interactive)
        for e in events
    ]  # fmt: skip


def _sql(dialect: str, table: str, columns: Sequence[str], conflict: str) -> str:
    marks = [f"${i}" if dialect == "postgres" else "?" for i in range(1, len(columns) + 1)]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)}) {conflict}"  # noqa: S608 - constant SQL


UPSERT_USER = "ON CONFLICT (connection_id, entra_id) DO UPDATE SET " + ", ".join(
    f"{c} = EXCLUDED.{c}"
    for c in ("display_name", "mail", "user_principal_name", "job_title", "department",
              "account_enabled", "entra_created_at", "last_seen_at", "removed_at")
)  # fmt: skip
INSERT_SIGN_IN = "ON CONFLICT (connection_id, entra_id) DO NOTHING"


class RawDriver:
    """One raw connection: aiosqlite for SQLite, asyncpg for PostgreSQL."""

    def __init__(self, dialect: str, conn: Any) -> None:
        self.dialect, self.conn = dialect, conn

    @classmethod
    async def open(cls, db: dict[str, Any]) -> RawDriver:
        if "path" in db:
            conn = await aiosqlite.connect(db["path"])
            await conn.execute("PRAGMA journal_mode=WAL")
            return cls("sqlite", conn)
        url = db["url"].replace("postgres://", "postgresql://", 1)
        return cls("postgres", await asyncpg.connect(url))

    async def executemany(self, sql: str, rows: list[tuple]) -> None:
        if self.dialect == "sqlite":
            await self.conn.executemany(sql, rows)
            await self.conn.commit()
        else:
            async with self.conn.transaction():
                await self.conn.executemany(sql, rows)

    async def close(self) -> None:
        await self.conn.close()


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def _connections() -> tuple[uuid.UUID, uuid.UUID]:
    org, _ = await organizations.create_organization(name="Store bench")
    ids = []
    for tenant in ("ours", "raw"):
        conn = await add_connection(organization_id=org.id, tenant_id=f"{tenant}-tenant")
        ids.append(conn.id)
    return ids[0], ids[1]


async def measure(kind: str, db: dict[str, Any], args: argparse.Namespace) -> list[dict]:
    """Ours and raw, batch by batch, for users (insert, then update) and sign-ins."""
    rows: list[dict] = []
    async with open_store(db["url"]):
        ours_conn, raw_conn = await _connections()
        raw = await RawDriver.open(db)
        try:
            for generation, label in ((0, "users insert"), (1, "users update")):
                users = make_users(args.users, seed=1, generation=generation)
                rows.append(await _compare(
                    label, users, 200,
                    lambda b: inventory.upsert_users(connection_id=ours_conn, users=b, seen_at=NOW),
                    lambda b: raw.executemany(
                        _sql(raw.dialect, "directory_user", USER_COLUMNS, UPSERT_USER),
                        user_rows(raw_conn, b)),
                ))  # fmt: skip
            events = make_sign_ins(args.signins, seed=2)
            rows.append(await _compare(
                "sign-ins insert", events, 1_000,
                lambda b: signins.add_sign_ins(connection_id=ours_conn, events=b),
                lambda b: raw.executemany(
                    _sql(raw.dialect, "sign_in_event", SIGN_IN_COLUMNS, INSERT_SIGN_IN),
                    sign_in_rows(raw_conn, b)),
            ))  # fmt: skip
            await _check_same(ours_conn, raw_conn)
        finally:
            await raw.close()
    return [{"db": kind, **row} for row in rows]


async def _compare(
    label: str,
    items: Sequence[Any],
    batch: int,
    ours: Callable[[Sequence[Any]], Awaitable[Any]],
    raw: Callable[[Sequence[Any]], Awaitable[Any]],
) -> dict[str, Any]:
    ours_s = raw_s = 0.0
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        ours_s += await timed(lambda c=chunk: ours(c))
        raw_s += await timed(lambda c=chunk: raw(c))
    n = len(items)
    return {
        "what": label,
        "rows": n,
        "batch": batch,
        "ours_seconds": ours_s,
        "raw_seconds": raw_s,
        "ours_rows_per_second": n / ours_s,
        "raw_rows_per_second": n / raw_s,
        "ratio": raw_s / ours_s,  # our throughput as a share of the raw driver's
    }


async def _check_same(ours: uuid.UUID, raw: uuid.UUID) -> None:
    """Both sides must have stored the same rows, or the comparison means nothing."""
    for model in (models.DirectoryUser, models.SignInEvent):
        a = await model.filter(connection_id=ours).count()
        b = await model.filter(connection_id=raw).count()
        if a != b:
            raise SystemExit(f"{model.__name__}: ours stored {a}, raw stored {b}")


def render(rows: list[dict]) -> str:
    head = f"{'db':<9} {'what':<16} {'rows':>8} {'ours rows/s':>12} {'raw rows/s':>12} {'ratio':>6}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['db']:<9} {r['what']:<16} {r['rows']:>8,} {r['ours_rows_per_second']:>12,.0f} "
            f"{r['raw_rows_per_second']:>12,.0f} {r['ratio']:>6.0%}"
        )
    lines.append("ratio = our throughput / the raw driver's (issue 9 target ≥ 50%)")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    machine = machine_info()
    rows: list[dict] = []
    for kind in args.db:
        with tempfile.TemporaryDirectory(prefix="appventory-store-bench-") as workdir:
            async with database(kind, Path(workdir), keep=False) as db:
                rows.extend(await measure(kind, db, args))
    machine["loadavg_at_end"] = list(os.getloadavg())
    return {
        "benchmark": "store",
        "machine": machine,
        "parameters": {"users": args.users, "signins": args.signins, "postgres": ADMIN_URL},
        "results": rows,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--signins", type=int, default=100_000)
    parser.add_argument(
        "--db", nargs="+", choices=("sqlite", "postgres"), default=["sqlite", "postgres"]
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(render(result["results"]))
    load = result["machine"]
    print(f"load average {load['loadavg_at_start']} at start, {load['loadavg_at_end']} at end")
    if not args.no_write:
        args.output.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
