"""/connect: consent through the sandbox's Microsoft, the callback page, Slack's message, the
first sync; status, refresh, remove and the alert channel; refusals that change nothing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sandbox.slack import texts
from sync_core.records import ActorType, ConnectionStatus
from sync_core.store import activity, connections, models, runs
from sync_core.store import slack as slack_store
from tests.bot.conftest import ADMIN, CHANNEL, MEMBER


def _buttons(blocks: list[dict]) -> dict[str, dict]:
    found = {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}
    return found | {
        b["accessory"]["action_id"]: b["accessory"] for b in blocks if b.get("accessory")
    }


async def _command(bot, command: str, text: str = "", **options):
    url = bot.slack.response_url()
    await bot.command(command, text, response_url=url, **options)
    [reply] = await bot.slack.wait_for(lambda slack: slack.replies(url), what=command)
    return reply


async def _consent_link(bot) -> str:
    reply = await _command(bot, "/connect")
    assert reply.params["response_type"] == "ephemeral"
    assert "Connect a Microsoft 365 tenant" in reply.text
    assert "`AuditLog.Read.All`  sign-in logs" in reply.text
    return _buttons(reply.params["blocks"])["consent_open"]["url"]


async def test_connecting_ends_in_a_page_a_slack_message_and_a_first_sync(entra_bot):
    bot, entra = entra_bot
    link = await _consent_link(bot)
    query = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == "/organizations/v2.0/adminconsent"
    assert query["redirect_uri"] == ["https://appventory.test/connect/microsoft/callback"]

    callback = await entra.follow(link)
    page = await entra.complete(bot, callback)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Connected Contoso" in page.text and "You can close this tab" in page.text

    posted = await bot.slack.wait_for(lambda slack: slack.called("chat.postMessage"))
    said = posted[0]
    assert said.params["channel"] == CHANNEL
    assert f"<@{ADMIN}> connected *Contoso*" in said.text
    assert ":white_check_mark: `User.Read.All`  users: names, emails" in said.text
    assert "First sync started." in said.text

    await bot.settle()
    [connection] = await connections.list_connections(organization_id=bot.organization_id)
    assert connection.status is ConnectionStatus.CONNECTED
    [event] = await activity.list_activities(
        organization_id=bot.organization_id, kinds=["connection.connected"]
    )
    assert (event.actor.type, event.actor.id) == (ActorType.SLACK_USER, ADMIN)
    [run] = await runs.list_runs(organization_id=bot.organization_id)
    assert (run.trigger, run.actor.id, run.status.value) == ("connect", ADMIN, "succeeded")
    result = bot.slack.called("chat.update")[-1]
    assert "Sync of *Contoso* succeeded in" in result.text


async def test_a_reused_consent_link_is_refused_and_changes_nothing(entra_bot):
    bot, entra = entra_bot
    callback = await entra.follow(await _consent_link(bot))
    assert (await entra.complete(bot, callback)).status_code == 200
    await bot.settle()
    trail = await activity.list_activities(organization_id=bot.organization_id)
    again = await bot.http.get(callback)
    assert again.status_code == 400
    assert again.headers["referrer-policy"] == "no-referrer"
    assert "already used or has expired" in again.text
    assert await activity.list_activities(organization_id=bot.organization_id) == trail
    assert len(await runs.list_runs(organization_id=bot.organization_id)) == 1


async def test_a_tampered_consent_state_is_refused_and_changes_nothing(entra_bot):
    bot, entra = entra_bot
    callback = await entra.follow(await _consent_link(bot))
    state = parse_qs(urlsplit(callback).query)["state"][0]
    forged = callback.replace(state, "forged." + state.split(".")[1])
    page = await bot.http.get(forged)
    assert page.status_code == 400 and "not one AppVentory issued" in page.text
    assert await connections.list_connections(organization_id=bot.organization_id) == []
    assert bot.slack.called("chat.postMessage") == []


async def test_a_member_gets_a_refusal_not_a_consent_link(entra_bot):
    bot, _ = entra_bot
    reply = await _command(bot, "/connect", user=MEMBER)
    assert "Only workspace admins and owners can connect a tenant" in reply.text
    assert "consent_open" not in _buttons(reply.params["blocks"])
    assert await models.ConsentRequest.all().count() == 0


async def _connected(bot, entra):
    callback = await entra.follow(await _consent_link(bot))
    await entra.complete(bot, callback)
    await bot.settle()
    bot.slack.calls.clear()


async def test_status_shows_each_tenant_with_permissions_and_last_sync(entra_bot):
    bot, entra = entra_bot
    await _connected(bot, entra)
    reply = await _command(bot, "/connect", "status")
    assert "*Contoso*" in reply.text and ":large_green_circle: connected" in reply.text
    assert "`Application.Read.All`" in reply.text and "Last sync just now" in reply.text


async def test_refresh_gives_a_consent_link_for_that_tenant(entra_bot):
    bot, entra = entra_bot
    await _connected(bot, entra)
    reply = await _command(bot, "/connect", "refresh")
    link = _buttons(reply.params["blocks"])["consent_open"]["url"]
    tenant = entra.sandbox.tenant_id
    assert urlsplit(link).path == f"/{tenant}/v2.0/adminconsent"
    assert "Re-grant admin consent for *Contoso*" in reply.text


async def test_remove_asks_to_confirm_then_disconnects_and_keeps_history(entra_bot):
    bot, entra = entra_bot
    await _connected(bot, entra)
    reply = await _command(bot, "/connect", "remove")
    button = _buttons(reply.params["blocks"])["connection_remove"]
    assert button["style"] == "danger" and button["confirm"]["confirm"]["text"] == "Disconnect"

    url = bot.slack.response_url()
    await bot.action("connection_remove", button["value"], response_url=url)
    [done] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    assert done.params["replace_original"] is True
    assert f"<@{ADMIN}> disconnected *Contoso*" in done.text
    [connection] = await connections.list_connections(organization_id=bot.organization_id)
    assert connection.status is ConnectionStatus.DISCONNECTED
    assert await models.Application.filter(connection_id=connection.id).count() > 0
    [event] = await activity.list_activities(
        organization_id=bot.organization_id, kinds=["connection.disconnected"]
    )
    assert event.actor.id == ADMIN
    after = await _command(bot, "/sync")
    assert "No Microsoft 365 tenant is connected: `/connect` connects one." in after.text


async def test_a_member_cannot_disconnect_even_with_the_button(entra_bot):
    bot, entra = entra_bot
    await _connected(bot, entra)
    url = bot.slack.response_url()
    await bot.action("connection_remove", entra.sandbox.tenant_id, user=MEMBER, response_url=url)
    [refusal] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    assert "Only workspace admins and owners can disconnect a tenant" in refusal.text
    [connection] = await connections.list_connections(organization_id=bot.organization_id)
    assert connection.status is ConnectionStatus.CONNECTED


async def test_the_alert_channel_is_chosen_by_name(entra_bot):
    bot, _ = entra_bot
    reply = await _command(bot, "/connect", "channel <#CALERTS|it-alerts>")
    assert "Alerts go to <#CALERTS> from now on." in reply.text
    [note] = bot.slack.called("chat.postMessage")
    assert note.params["channel"] == "CALERTS" and "chose this channel" in note.text
    workspace = await slack_store.find_workspace(team_id=bot.team_id)
    assert workspace.alert_channel_id == "CALERTS"


async def test_a_private_channel_without_the_bot_is_saved_with_advice(entra_bot):
    bot, _ = entra_bot
    bot.slack.not_in.add("GSECRET")
    reply = await _command(bot, "/connect", "channel <#GSECRET|secret>")
    assert "invite me with `/invite @AppVentory`" in reply.text


async def test_a_channel_given_as_plain_text_is_not_guessed(entra_bot):
    bot, _ = entra_bot
    reply = await _command(bot, "/connect", "channel #it-alerts")
    assert "Name the channel" in texts(reply.params["blocks"])
    assert (await slack_store.find_workspace(team_id=bot.team_id)).alert_channel_id is None
