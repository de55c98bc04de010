"""Benchmark: derive and read every insight for a large tenant, on SQLite and PostgreSQL.

Builds the tenant directly in the store (as the sync writes it), then times `derive` and each
read. The tenant comes from bench/seed.py. Run from the repository root:

    .venv/bin/python -m bench.insights                      # 50k users, 2k apps, 500k sign-ins
    .venv/bin/python -m bench.insights --backend sqlite --sign-ins 100000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.seed import NOW, build, postgres_database
from sync_core import insights
from sync_core.store.db import migrate, open_store


async def timed(label: str, call: Callable[[], Awaitable[object]]) -> object:
    started = time.perf_counter()
    result = await call()
    size = len(result) if isinstance(result, list) else getattr(result, "total", "")
    print(f"  {label:<40} {time.perf_counter() - started:8.2f} s   {size}")
    return result


async def measure(org: uuid.UUID, conn: uuid.UUID) -> None:
    from sync_core.insights import live  # reads read what derive stores: pick an app live

    apps = await live.app_summaries(organization_id=org, now=NOW)
    one = next(a.id for a in apps if a.active_users)
    reads: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        (
            "derive (first: baseline, reviews, events)",
            lambda: insights.derive(connection_id=conn, now=NOW),
        ),
        ("derive again (no changes)", lambda: insights.derive(connection_id=conn, now=NOW)),
        (
            "derive a day later",
            lambda: insights.derive(connection_id=conn, now=NOW + dt.timedelta(days=1)),
        ),
        ("app_summaries (all apps)", lambda: insights.app_summaries(organization_id=org, now=NOW)),
        (
            "apps_page (first 50)",
            lambda: insights.apps_page(organization_id=org, now=NOW, first=50),
        ),
        (
            "apps_page (50, status=in_use)",
            lambda: insights.apps_page(
                organization_id=org, now=NOW, first=50, status=insights.records.AppStatus.IN_USE
            ),
        ),
        ("shadow_it", lambda: insights.shadow_it(organization_id=org, now=NOW)),
        ("overlaps", lambda: insights.overlaps(organization_id=org, now=NOW)),
        ("problematic_apps", lambda: insights.problematic_apps(organization_id=org, now=NOW)),
        ("license_waste", lambda: insights.license_waste(organization_id=org, now=NOW)),
        ("departments", lambda: insights.departments(organization_id=org, now=NOW)),
        (
            "login_activity (one app, 90 days)",
            lambda: insights.login_activity(organization_id=org, app_id=one, days=90, now=NOW),
        ),
        (
            "login_activity (whole tenant, 90 days)",
            lambda: insights.login_activity(organization_id=org, days=90, now=NOW),
        ),
    ]
    started = time.perf_counter()
    for label, call in reads[:1]:
        await timed(label, call)
    all_insights = time.perf_counter()
    for label, call in reads[3:4] + reads[6:11]:
        await timed(label, call)
    print(
        f"  {'= derive + every insight read':<40} {time.perf_counter() - started:8.2f} s"
        f"   (reads alone {time.perf_counter() - all_insights:.2f} s)"
    )
    for label, call in reads[1:3] + reads[4:6] + reads[11:]:
        await timed(label, call)
    await timed(
        "prune_sign_ins (keep 30 days)", lambda: insights.prune_sign_ins(now=NOW, keep_days=30)
    )


async def run(backend: str, url: str, args: argparse.Namespace) -> None:
    print(f"\n{backend}: {url}")
    await migrate(url)
    async with open_store(url) as store:
        with store.activated():
            org, conn, _ = await build(users=args.users, apps=args.apps, sign_ins=args.sign_ins)
            await measure(org, conn)


async def postgres(args: argparse.Namespace) -> None:
    async with postgres_database("appventory_bench") as url:
        await run("postgres", url, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--apps", type=int, default=2_000)
    parser.add_argument("--sign-ins", type=int, default=500_000)
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run("sqlite", f"sqlite://{Path(tmp) / 'bench.sqlite3'}", args))
    if args.backend in ("postgres", "both"):
        asyncio.run(postgres(args))


if __name__ == "__main__":
    sys.exit(main())
