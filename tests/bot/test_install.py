"""Multi-workspace install: OAuth through our tables (tokens encrypted), binding workspaces to
organizations (new, or joined through a single-use invite link), reused or cancelled states
refused, uninstall."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.install import BOT_SCOPES, create_invite
from sandbox.slack import FakeSlack
from sync_core.store import models, organizations, slack_models
from sync_core.store import slack as slack_store
from tests.bot.conftest import Bot, open_bot, slack_settings

NEW_TEAM, OTHER_TEAM = "T0NEWCO", "T0OTHER"
INSTALLED_TOKEN = "xoxb-installed-token"


@pytest.fixture
async def oauth_bot(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[Bot]:
    settings = slack_settings(
        database_url,
        fake_slack,
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="oauth-client-secret",
    )
    fake_slack.oauth = {
        "app_id": "A1",
        "authed_user": {"id": "UINSTALLER"},
        "token_type": "bot",
        "scope": ",".join(BOT_SCOPES),
        "access_token": INSTALLED_TOKEN,
        "bot_user_id": "UBOT",
        "team": {"id": NEW_TEAM, "name": "New Co"},
        "enterprise": None,
        "is_enterprise_install": False,
        "incoming_webhook": {
            "channel": "#it-alerts",
            "channel_id": "CALERTS",
            "url": "https://hooks.slack.test/x",
            "configuration_url": "x",
        },
    }
    async with open_bot(settings, fake_slack) as opened:
        opened.team_id = NEW_TEAM
        yield opened


async def _install(bot: Bot, query: str = "") -> tuple[str, str]:
    """Start an install; returns Slack's authorize URL and the state cookie."""
    response = await bot.http.get(f"/slack/install{query}")
    assert response.status_code == 302, response.text
    cookie = response.headers["set-cookie"].split(";")[0]
    return response.headers["location"], cookie


async def _finish(bot: Bot, authorize_url: str, cookie: str):
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    return await bot.http.get(
        f"/slack/oauth_redirect?code=the-code&state={state}", headers={"cookie": cookie}
    )


async def _invite_link(bot: Bot, organization_id) -> str:
    """The query of an install link, as `appventory slack install-link` makes it."""
    token, _ = await create_invite(organization_id=organization_id, now=bot.services.now())
    return f"?org={token}"


def _as_team(bot: Bot, team_id: str, name: str) -> None:
    """The next oauth.v2.access answers for this workspace."""
    bot.slack.oauth = {**bot.slack.oauth, "team": {"id": team_id, "name": name}}


async def test_an_install_creates_an_organization_and_stores_the_token_encrypted(oauth_bot):
    bot = oauth_bot
    authorize, cookie = await _install(bot)
    query = parse_qs(urlsplit(authorize).query)
    assert "incoming-webhook" in query["scope"][0].split(",")
    assert query["redirect_uri"] == ["https://appventory.test/slack/oauth_redirect"]

    page = await _finish(bot, authorize, cookie)
    assert page.status_code == 200
    workspace = await slack_store.find_workspace(team_id=NEW_TEAM)
    organization = await organizations.get_organization(organization_id=workspace.organization_id)
    assert (organization.name, workspace.alert_channel_id) == ("New Co", "CALERTS")
    row = await slack_models.SlackInstallation.get(team_id=NEW_TEAM)
    assert INSTALLED_TOKEN not in row.bot_token_encrypted
    assert bot.services.vault.decrypt(row.bot_token_encrypted) == INSTALLED_TOKEN

    url = bot.slack.response_url()
    await bot.command("/connect", "status", response_url=url)
    [reply] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    assert "No Microsoft 365 tenant is connected yet" in reply.text


async def test_the_installed_token_is_used_for_that_workspace(oauth_bot):
    bot = oauth_bot
    await _finish(bot, *await _install(bot))
    await bot.command("/connect", "channel")
    [said] = await bot.slack.wait_for(lambda slack: slack.called("chat.postMessage"))
    assert said.token == INSTALLED_TOKEN


async def test_a_reused_install_state_is_refused_and_installs_nothing_more(oauth_bot):
    bot = oauth_bot
    authorize, cookie = await _install(bot)
    assert (await _finish(bot, authorize, cookie)).status_code == 200
    again = await _finish(bot, authorize, cookie)
    assert again.status_code == 401
    assert await slack_models.SlackInstallation.all().count() == 1


async def test_an_install_without_the_starting_browser_s_cookie_is_refused(oauth_bot):
    bot = oauth_bot
    authorize, _ = await _install(bot)
    page = await _finish(bot, authorize, "slack-app-oauth-state=someone-else")
    assert page.status_code == 400
    assert await slack_store.find_workspace(team_id=NEW_TEAM) is None


async def test_an_invite_link_joins_an_existing_organization(oauth_bot):
    bot = oauth_bot
    org, _ = await organizations.create_organization(name="Adviser & Co")
    await _finish(bot, *await _install(bot, await _invite_link(bot, org.id)))
    workspace = await slack_store.find_workspace(team_id=NEW_TEAM)
    assert workspace.organization_id == org.id
    assert await models.Organization.all().count() == 1


async def test_a_tampered_invite_link_is_refused(oauth_bot):
    bot = oauth_bot
    org, _ = await organizations.create_organization(name="Adviser & Co")
    changed = await _invite_link(bot, org.id) + "x"
    response = await bot.http.get(f"/slack/install{changed}")
    assert response.status_code == 400
    assert "This install link is not valid" in response.text
    assert await slack_models.SlackOAuthState.all().count() == 0


async def test_reinstalling_keeps_the_organization(oauth_bot):
    bot = oauth_bot
    await _finish(bot, *await _install(bot))
    first = await slack_store.find_workspace(team_id=NEW_TEAM)
    await _finish(bot, *await _install(bot))
    assert (await slack_store.find_workspace(team_id=NEW_TEAM)) == first
    assert await slack_models.SlackInstallation.filter(team_id=NEW_TEAM).count() == 2


async def test_uninstalling_forgets_the_token_and_keeps_the_binding(oauth_bot):
    bot = oauth_bot
    await _finish(bot, *await _install(bot))
    response = await bot.event({"type": "app_uninstalled"})
    assert response.status_code == 200
    for _ in range(200):  # Bolt runs the listener after answering
        if not await slack_models.SlackInstallation.filter(team_id=NEW_TEAM).exists():
            break
        await asyncio.sleep(0.02)
    assert not await slack_models.SlackInstallation.filter(team_id=NEW_TEAM).exists()
    assert await slack_store.find_workspace(team_id=NEW_TEAM) is not None


async def test_a_workspace_that_never_installed_is_told_so(oauth_bot):
    bot = oauth_bot
    url = bot.slack.response_url()
    response = await bot.command("/apps", response_url=url)
    assert response.status_code == 200
    [reply] = await bot.slack.wait_for(lambda slack: slack.replies(url))
    assert "AppVentory is not installed in this workspace" in reply.text
    assert "https://appventory.test/slack/install" in reply.text


async def test_an_invite_link_joins_one_workspace_and_is_refused_afterwards(oauth_bot):
    bot = oauth_bot
    org, _ = await organizations.create_organization(name="Adviser & Co")
    link = await _invite_link(bot, org.id)
    assert (await _finish(bot, *await _install(bot, link))).status_code == 200

    _as_team(bot, OTHER_TEAM, "Other Co")
    again = await bot.http.get(f"/slack/install{link}")
    assert again.status_code == 410
    assert "This install link was already used" in again.text
    assert "appventory slack install-link" in again.text
    assert await slack_store.find_workspace(team_id=OTHER_TEAM) is None
    assert [w.team_id for w in await slack_store.workspaces_of(organization_id=org.id)] == [
        NEW_TEAM
    ]


async def test_of_two_installs_started_with_one_invite_only_the_first_to_finish_joins(oauth_bot):
    bot = oauth_bot
    org, _ = await organizations.create_organization(name="Adviser & Co")
    link = await _invite_link(bot, org.id)
    first, second = await _install(bot, link), await _install(bot, link)
    assert (await _finish(bot, *first)).status_code == 200

    _as_team(bot, OTHER_TEAM, "Other Co")
    refused = await _finish(bot, *second)
    assert refused.status_code == 410
    assert "This install link was already used" in refused.text
    assert await slack_store.find_workspace(team_id=OTHER_TEAM) is None
    assert not await slack_models.SlackInstallation.filter(team_id=OTHER_TEAM).exists()
    assert await models.Organization.all().count() == 1


async def test_an_expired_invite_link_is_refused_with_a_clear_page(oauth_bot):
    bot = oauth_bot
    org, _ = await organizations.create_organization(name="Adviser & Co")
    link = await _invite_link(bot, org.id)
    issued = bot.services.now()
    bot.services.clock = lambda: issued + dt.timedelta(days=7, minutes=1)
    page = await bot.http.get(f"/slack/install{link}")
    assert page.status_code == 410
    assert "This install link has expired" in page.text
    assert "appventory slack install-link" in page.text
    assert await slack_models.SlackOAuthState.all().count() == 0


async def test_a_cancelled_install_uses_up_its_state(oauth_bot):
    bot = oauth_bot
    authorize, cookie = await _install(bot)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    # What Slack sends back when the user clicks "Cancel" on its install page.
    cancelled = await bot.http.get(
        f"/slack/oauth_redirect?error=access_denied&state={state}", headers={"cookie": cookie}
    )
    assert cancelled.status_code == 200
    replayed = await _finish(bot, authorize, cookie)
    assert replayed.status_code == 401
    assert await slack_store.find_workspace(team_id=NEW_TEAM) is None
    assert not await slack_models.SlackInstallation.all().exists()
