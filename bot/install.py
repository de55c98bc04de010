"""Multi-workspace install: Bolt's OAuth flow on our database (tokens encrypted), binding each
workspace to an organization, and single-use invite links to join an existing one."""

from __future__ import annotations

import datetime as dt
import html
import logging
import secrets
import uuid
from typing import Any

from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.services import BotServices
from sync_core.crypto import Vault
from sync_core.store import slack as slack_store
from sync_core.store import slack_invites
from sync_core.store.slack_invites import InviteStatus

log = logging.getLogger(__name__)
INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"
# Bot scopes: slash commands, posting (also in public channels without an invite), reading
# whether a user is an admin, the admin user group, and the alert channel picked at install.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "usergroups:read",
    "incoming-webhook",
)
STATE_SECONDS = 600
INVITE_TTL = dt.timedelta(days=7)


async def create_invite(*, organization_id: uuid.UUID, now: dt.datetime) -> tuple[str, dt.datetime]:
    """A new install link's token, which lets one workspace join this organization, and when
    it expires."""
    token = secrets.token_urlsafe(32)
    invite = await slack_invites.create(
        token=token, organization_id=organization_id, expires_at=now + INVITE_TTL
    )
    return token, invite.expires_at


def _record(installation: Installation | Bot) -> slack_store.Installation:
    expires = installation.bot_token_expires_at
    return slack_store.Installation(
        team_id=installation.team_id,
        enterprise_id=installation.enterprise_id,
        is_enterprise_install=bool(installation.is_enterprise_install),
        app_id=installation.app_id,
        team_name=installation.team_name,
        bot_id=installation.bot_id or "",
        bot_user_id=installation.bot_user_id or "",
        bot_token=installation.bot_token or "",
        bot_scopes=tuple(installation.bot_scopes or ()),
        bot_refresh_token=installation.bot_refresh_token,
        bot_token_expires_at=dt.datetime.fromtimestamp(expires, dt.UTC) if expires else None,
        installer_user_id=getattr(installation, "user_id", None),
        installed_at=dt.datetime.fromtimestamp(installation.installed_at, dt.UTC),
    )


class InstallationStore(AsyncInstallationStore):
    """Bolt's installation store on our tables (bot tokens only, encrypted)."""

    def __init__(self, *, vault: Vault) -> None:
        self._vault = vault

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await slack_store.install(vault=self._vault, installation=_record(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        await slack_store.install(vault=self._vault, installation=_record(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await slack_store.latest_installation(
            vault=self._vault,
            team_id=team_id,
            enterprise_id=enterprise_id,
            is_enterprise_install=bool(is_enterprise_install),
        )
        if found is None:
            return None
        expires = found.bot_token_expires_at
        return Bot(
            app_id=found.app_id,
            enterprise_id=found.enterprise_id,
            team_id=found.team_id,
            bot_token=found.bot_token,
            bot_id=found.bot_id,
            bot_user_id=found.bot_user_id,
            bot_scopes=list(found.bot_scopes),
            bot_refresh_token=found.bot_refresh_token,
            bot_token_expires_at=int(expires.timestamp()) if expires else None,
            is_enterprise_install=found.is_enterprise_install,
            installed_at=found.installed_at.timestamp(),
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is None or user_id is not None:  # no user tokens are ever requested
            return None
        return Installation(
            app_id=bot.app_id,
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
            bot_refresh_token=bot.bot_refresh_token,
            bot_token_expires_at=bot.bot_token_expires_at,
            user_id="",
            is_enterprise_install=bot.is_enterprise_install,
            installed_at=bot.installed_at,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await slack_store.delete_installations(team_id=team_id, enterprise_id=enterprise_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:
            await slack_store.delete_installations(team_id=team_id, enterprise_id=enterprise_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await slack_store.delete_installations(team_id=team_id, enterprise_id=enterprise_id)


class StateStore(AsyncOAuthStateStore):
    """Install states in our database: single use, ten minutes, optionally an invite's org."""

    def __init__(self, services: BotServices) -> None:
        self._services = services

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(
        self, *args: Any, invite_id: uuid.UUID | None = None, **kwargs: Any
    ) -> str:
        state = secrets.token_urlsafe(32)
        expires_at = self._services.now() + dt.timedelta(seconds=STATE_SECONDS)
        await slack_store.issue_oauth_state(state=state, expires_at=expires_at, invite_id=invite_id)
        return state

    async def async_consume(self, state: str) -> bool:
        return await slack_store.consume_oauth_state(state=state or "", now=self._services.now())


def _page(status: int, title: str, text: str, /, **headers: str) -> BoltResponse:
    body = (
        "<!doctype html><meta charset=utf-8><title>AppVentory</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )
    return BoltResponse(
        status=status,
        body=body,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Referrer-Policy": "no-referrer",
            **headers,
        },
    )


NEW_LINK = "Ask your AppVentory operator for a new one (appventory slack install-link)."
# Why an invite link cannot be used (None: it was never issued, or was changed).
REFUSALS: dict[InviteStatus | None, tuple[int, str, str]] = {
    None: (400, "This install link is not valid", f"It was changed or never issued. {NEW_LINK}"),
    InviteStatus.USED: (
        410,
        "This install link was already used",
        f"Each link lets one workspace join its organization. {NEW_LINK} A "
        "workspace that already joined reinstalls from /slack/install.",
    ),
    InviteStatus.EXPIRED: (
        410,
        "This install link has expired",
        f"Links are valid for {INVITE_TTL.days} days. {NEW_LINK}",
    ),
}


class InviteRefused(BoltError):
    """The install completed, but its invite link was used by another install first, or expired."""

    def __init__(self, status: InviteStatus) -> None:
        super().__init__(f"invite link {status}")
        self.status = status


async def _callback_failure(args: AsyncFailureArgs) -> BoltResponse:
    """Bolt's failure page, or ours when the invite link was refused at the end of an install."""
    if not isinstance(args.error, InviteRefused):
        return await args.default.failure(args)
    forget_state = args.settings.state_utils.build_set_cookie_for_deletion()
    return _page(*REFUSALS[args.error.status], **{"Set-Cookie": forget_state})


async def _callback_success(args: AsyncSuccessArgs) -> BoltResponse:
    return await args.default.success(args)


class InstallFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, with invite links and the binding of the installed workspace."""

    def __init__(self, services: BotServices, *, settings: AsyncOAuthSettings) -> None:
        super().__init__(client=services.slack.client, settings=settings)
        self.services = services

    async def _invite(
        self, request: AsyncBoltRequest
    ) -> tuple[InviteStatus | None, uuid.UUID | None]:
        """The status and id of the request's invite link: (USABLE, None) without one."""
        given = request.query.get("org") or ()
        token = given[0] if given else None
        if not token:
            return InviteStatus.USABLE, None
        invite = await slack_invites.find(token=token)
        if invite is None:
            return None, None
        return invite.status(now=self.services.now()), invite.id

    async def handle_installation(self, request: AsyncBoltRequest) -> BoltResponse:
        status, _ = await self._invite(request)
        if status is not InviteStatus.USABLE:
            return _page(*REFUSALS[status])
        return await super().handle_installation(request)

    async def issue_new_state(self, request: AsyncBoltRequest) -> str:
        _, invite_id = await self._invite(request)
        return await self.settings.state_store.async_issue(invite_id=invite_id)

    async def handle_callback(self, request: AsyncBoltRequest) -> BoltResponse:
        error, state = (request.query.get(key, [None])[0] for key in ("error", "state"))
        if error is not None and state:
            # Bolt answers Slack's error redirect (the user pressed Cancel: error=access_denied)
            # without using the state; use it here so it cannot complete an install later.
            await self.settings.state_store.async_consume(state)
        return await super().handle_callback(request)

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation):
        state = (request.query.get("state") or [""])[0]
        invite_id = await slack_store.oauth_state_invite(state=state) if state else None
        try:
            workspace, created = await slack_store.install(
                vault=self.services.vault,
                installation=_record(installation),
                invite_id=invite_id,
                alert_channel_id=installation.incoming_webhook_channel_id,
            )
        except slack_invites.InviteUnusable as refused:
            log.info(
                "install in %s refused: its invite link is %s", installation.team_id, refused.status
            )
            raise InviteRefused(refused.status) from refused
        self.services.workspaces.forget(workspace.team_id)
        log.info(
            "installed in %s (organization %s, new: %s)",
            workspace.team_id,
            workspace.organization_id,
            created,
        )


def oauth_flow(services: BotServices, *, installation_store: AsyncInstallationStore) -> InstallFlow:
    """The install flow for the configured Slack app."""
    settings = services.settings
    secret = settings.slack_client_secret
    return InstallFlow(
        services,
        settings=AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            scopes=list(BOT_SCOPES),
            redirect_uri=settings.public_url + REDIRECT_PATH,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            install_page_rendering_enabled=False,
            installation_store=installation_store,
            installation_store_bot_only=True,
            state_store=StateStore(services),
            state_expiration_seconds=STATE_SECONDS,
            callback_options=AsyncCallbackOptions(
                success=_callback_success, failure=_callback_failure
            ),
        ),
    )
