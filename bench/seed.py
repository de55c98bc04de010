"""A large tenant written straight into the store, as a sync would leave it (for benchmarks).

Shared by bench/insights.py and bench/graphql.py: users, apps (Microsoft's, the tenant's own,
catalog SaaS, a long tail), assignments with group members, user consents, and sign-ins skewed
towards popular apps, all through the store's own batched writes. Deterministic for a seed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg

from sync_core import records
from sync_core.insights import catalog
from sync_core.store import access, connections, groups, inventory, organizations, signins

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
TENANT = "11111111-2222-3333-4444-555555555555"
MICROSOFT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
DEPARTMENTS = (
    "Sales",
    "Engineering",
    "Marketing",
    "Finance",
    "Legal",
    "Operations",
    "IT",
    "Human Resources",
    "Product",
    "Customer Success",
    "Executive",
    None,
)
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BATCH = 2_000
GROUPS, GROUP_SIZE = 20, 500
HISTORY_DAYS = 90


def batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def make_users(rng: random.Random, count: int) -> list[records.User]:
    return [
        records.User(
            entra_id=f"user-{i:06d}",
            display_name=f"User {i:06d}",
            user_principal_name=f"user{i}@contoso.example",
            department=rng.choice(DEPARTMENTS),
            account_enabled=rng.random() > 0.03,
        )
        for i in range(count)
    ]


def make_apps(rng: random.Random, count: int) -> list[records.App]:
    """Microsoft's apps, the tenant's own, catalog SaaS, then a long tail of unknown vendors."""
    known = [e.name for e in catalog.default().entries if not e.app_ids]
    apps = []
    for i in range(count):
        if i < 40:
            owner, name = MICROSOFT, f"Microsoft Service {i}"
        elif i < 100:
            owner, name = TENANT, f"Line of Business {i}"
        elif i - 100 < len(known):
            owner, name = f"vendor-{i}", known[i - 100]
        else:
            owner, name = f"vendor-{i}", f"Long Tail App {i}"
        apps.append(
            records.App(
                entra_id=f"sp-{i:05d}",
                app_id=f"app-{i:05d}",
                display_name=name,
                owner_tenant_id=owner,
                principal_type="Application",
                account_enabled=rng.random() > 0.01,
                verified_publisher=None if rng.random() < 0.3 else f"Publisher {i}",
            )
        )
    return apps


def group_members(users: list[records.User], group: int) -> list[str]:
    """Members of bench group `group`: every GROUPS-th user, GROUP_SIZE at most."""
    return [u.entra_id for u in users[group::GROUPS]][:GROUP_SIZE]


def make_access(
    rng: random.Random, users: list[records.User], apps: list[records.App]
) -> tuple[list[records.Assignment], list[records.Grant]]:
    """IT-managed apps: a group plus ~100 direct users; the rest: user consents."""
    assignments, grants = [], []
    for n, app in enumerate(apps[40:], start=40):
        if rng.random() < 0.35:
            assignments.append(
                records.Assignment(
                    f"as-{n}-g",
                    app.entra_id,
                    f"group-{n % GROUPS}",
                    "Group",
                    created_at=NOW - dt.timedelta(days=rng.randint(1, 700)),
                )
            )
            for user in rng.sample(users, 100):
                assignments.append(
                    records.Assignment(
                        f"as-{n}-{user.entra_id}",
                        app.entra_id,
                        user.entra_id,
                        "User",
                        created_at=NOW - dt.timedelta(days=rng.randint(1, 700)),
                    )
                )
            grants.append(
                records.Grant(
                    f"gr-{n}-all",
                    app.entra_id,
                    "sp-graph",
                    "AllPrincipals",
                    None,
                    ("openid", "User.Read"),
                )
            )
        elif n >= 100:
            scopes = (
                "openid",
                "User.Read",
                *rng.sample(["Mail.Read", "Files.Read.All", "Calendars.Read", "Contacts.Read"], 1),
            )
            for user in rng.sample(users, rng.randint(1, 60)):
                grants.append(
                    records.Grant(
                        f"gr-{n}-{user.entra_id}",
                        app.entra_id,
                        "sp-graph",
                        "Principal",
                        user.entra_id,
                        scopes,
                    )
                )
    return assignments, grants


async def expand_groups(
    conn: uuid.UUID, users: list[records.User], assignments: list[records.Assignment]
) -> int:
    """Write the members of assigned groups as the sync does (one row per group and member)."""
    written = 0
    for group in sorted({a.principal_entra_id for a in assignments if a.principal_type == "Group"}):
        members = group_members(users, int(group.split("-")[1]))
        await groups.upsert_members(
            connection_id=conn, members=[(group, m) for m in members], seen_at=NOW
        )
        written += len(members)
    return written


def make_sign_ins(
    rng: random.Random, users: list[records.User], apps: list[records.App], count: int
) -> Iterator[list[records.SignIn]]:
    """Sign-ins over the last HISTORY_DAYS days, popular apps far more often (Zipf-like)."""
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(apps))]
    for start in range(0, count, BATCH * 5):
        size = min(BATCH * 5, count - start)
        chosen = rng.choices(apps, weights=weights, k=size)
        yield [
            records.SignIn(
                entra_id=f"si-{start + k}",
                occurred_at=NOW - dt.timedelta(seconds=rng.randint(0, HISTORY_DAYS * 86_400)),
                user_entra_id=rng.choice(users).entra_id,
                user_principal_name=None,
                app_id=app.app_id,
                app_display_name=app.display_name,
                error_code=0 if rng.random() > 0.06 else 50126,
            )
            for k, app in enumerate(chosen)
        ]


async def build(*, users: int, apps: int, sign_ins: int) -> tuple[uuid.UUID, uuid.UUID, float]:
    """The tenant, written with the store's own batched writes; returns ids and load seconds."""
    started = time.perf_counter()
    rng = random.Random(5)
    org, _ = await organizations.create_organization(name="Bench")
    conn = await connections.add_connection(organization_id=org.id, tenant_id=TENANT)
    people, services = make_users(rng, users), make_apps(rng, apps)
    for batch in batches(people):
        await inventory.upsert_users(connection_id=conn.id, users=batch, seen_at=NOW)
    for batch in batches(services):
        await inventory.upsert_apps(connection_id=conn.id, apps=batch, seen_at=NOW)
    assignments, grants = make_access(rng, people, services)
    for batch in batches(assignments):
        await access.upsert_assignments(connection_id=conn.id, assignments=batch, seen_at=NOW)
    for batch in batches(grants):
        await access.upsert_grants(connection_id=conn.id, grants=batch, seen_at=NOW)
    members = await expand_groups(conn.id, people, assignments)
    for batch in make_sign_ins(rng, people, services, sign_ins):
        await signins.add_sign_ins(connection_id=conn.id, events=batch)
    print(
        f"  loaded {users:,} users, {apps:,} apps, {len(assignments):,} assignments "
        f"(+{members:,} group members), {len(grants):,} grants, {sign_ins:,} sign-ins "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return org.id, conn.id, time.perf_counter() - started


@contextlib.asynccontextmanager
async def postgres_database(prefix: str) -> AsyncIterator[str]:
    """A throwaway PostgreSQL database (dropped on exit); yields its Tortoise URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0].replace("postgresql", "postgres") + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
