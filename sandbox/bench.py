"""Benchmark: start-up time, resident memory and pages/s of a large sandbox tenant.

    python -m sandbox.bench --users 100000 --signins-per-user-per-day 1 --days 30

The sandbox runs in its own process (the CLI), so its memory is measured alone; this process
pages through it over HTTP with no latency, no faults and no throttling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SERVER = "import typer; from sandbox.cli import sandbox_command; typer.run(sandbox_command)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


async def _page(
    client: httpx.AsyncClient,
    url: str,
    *,
    limit: int,
    key: str = "nextLink",
) -> tuple[int, int, float]:
    """Follow nextLinks from url: (pages, items, seconds)."""
    pages = items = 0
    started = time.perf_counter()
    while url and pages < limit:
        response = await client.get(url)
        response.raise_for_status()
        body = response.json()
        pages += 1
        items += len(body["value"])
        url = body.get("@odata.nextLink", "")
    return pages, items, time.perf_counter() - started


async def _measure(base: str, tenant: str, args: argparse.Namespace, pid: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        token = (
            await client.post(
                f"/{tenant}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": args.client_id,
                    "client_secret": args.client_secret,
                    "scope": "https://graph.microsoft.com/.default",
                },
            )
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        runs = [
            (
                "users ($top=999)",
                "/v1.0/users?$select=id,displayName,userPrincipalName,"
                "department,accountEnabled&$top=999",
                args.max_pages,
            ),
            (
                "users + signInActivity (120/page)",
                "/v1.0/users?$select=id,signInActivity&$top=999",
                args.max_pages,
            ),
            (
                "users/delta (initial round)",
                "/v1.0/users/delta?$select=id,displayName",
                args.max_pages,
            ),
            ("servicePrincipals", "/v1.0/servicePrincipals?$top=999", args.max_pages),
            ("oauth2PermissionGrants", "/v1.0/oauth2PermissionGrants?$top=999", args.max_pages),
            (
                "auditLogs/signIns (1000/page)",
                "/v1.0/auditLogs/signIns?$top=1000",
                args.signin_pages,
            ),
        ]
        print(f"{'collection':38} {'pages':>6} {'items':>9} {'seconds':>8} {'pages/s':>8}")
        for name, url, limit in runs:
            pages, items, seconds = await _page(client, url, limit=limit)
            print(f"{name:38} {pages:6d} {items:9d} {seconds:8.2f} {pages / seconds:8.1f}")
    rss, peak = _memory_mb(pid)
    print(f"resident memory after paging: {rss:.0f} MB (peak {peak:.0f} MB)")


def main(argv: list[str] | None = None) -> None:
    """Parse flags, start the sandbox process, measure, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--apps", type=int, default=300)
    parser.add_argument("--signins-per-user-per-day", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-pages", type=int, default=1_000)
    parser.add_argument("--signin-pages", type=int, default=300)
    parser.add_argument("--client-id", default="5a9d7b3c-1e2f-4a6b-8c9d-0e1f2a3b4c5d")
    parser.add_argument("--client-secret", default="sbx8Q~sandbox.client.secret.value")
    args = parser.parse_args(argv)
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        SERVER,
        "--port",
        str(port),
        "--users",
        str(args.users),
        "--apps",
        str(args.apps),
        "--days",
        str(args.days),
        "--seed",
        str(args.seed),
        "--signins-per-user-per-day",
        str(args.signins_per_user_per_day),
        "--no-throttling",
        "--empty-page-rate",
        "0",
        "--client-id",
        args.client_id,
        "--client-secret",
        args.client_secret,
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        base = f"http://127.0.0.1:{port}"
        info = _wait_ready(base, process)
        elapsed = time.perf_counter() - started
        rss, _ = _memory_mb(process.pid)
        tenant = info["tenants"][0]
        print(
            f"tenant: {tenant['users']} users, {tenant['signins_generated']} sign-ins, "
            f"{args.apps} apps (+ Microsoft's)"
        )
        print(f"start-up (process start to first answer): {elapsed:.2f} s")
        print(f"resident memory after start-up: {rss:.0f} MB")
        asyncio.run(_measure(base, tenant["tenant_id"], args, process.pid))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _wait_ready(base: str, process: subprocess.Popen[str]) -> dict:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"sandbox exited with {process.returncode}")
        try:
            return httpx.get(f"{base}/_sandbox", timeout=5).json()
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("sandbox did not start in time")


if __name__ == "__main__":
    main()
