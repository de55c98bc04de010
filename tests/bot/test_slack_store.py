"""The Slack door's store: bindings, encrypted installs, single-use states, sync messages,
and disconnecting a tenant (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest

from sync_core import records
from sync_core.crypto import Vault, generate_key
from sync_core.records import ConnectionStatus
from sync_core.store import activity, connections, organizations, runs, slack_models, slack_replays
from sync_core.store import slack as slack_store
from sync_core.store.organizations import NotFound

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
ALICE = records.Actor(records.ActorType.SLACK_USER, "UALICE", "alice")
VAULT = Vault([generate_key()])


def installation(team: str = "T1", token: str = "xoxb-1", at: dt.datetime = NOW):
    return slack_store.Installation(
        team_id=team,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_token=token,
        installed_at=at,
        team_name="Team One",
        bot_scopes=("commands", "chat:write"),
    )


async def test_rebinding_moves_a_workspace_and_forgets_its_alert_channel(store):
    a, _ = await organizations.create_organization(name="A")
    b, _ = await organizations.create_organization(name="B")
    await slack_store.bind_workspace(team_id="T1", organization_id=a.id, actor=ALICE)
    await slack_store.set_alert_channel(
        organization_id=a.id, team_id="T1", channel_id="C1", actor=ALICE
    )
    moved, previous = await slack_store.bind_workspace(
        team_id="T1", organization_id=b.id, actor=ALICE
    )
    assert (moved.organization_id, moved.alert_channel_id, previous) == (b.id, None, a.id)
    with pytest.raises(NotFound):  # the old organization cannot set it any more
        await slack_store.set_alert_channel(
            organization_id=a.id, team_id="T1", channel_id="C2", actor=ALICE
        )
    [bound] = await activity.list_activities(organization_id=b.id, kinds=["slack.bound"])
    assert bound.actor == ALICE


async def test_installs_are_encrypted_and_the_latest_one_is_live(store):
    first, created = await slack_store.install(vault=VAULT, installation=installation())
    assert created
    org = await organizations.get_organization(organization_id=first.organization_id)
    assert org.name == "Team One"
    later = installation(token="xoxb-2", at=NOW + dt.timedelta(hours=1))
    second, created = await slack_store.install(vault=VAULT, installation=later)
    assert (second, created) == (first, False)
    found = await slack_store.latest_installation(vault=VAULT, team_id="T1")
    assert found.bot_token == "xoxb-2" and "xoxb-2" not in repr(found)
    assert all(
        "xoxb" not in row.bot_token_encrypted for row in await slack_models.SlackInstallation.all()
    )
    assert await slack_store.delete_installations(team_id="T1") == 2
    assert await slack_store.latest_installation(vault=VAULT, team_id="T1") is None
    assert await slack_store.find_workspace(team_id="T1") == first


async def test_install_states_are_single_use_and_expire(store):
    await slack_store.issue_oauth_state(state="s1", expires_at=NOW + dt.timedelta(minutes=10))
    assert await slack_store.consume_oauth_state(state="s1", now=NOW)
    assert not await slack_store.consume_oauth_state(state="s1", now=NOW)
    await slack_store.issue_oauth_state(state="s2", expires_at=NOW)
    assert not await slack_store.consume_oauth_state(state="s2", now=NOW)
    assert not await slack_store.consume_oauth_state(state="never", now=NOW)


async def test_a_sync_message_is_finished_exactly_once(store):
    org, _ = await organizations.create_organization(name="A")
    conn = await connections.add_connection(organization_id=org.id, tenant_id="t-1")
    run, _ = await runs.request_run(connection_id=conn.id, trigger="slack", actor=ALICE)
    message = await slack_store.remember_sync_message(
        run_id=run.id, team_id="T1", channel_id="C1", ts="1.2"
    )
    assert await slack_store.finish_sync_message(message_id=message.id, now=NOW)
    assert not await slack_store.finish_sync_message(message_id=message.id, now=NOW)
    [stored] = await slack_store.sync_messages(run_id=run.id)
    assert stored.finished_at is not None


async def test_disconnect_keeps_history_and_connecting_again_revives_the_same_row(store):
    org, _ = await organizations.create_organization(name="A")
    conn = await connections.add_connection(organization_id=org.id, tenant_id="T-1")
    gone = await connections.disconnect(
        organization_id=org.id, tenant_id="t-1", actor=ALICE, now=NOW
    )
    assert gone.status is ConnectionStatus.DISCONNECTED
    with pytest.raises(NotFound):
        await connections.find_connection(organization_id=org.id)
    with pytest.raises(NotFound):
        await connections.disconnect(organization_id=org.id, tenant_id="t-1", actor=ALICE, now=NOW)
    again = await connections.add_connection(organization_id=org.id, tenant_id="t-1")
    assert again.id == conn.id
    assert (await connections.find_connection(organization_id=org.id)).id == conn.id


async def test_a_request_is_accepted_once_and_forgotten_after_its_window(store):
    key = slack_replays.request_key(timestamp="1700000000", signature="v0=abc")
    other = slack_replays.request_key(timestamp="1700000001", signature="v0=abc")
    expires = NOW + dt.timedelta(minutes=6)
    assert await slack_replays.first_delivery(key=key, expires_at=expires) is True
    assert await slack_replays.first_delivery(key=key, expires_at=expires) is False
    assert await slack_replays.first_delivery(key=other, expires_at=NOW) is True
    assert await slack_replays.forget_expired(now=NOW + dt.timedelta(seconds=1)) == 1
    assert await slack_replays.first_delivery(key=key, expires_at=expires) is False
    assert await slack_replays.forget_expired(now=expires + dt.timedelta(seconds=1)) == 1
    assert await slack_replays.first_delivery(key=key, expires_at=expires) is True
