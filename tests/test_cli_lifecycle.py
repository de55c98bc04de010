"""`appventory org delete`, `keys generate|rotate` and `signins prune` as an operator runs them."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from sync_core import records
from sync_core.crypto import Vault, generate_key, parse_keys
from sync_core.store import connections, models, organizations, signins
from sync_core.store import slack as slack_store
from sync_core.store.db import migrate, open_store

T = TypeVar("T")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def run(
    args: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appventory", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def in_store(url: str, work: Callable[[], Awaitable[T]]) -> T:
    """Run store code in this process, as another process would see the database."""

    async def go() -> T:
        async with open_store(url) as store:
            with store.activated():
                return await work()

    return asyncio.run(go())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # One backend: each command is a fresh process (seconds each); what the commands do to the
    # store is tested on SQLite and PostgreSQL in tests/store/test_lifecycle.py.
    url = f"sqlite://{tmp_path / 'cli.sqlite3'}"
    asyncio.run(migrate(url))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("APPVENTORY_", "SLACK_"))}
    return {**base, "APPVENTORY_SECRET_KEY": generate_key(), "APPVENTORY_DATABASE_URL": url}


def create_org(url: str, name: str) -> uuid.UUID:
    org, _ = in_store(url, lambda: organizations.create_organization(name=name))
    return org.id


def test_org_delete_asks_first_then_removes_only_that_organization(tmp_path, env):
    url = env["APPVENTORY_DATABASE_URL"]
    doomed, kept = create_org(url, "Doomed"), create_org(url, "Kept")
    in_store(url, lambda: organizations.create_token(organization_id=doomed, name="ci"))

    declined = run(["org", "delete", str(doomed)], cwd=tmp_path, env=env, stdin="n\n")
    assert declined.returncode == 1
    assert f"organization {doomed} (Doomed) owns:" in declined.stdout
    assert re.search(r"^  api_token +2$", declined.stdout, re.M)
    assert in_store(url, lambda: models.Organization.filter(id=doomed).exists())

    deleted = run(["org", "delete", str(doomed), "--yes"], cwd=tmp_path, env=env)
    assert deleted.returncode == 0, deleted.stderr
    assert re.search(r"^  organization +1$", deleted.stdout, re.M)
    assert re.search(r"^  api_token +2$", deleted.stdout, re.M)
    assert re.search(r"^  total removed +3$", deleted.stdout, re.M)
    left = in_store(url, lambda: models.Organization.all().values_list("id", flat=True))
    assert left == [kept]

    again = run(["org", "delete", str(doomed), "--yes"], cwd=tmp_path, env=env)
    assert again.returncode == 2
    assert again.stderr.strip() == f"error: no organization {doomed}"


def test_keys_generate_prints_a_usable_key_without_any_settings(tmp_path):
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("APPVENTORY_", "SLACK_"))}
    generated = run(["keys", "generate"], cwd=tmp_path, env=bare)
    assert generated.returncode == 0, generated.stderr
    key = generated.stdout.strip()
    assert parse_keys(key) == [key]
    assert list(tmp_path.iterdir()) == []


def _install(vault: Vault, token: str) -> Callable[[], Awaitable[object]]:
    installation = slack_store.Installation(
        team_id="T1",
        bot_id="B1",
        bot_user_id="U1",
        bot_token=token,
        installed_at=dt.datetime.now(dt.UTC),
    )
    return lambda: slack_store.install(vault=vault, installation=installation)


def test_keys_rotate_reencrypts_under_the_new_key_so_the_old_one_can_go(tmp_path, env):
    old, new = env["APPVENTORY_SECRET_KEY"], generate_key()
    in_store(env["APPVENTORY_DATABASE_URL"], _install(Vault([old]), "xoxb-secret"))

    wrong = run(["keys", "rotate"], cwd=tmp_path, env={**env, "APPVENTORY_SECRET_KEY": new})
    assert wrong.returncode == 2
    assert "slack_installation.bot_token_encrypted of row" in wrong.stderr

    both = {**env, "APPVENTORY_SECRET_KEY": f"{new},{old}"}
    rotated = run(["keys", "rotate"], cwd=tmp_path, env=both)
    assert rotated.returncode == 0, rotated.stderr
    assert re.search(r"^  slack_installation\.bot_token_encrypted +1 +0$", rotated.stdout, re.M)
    again = run(["keys", "rotate"], cwd=tmp_path, env=both)
    assert re.search(r"^  slack_installation\.bot_token_encrypted +0 +1$", again.stdout, re.M)

    read = in_store(
        env["APPVENTORY_DATABASE_URL"],
        lambda: slack_store.latest_installation(vault=Vault([new]), team_id="T1"),
    )
    assert read.bot_token == "xoxb-secret"


def _sign_ins_aged(org_id: uuid.UUID, ages: list[int]) -> Callable[[], Awaitable[object]]:
    async def seed() -> None:
        conn = await connections.add_connection(
            organization_id=org_id, tenant_id="11111111-2222-3333-4444-555555555555"
        )
        now = dt.datetime.now(dt.UTC)
        events = [
            records.SignIn(f"si-{age}", now - dt.timedelta(days=age), "u-1", None, "app-1", None)
            for age in ages
        ]
        await signins.add_sign_ins(connection_id=conn.id, events=events)

    return seed


def test_signins_prune_uses_the_retention_setting_and_keeps_daily_counts(tmp_path, env):
    url = env["APPVENTORY_DATABASE_URL"]
    org = create_org(url, "Acme")
    in_store(url, _sign_ins_aged(org, [1, 40, 100]))

    default = run(["signins", "prune"], cwd=tmp_path, env=env)
    assert default.returncode == 0, default.stderr
    assert "older than 90 days" in default.stdout
    assert re.search(r"^  all tenants +1$", default.stdout, re.M)

    shorter = run(
        ["signins", "prune", "--org", str(org)],
        cwd=tmp_path,
        env={**env, "APPVENTORY_SIGN_IN_RETENTION_DAYS": "31"},
    )
    assert re.search(r"^  11111111-2222-3333-4444-555555555555 +1$", shorter.stdout, re.M)
    assert in_store(url, lambda: models.SignInEvent.all().values_list("entra_id", flat=True)) == [
        "si-1"
    ]
    assert in_store(url, lambda: models.UsageDaily.all().count()) == 3

    too_short = run(["signins", "prune", "--keep-days", "7"], cwd=tmp_path, env=env)
    assert too_short.returncode == 2
