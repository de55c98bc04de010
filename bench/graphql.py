"""GraphQL benchmark: dashboard queries over HTTP against the real web app on a large tenant.

The tenant is synced from the sandbox by the real runtime (bench/synced_tenant.py: a full sync,
1% churn, a delta sync, each followed by the engine's insights derive step), or, with
`--tenant seeded`, written straight into the store (bench/seed.py) and derived. Then the
real web app (`appventory.web.create_app`) is served by uvicorn in its own process on loopback.
This process is the client (httpx). Per query: latency p50/p95/p99 over sequential requests and
the SQL statements each request sent (counted in the server by sandbox.statements and
returned in an `x-sql-statements` header added by this script's wrapper, not by the product).
Then a load generator: N concurrent clients on the apps page for a fixed time, giving
throughput and latency under load. Run from the repository root:

    .venv/bin/python -m bench.graphql --users 10000                    # synced, both backends
    .venv/bin/python -m bench.graphql --backend sqlite --users 100000 --requests 50
    .venv/bin/python -m bench.graphql --tenant seeded --users 50000    # seeded, no sandbox

Prints a table and writes bench/results/graphql.json (one entry per backend and tenant size; a
re-run replaces its entry; `--label` tells code versions apart). The machine is shared:
os.getloadavg() is recorded with each run. Latency is measured after 3 warm-up requests per
query (the first, cold-cache requests are not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.harness.machine import machine_info
from bench.seed import ADMIN_URL, NOW, build, postgres_database
from bench.synced_tenant import BUSIEST_APP, SandboxParams, sync_tenant
from sync_core import insights
from sync_core.store import models, organizations
from sync_core.store.db import migrate, open_store

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "graphql.json"
TIMEOUT = float(os.environ.get("BENCH_GRAPHQL_TIMEOUT", "180"))  # seconds per request

APPS_PAGE = """query($first: Int!) { apps(first: $first) { totalCount
  pageInfo { hasNextPage endCursor }
  edges { node { id name publisher category status stage isMicrosoft lastUsedAt
    assignedUserCount consentedUserCount activeUserCount seatCost { amount currency } } } } }"""
APPS_NESTED = """query($first: Int!) { apps(first: $first) { edges { node { name
  users(first: 5) { totalCount edges { node { lastUsedOn user { displayName } } } }
  permissions(first: 5) { totalCount edges { node { scopes } } } problems { kind } } } } }"""
APP_USERS = """query($id: ID!) { app(id: $id) { name assignedUserCount activeUserCount
  users(first: 100) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { sources lastUsedOn user { displayName department } } } }
  permissions(first: 100) { totalCount edges { node { consentType scopes } } } } }"""
USERS_PAGE = """query($first: Int!) { users(first: $first) { totalCount
  pageInfo { hasNextPage endCursor }
  edges { node { displayName department lastSuccessfulSignInAt
    apps(first: 10) { totalCount edges { node { name } } }
    loginActivity(days: 30) { day successes failures } } } } }"""
USERS_FOUND = """query($first: Int!) {
  search: users(first: $first, filter: {search: "an"}) { totalCount edges { node { displayName } } }
  active: users(first: $first, filter: {active: true, department: "Sales"}) { totalCount
    edges { node { displayName } } } }"""
APPS_FOUND = """query($first: Int!) {
  shadow: apps(first: $first, filter: {shadowIt: true}) { totalCount edges { node { name } } }
  search: apps(first: $first, filter: {search: "zo"}) { totalCount edges { node { name } } } }"""
HISTORY = """query($first: Int!) {
  syncRuns(first: $first) { totalCount edges { node { status durationSeconds requests
    entities { name created updated removed } } } }
  activities(first: $first) { totalCount edges { node { kind createdAt } } } }"""
INSIGHTS = """{ insights { appCounts { inUse discovered inactive }
  shadowIt { app { name } reasons consentingUsers }
  overlaps { category sharedUsers apps { name } }
  problematicApps { name }
  licenseWaste { app { name } inactiveSeats }
  departments { department users activeUsers } } }"""


# --- the server process -------------------------------------------------------------------


class CountStatements:
    """ASGI wrapper: each HTTP response carries the SQL statements its request sent."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        from sandbox.statements import counting

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with counting() as tally:

            async def counted(message: dict) -> None:
                if message["type"] == "http.response.start":
                    header = (b"x-sql-statements", str(tally.count).encode())
                    message = {**message, "headers": [*message.get("headers", []), header]}
                await send(message)

            await self.app(scope, receive, counted)


class FixedClock:
    """ASGI wrapper: the API's clock reads the seeded tenant's `now` (its sign-ins end there)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and "graphql_services" in scope.get("state", {}):
            state = dict(scope["state"])
            state["graphql_services"] = dataclasses.replace(
                state["graphql_services"], clock=lambda: NOW
            )
            scope = {**scope, "state": state}
        await self.app(scope, receive, send)


def serve(database_url: str, port: int, clock: str) -> None:
    """Run the real web app under uvicorn (the `serve` sub-command, in its own process)."""
    import uvicorn

    from appventory.web import create_app
    from sync_core.crypto import generate_key
    from sync_core.settings import Settings

    settings = Settings(_env_file=None, secret_key=generate_key(), database_url=database_url)
    app = create_app(settings)
    app = CountStatements(FixedClock(app) if clock == "fixed" else app)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running_server(database_url: str, clock: str) -> AsyncIterator[str]:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.graphql", "serve", database_url, str(port), clock, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the web app did not become ready in 30 s")
        yield base
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:  # still inside a long statement: it has no more answers to give
            process.kill()
            await process.wait()


# --- the client ----------------------------------------------------------------------------


@dataclasses.dataclass
class Sample:
    seconds: float
    statements: int


async def _post(client: httpx.AsyncClient, query: str, variables: dict) -> Sample:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"query failed: {response.status_code} {body}")
    return Sample(elapsed, int(response.headers["x-sql-statements"]))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def _latency(samples: list[Sample]) -> dict[str, Any]:
    ms = [s.seconds * 1000 for s in samples]
    counts = sorted({s.statements for s in samples})
    return {
        "requests": len(samples),
        "p50_ms": round(_percentile(ms, 50), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "p99_ms": round(_percentile(ms, 99), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "statements": counts[0] if len(counts) == 1 else counts,
    }


async def sequential(
    client: httpx.AsyncClient, query: str, variables: dict, *, requests: int, warmup: int
) -> dict[str, Any]:
    """`requests` requests one after the other; a request over the client's timeout ends the
    case and is reported as such (a finding, not a crash)."""
    samples: list[Sample] = []
    try:
        for _ in range(warmup):  # warm caches and the connection first
            await _post(client, query, variables)
        for _ in range(requests):
            samples.append(await _post(client, query, variables))
    except httpx.TimeoutException:
        timeout = client.timeout.read
        return {"timed_out_after_s": timeout, **(_latency(samples) if samples else {})}
    return _latency(samples)


async def load(
    base: str, token: str, query: str, variables: dict, *, clients: int, seconds: float
) -> dict[str, Any]:
    """`clients` concurrent clients, each posting back to back for `seconds`."""
    samples: list[Sample] = []
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        async with _client(base, token) as client:
            while time.perf_counter() < deadline:
                samples.append(await _post(client, query, variables))

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "throughput_rps": round(len(samples) / wall, 1),
        **_latency(samples),
    }


def _client(base: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )


# --- one run -------------------------------------------------------------------------------


@dataclasses.dataclass
class Tenant:
    token: str
    app_id: str
    app_users: int
    seed_seconds: float
    clock: str = "fixed"  # seeded tenants end at bench.seed.NOW; synced ones at the real now
    syncs: list[dict[str, Any]] = dataclasses.field(default_factory=list)


async def synced(url: str, args: argparse.Namespace, *, users: int, apps: int) -> Tenant:
    """A sandbox tenant synced (full, churn, delta) into the store by the real runtime."""
    from graphql_api.ids import encode_id

    params = SandboxParams(
        users=users, apps=apps, signins_per_user_per_day=args.signins_per_user_per_day
    )
    started = time.perf_counter()
    await migrate(url)
    with tempfile.TemporaryDirectory() as workdir:
        done = await sync_tenant(url, params, Path(workdir), churn=not args.no_churn)
    seconds = time.perf_counter() - started
    app_id = encode_id("App", done.busiest_app)
    return Tenant(done.token, app_id, done.busiest_app_users, seconds, "real", done.syncs)


async def seed(url: str, *, users: int, apps: int, sign_ins: int) -> Tenant:
    """The tenant, its derived insights, an API token, and an app with at least 100 users."""
    from graphql_api.ids import encode_id

    await migrate(url)
    async with open_store(url) as store:
        with store.activated():
            org, conn, seconds = await build(users=users, apps=apps, sign_ins=sign_ins)
            await insights.derive(connection_id=conn, now=NOW)
            token = await organizations.create_token(organization_id=org)
            summaries = await insights.app_summaries(organization_id=org, now=NOW)
            big = max(summaries, key=lambda s: s.assigned_users)
    return Tenant(token.secret, encode_id("App", big.id), big.assigned_users, seconds)


async def measure(url: str, tenant: Tenant, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with running_server(url, tenant.clock) as base, _client(base, tenant.token) as client:
        cases = {
            "apps page (50 apps with counts)": (APPS_PAGE, {"first": 50}),
            "app with 100 users": (APP_USERS, {"id": tenant.app_id}),
            "users page (50, apps and activity)": (USERS_PAGE, {"first": 50}),
            "users: search, active in a department": (USERS_FOUND, {"first": 50}),
            "apps: shadow IT, search": (APPS_FOUND, {"first": 50}),
            "sync runs and activities": (HISTORY, {"first": 50}),
        }
        slow = {  # whole-organization verdicts: after the load phase, which they would block
            "apps page, nested (first: 5)": (APPS_NESTED, {"first": 5}),
            "apps page, nested (first: 50)": (APPS_NESTED, {"first": 50}),
            "insights": (INSIGHTS, {}),
        }
        for label, (query, variables) in cases.items():
            results[label] = await sequential(
                client, query, variables, requests=args.requests, warmup=3
            )
            print(f"  {label:<34} {_row(results[label])}")
        results["load: apps page"] = await load(
            base,
            tenant.token,
            APPS_PAGE,
            {"first": 50},
            clients=args.clients,
            seconds=args.seconds,
        )
        print(f"  {'load: apps page':<34} {_row(results['load: apps page'])}")
        for label, (query, variables) in {} if args.skip_slow else slow.items():
            count = args.insights_requests if label == "insights" else args.nested_requests
            results[label] = await sequential(client, query, variables, requests=count, warmup=0)
            print(f"  {label:<34} {_row(results[label])}")
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return {label: {**figures, "measured_at": stamp} for label, figures in results.items()}


def _row(r: dict[str, Any]) -> str:
    if "timed_out_after_s" in r:
        return f"timed out: no answer within {r['timed_out_after_s']:.0f} s"
    extra = ""
    if "clients" in r:
        extra = f"  {r['throughput_rps']:>7.1f} req/s ({r['clients']} clients)"
    return (
        f"p50 {r['p50_ms']:>8.1f}  p95 {r['p95_ms']:>8.1f}  p99 {r['p99_ms']:>8.1f} ms"
        f"  statements {r['statements']!s:>4}  n={r['requests']}{extra}"
    )


async def run(backend: str, users: int, args: argparse.Namespace) -> dict[str, Any]:
    if args.tenant == "synced":
        apps = args.apps or users // 10
        sign_ins = round(users * args.signins_per_user_per_day * 30)
    else:
        apps, sign_ins = users // 25, users * 10
    print(
        f"\n{backend}, {args.tenant} tenant: {users:,} users, {apps:,} apps, "
        f"~{sign_ins:,} sign-ins ({args.label})"
    )
    load_before = list(os.getloadavg())
    async with _database(backend, keep=args.keep_db) as url:
        if args.reuse:
            url = args.reuse
            tenant = await reused(url)
        elif args.tenant == "synced":
            tenant = await synced(url, args, users=users, apps=apps)
        else:
            tenant = await seed(url, users=users, apps=apps, sign_ins=sign_ins)
        print(f"  app with most users given access: {tenant.app_users:,}")
        results = await measure(url, tenant, args)
    return {
        "tenant": args.tenant,
        "label": args.label,
        "backend": backend,
        "users": users,
        "apps": apps,
        "sign_ins": sign_ins,
        "seed_seconds": round(tenant.seed_seconds, 1),
        "syncs": tenant.syncs,
        "loadavg_before": load_before,
        "loadavg_after": list(os.getloadavg()),
        "results": results,
    }


@contextlib.asynccontextmanager
async def _database(backend: str, *, keep: bool = False) -> AsyncIterator[str]:
    """A fresh database; with `keep`, left in place (and named) for `--reuse`."""
    if keep:
        name = f"appventory_bench_graphql_{uuid.uuid4().hex[:8]}"
        if backend == "postgres":
            admin = await asyncpg.connect(ADMIN_URL)
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.close()
            url = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql", "postgres") + f"/{name}"
        else:
            url = f"sqlite://{Path(tempfile.gettempdir()) / name}.sqlite3"
        yield url
        print(f"  kept the database: --reuse {url}")
        return
    if backend == "postgres":
        async with postgres_database("appventory_bench_graphql") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite://{Path(tmp) / 'bench.sqlite3'}"


async def reused(url: str) -> Tenant:
    """A tenant synced by an earlier run (`--keep-db`): a new token and its busiest app."""
    from graphql_api.ids import encode_id

    await migrate(url)
    async with open_store(url) as store:
        with store.activated():
            org = await models.Organization.first()
            if org is None:
                raise SystemExit(f"no organization in {url}")
            token = await organizations.create_token(organization_id=org.id)
            [busiest] = await models.Application._meta.db.execute_query_dict(BUSIEST_APP)
    app_id = encode_id("App", int(busiest["id"]))
    return Tenant(token.secret, app_id, int(busiest["users"]), 0.0, "real")


def save(entries: list[dict[str, Any]]) -> None:
    """Merge into bench/results/graphql.json: a re-run replaces the cases it measured."""
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}

    def key(run: dict[str, Any]) -> tuple:
        return (run.get("tenant", "seeded"), run.get("label", ""), run["backend"], run["users"])

    runs = {key(r): r for r in previous.get("runs", [])}
    # Cases not measured this time keep their earlier figures; a `--reuse` run keeps the syncs.
    for entry in entries:
        earlier = runs.get(key(entry), {}).get("results", {})
        kept = {k: v for k, v in runs.get(key(entry), {}).items() if v and not entry.get(k)}
        runs[key(entry)] = {**entry, **kept, "results": {**earlier, **entry["results"]}}
    runs = [runs[k] for k in sorted(runs)]
    RESULTS.write_text(json.dumps({"machine": machine_info(), "runs": runs}, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--tenant", choices=("synced", "seeded"), default="synced")
    parser.add_argument("--users", type=int, nargs="+", default=[10_000])
    parser.add_argument(
        "--signins-per-user-per-day",
        type=float,
        default=1.0,
        help="synced tenants: the sandbox's sign-in rate over 30 days",
    )
    parser.add_argument("--no-churn", action="store_true", help="synced: full sync only")
    parser.add_argument("--apps", type=int, help="synced: apps (default: 1 per 10 users)")
    parser.add_argument("--label", default="", help="tells code versions apart in the JSON")
    parser.add_argument("--keep-db", action="store_true", help="keep the database for --reuse")
    parser.add_argument("--reuse", metavar="URL", help="measure a database kept by --keep-db")
    parser.add_argument("--requests", type=int, default=100, help="sequential requests per query")
    parser.add_argument("--skip-slow", action="store_true", help="no nested pages, no insights")
    parser.add_argument("--nested-requests", type=int, default=20)
    parser.add_argument("--insights-requests", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients under load")
    parser.add_argument("--seconds", type=float, default=15, help="duration of the load phase")
    args = parser.parse_args()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    for backend in backends:
        for users in args.users:
            save([asyncio.run(run(backend, users, args))])  # saved as it goes: runs are long


if __name__ == "__main__":
    main()
