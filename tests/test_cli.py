"""The `appventory` command as an operator runs it: real processes, real databases."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sync_core.crypto import generate_key

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appventory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("APPVENTORY_", "SLACK_"))}
    return {**base, "APPVENTORY_SECRET_KEY": generate_key()}


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"APPVENTORY_SECRET_KEY": None},
            "error: APPVENTORY_SECRET_KEY is required but not set: make one with "
            "`appventory keys generate`",
        ),
        ({"APPVENTORY_SECRET_KEY": "bad"}, "error: APPVENTORY_SECRET_KEY is invalid: key 1 of 1"),
        (
            {"APPVENTORY_DATABASE_URL": "mongodb://localhost/x"},
            "error: APPVENTORY_DATABASE_URL is invalid: unknown database scheme 'mongodb'",
        ),
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["org", "create", "Acme"], ["serve"]])
def test_bad_settings_one_line_nonzero_nothing_written(tmp_path, env, override, expected, command):
    for name, value in override.items():
        env.pop(name) if value is None else env.__setitem__(name, value)
    result = run(command, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(expected)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["org", "create", "Acme"], ["serve"]])
def test_commands_before_migrate_say_what_to_do_and_create_nothing(tmp_path, env, command):
    result = run(command, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "run `appventory migrate`" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_org_create_prints_id_and_token_once_and_tokens_can_be_revoked(tmp_path, database_url, env):
    env["APPVENTORY_DATABASE_URL"] = database_url
    assert run(["migrate"], cwd=tmp_path, env=env).returncode == 0

    created = run(["org", "create", "Acme Corp"], cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    org_id = re.search(rf"^organization id: ({UUID})$", created.stdout, re.M).group(1)
    token = re.search(r"^token: (avt_\S+)$", created.stdout, re.M).group(1)
    assert created.stdout.count(token) == 1

    second = run(["token", "create", "--org", org_id, "--name", "ci"], cwd=tmp_path, env=env)
    token_id = re.search(rf"^api token id: ({UUID})$", second.stdout, re.M).group(1)

    assert run(["token", "revoke", token], cwd=tmp_path, env=env).returncode == 0
    again = run(["token", "revoke", token], cwd=tmp_path, env=env)
    assert (again.returncode, again.stderr.strip()) == (
        2,
        "error: no live token matches (already revoked, or unknown)",
    )
    assert run(["token", "revoke", token_id], cwd=tmp_path, env=env).returncode == 0


def test_token_create_for_unknown_org_is_refused(tmp_path, env):
    env["APPVENTORY_DATABASE_URL"] = f"sqlite://{tmp_path / 'db.sqlite3'}"
    run(["migrate"], cwd=tmp_path, env=env)
    result = run(
        ["token", "create", "--org", "00000000-0000-0000-0000-000000000001"], cwd=tmp_path, env=env
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: no organization 00000000-0000-0000-0000-000000000001")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_local_generates_a_key_migrates_and_answers_health(tmp_path, env):
    env.pop("APPVENTORY_SECRET_KEY")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "appventory", "serve", "--local", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz")
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert health.json() == {"status": "ok"}
    assert ready.json() == {"status": "ok", "database": "ok"}
    assert "generated a new encryption key in .appventory/secret.key" in stderr
    assert (tmp_path / ".appventory" / "secret.key").stat().st_mode & 0o077 == 0
    assert (tmp_path / "appventory.sqlite3").exists()
