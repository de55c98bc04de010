"""`appventory sandbox`: flags, printed credentials, and a real served process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import typer
from typer.testing import CliRunner

from sandbox.cli import sandbox_command
from sandbox.randomness import guid

SERVE = "import typer; from sandbox.cli import sandbox_command; typer.run(sandbox_command)"


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("sandbox")(sandbox_command)

    @app.command("version")
    def version() -> None:  # a second command keeps `sandbox` a named subcommand
        typer.echo("test")

    return app


def test_dry_run_prints_everything_a_client_needs():
    result = CliRunner().invoke(
        cli(),
        [
            "sandbox",
            "--dry-run",
            "--port",
            "9123",
            "--seed",
            "4",
            "--users",
            "12",
            "--client-id",
            "11111111-2222-3333-4444-555555555555",
            "--client-secret",
            "s3cret",
            "--extra-tenants",
            "2",
            "--no-premium",
            "--roles",
            "User.Read.All,Directory.Read.All",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "http://127.0.0.1:9123" in out
    assert "11111111-2222-3333-4444-555555555555" in out and "s3cret" in out
    assert guid(4, "tenant", 0) in out  # primary tenant id derives from the seed
    assert guid(4, "extra-tenant", 0) in out and guid(4, "extra-tenant", 1) in out
    assert "premium=False" in out
    assert f"/{guid(4, 'tenant', 0)}/oauth2/v2.0/token" in out


def test_tenant_id_flag_is_used():
    tid = "0f0f0f0f-1111-4222-8333-444455556666"
    result = CliRunner().invoke(cli(), ["sandbox", "--dry-run", "--tenant-id", tid])
    assert tid in result.output


def test_served_process_accepts_the_printed_credentials():
    with httpx.Client() as probe:
        port = _free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVE,
                "--port",
                str(port),
                "--users",
                "15",
                "--apps",
                "8",
                "--client-secret",
                "from-the-flag",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            cwd=os.getcwd(),
        )
        try:
            banner = "".join(process.stdout.readline() for _ in range(4))  # type: ignore[union-attr]
            tenant = re.search(r"tenant:\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
            client_id = re.search(r"client id:\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}"
            _wait(probe, f"{base}/_sandbox")
            token = probe.post(
                f"{base}/{tenant}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": "from-the-flag",
                    "scope": "https://graph.microsoft.com/.default",
                },
            )
            assert token.status_code == 200, token.text
            users = probe.get(
                f"{base}/v1.0/users",
                headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            )
            assert len(users.json()["value"]) == 15
        finally:
            process.terminate()
            process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(probe: httpx.Client, url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            probe.get(url)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("sandbox did not start")
