"""Building the Slack door: the Web API client, the services, and the Bolt app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_cacheable_installation_store import (
    AsyncCacheableInstallationStore,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands, install
from bot.access import Admins
from bot.errors import handle_error
from bot.handlers import actions, home
from bot.middleware import ReplayGuard, attach
from bot.services import BotServices, SlackClients
from sync_core.consent import AdminProof, ConsentConfig
from sync_core.crypto import Vault
from sync_core.settings import Settings
from sync_core.sync.service import Runner
from sync_core.sync.tenant import TenantCheck

log = logging.getLogger(__name__)


def is_configured(settings: Settings) -> bool:
    """Whether a Slack app is configured: one workspace's bot token, or OAuth credentials."""
    return bool(settings.slack_bot_token) or is_multi_workspace(settings)


def is_multi_workspace(settings: Settings) -> bool:
    """OAuth install into any workspace (client id and secret), rather than one bot token."""
    return bool(settings.slack_client_id and settings.slack_client_secret)


def web_client(settings: Settings, *, session: aiohttp.ClientSession) -> AsyncWebClient:
    """The Web API client on the shared session, retrying 429s after their Retry-After."""
    # One workspace's bot token; with OAuth installs each request's token comes from its team.
    bot_token = None if is_multi_workspace(settings) else settings.slack_bot_token
    client = AsyncWebClient(
        token=bot_token.get_secret_value() if bot_token else None,
        base_url=settings.slack_api_url,
        session=session,
        timeout=15,
    )
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    client.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=1))
    return client


def build_services(
    settings: Settings,
    *,
    vault: Vault,
    session: aiohttp.ClientSession,
    runner: Runner | None,
    consent_config: Callable[[], ConsentConfig],
    check_tenant: Callable[[str], Awaitable[TenantCheck]],
    admin_proof: Callable[[], AdminProof],
) -> BotServices:
    """The services the door's handlers and notifier share, one set per process."""
    return BotServices(
        settings=settings,
        vault=vault,
        slack=SlackClients(
            settings=settings, vault=vault, client=web_client(settings, session=session)
        ),
        runner=runner,
        consent_config=consent_config,
        check_tenant=check_tenant,
        admin_proof=admin_proof,
        admins=Admins(group=settings.slack_admin_group),
    )


def build_app(services: BotServices) -> AsyncApp:
    """The Bolt app: signature checks, replay refusal, services in the context, every listener."""
    settings = services.settings
    secret = settings.slack_signing_secret
    name = "appventory.bolt"  # Bolt sets this logger's level: keep it a leaf
    signing_secret = secret.get_secret_value() if secret else ""
    if is_multi_workspace(settings):
        store = AsyncCacheableInstallationStore(install.InstallationStore(vault=services.vault))
        client_secret = settings.slack_client_secret
        app = AsyncApp(
            name=name,
            signing_secret=signing_secret,
            client=services.slack.client,
            user_facing_authorize_error_message=(
                ":link: AppVentory is not installed in this workspace, or its token was revoked. "
                f"A workspace admin installs it from {settings.public_url}{install.INSTALL_PATH}"
            ),
            oauth_flow=install.oauth_flow(services, installation_store=store),
            installation_store=store,
            installation_store_bot_only=True,
            # Without the cache Bolt calls auth.test on every request. Bolt takes any
            # AsyncAuthorize here (isinstance check), though its annotation names a plain
            # callable returning AuthorizeResult, not Optional[AuthorizeResult].
            authorize=AsyncInstallationStoreAuthorize(  # type: ignore[arg-type]
                installation_store=store,
                client_id=settings.slack_client_id,
                client_secret=client_secret.get_secret_value() if client_secret else None,
                bot_only=True,
                cache_enabled=True,
                client=services.slack.client,
                logger=log,
            ),
        )
        app.enable_token_revocation_listeners()
    else:
        app = AsyncApp(name=name, signing_secret=signing_secret, client=services.slack.client)
    guard = ReplayGuard(background=services.background, shared=not settings.is_sqlite)
    app.middleware(guard.middleware)
    app.middleware(attach(services))
    commands.register(app)
    actions.register(app)
    home.register(app)
    app.error(handle_error)
    return app
