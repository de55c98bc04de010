"""The `appventory` command line: the operator's door."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from appventory import lifecycle_commands, logs, slack_commands, tenant_commands, worker_commands
from appventory.localkey import LOCAL_KEY_PATH, ensure_local_key
from appventory.runtime import Runtime, open_runtime
from appventory.tenant_commands import CommandFailed
from appventory.worker import apply_queue_schema
from sync_core.crypto import SecretKeyError
from sync_core.settings import Settings, SettingsError, load_settings
from sync_core.store import organizations
from sync_core.store.db import StoreUnavailable, migrate, open_store

T = TypeVar("T")

app = typer.Typer(
    help="AppVentory for Microsoft Entra ID: a read-only inventory of your tenant's apps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
org_app = typer.Typer(help="Manage organizations.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens for the GraphQL API.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(token_app, name="token")

# Errors a person can act on: shown as one line, exit status 2, no traceback.
USER_ERRORS = (SettingsError, StoreUnavailable, SecretKeyError, organizations.NotFound, ValueError)


def _configure_logging(settings: Settings) -> None:
    level = settings.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per HTTP request, and the job queue registering its tasks on every command,
    # are noise at INFO in a terminal; keep them for DEBUG. (`worker` logs through logs.py.)
    if level != "DEBUG":
        for noisy in ("httpx", "procrastinate"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(*, local: bool = False) -> Settings:
    """Settings from the environment; local mode supplies a generated key when none is set."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        if not (local and str(exc).startswith("APPVENTORY_SECRET_KEY is required")):
            raise
        key, created = ensure_local_key()
        verb = "generated a new" if created else "using the"
        typer.echo(
            f"local mode: {verb} encryption key in {LOCAL_KEY_PATH} (git-ignored); "
            "set APPVENTORY_SECRET_KEY for anything but a laptop",
            err=True,
        )
        settings = load_settings(secret_key=key)
    _configure_logging(settings)
    return settings


def _with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Open the composition root, run one piece of work in it, close everything."""

    async def run() -> T:
        async with open_runtime(settings) as runtime:
            return await work(runtime)

    return asyncio.run(run())


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    asyncio.run(migrate(settings.database_url))
    if asyncio.run(apply_queue_schema(settings)):  # PostgreSQL: the job queue's tables, once
        typer.echo("job queue tables created")
    typer.echo("migrations applied")


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The organization's name.")],
) -> None:
    """Create an organization and its first API token.

    Prints the organization id and the token; the token is shown this once.
    """
    settings = _settings()
    org, token = _with_runtime(settings, lambda _: organizations.create_organization(name=name))
    typer.echo(f"organization id: {org.id}")
    typer.echo(f"organization name: {org.name}")
    typer.echo(f"api token id: {token.id}")
    typer.echo(f"token: {token.secret}")
    typer.echo("The token is shown once: keep it secret. Send it as 'Authorization: Bearer …'.")


@token_app.command("create")
def token_create(
    org: Annotated[uuid.UUID, typer.Option("--org", help="Organization id.")],
    name: Annotated[str, typer.Option(help="A label for the token.")] = "",
) -> None:
    """Issue a new API token for an organization (shown once)."""
    settings = _settings()
    token = _with_runtime(
        settings, lambda _: organizations.create_token(organization_id=org, name=name)
    )
    typer.echo(f"api token id: {token.id}")
    typer.echo(f"token: {token.secret}")


@token_app.command("revoke")
def token_revoke(
    token: Annotated[
        str, typer.Argument(metavar="TOKEN", help="The token id, or the token itself.")
    ],
) -> None:
    """Revoke an API token; requests with it get 401 from then on."""
    settings = _settings()
    try:
        kwargs: dict = {"token_id": uuid.UUID(token)}
    except ValueError:
        kwargs = {"secret": token}
    if not _with_runtime(settings, lambda _: organizations.revoke_token(**kwargs)):
        raise organizations.NotFound("no live token matches (already revoked, or unknown)")
    typer.echo("token revoked")


async def _check_store(database_url: str) -> None:
    async with open_store(database_url):
        pass


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    local: Annotated[
        bool,
        typer.Option(help="Laptop mode: generate a local key if none is set, apply migrations."),
    ] = False,
) -> None:
    """Run the web app: GraphQL, the Slack endpoints, health checks."""
    import uvicorn

    from appventory.web import create_app

    settings = _settings(local=local)
    logs.configure(settings)  # JSON lines on stdout (APPVENTORY_LOG_FORMAT), secrets redacted
    if local:
        asyncio.run(migrate(settings.database_url))
    # A missing database or pending migration is one line and exit status 2 (StoreUnavailable
    # is a user error), not a traceback inside uvicorn's startup log.
    asyncio.run(_check_store(settings.database_url))
    logging.getLogger(__name__).info(
        "AppVentory listening on http://%s:%d (database %s)", host, port, settings.database_url
    )
    # log_config=None: uvicorn's error and access loggers go through the handler above.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None)


tenant_commands.register(app, settings=_settings, with_runtime=_with_runtime)
slack_commands.register(app, settings=_settings, with_runtime=_with_runtime)
worker_commands.register(app, settings=_settings)
lifecycle_commands.register(app, org_app=org_app, settings=_settings, with_runtime=_with_runtime)


# The sandbox is a stand-in for Microsoft, not part of the product: it needs no settings of
# ours and is imported only when asked for, so every other command starts without it. Its own
# Typer command parses the arguments (and answers --help).
@app.command(
    "sandbox",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def sandbox(ctx: typer.Context) -> None:
    """A local stand-in for Microsoft sign-in and Graph."""
    from sandbox.cli import run_sandbox_command

    run_sandbox_command(ctx.args, prog_name=ctx.command_path)


@app.command("demo")
def demo(
    port: Annotated[int, typer.Option(help="Port for the web app (GraphQL).")] = 8000,
    users: Annotated[int, typer.Option(help="Users in the sandbox tenant.")] = 400,
    apps: Annotated[int, typer.Option(help="Apps in the sandbox tenant.")] = 60,
    every: Annotated[
        float, typer.Option("--every", min=0.1, help="Minutes between re-syncs.")
    ] = 2.0,
) -> None:
    """Everything on a laptop, against a sandbox tenant."""
    from rich.console import Console

    from appventory.demo import DemoOptions, run_demo

    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console() if Console().is_terminal else Console(width=120)
    try:
        options = DemoOptions(
            port=port, users=users, apps=apps, sync_every=dt.timedelta(minutes=every)
        )
        asyncio.run(run_demo(options, console))
    except KeyboardInterrupt:
        console.print("demo stopped")


def main() -> None:
    """Entry point of the `appventory` console script."""
    try:
        app()
    except USER_ERRORS as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except CommandFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(exc.code) from None
