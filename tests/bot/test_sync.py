"""/sync: acknowledged at once, one message that shows progress and then the result; an active
run is named; history; the fallback when the bot cannot post in the channel."""

from __future__ import annotations

import asyncio
import time

from bot.progress import REPLY_REDRAWS
from sync_core import consent
from sync_core.records import SyncStatus
from sync_core.store import runs
from tests.bot.conftest import CHANNEL, MEMBER
from tests.sync.conftest import TESTER


async def _connect(bot, entra) -> None:
    verified = await bot.runtime.check_tenant(entra.sandbox.tenant_id)
    await consent.record_connection(
        organization_id=bot.organization_id, actor=TESTER, verified=verified
    )


async def test_sync_acks_at_once_then_one_message_shows_progress_and_result(entra_bot):
    bot, entra = entra_bot
    await _connect(bot, entra)
    await entra.sandbox.set_faults(latency_ms=20)
    started = time.perf_counter()
    response = await bot.command("/sync", user=MEMBER)
    acked = time.perf_counter() - started
    assert (response.status_code, response.text) == (200, "")
    assert acked < 1.0

    [posted] = await bot.slack.wait_for(lambda slack: slack.called("chat.postMessage"))
    assert posted.params["channel"] == CHANNEL
    assert "*Contoso* · started by <@UMEMBER>" in posted.text
    await bot.settle()
    updates = bot.slack.called("chat.update")
    assert len({(u.params["channel"], u.params["ts"]) for u in updates}) == 1  # one message
    assert any("Syncing *Contoso*" in u.text for u in updates[:-1])
    result = updates[-1].text
    assert "Sync of *Contoso* succeeded in" in result
    for label in ("Users", "Apps", "Assignments", "Consents", "Sign-ins"):
        assert f"*{label}*" in result
    assert "*New apps* (" in result
    assert "Graph requests" in result
    [run] = await runs.list_runs(organization_id=bot.organization_id)
    assert (run.trigger, run.actor.id) == ("slack", MEMBER)


async def _until_running(bot, *, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        [run] = await runs.list_runs(organization_id=bot.organization_id)
        if run.status is SyncStatus.RUNNING:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the first sync never started running (still {run.status})")


async def test_a_second_sync_while_one_runs_says_which_and_since_when(entra_bot):
    bot, entra = entra_bot
    await _connect(bot, entra)
    await entra.sandbox.set_faults(latency_ms=50)
    await bot.command("/sync")
    await bot.slack.wait_for(lambda slack: slack.called("chat.postMessage"))
    await _until_running(bot)  # on a loaded machine the run may still be queued here
    url = bot.slack.response_url()
    await bot.command("/sync", response_url=url)
    [reply] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    [run] = await runs.list_runs(organization_id=bot.organization_id)
    assert f"A sync of *Contoso* is already running (run `{str(run.id)[:8]}`, since" in reply.text
    assert reply.params["response_type"] == "ephemeral"
    await bot.settle()
    assert len(await runs.list_runs(organization_id=bot.organization_id)) == 1


async def test_history_lists_runs_with_status(entra_bot):
    bot, entra = entra_bot
    await _connect(bot, entra)
    await bot.command("/sync")
    await bot.slack.wait_for(lambda slack: slack.called("chat.postMessage"))
    await bot.settle()
    url = bot.slack.response_url()
    await bot.command("/sync", "history", response_url=url)
    [reply] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    assert "Recent syncs" in reply.text
    assert ":white_check_mark: *Contoso* · succeeded · just now" in reply.text
    assert "slack by <@UADMIN>" in reply.text


async def test_where_the_bot_cannot_post_the_sync_is_shown_privately(entra_bot):
    bot, entra = entra_bot
    await _connect(bot, entra)
    bot.slack.not_in.add("DSOMEONE")
    url = bot.slack.response_url()
    await bot.command("/sync", channel="DSOMEONE", response_url=url)
    await bot.slack.wait_for(lambda slack: slack.replies(url))
    await bot.settle()
    replies = bot.slack.replies(url)
    assert replies[0].params["response_type"] == "ephemeral"
    assert "Sync of *Contoso* succeeded in" in replies[-1].text
    assert all(r.params.get("replace_original") for r in replies[1:])
    # A response_url takes five posts: the start, a few redraws and the result fit.
    assert len(replies) <= 2 + REPLY_REDRAWS
    assert bot.slack.called("chat.update") == []


async def test_sync_without_a_tenant_says_how_to_connect(entra_bot):
    bot, _ = entra_bot
    url = bot.slack.response_url()
    await bot.command("/sync", response_url=url)
    [reply] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    assert "No Microsoft 365 tenant is connected: `/connect` connects one." in reply.text
