"""Requests that are not Slack's, or not fresh, are refused before anything happens."""

from __future__ import annotations

import time

import pytest

from sync_core.store import activity, connections
from tests.bot.conftest import MEMBER, open_bot, slack_settings


async def _trail(bot) -> list:
    return await activity.list_activities(organization_id=bot.organization_id)


async def test_a_bad_signature_is_refused_and_nothing_runs(bot):
    body = bot.command_body("/connect", "channel")
    headers = bot.sign(body) | {"x-slack-signature": "v0=" + "0" * 64}
    response = await bot.http.post(
        "/slack/events",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
    )
    assert (response.status_code, response.json()) == (401, {"error": "invalid request"})
    await bot.settle()
    assert bot.slack.calls == []


async def test_a_missing_signature_is_refused(bot):
    response = await bot.post(
        bot.command_body("/sync", "history"),
        content_type="application/x-www-form-urlencoded",
        signed=False,
    )
    assert response.status_code == 401
    assert bot.slack.calls == []


async def test_a_body_changed_after_signing_is_refused(bot):
    body = bot.command_body("/connect", "status")
    headers = bot.sign(body)
    tampered = body.replace("status", "remove")
    response = await bot.http.post(
        "/slack/events",
        content=tampered,
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
    )
    assert response.status_code == 401


async def test_a_stale_timestamp_is_refused_even_when_correctly_signed(bot):
    body = bot.command_body("/connect", "status")
    stale = bot.sign(body, timestamp=int(time.time()) - 6 * 60)
    response = await bot.http.post(
        "/slack/events",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded", **stale},
    )
    assert response.status_code == 401
    await bot.settle()
    assert bot.slack.replies() == []


async def test_a_replayed_request_is_refused_and_acts_once(bot):
    body = bot.command_body("/connect", "channel")
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    first = await bot.http.post("/slack/events", content=body, headers=headers)
    replay = await bot.http.post("/slack/events", content=body, headers=headers)
    await bot.slack.wait_for(lambda slack: slack.replies(), what="the reply to /connect channel")
    assert first.status_code == 200
    assert (replay.status_code, replay.json()) == (401, {"error": "replayed request"})
    changes = [e for e in await _trail(bot) if e.kind == "slack.alert_channel_set"]
    assert len(changes) == 1


async def test_a_replay_to_another_web_process_on_the_same_database_is_refused(
    bot, database_url, fake_slack
):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs as one process: there replays are remembered in memory")
    body = bot.command_body("/connect", "channel")
    headers = {"content-type": "application/x-www-form-urlencoded", **bot.sign(body)}
    first = await bot.http.post("/slack/events", content=body, headers=headers)
    # A second app on the same database, as another web process behind a load balancer.
    async with open_bot(slack_settings(database_url, fake_slack), fake_slack) as other:
        replay = await other.http.post("/slack/events", content=body, headers=headers)
        await bot.slack.wait_for(lambda slack: slack.replies(), what="the reply")
        await bot.settle()
        changes = [e for e in await _trail(bot) if e.kind == "slack.alert_channel_set"]
    assert first.status_code == 200
    assert (replay.status_code, replay.json()) == (401, {"error": "replayed request"})
    assert len(changes) == 1


async def test_a_fresh_request_with_the_same_body_is_not_a_replay(bot):
    body = bot.command_body("/help")
    headers = {"content-type": "application/x-www-form-urlencoded"}
    first = await bot.http.post(
        "/slack/events", content=body, headers=headers | bot.sign(body, timestamp=int(time.time()))
    )
    again = await bot.http.post(
        "/slack/events",
        content=body,
        headers=headers | bot.sign(body, timestamp=int(time.time()) - 1),
    )
    assert (first.status_code, again.status_code) == (200, 200)


async def test_someone_else_s_signing_secret_is_refused(bot):
    bot.secret = "not-our-signing-secret"
    response = await bot.command("/connect", "remove", user=MEMBER)
    assert response.status_code == 401
    assert await connections.list_connections(organization_id=bot.organization_id) == []
