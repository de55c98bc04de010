"""Multi-workspace install: Bolt's OAuth flow on our database (tokens encrypted), binding each
workspace to an organization, and signed invite links to join an existing one."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import logging
import secrets
import uuid
from typing import Any

from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.services import BotServices
from sync_core.crypto import Vault, parse_keys
from sync_core.settings import Settings
from sync_core.store import slack as slack_store

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


def invite_key(settings: Settings) -> bytes:
    """The key that signs invite links (derived from APPVENTORY_SECRET_KEY)."""
    key = parse_keys(settings.secret_key.get_secret_value())[0]
    return hashlib.sha256(b"appventory slack invite\0" + key.encode()).digest()


def _sign(payload: str, key: bytes) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def invite_token(*, organization_id: uuid.UUID, key: bytes, now: dt.datetime) -> str:
    """A token that lets one install join this organization, valid for a week."""
    payload = f"{organization_id}.{int((now + INVITE_TTL).timestamp())}"
    return f"{payload}.{_sign(payload, key)}"


def read_invite(token: str, *, key: bytes, now: dt.datetime) -> uuid.UUID | None:
    """The organization of a valid, unexpired invite token; None otherwise."""
    payload, _, signature = token.rpartition(".")
    org, _, expires = payload.partition(".")
    if not hmac.compare_digest(signature, _sign(payload, key)) or not expires.isdigit():
        return None
    if int(expires) < now.timestamp():
        return None
    try:
        return uuid.UUID(org)
    except ValueError:
        return None


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
        self, *, enterprise_id: str | None, team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:  # fmt: skip
        found = await slack_store.latest_installation(
            vault=self._vault, team_id=team_id, enterprise_id=enterprise_id,
            is_enterprise_install=bool(is_enterprise_install),
        )  # fmt: skip
        if found is None:
            return None
        expires = found.bot_token_expires_at
        return Bot(
            app_id=found.app_id, enterprise_id=found.enterprise_id, team_id=found.team_id,
            bot_token=found.bot_token, bot_id=found.bot_id, bot_user_id=found.bot_user_id,
            bot_scopes=list(found.bot_scopes), bot_refresh_token=found.bot_refresh_token,
            bot_token_expires_at=int(expires.timestamp()) if expires else None,
            is_enterprise_install=found.is_enterprise_install,
            installed_at=found.installed_at.timestamp(),
        )  # fmt: skip

    async def async_find_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:  # fmt: skip
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )  # fmt: skip
        if bot is None or user_id is not None:  # no user tokens are ever requested
            return None
        return Installation(
            app_id=bot.app_id, enterprise_id=bot.enterprise_id, team_id=bot.team_id,
            bot_token=bot.bot_token, bot_id=bot.bot_id, bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes, bot_refresh_token=bot.bot_refresh_token,
            bot_token_expires_at=bot.bot_token_expires_at, user_id="",
            is_enterprise_install=bot.is_enterprise_install, installed_at=bot.installed_at,
        )  # fmt: skip

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

    async def async_issue(self, *args: Any, organization_id: uuid.UUID | None = None,
                          **kwargs: Any) -> str:  # fmt: skip
        state = secrets.token_urlsafe(32)
        expires_at = self._services.now() + dt.timedelta(seconds=STATE_SECONDS)
        await slack_store.issue_oauth_state(
            state=state, expires_at=expires_at, organization_id=organization_id
        )
        return state

    async def async_consume(self, state: str) -> bool:
        return await slack_store.consume_oauth_state(state=state or "", now=self._services.now())


def _page(status: int, title: str, text: str) -> BoltResponse:
    body = (
        "<!doctype html><meta charset=utf-8><title>AppVentory</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    )
    return BoltResponse(status=status, body=body, headers={
        "Content-Type": "text/html; charset=utf-8", "Referrer-Policy": "no-referrer",
    })  # fmt: skip


class InstallFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, with invite links and the binding of the installed workspace."""

    def __init__(self, services: BotServices, *, settings: AsyncOAuthSettings) -> None:
        super().__init__(client=services.slack.client, settings=settings)
        self.services = services
        self._key = invite_key(services.settings)

    def _invited(self, request: AsyncBoltRequest) -> tuple[bool, uuid.UUID | None]:
        token = (request.query.get("org") or [None])[0]
        if not token:
            return True, None
        org = read_invite(token, key=self._key, now=self.services.now())
        return org is not None, org

    async def handle_installation(self, request: AsyncBoltRequest) -> BoltResponse:
        valid, _ = self._invited(request)
        if not valid:
            return _page(400, "This install link is not valid",
                         "It is expired or was changed. Ask your AppVentory operator for a new "
                         "one (appventory slack install-link).")  # fmt: skip
        return await super().handle_installation(request)

    async def issue_new_state(self, request: AsyncBoltRequest) -> str:
        _, organization_id = self._invited(request)
        return await self.settings.state_store.async_issue(organization_id=organization_id)

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation):
        state = (request.query.get("state") or [""])[0]
        invited = await slack_store.oauth_state_organization(state=state) if state else None
        workspace, created = await slack_store.install(
            vault=self.services.vault, installation=_record(installation),
            invited_organization_id=invited,
            alert_channel_id=installation.incoming_webhook_channel_id,
        )  # fmt: skip
        self.services.workspaces.forget(workspace.team_id)
        log.info("installed in %s (organization %s, new: %s)", workspace.team_id,
                 workspace.organization_id, created)  # fmt: skip


def oauth_flow(services: BotServices, *, installation_store: InstallationStore) -> InstallFlow:
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
        ),
    )
