"""`appventory slack …`: bind a workspace, invite links for installs, the app manifest."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import typer

from appventory.runtime import Runtime
from bot import manifest
from bot.app import is_multi_workspace
from bot.install import INSTALL_PATH, create_invite
from sync_core import records
from sync_core.records import ActorType
from sync_core.settings import SettingsError
from sync_core.store import organizations
from sync_core.store import slack as slack_store

CLI_ACTOR = records.Actor(ActorType.CLI, "cli", "command line")
slack_app = typer.Typer(help="Connect the Slack bot to organizations.", no_args_is_help=True)


async def _bind(runtime: Runtime, org: uuid.UUID, team: str | None) -> tuple[Any, Any]:
    await organizations.get_organization(organization_id=org)
    name = None
    if team is None:
        if runtime.slack is None or not runtime.settings.slack_bot_token:
            raise SettingsError("SLACK_BOT_TOKEN is required to find the workspace; or give --team")
        found = await runtime.slack.slack.client.auth_test()
        team, name = found["team_id"], found.get("team")
    return await slack_store.bind_workspace(
        team_id=team, organization_id=org, team_name=name, actor=CLI_ACTOR
    )


def register(app: typer.Typer, *, settings: Callable[..., Any], with_runtime: Callable) -> None:
    """Add `appventory slack` to the CLI."""
    app.add_typer(slack_app, name="slack")

    @slack_app.command("bind")
    def bind_command(
        org: Annotated[uuid.UUID, typer.Option("--org", help="Organization id.")],
        team: Annotated[
            str | None,
            typer.Option("--team", help="Slack team id (T…); default: SLACK_BOT_TOKEN's."),
        ] = None,
    ) -> None:
        """Bind a Slack workspace to an organization.

        For single-workspace mode (SLACK_BOT_TOKEN).
        """
        workspace, moved_from = with_runtime(settings(), lambda rt: _bind(rt, org, team))
        typer.echo(f"workspace {workspace.team_id} bound to organization {org}")
        if moved_from:
            typer.echo(f"(it was bound to organization {moved_from}; its alert channel was reset)")

    @slack_app.command("install-link")
    def install_link_command(
        org: Annotated[uuid.UUID, typer.Option("--org", help="Organization id.")],
    ) -> None:
        """Print a single-use link that installs into an organization.

        The first workspace that installs with it joins the organization; valid 7 days.
        """
        loaded = settings()
        if not is_multi_workspace(loaded):
            # Without them /slack/install answers 404: the link would lead nowhere.
            raise SettingsError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set (the Slack app's OAuth "
                "credentials) for install links to work; see the README's Slack section"
            )
        now = dt.datetime.now(dt.UTC)
        token, expires_at = with_runtime(
            loaded, lambda _: create_invite(organization_id=org, now=now)
        )
        typer.echo(f"{loaded.public_url}{INSTALL_PATH}?org={token}")
        typer.echo(
            f"Single use: the first workspace that installs with it joins organization {org}; "
            f"it expires {expires_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC."
        )

    @slack_app.command("manifest")
    def manifest_command(
        socket_mode: Annotated[
            bool, typer.Option("--socket-mode", help="For Socket Mode: no request URLs.")
        ] = False,
    ) -> None:
        """Print the Slack app manifest for APPVENTORY_PUBLIC_URL."""
        loaded = settings()
        typer.echo(manifest.render(public_url=loaded.public_url, socket_mode=socket_mode), nl=False)
