"""`appventory org delete`, `keys generate|rotate`, `signins prune`: the data lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import typer

from appventory.runtime import Runtime
from appventory.tenant_commands import CommandFailed
from sync_core.crypto import DecryptionError, generate_key, parse_keys
from sync_core.insights.logins import prune_sign_ins
from sync_core.store import connections, lifecycle, organizations

USER_ERROR = 2
keys_app = typer.Typer(help="Encryption keys for secrets at rest.", no_args_is_help=True)
signins_app = typer.Typer(help="Raw sign-in events.", no_args_is_help=True)


def _table(counts: dict[str, int], *, verb: str) -> None:
    for table, count in counts.items():
        typer.echo(f"  {table:<22} {count:>9}")
    typer.echo(f"  {'total ' + verb:<22} {sum(counts.values()):>9}")


async def _preview(org: uuid.UUID, *, count: bool) -> tuple[Any, dict[str, int], list[uuid.UUID]]:
    found = await organizations.get_organization(organization_id=org)
    counts = await lifecycle.count_organization_rows(organization_id=org) if count else {}
    running = await lifecycle.running_syncs(organization_id=org, now=dt.datetime.now(dt.UTC))
    return found, counts, running


async def _delete(org: uuid.UUID) -> dict[str, int]:
    try:
        return await lifecycle.delete_organization(organization_id=org, now=dt.datetime.now(dt.UTC))
    except lifecycle.SyncInProgress as exc:
        raise CommandFailed(str(exc), code=USER_ERROR) from None


async def _rotate(runtime: Runtime) -> list[lifecycle.Rotation]:
    keys = parse_keys(runtime.settings.secret_key.get_secret_value())
    try:
        return await lifecycle.rotate_ciphertexts(keys=keys)
    except DecryptionError as exc:
        raise CommandFailed(str(exc), code=USER_ERROR) from None


async def _prune(org: uuid.UUID | None, keep_days: int) -> dict[str, int]:
    now = dt.datetime.now(dt.UTC)
    if org is None:
        return {"all tenants": await prune_sign_ins(now=now, keep_days=keep_days)}
    await organizations.get_organization(organization_id=org)
    return {
        conn.tenant_id: await prune_sign_ins(now=now, keep_days=keep_days, connection_id=conn.id)
        for conn in await connections.list_connections(organization_id=org)
    }


def _register_org_delete(
    org_app: typer.Typer, *, settings: Callable[..., Any], with_runtime: Callable
) -> None:
    @org_app.command("delete")
    def org_delete(
        org: Annotated[uuid.UUID, typer.Argument(metavar="ORG", help="The organization's id.")],
        yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    ) -> None:
        """Delete an organization and every row it owns.

        Inventory, history, API tokens and Slack bindings go; other organizations stay.
        """
        loaded = settings()
        found, counts, running = with_runtime(loaded, lambda _: _preview(org, count=not yes))
        if running:
            raise CommandFailed(
                f"a sync of this organization is in progress (run {running[0]}): "
                "wait for it to finish",
                code=USER_ERROR,
            )
        if not yes:
            typer.echo(f"organization {found.id} ({found.name}) owns:")
            _table(counts, verb="rows")
            typer.confirm("Delete all of it? This cannot be undone", abort=True)
        removed = with_runtime(loaded, lambda _: _delete(org))
        typer.echo(f"deleted organization {found.id} ({found.name}); rows removed per table:")
        _table(removed, verb="removed")


def _register_keys(keys: typer.Typer, *, settings: Callable[..., Any], with_runtime: Callable):
    @keys.command("generate")
    def keys_generate() -> None:
        """Print a new encryption key.

        Put it first in APPVENTORY_SECRET_KEY (comma-separated) to rotate keys.
        """
        typer.echo(generate_key())

    @keys.command("rotate")
    def keys_rotate() -> None:
        """Re-encrypt stored secrets under the newest key.

        The newest key is the first of APPVENTORY_SECRET_KEY.
        """
        rotations = with_runtime(settings(), _rotate)
        typer.echo(f"  {'column':<44} {'re-encrypted':>12} {'already current':>15}")
        for r in rotations:
            typer.echo(f"  {r.table + '.' + r.column:<44} {r.rotated:>12} {r.already_current:>15}")
        typer.echo(
            "every stored secret is now under the first key: the other keys can be removed "
            "from APPVENTORY_SECRET_KEY"
        )


def _register_signins(
    signins: typer.Typer, *, settings: Callable[..., Any], with_runtime: Callable
) -> None:
    @signins.command("prune")
    def signins_prune(
        org: Annotated[
            uuid.UUID | None, typer.Option("--org", help="Only this organization.")
        ] = None,
        keep_days: Annotated[
            int | None,
            typer.Option("--keep-days", min=31, help="Default: APPVENTORY_SIGN_IN_RETENTION_DAYS."),
        ] = None,
    ) -> None:
        """Delete raw sign-ins past the retention window.

        Daily counts per app and user are kept.
        """
        loaded = settings()
        days = keep_days or loaded.sign_in_retention_days
        removed = with_runtime(loaded, lambda _: _prune(org, days))
        typer.echo(f"raw sign-ins older than {days} days removed (daily counts kept):")
        _table(removed, verb="removed")


def register(
    app: typer.Typer,
    *,
    org_app: typer.Typer,
    settings: Callable[..., Any],
    with_runtime: Callable,
) -> None:
    """Add the data-lifecycle commands to the CLI."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(signins_app, name="signins")
    _register_org_delete(org_app, settings=settings, with_runtime=with_runtime)
    _register_keys(keys_app, settings=settings, with_runtime=with_runtime)
    _register_signins(signins_app, settings=settings, with_runtime=with_runtime)
