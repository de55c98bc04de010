"""Store benchmark: our batched writes against the raw driver, for every row kind and database.

    .venv/bin/python -m bench.store --users 10000 --apps 5000 --access 50000 --grants 5000 \
        --signins 50000 --db sqlite postgres

For each database, in one fresh store, each row kind is written twice (or three times) over,
batch by batch in alternation so every side sees the same table sizes and machine load:

- ours: the store functions the sync calls (`inventory.upsert_users`, `upsert_apps`,
  `groups.upsert_members`, `access.upsert_grants`, `signins.add_sign_ins`), with the sync's
  batch sizes (200 users or apps, 1,000 group members, 250 grants, 1,000 sign-ins);
- raw executemany: the raw driver (aiosqlite or asyncpg, the drivers Tortoise uses) writing the
  same rows, as the same column values, with one prepared INSERT … ON CONFLICT per batch in one
  transaction;
- raw COPY (PostgreSQL only): the raw driver COPYing the batch into a temporary table and
  upserting it with one INSERT … SELECT … ON CONFLICT, the fastest way asyncpg has.

The ratio is our throughput over the better raw side's. On SQLite the raw side writes a copy of
the store's file (`VACUUM INTO`, after the tenants exist) with the pragmas Tortoise sets, so each
side pays its own WAL checkpoints and foreign-key checks; on PostgreSQL every side writes its own
tenant of the same tables. What the raw sides do NOT do, and ours does: tell created from updated
rows (users, apps, access, grants) and, for sign-ins, skip events already stored and count the
new ones into the daily usage rollup (about one rollup row per sign-in with this data). Prints a
table and writes bench/results/store.json.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
from tortoise import connections

from bench.harness.database import ADMIN_URL, database
from bench.harness.machine import machine_info
from sync_core import records
from sync_core.store import access, groups, inventory, models, organizations, signins
from sync_core.store.connections import add_connection
from sync_core.store.db import open_store

RESULTS = Path(__file__).resolve().parent / "results" / "store.json"
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
SEEN = ("first_seen_at", "last_seen_at", "removed_at")


@dataclass(frozen=True)
class Table:
    """What the raw side writes: a table, its columns, and the conflict clause of our upsert."""

    name: str
    columns: tuple[str, ...]
    conflict: str

    def upsert(self, dialect: str) -> str:
        marks = [f"${i}" if dialect == "postgres" else "?" for i in range(1, len(self.columns) + 1)]
        columns, values = ", ".join(self.columns), ", ".join(marks)
        return f"INSERT INTO {self.name} ({columns}) VALUES ({values}) {self.conflict}"  # noqa: S608 - constant SQL


def _updates(key: str, columns: Sequence[str]) -> str:
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in ("first_seen_at",))
    return f"ON CONFLICT ({key}) DO UPDATE SET {sets}"


# The raw baseline writes the same columns as the store.
USER_VALUES = inventory.USER_FIELDS
APP_VALUES = inventory.APP_FIELDS
ACCESS_VALUES = ("principal_type", "source_entra_id", "app_role_id", "granted_at")
GRANT_VALUES = (
    "client_entra_id",
    "resource_entra_id",
    "consent_type",
    "principal_entra_id",
    "scopes",
)
USERS = Table(
    "directory_user",
    ("connection_id", "entra_id", *USER_VALUES, *SEEN),
    _updates("connection_id, entra_id", (*USER_VALUES, *SEEN)),
)
APPS = Table(
    "application",
    ("connection_id", "entra_id", *APP_VALUES, *SEEN),
    _updates("connection_id, entra_id", (*APP_VALUES, *SEEN)),
)
ACCESS = Table(
    "app_access",
    ("connection_id", "app_entra_id", "principal_entra_id", "source", *ACCESS_VALUES, *SEEN),
    _updates("connection_id, app_entra_id, principal_entra_id, source", (*ACCESS_VALUES, *SEEN)),
)
MEMBERS = Table(
    "group_member",
    ("connection_id", "group_entra_id", "member_entra_id", *SEEN),
    _updates("connection_id, group_entra_id, member_entra_id", SEEN),
)
GRANTS = Table(
    "permission_grant",
    ("connection_id", "entra_id", *GRANT_VALUES, *SEEN),
    _updates("connection_id, entra_id", (*GRANT_VALUES, *SEEN)),
)
SIGN_INS = Table(
    "sign_in_event",
    ("connection_id", *signins.SIGN_IN_FIELDS),
    "ON CONFLICT (connection_id, entra_id) DO NOTHING",
)


def _ids(rng: random.Random, count: int) -> list[str]:
    return [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(count)]


def make_users(count: int, *, seed: int, generation: int) -> list[records.User]:
    """Users as mapping.user returns them; a later generation changes titles (an update)."""
    titles = ("Engineer", "Analyst", "Manager", "Designer", "Consultant")
    return [
        records.User(
            entra_id=entra_id,
            display_name=f"User {i}",
            mail=f"user{i}@contoso.example",
            user_principal_name=f"user{i}@contoso.example",
            job_title=titles[(i + generation) % len(titles)],
            department="Sales",
            account_enabled=True,
            created_at=NOW - dt.timedelta(days=i % 900),
        )
        for i, entra_id in enumerate(_ids(random.Random(seed), count))
    ]


def make_apps(count: int, *, seed: int, generation: int) -> list[records.App]:
    return [
        records.App(
            entra_id=entra_id,
            app_id=app_id,
            display_name=f"App {i} v{generation}",
            publisher_name="Contoso",
            owner_tenant_id="11111111-1111-1111-1111-111111111111",
            principal_type="Application",
            tags=("WindowsAzureActiveDirectoryIntegratedApp",),
            account_enabled=True,
            verified_publisher="Contoso",
            homepage="https://contoso.example",
            sign_in_audience="AzureADMyOrg",
        )
        for i, (entra_id, app_id) in enumerate(
            zip(*[iter(_ids(random.Random(seed), 2 * count))] * 2, strict=True)
        )
    ]


def make_grants(count: int, users: Sequence[records.User], *, seed: int) -> list[records.Grant]:
    """Half admin consents, half one user's consent (each also writes a consent access row)."""
    rng = random.Random(seed)
    clients = _ids(rng, 100)
    return [
        records.Grant(
            entra_id=f"{entra_id}-grant",
            client_entra_id=clients[i % len(clients)],
            resource_entra_id="00000003-0000-0000-c000-000000000000",
            consent_type="Principal" if i % 2 else "AllPrincipals",
            principal_entra_id=users[i % len(users)].entra_id if i % 2 else None,
            scopes=("User.Read", "offline_access"),
        )
        for i, entra_id in enumerate(_ids(rng, count))
    ]


def make_sign_ins(count: int, *, seed: int) -> list[records.SignIn]:
    rng = random.Random(seed)
    apps = _ids(rng, 50)
    users = _ids(rng, 2_000)
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
    """A value as Tortoise binds it, so every side stores exactly the same thing."""
    return model._meta.fields_map[column].to_db_value(value, model)


def _seen(model: type[models.Model], at: dt.datetime) -> tuple:
    return (_db(model, "first_seen_at", at), _db(model, "last_seen_at", at), None)


def user_rows(conn: object, users: Sequence[records.User], at: dt.datetime) -> list[tuple]:
    seen = _seen(models.DirectoryUser, at)
    return [
        (
            conn,
            u.entra_id,
            u.display_name,
            u.mail,
            u.user_principal_name,
            u.job_title,
            u.department,
            u.account_enabled,
            _db(models.DirectoryUser, "entra_created_at", u.created_at),
            *seen,
        )
        for u in users
    ]


def app_rows(conn: object, apps: Sequence[records.App], at: dt.datetime) -> list[tuple]:
    seen = _seen(models.Application, at)
    return [
        (
            conn,
            a.entra_id,
            a.app_id,
            a.display_name,
            a.publisher_name,
            a.owner_tenant_id,
            a.principal_type,
            _db(models.Application, "tags", list(a.tags)),
            a.account_enabled,
            a.verified_publisher,
            a.homepage,
            a.sign_in_audience,
            *seen,
        )
        for a in apps
    ]


def member_rows(conn: object, group: str, members: dict[str, str], at: dt.datetime) -> list[tuple]:
    seen = _seen(models.GroupMember, at)
    return [(conn, group, user, *seen) for user in members]


def grant_rows(conn: object, grants: Sequence[records.Grant], at: dt.datetime) -> list[tuple]:
    seen = _seen(models.PermissionGrant, at)
    return [
        (
            conn,
            g.entra_id,
            g.client_entra_id,
            g.resource_entra_id,
            g.consent_type,
            g.principal_entra_id,
            " ".join(g.scopes),
            *seen,
        )
        for g in grants
    ]


def consent_rows(conn: object, grants: Sequence[records.Grant], at: dt.datetime) -> list[tuple]:
    seen = _seen(models.AppAccess, at)
    return [
        (
            conn,
            g.client_entra_id,
            g.principal_entra_id,
            "consent",
            "User",
            g.entra_id,
            None,
            None,
            *seen,
        )
        for g in grants
        if g.is_user_consent and g.principal_entra_id
    ]


def sign_in_rows(conn: object, events: Sequence[records.SignIn]) -> list[tuple]:
    return [
        (
            conn,
            e.entra_id,
            _db(models.SignInEvent, "occurred_at", e.occurred_at),
            e.user_entra_id,
            e.user_principal_name,
            e.app_id,
            e.app_display_name,
            e.resource_id,
            e.error_code,
            e.failure_reason,
            e.client_app_used,
            e.ip_address,
            e.city,
            e.country,
            e.is_interactive,
        )
        for e in events
    ]


Write = list[tuple[Table, list[tuple]]]  # one batch: rows per table, in one transaction


class RawDriver:
    """One raw connection: aiosqlite for SQLite, asyncpg for PostgreSQL."""

    def __init__(self, dialect: str, conn: Any, *, copy: bool = False) -> None:
        self.dialect, self.conn, self.copy = dialect, conn, copy

    @classmethod
    async def open(cls, db: dict[str, Any], *, copy: bool = False) -> RawDriver:
        if "path" in db:
            conn = await aiosqlite.connect(db["raw_path"])
            # The pragmas Tortoise sets on the store's own connection.
            for pragma in ("journal_mode=WAL", "journal_size_limit=16384", "foreign_keys=ON"):
                await conn.execute(f"PRAGMA {pragma}")
            return cls("sqlite", conn)
        url = db["url"].replace("postgres://", "postgresql://", 1)
        raw = cls("postgres", await asyncpg.connect(url), copy=copy)
        if copy:
            for table in (USERS, APPS, ACCESS, MEMBERS, GRANTS, SIGN_INS):
                await raw.conn.execute(
                    f"CREATE TEMP TABLE raw_{table.name} ON COMMIT DELETE ROWS AS "  # noqa: S608 - constant SQL
                    f"SELECT {', '.join(table.columns)} FROM {table.name} WITH NO DATA"
                )
        return raw

    async def write(self, batch: Write) -> None:
        if self.dialect == "sqlite":
            for table, rows in batch:
                await self.conn.executemany(table.upsert("sqlite"), rows)
            await self.conn.commit()
            return
        async with self.conn.transaction():
            for table, rows in batch:
                if not self.copy:
                    await self.conn.executemany(table.upsert("postgres"), rows)
                    continue
                stage, cols = f"raw_{table.name}", ", ".join(table.columns)
                await self.conn.copy_records_to_table(stage, records=rows, columns=table.columns)
                await self.conn.execute(
                    f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} {table.conflict}"  # noqa: S608 - constant SQL
                )

    async def count(self, table: str, connection_id: uuid.UUID) -> int:
        if self.dialect == "sqlite":
            sql = f"SELECT COUNT(*) FROM {table} WHERE connection_id = ?"  # noqa: S608 - constant SQL
            return (await self.conn.execute_fetchall(sql, [str(connection_id)]))[0][0]
        sql = f"SELECT COUNT(*) FROM {table} WHERE connection_id = $1"  # noqa: S608 - constant SQL
        return await self.conn.fetchval(sql, connection_id)

    async def close(self) -> None:
        await self.conn.close()


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Kind:
    """One row kind: its items, batch size, our store call and the raw side's rows."""

    label: str
    items: Sequence[Any]
    batch: int
    ours: Callable[[uuid.UUID, Sequence[Any]], Awaitable[Any]]
    raw: Callable[[object, Sequence[Any]], Write]


def kinds(args: argparse.Namespace) -> list[Kind]:
    users = [make_users(args.users, seed=1, generation=g) for g in (0, 1)]
    apps = [make_apps(args.apps or max(args.users // 10, 1), seed=3, generation=g) for g in (0, 1)]
    # Group membership as the groups pass writes it: per group, its members, 1,000 a call.
    apps_reached = max(args.access // max(args.users, 1), 1)
    members = [
        (app.entra_id, dict.fromkeys([u.entra_id for u in users[0]], f"{app.entra_id}-assignment"))
        for app in apps[0][:apps_reached]
    ]
    slices = [
        (app, dict(list(group.items())[i : i + 1_000]))
        for app, group in members
        for i in range(0, len(group), 1_000)
    ][: max(args.access // 1_000, 1)]
    grants = make_grants(args.grants, users[0], seed=4)
    events = make_sign_ins(args.signins, seed=2)

    def user_kind(label: str, items: list[records.User], at: dt.datetime) -> Kind:
        return Kind(
            label,
            items,
            200,
            lambda c, b: inventory.upsert_users(connection_id=c, users=b, seen_at=at),
            lambda c, b: [(USERS, user_rows(c, b, at))],
        )

    def app_kind(label: str, items: list[records.App], at: dt.datetime) -> Kind:
        return Kind(
            label,
            items,
            200,
            lambda c, b: inventory.upsert_apps(connection_id=c, apps=b, seen_at=at),
            lambda c, b: [(APPS, app_rows(c, b, at))],
        )

    def access_kind(label: str, at: dt.datetime) -> Kind:
        return Kind(
            label,
            slices,
            1,
            lambda c, b: groups.upsert_members(
                connection_id=c, members=[(b[0][0], user) for user in b[0][1]], seen_at=at
            ),
            lambda c, b: [(MEMBERS, member_rows(c, b[0][0], b[0][1], at))],
        )

    return [
        user_kind("users insert", users[0], NOW),
        user_kind("users update", users[1], LATER),
        app_kind("apps insert", apps[0], NOW),
        app_kind("apps update", apps[1], LATER),
        access_kind("members insert", NOW),
        access_kind("members update", LATER),
        Kind(
            "grants insert",
            grants,
            250,
            lambda c, b: access.upsert_grants(connection_id=c, grants=b, seen_at=NOW),
            lambda c, b: [(GRANTS, grant_rows(c, b, NOW)), (ACCESS, consent_rows(c, b, NOW))],
        ),
        Kind(
            "sign-ins insert",
            events,
            1_000,
            lambda c, b: signins.add_sign_ins(connection_id=c, events=b),
            lambda c, b: [(SIGN_INS, sign_in_rows(c, b))],
        ),
    ]


async def _tenants(names: Sequence[str]) -> dict[str, uuid.UUID]:
    org, _ = await organizations.create_organization(name="Store bench")
    ids = {}
    for name in names:
        conn = await add_connection(organization_id=org.id, tenant_id=f"{name}-tenant")
        ids[name] = conn.id
    return ids


async def measure(kind: str, db: dict[str, Any], args: argparse.Namespace) -> list[dict]:
    """Every row kind, ours and raw batch by batch; then every side must hold the same rows."""
    rows: list[dict] = []
    async with open_store(db["url"]):
        sides = ["raw executemany", "raw COPY"] if kind == "postgres" else ["raw executemany"]
        tenants = await _tenants(["ours", *sides])
        if kind == "sqlite":
            db["raw_path"] = db["path"].with_name("raw.sqlite3")
            await connections.get("sqlite").execute_script(f"VACUUM INTO '{db['raw_path']}'")
        raws = {side: await RawDriver.open(db, copy=side == "raw COPY") for side in sides}
        try:
            for k in kinds(args):
                rows.append(await _compare(k, tenants, raws))
            await _check_same(tenants, raws)
        finally:
            for raw in raws.values():
                await raw.close()
    return [{"db": kind, **row} for row in rows]


async def _compare(
    k: Kind, tenants: dict[str, uuid.UUID], raws: dict[str, RawDriver]
) -> dict[str, Any]:
    seconds = dict.fromkeys(["ours", *raws], 0.0)
    bound = {side: _db(models.DirectoryUser, "connection_id", tenants[side]) for side in raws}
    written = 0
    for start in range(0, len(k.items), k.batch):
        chunk = k.items[start : start + k.batch]
        seconds["ours"] += await timed(lambda c=chunk: k.ours(tenants["ours"], c))
        for side, raw in raws.items():
            seconds[side] += await timed(lambda c=chunk, r=raw, s=side: r.write(k.raw(bound[s], c)))
        written += sum(len(rows) for _, rows in k.raw(None, chunk))
    best = min(seconds[side] for side in raws)
    result = {
        "what": k.label,
        "rows": written,
        "batch": k.batch,
        "ours_seconds": seconds["ours"],
        "raw_seconds": best,
        "ours_rows_per_second": written / seconds["ours"],
        "raw_rows_per_second": written / best,  # the better raw side
        "ratio": best / seconds["ours"],  # our throughput as a share of the better raw side's
    }
    for side in raws:
        result[f"{side.replace(' ', '_').lower()}_rows_per_second"] = written / seconds[side]
    return result


async def _check_same(tenants: dict[str, uuid.UUID], raws: dict[str, RawDriver]) -> None:
    """Every side must have stored the same rows, or the comparison means nothing."""
    for model in (
        models.DirectoryUser,
        models.Application,
        models.AppAccess,
        models.PermissionGrant,
        models.SignInEvent,
    ):
        ours = await model.filter(connection_id=tenants["ours"]).count()
        for side, raw in raws.items():
            theirs = await raw.count(model._meta.db_table, tenants[side])
            if ours != theirs:
                raise SystemExit(f"{model.__name__}: ours stored {ours}, {side} stored {theirs}")


def render(rows: list[dict]) -> str:
    head = (
        f"{'db':<9} {'what':<16} {'rows':>8} {'ours rows/s':>12} {'executemany':>12} "
        f"{'COPY':>12} {'ratio':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        copy = r.get("raw_copy_rows_per_second")
        lines.append(
            f"{r['db']:<9} {r['what']:<16} {r['rows']:>8,} {r['ours_rows_per_second']:>12,.0f} "
            f"{r['raw_executemany_rows_per_second']:>12,.0f} "
            f"{'—' if copy is None else f'{copy:,.0f}':>12} {r['ratio']:>6.0%}"
        )
    lines.append("ratio = our throughput / the better raw side's (target ≥ 50%)")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    machine = machine_info()
    rows: list[dict] = []
    for kind in args.db:
        with tempfile.TemporaryDirectory(prefix="appventory-store-bench-") as workdir:
            async with database(kind, Path(workdir), keep=False) as db:
                rows.extend(await measure(kind, db, args))
    machine["loadavg_at_end"] = list(os.getloadavg())
    parameters = {k: getattr(args, k) for k in ("users", "apps", "access", "grants", "signins")}
    return {
        "benchmark": "store",
        "machine": machine,
        "parameters": {**parameters, "postgres": ADMIN_URL},
        "results": rows,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--apps", type=int, default=0, help="default: a tenth of --users")
    parser.add_argument("--access", type=int, default=50_000, help="group membership rows")
    parser.add_argument("--grants", type=int, default=5_000)
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
