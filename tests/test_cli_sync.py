"""`appventory sandbox`, `connect` and `sync` as an operator runs them, in real processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync_core.crypto import generate_key
from tests.test_cli import _free_port, run

CLIENT_ID = "5a9d7b3c-1e2f-4a6b-8c9d-0e1f2a3b4c5d"
SECRET = "sbx8Q~sandbox.client.secret.value"


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appventory",
            "sandbox",
            "--port",
            str(port),
            "--users",
            "40",
            "--apps",
            "15",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            SECRET,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/_sandbox")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.fixture
def env(tmp_path: Path, sandbox_url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("APPVENTORY_", "SLACK_"))}
    return {
        **base,
        "APPVENTORY_SECRET_KEY": generate_key(),
        "APPVENTORY_DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}",
        "APPVENTORY_ENTRA_CLIENT_ID": CLIENT_ID,
        "APPVENTORY_ENTRA_CLIENT_SECRET": SECRET,
        "APPVENTORY_LOGIN_URL": sandbox_url,
        "APPVENTORY_GRAPH_URL": sandbox_url,
    }


def _org(tmp_path: Path, env: dict[str, str]) -> str:
    assert run(["migrate"], cwd=tmp_path, env=env).returncode == 0
    created = run(["org", "create", "Acme"], cwd=tmp_path, env=env).stdout
    return re.search(r"organization id: (\S+)", created).group(1)


def test_connect_then_sync_prints_permissions_and_a_summary(tmp_path, env, sandbox_url):
    org = _org(tmp_path, env)
    tenant = httpx.get(f"{sandbox_url}/_sandbox").json()["tenants"][0]["tenant_id"]

    connected = run(["connect", "--org", org, "--tenant", tenant], cwd=tmp_path, env=env)
    assert connected.returncode == 0, connected.stderr
    assert f"connected tenant {tenant} (Contoso)" in connected.stdout
    assert re.search(r"granted\s+AuditLog.Read.All\s+sign-in logs", connected.stdout)

    synced = run(["sync", "--org", org], cwd=tmp_path, env=env)
    assert synced.returncode == 0, synced.stderr
    assert re.search(r"users\s+full\s+succeeded\s+\d+\s+40\s+40", synced.stdout)
    assert "succeeded in" in synced.stdout

    again = run(["sync", "--org", org], cwd=tmp_path, env=env)
    assert re.search(r"users\s+delta\s+succeeded", again.stdout)


def test_sync_without_consent_fails_with_the_hint(tmp_path, env, sandbox_url):
    org = _org(tmp_path, env)
    tenant = httpx.get(f"{sandbox_url}/_sandbox").json()["tenants"][0]["tenant_id"]
    run(["connect", "--org", org, "--tenant", tenant], cwd=tmp_path, env=env)
    httpx.post(
        f"{sandbox_url}/_sandbox/tenants/{tenant}/state",
        json={"consented": False, "expire_tokens": True},
    )

    synced = run(["sync", "--org", org], cwd=tmp_path, env=env)
    assert synced.returncode == 1
    assert "hint: Sync not starting: verify admin consent and permissions" in synced.stdout


def test_connect_to_an_unknown_tenant_is_refused_with_a_hint(tmp_path, env):
    org = _org(tmp_path, env)
    result = run(
        ["connect", "--org", org, "--tenant", "00000000-0000-0000-0000-0000000000aa"],
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1
    login = env["APPVENTORY_LOGIN_URL"]
    [error, hint] = result.stderr.strip().splitlines()
    assert error == (
        f"error: AADSTS90002: {login} does not know tenant 00000000-0000-0000-0000-0000000000aa"
    )
    assert hint.startswith("hint: check the tenant id: Entra admin center > Overview")
    assert "login.microsoftonline.com" not in result.stderr and "re-add" not in result.stderr


@pytest.mark.parametrize(
    ("tenant", "login", "expected", "code"),
    [
        ("not-a-tenant", None, "error: 'not-a-tenant' is not a tenant id: give its GUID", 2),
        (
            "00000000-0000-0000-0000-0000000000aa",
            "http://127.0.0.1:9",
            "error: login_unreachable: could not reach http://127.0.0.1:9 to look up tenant "
            "00000000-0000-0000-0000-0000000000aa: connection refused\nhint: check "
            "APPVENTORY_LOGIN_URL (http://127.0.0.1:9)",
            1,
        ),
    ],
)
def test_connect_says_what_is_wrong_with_the_tenant_or_the_login_url(
    tmp_path, env, tenant, login, expected, code
):
    org = _org(tmp_path, env)
    if login:
        env["APPVENTORY_LOGIN_URL"] = login
    result = run(["connect", "--org", org, "--tenant", tenant], cwd=tmp_path, env=env)
    assert result.returncode == code
    assert result.stderr.startswith(expected)
    assert "consent" not in result.stderr


def test_sync_without_entra_settings_names_the_missing_setting(tmp_path, env):
    org = _org(tmp_path, env)
    env.pop("APPVENTORY_ENTRA_CLIENT_ID")
    result = run(["sync", "--org", org], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: APPVENTORY_ENTRA_CLIENT_ID is required to connect or sync a tenant but not set"
    )


def test_demo_connects_syncs_and_serves_graphql(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPVENTORY_", "SLACK_"))}
    port = _free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appventory",
            "demo",
            "--port",
            str(port),
            "--users",
            "60",
            "--apps",
            "20",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        for line in demo.stdout:
            lines.append(line)
            if "Ctrl-C stops the demo" in line:
                break
        output = "".join(lines)
        token = re.search(r"^token: (avt_\S+)$", output, re.M).group(1)
        for _ in range(50):
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={
                        "query": "{ organization { connections { tenantName status } } "
                        "apps(first: 1) { totalCount } }"
                    },
                    headers={"Authorization": f"Bearer {token}"},
                )
                break
            except httpx.ConnectError:
                time.sleep(0.2)
    finally:
        demo.terminate()
        demo.communicate(timeout=20)
    assert "admin consent granted for Contoso Demo" in output
    assert re.search(r"users\s+full\s+succeeded", output)
    assert "shadow IT apps" in output
    data = answer.json()["data"]
    assert data["organization"]["connections"] == [
        {"tenantName": "Contoso Demo", "status": "CONNECTED"}
    ]
    assert data["apps"]["totalCount"] > 0
    assert (tmp_path / ".appventory" / "secret.key").exists()
