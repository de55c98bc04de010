"""`appventory slack …` as an operator runs it: real processes on a SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from pathlib import Path

import pytest

from sync_core.store import slack as slack_store
from sync_core.store import slack_invites
from sync_core.store.db import open_store
from tests.test_cli import UUID, env, run  # noqa: F401 - env is a fixture

TEAM = "T0CLI"


@pytest.fixture
def org(tmp_path: Path, env: dict[str, str]) -> str:  # noqa: F811
    assert run(["migrate"], cwd=tmp_path, env=env).returncode == 0
    created = run(["org", "create", "Acme"], cwd=tmp_path, env=env)
    return re.search(rf"organization id: ({UUID})", created.stdout).group(1)


async def _workspace(tmp_path: Path, team: str):
    async with open_store(f"sqlite://{tmp_path / 'appventory.sqlite3'}") as store:
        with store.activated():
            return await slack_store.find_workspace(team_id=team)


async def _invite(tmp_path: Path, token: str):
    async with open_store(f"sqlite://{tmp_path / 'appventory.sqlite3'}") as store:
        with store.activated():
            return await slack_invites.find(token=token)


def test_bind_links_a_workspace_to_an_organization(tmp_path, env, org):  # noqa: F811
    result = run(["slack", "bind", "--org", org, "--team", TEAM], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"workspace {TEAM} bound to organization {org}" in result.stdout
    workspace = asyncio.run(_workspace(tmp_path, TEAM))
    assert str(workspace.organization_id) == org


def test_bind_to_an_unknown_organization_is_refused(tmp_path, env, org):  # noqa: F811
    stranger = str(uuid.uuid4())
    result = run(["slack", "bind", "--org", stranger, "--team", TEAM], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: no organization {stranger}"
    assert asyncio.run(_workspace(tmp_path, TEAM)) is None


OAUTH = {"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "s3cret"}


def test_install_link_is_a_single_use_invite_and_says_when_it_expires(tmp_path, env, org):  # noqa: F811
    env.update(OAUTH, APPVENTORY_PUBLIC_URL="https://inventory.acme.test")
    before = dt.datetime.now(dt.UTC)
    result = run(["slack", "install-link", "--org", org], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    link, note = result.stdout.strip().splitlines()
    assert link.startswith("https://inventory.acme.test/slack/install?org=")
    expires = (before + dt.timedelta(days=7)).strftime("%Y-%m-%d")
    assert note.startswith(
        f"Single use: the first workspace that installs with it joins "
        f"organization {org}; it expires {expires} "
    )
    invite = asyncio.run(_invite(tmp_path, link.split("org=", 1)[1]))
    assert (str(invite.organization_id), invite.used_at) == (org, None)


def test_install_link_without_slack_oauth_settings_is_refused(tmp_path, env, org):  # noqa: F811
    result = run(["slack", "install-link", "--org", org], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set")
    assert result.stdout == ""


def test_install_link_for_an_unknown_organization_is_refused(tmp_path, env, org):  # noqa: F811
    env.update(OAUTH)
    stranger = str(uuid.uuid4())
    result = run(["slack", "install-link", "--org", stranger], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: no organization {stranger}"
    assert result.stdout == ""


def test_manifest_is_printed_for_the_public_url(tmp_path, env):  # noqa: F811
    env["APPVENTORY_PUBLIC_URL"] = "https://inventory.acme.test"
    result = run(["slack", "manifest"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "request_url: https://inventory.acme.test/slack/events" in result.stdout
    socket_mode = run(["slack", "manifest", "--socket-mode"], cwd=tmp_path, env=env)
    assert "socket_mode_enabled: true" in socket_mode.stdout
    assert "request_url" not in socket_mode.stdout
