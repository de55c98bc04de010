"""Alerts: a failed sync once per failure streak (and its recovery), new shadow IT once per app
with evidence and stage buttons, paced per channel and retried after Slack's 429."""

from __future__ import annotations

import itertools

import pytest

from bot.alerts import Alerts, ChannelPacer
from bot.messages import alerts as alert_messages
from sandbox.slack import texts
from sync_core import consent, insights, records
from sync_core.records import SyncStatus
from sync_core.store import runs
from sync_core.store import slack as slack_store
from sync_core.sync.service import request_sync
from tests.bot.conftest import ADMIN
from tests.insights import tenant as t
from tests.insights.tenant import NOW
from tests.sync.conftest import TESTER

ALERTS = "CALERTS"


async def _alerts_to(bot, channel: str = ALERTS) -> None:
    await slack_store.set_alert_channel(
        organization_id=bot.organization_id,
        team_id=bot.team_id,
        channel_id=channel,
        actor=records.SYSTEM,
    )


def _posted(bot, channel: str = ALERTS):
    return [c for c in bot.slack.called("chat.postMessage") if c.params["channel"] == channel]


def _health(bot):
    """Failure and recovery alerts (shadow IT found by the same syncs is posted too)."""
    return [c for c in _posted(bot) if "New shadow IT" not in c.text]


async def _sync(bot) -> records.SyncReport:
    run, _ = await request_sync(organization_id=bot.organization_id, actor=TESTER, runner=None)
    return await bot.runtime.require_engine().run(run.id)


async def test_a_failure_streak_alerts_once_then_a_note_when_it_recovers(entra_bot):
    bot, entra = entra_bot
    verified = await bot.runtime.check_tenant(entra.sandbox.tenant_id)
    await consent.record_connection(
        organization_id=bot.organization_id, actor=TESTER, verified=verified
    )
    await _alerts_to(bot)
    await entra.sandbox.set_state(consented=False, expire_tokens=True)

    assert (await _sync(bot)).status is SyncStatus.FAILED
    [alert] = _health(bot)
    assert ":rotating_light: *Sync of Contoso failed*" in alert.text
    assert "Sync not starting: verify admin consent" in alert.text  # the hint
    buttons = {
        e["action_id"]: e for b in alert.blocks if b["type"] == "actions" for e in b["elements"]
    }
    assert set(buttons) == {"sync_retry", "consent_regrant"}
    assert buttons["sync_retry"]["value"] == entra.sandbox.tenant_id

    assert (await _sync(bot)).status is SyncStatus.FAILED
    assert len(_health(bot)) == 1  # the same streak: no second alert

    await entra.sandbox.set_state(consented=True)
    assert (await _sync(bot)).status is SyncStatus.SUCCEEDED
    recovered = _health(bot)[-1]
    assert len(_health(bot)) == 2
    assert "Syncing *Contoso* works again" in recovered.text
    assert (await _sync(bot)).status is SyncStatus.SUCCEEDED
    assert len(_health(bot)) == 2  # success after success: quiet


async def test_retry_sync_from_the_alert_starts_a_run_in_that_channel(entra_bot):
    bot, entra = entra_bot
    verified = await bot.runtime.check_tenant(entra.sandbox.tenant_id)
    await consent.record_connection(
        organization_id=bot.organization_id, actor=TESTER, verified=verified
    )
    await bot.action("sync_retry", entra.sandbox.tenant_id, channel=ALERTS, ephemeral=False)
    [posted] = await bot.slack.wait_for(lambda slack: _posted(bot))
    assert "started by <@UADMIN>" in posted.text
    await bot.settle()
    [run] = await runs.list_runs(organization_id=bot.organization_id)
    assert (run.actor.id, run.status) == (ADMIN, SyncStatus.SUCCEEDED)


async def test_re_grant_consent_from_the_alert_gives_an_admin_a_fresh_link(entra_bot):
    bot, entra = entra_bot
    verified = await bot.runtime.check_tenant(entra.sandbox.tenant_id)
    await consent.record_connection(
        organization_id=bot.organization_id, actor=TESTER, verified=verified
    )
    url = bot.slack.response_url()
    await bot.action("consent_regrant", entra.sandbox.tenant_id, ephemeral=False, response_url=url)
    [reply] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    assert reply.params["response_type"] == "ephemeral" and not reply.params["replace_original"]
    link = next(e for b in reply.blocks if b["type"] == "actions" for e in b["elements"])["url"]
    assert f"/{entra.sandbox.tenant_id}/v2.0/adminconsent" in link


@pytest.fixture
async def acme_alerts(bot):
    built = await t.build(name="Acme IT")
    await slack_store.bind_workspace(
        team_id=bot.team_id, organization_id=built.organization.id, actor=records.SYSTEM
    )
    bot.organization_id = built.organization.id
    bot.services.clock = lambda: NOW
    await _alerts_to(bot)
    return built


async def _finished_run(tenant) -> records.SyncReport:
    report, _ = await runs.request_run(
        connection_id=tenant.connection.id, trigger="schedule", actor=records.SYSTEM
    )
    await runs.finish(run_id=report.id, status=SyncStatus.SUCCEEDED, now=NOW)
    return (await runs.load(run_id=report.id))[0]


async def test_new_shadow_it_is_posted_once_per_app_with_evidence_and_buttons(bot, acme_alerts):
    events = await insights.derive(connection_id=acme_alerts.connection.id, now=NOW)
    shadow = [e for e in events if e.kind.value == "shadow_it.detected"]
    assert shadow
    alerts = Alerts(bot.services, pacer=ChannelPacer(interval=0))
    await alerts.sync_finished(report=await _finished_run(acme_alerts), events=events)
    [alert] = _posted(bot)
    for event in shadow:
        assert f"*{event.app_name}*" in alert.text
        [row] = [b for b in alert.blocks if b.get("block_id") == f"stage:{event.app_id}"]
        assert [e["text"]["text"] for e in row["elements"]] == ["Approve", "Monitor", "Reject"]
    assert "consented by" in alert.text and "`Files.Read`" in alert.text

    again = await insights.derive(connection_id=acme_alerts.connection.id, now=NOW)
    await alerts.sync_finished(report=await _finished_run(acme_alerts), events=again)
    assert len(_posted(bot)) == 1  # derive raises shadow IT once per app


async def test_a_429_from_slack_is_waited_out_and_the_alert_delivered_once(bot, acme_alerts):
    events = await insights.derive(connection_id=acme_alerts.connection.id, now=NOW)
    bot.slack.rate_limited["chat.postMessage"] = 1
    await Alerts(bot.services).sync_finished(report=await _finished_run(acme_alerts), events=events)
    tries = [c for c in bot.slack.calls if c.method == "chat.postMessage"]
    assert [c.status for c in tries] == [429, 200]


async def test_alerts_to_one_channel_are_paced(bot, acme_alerts):
    pacer = ChannelPacer(interval=0.2)
    message = alert_messages.sync_recovered(await _finished_run(acme_alerts), tenant_name="X")
    for _ in range(3):
        await pacer.post(bot.services, team_id=bot.team_id, channel=ALERTS, message=message)
    times = [c.at for c in _posted(bot)]
    assert len(times) == 3
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.19


def test_many_new_shadow_apps_are_split_into_messages_under_slack_s_limits():
    event = records_event()
    messages = alert_messages.shadow_detected([event] * 40)
    assert len(messages) == 3
    assert all(len(m["blocks"]) <= 50 for m in messages)
    assert "part 1 of 3" in texts(messages[0]["blocks"])


def records_event():
    import datetime as dt
    import uuid

    from sync_core.insights.records import EventKind, InsightEvent

    return InsightEvent(
        kind=EventKind.SHADOW_IT_DETECTED,
        organization_id=uuid.uuid4(),
        connection_id=uuid.uuid4(),
        app_id=7,
        app_entra_id="sp-x",
        app_name="X" * 600,
        actor=records.SYSTEM,
        occurred_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
        details={
            "reasons": ["user_consent"],
            "consented_users": 900,
            "consented_by": ["Someone"] * 5,
            "scopes": ["Mail.Read"] * 40,
        },
    )


async def test_a_real_sync_posts_new_shadow_it_and_names_it_in_the_result(entra_bot):
    bot, entra = entra_bot
    verified = await bot.runtime.check_tenant(entra.sandbox.tenant_id)
    await consent.record_connection(
        organization_id=bot.organization_id, actor=TESTER, verified=verified
    )
    await _alerts_to(bot)
    await bot.command("/sync")
    await bot.slack.wait_for(lambda slack: slack.called("chat.postMessage"))
    await bot.settle()
    shadow = await insights.shadow_it(organization_id=bot.organization_id, now=bot.services.now())
    assert shadow, "the sandbox tenant has shadow IT"
    alerts = [c for c in _posted(bot) if "New shadow IT" in c.text]
    assert sum(c.text.count(":detective:") for c in alerts) == len(shadow)
    for item in shadow:
        assert any(f"*{item.app.name}*" in c.text for c in alerts)
    result = bot.slack.called("chat.update")[-1].text
    assert f":detective: *Shadow IT found* ({len(shadow)})" in result

    await bot.command("/sync")  # the same apps are not announced twice
    await bot.slack.wait_for(lambda slack: len(slack.called("chat.postMessage")) > 1 + len(alerts))
    await bot.settle()
    assert len([c for c in _posted(bot) if "New shadow IT" in c.text]) == len(alerts)
