"""App Home: connections, last sync, apps by status, shadow IT waiting for review."""

from __future__ import annotations

from sandbox.slack import texts
from sync_core import insights, records
from sync_core.insights.records import AppStatus
from sync_core.store import slack as slack_store
from tests.bot.conftest import ADMIN
from tests.insights import tenant as t
from tests.insights.tenant import NOW


async def test_opening_home_publishes_the_overview(bot):
    built = await t.build(name="Acme IT")
    await slack_store.bind_workspace(
        team_id=bot.team_id, organization_id=built.organization.id, actor=records.SYSTEM
    )
    bot.services.workspaces.forget(bot.team_id)
    bot.services.clock = lambda: NOW
    response = await bot.event(
        {"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"}
    )
    assert response.status_code == 200
    [published] = await bot.slack.wait_for(lambda slack: slack.called("views.publish"))
    assert published.params["user_id"] == ADMIN
    view = published.json("view")
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    shown = texts(view["blocks"])
    apps = await insights.app_summaries(organization_id=built.organization.id, now=NOW)
    in_use = sum(a.status is AppStatus.IN_USE for a in apps)
    assert f":large_green_circle: in use {in_use}" in shown
    assert "never synced" in shown  # the test tenant was written directly, not synced
    shadow = await insights.shadow_it(organization_id=built.organization.id, now=NOW)
    assert f"*Shadow IT waiting for review* ({len(shadow)})" in shown
    assert all(f"*{s.app.name}*" in shown for s in shadow)


async def test_home_of_an_unbound_workspace_says_how_to_link_it(bot):
    bot.team_id = "T0NEW"
    await bot.event({"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"})
    [published] = await bot.slack.wait_for(lambda slack: slack.called("views.publish"))
    assert "not linked to an AppVentory organization" in texts(published.json("view")["blocks"])


async def _acme(bot):
    built = await t.build(name="Acme IT")
    await slack_store.bind_workspace(
        team_id=bot.team_id, organization_id=built.organization.id, actor=records.SYSTEM
    )
    bot.services.workspaces.forget(bot.team_id)
    bot.services.clock = lambda: NOW
    return built


async def test_deciding_in_the_home_tab_republishes_it_without_that_app(bot):
    built = await _acme(bot)
    app_id = await built.app_id("InboxHelper")
    await bot.action("stage:rejected", str(app_id), in_home=True)
    [opened] = await bot.slack.wait_for(lambda slack: slack.called("views.open"))
    await bot.submit(opened.json("view"), note="reads mail")
    [published] = await bot.slack.wait_for(lambda slack: slack.called("views.publish"))
    waiting = texts(published.json("view")["blocks"])
    assert "*InboxHelper*" not in waiting and "*Dropbox Business*" in waiting


async def test_a_refusal_in_the_home_tab_is_shown_in_a_dialog(bot):
    from tests.bot.conftest import MEMBER

    built = await _acme(bot)
    await bot.action(
        "stage:approved", str(await built.app_id("InboxHelper")), user=MEMBER, in_home=True
    )
    [opened] = await bot.slack.wait_for(lambda slack: slack.called("views.open"))
    assert "Only workspace admins and owners can change an app's stage" in texts(
        opened.json("view")["blocks"]
    )
