"""/apps: paged views a person can page through, details, and stage decisions on shadow IT."""

from __future__ import annotations

import json

import pytest

from bot.messages.apps import PAGE_SIZE
from sandbox.slack import texts
from sync_core import insights, records
from sync_core.records import ActorType, AppStage
from sync_core.store import activity, inventory, models
from sync_core.store import slack as slack_store
from tests.bot.conftest import ADMIN, MEMBER, bind
from tests.insights import tenant as t
from tests.insights.tenant import NOW


@pytest.fixture
async def acme(bot):
    """The insights test tenant, in the organization the workspace is bound to."""
    built = await t.build(name="Acme IT")
    await slack_store.bind_workspace(
        team_id=bot.team_id, organization_id=built.organization.id, actor=records.SYSTEM
    )
    bot.organization_id = built.organization.id
    bot.services.workspaces.forget(bot.team_id)
    bot.services.clock = lambda: NOW
    return built


async def _reply(bot, url: str):
    return await bot.slack.wait_for(lambda slack: slack.replies(url), what=f"a reply to {url}")


async def _command(bot, command: str, text: str = "", **options):
    url = bot.slack.response_url()
    response = await bot.command(command, text, response_url=url, **options)
    assert response.status_code == 200
    [reply] = await _reply(bot, url)
    return reply


def _buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]} | {
        b["accessory"]["action_id"]: b["accessory"] for b in blocks if b.get("accessory")
    }


async def test_apps_lists_every_app_with_status_stage_users_and_last_use(bot, acme):
    reply = await _command(bot, "/apps")
    apps = await insights.app_summaries(organization_id=acme.organization.id, now=NOW)
    assert reply.params["response_type"] == "ephemeral"
    shown = reply.text
    for app in apps[:PAGE_SIZE]:
        assert f"*{app.name}*" in shown
    zoom = next(a for a in apps if a.name == "Zoom")
    assert "in use" in shown and f"{zoom.active_users} active" in shown
    assert f"1 to {min(PAGE_SIZE, len(apps))} of {len(apps)}" in shown


async def test_pages_go_forward_and_back_in_place(bot, acme):
    extra = [t.app(f"Zeta Tool {n:02d}") for n in range(15)]
    await inventory.upsert_apps(connection_id=acme.connection.id, apps=extra, seen_at=NOW)
    total = await insights.count_apps(organization_id=acme.organization.id, now=NOW)
    first = await _command(bot, "/apps")
    assert "Previous" not in _texts_of_buttons(first.params["blocks"])
    following = _buttons(first.params["blocks"])["apps_page:next"]

    url = bot.slack.response_url()
    await bot.action("apps_page:next", following["value"], response_url=url)
    [second] = await _reply(bot, url)
    assert second.params["replace_original"] is True
    assert f"{PAGE_SIZE + 1} to {min(2 * PAGE_SIZE, total)} of {total}" in second.text
    back = _buttons(second.params["blocks"])["apps_page:prev"]
    assert json.loads(back["value"]) == {"v": "all", "q": "", "o": 0}


def _texts_of_buttons(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in _buttons(blocks).values()]


async def test_a_view_narrowed_by_search(bot, acme):
    reply = await _command(bot, "/apps", "in-use zo")
    assert "*Zoom*" in reply.text and "Teams" not in reply.text
    assert "Apps in use matching “zo”" in reply.text


async def test_app_details_show_users_departments_problems_and_history(bot, acme):
    reply = await _command(bot, "/apps", "zoom")
    shown = reply.text
    assert "Zoom" in shown and "*Users*" in shown and "*Active users*" in shown
    assert "*Departments* (assigned users)" in shown and "Sales" in shown
    assert "*Stage history*" in shown
    assert {"stage:approved", "stage:monitored", "stage:rejected"} <= set(
        _buttons(reply.params["blocks"])
    )


async def test_app_details_show_granted_permissions_and_shadow_it_evidence(bot, acme):
    reply = await _command(bot, "/apps", "DROPBOX business")
    shown = reply.text
    assert "*Delegated permissions*" in shown
    assert "`Files.Read` (2 users)" in shown and "`openid` (2 users)" in shown
    assert ":detective: *Shadow IT*" in shown and "consented by Bo, Cy" in shown
    zoom = await _command(bot, "/apps", "Zoom")
    assert "`User.Read` (admin)" in zoom.text


async def test_a_search_lists_only_matching_apps_of_a_view(bot, acme):
    reply = await _command(bot, "/apps", "shadow BOX")
    assert "*Dropbox Business*" in reply.text and "*InboxHelper*" in reply.text
    assert "Side Project" not in reply.text and "Team Board" not in reply.text
    several = await _command(bot, "/apps", "team")
    assert "*Microsoft Teams*" in several.text and "*Team Board*" in several.text
    assert "*Stage history*" not in several.text


async def test_shadow_it_has_evidence_and_stage_buttons(bot, acme):
    shadow = await insights.shadow_it(organization_id=acme.organization.id, now=NOW)
    reply = await _command(bot, "/apps", "shadow")
    for item in shadow:
        assert f"*{item.app.name}*" in reply.text
    dropbox = next(s for s in shadow if s.app.name == "Dropbox Business")
    assert "users consented on their own" in reply.text and "`Files.Read`" in reply.text
    buttons = [b for b in reply.params["blocks"] if b.get("block_id") == f"stage:{dropbox.app.id}"]
    assert [e["text"]["text"] for e in buttons[0]["elements"]] == ["Approve", "Monitor", "Reject"]


async def _stage(app_id: int) -> AppStage | None:
    row = await models.Application.get(id=app_id)
    return AppStage(row.stage) if row.stage else None


async def test_approving_with_a_note_is_stored_with_the_slack_user(bot, acme):
    app_id = await acme.app_id("Dropbox Business")
    url = bot.slack.response_url()
    await bot.action("stage:approved", str(app_id), response_url=url, ephemeral=False)
    [opened] = await bot.slack.wait_for(lambda slack: slack.called("views.open"))
    view = opened.json("view")
    assert view["callback_id"] == "stage_note"
    assert "Approve *Dropbox Business*?" in texts(view["blocks"])

    response = await bot.submit(view, note="Finance uses it for audits")
    assert (response.status_code, response.text) == (200, "")
    [said] = await _reply(bot, url)
    assert said.params["response_type"] == "in_channel"
    assert f"<@{ADMIN}> set *Dropbox Business* to :white_check_mark: approved" in said.text
    assert "Finance uses it for audits" in said.text
    assert await _stage(app_id) is AppStage.APPROVED
    [change] = await insights.stage_history(organization_id=acme.organization.id, app_id=app_id)
    assert (change.to_stage, change.note) == (AppStage.APPROVED, "Finance uses it for audits")
    assert (change.actor.type, change.actor.id) == (ActorType.SLACK_USER, ADMIN)
    [event] = await activity.list_activities(
        organization_id=acme.organization.id, kinds=["app.stage_changed"]
    )
    assert (event.actor.id, event.actor.name, event.subject_name) == (
        ADMIN,
        "ada",
        "Dropbox Business",
    )


async def test_a_member_may_not_change_a_stage(bot, acme):
    app_id = await acme.app_id("Dropbox Business")
    url = bot.slack.response_url()
    await bot.action("stage:rejected", str(app_id), user=MEMBER, response_url=url)
    [refusal] = await _reply(bot, url)
    assert "Only workspace admins and owners can change an app's stage" in refusal.text
    assert refusal.params["response_type"] == "ephemeral"
    assert bot.slack.called("views.open") == []
    assert await _stage(app_id) is None


async def test_a_member_of_the_admin_group_may(bot, acme):
    bot.services.admins.group = "it-admins"
    bot.slack.groups["S0ITADMINS"] = {"handle": "it-admins", "users": [MEMBER]}
    app_id = await acme.app_id("InboxHelper")
    await bot.action("stage:monitored", str(app_id), user=MEMBER)
    [opened] = await bot.slack.wait_for(lambda slack: slack.called("views.open"))
    await bot.submit(opened.json("view"), user=MEMBER)
    await bot.slack.wait_for(lambda slack: slack.replies())
    assert await _stage(app_id) is AppStage.MONITORED


async def test_a_dialog_submitted_by_a_member_is_refused_inside_the_dialog(bot, acme):
    app_id = await acme.app_id("Dropbox Business")
    await bot.action("stage:approved", str(app_id))
    [opened] = await bot.slack.wait_for(lambda slack: slack.called("views.open"))
    response = await bot.submit(opened.json("view"), user=MEMBER, note="sneaky")
    body = response.json()
    assert body["response_action"] == "errors"
    assert "Only workspace admins and owners" in body["errors"]["note"]
    assert await _stage(app_id) is None


async def test_a_button_for_another_organization_s_app_is_refused(bot, acme):
    other = await t.build(name="Other Org", tenant_id="99999999-2222-3333-4444-555555555555")
    foreign = await other.app_id("Dropbox Business")
    url = bot.slack.response_url()
    await bot.action("stage:approved", str(foreign), response_url=url)
    [refusal] = await _reply(bot, url)
    assert "That is not in this workspace's inventory" in refusal.text
    assert "Nothing was changed" in refusal.text
    assert bot.slack.called("views.open") == []
    assert await _stage(foreign) is None
    assert (
        await activity.list_activities(
            organization_id=other.organization.id, kinds=["app.stage_changed"]
        )
        == []
    )


async def test_a_forged_dialog_for_another_organization_s_app_changes_nothing(bot, acme):
    other = await t.build(name="Other Org", tenant_id="99999999-2222-3333-4444-555555555555")
    foreign = await other.app_id("InboxHelper")
    view = {
        "callback_id": "stage_note",
        "type": "modal",
        "blocks": [],
        "private_metadata": json.dumps({"app": foreign, "stage": "approved"}),
    }
    response = await bot.submit(view, note="mine now")
    assert response.json()["response_action"] == "errors"
    assert await _stage(foreign) is None


async def test_an_unbound_workspace_is_told_how_to_bind(bot, acme):
    bot.team_id = "T0STRANGER"
    response = await bot.command("/apps")
    assert "not linked to an AppVentory organization" in texts(response.json()["blocks"])
    assert "appventory slack bind --org ORG_ID --team T0STRANGER" in texts(
        response.json()["blocks"]
    )


async def test_rebinding_moves_the_workspace(bot, acme):
    other = await bind(bot, name="Somewhere Else")
    reply = await _command(bot, "/apps")
    assert "nothing to show" in reply.text
    assert other != acme.organization.id


async def test_paging_covers_a_large_tenant_once_within_slack_s_limits(bot, acme):
    from bot import inventory as listing
    from bot.messages import apps as messages
    from tests.bot.test_messages import assert_within_limits

    many = [
        records.App(
            entra_id=f"sp-bulk-{n}",
            app_id=f"app-bulk-{n}",
            display_name=f"Bulk App {n:04d} " + "x" * 490,
            owner_tenant_id=t.VENDOR,
        )
        for n in range(1200)
    ]
    await inventory.upsert_apps(connection_id=acme.connection.id, apps=many, seen_at=NOW)
    await acme.refresh()  # as derive does after the sync that found them
    seen, offset, pages = [], 0, 0
    while offset is not None:
        page = await listing.page(
            organization_id=acme.organization.id,
            view="all",
            search="",
            offset=offset,
            now=NOW,
            active_days=30,
            inactive_days=60,
        )
        message = messages.app_list(page)
        assert_within_limits(message)
        seen += [item.id for item in page.items]
        pages += 1
        nav = _buttons(message["blocks"]).get("apps_page:next")
        offset = json.loads(nav["value"])["o"] if nav else None
    assert len(seen) == len(set(seen)) == page.total >= 1200
    assert pages == -(-page.total // PAGE_SIZE)
