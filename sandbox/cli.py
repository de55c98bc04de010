"""`appventory sandbox`: serve a fake Microsoft identity platform and Graph on one port."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from sandbox.app import create_app
from sandbox.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ROLES,
    FaultSettings,
    SandboxConfig,
    TenantSpec,
    ThrottleLimits,
)
from sandbox.randomness import guid

EXTRA_NAMES = (
    "Fabrikam",
    "Northwind Traders",
    "Adatum",
    "Tailspin Toys",
    "Woodgrove Bank",
    "Litware",
    "Proseware",
    "Wingtip Toys",
    "Alpine Ski House",
    "Coho Winery",
)


def extra_tenants(
    count: int, *, seed: int, users: int, apps: int, days: int, roles: list[str]
) -> list[TenantSpec]:
    """Small additional tenants with ids derived from the seed (every other one without P1)."""
    return [
        TenantSpec(
            tenant_id=guid(seed, "extra-tenant", n),
            name=f"{EXTRA_NAMES[n % len(EXTRA_NAMES)]}{'' if n < 10 else n}",
            seed=seed + n + 1,
            users=min(users, 25),
            apps=min(apps, 15),
            days=days,
            signins_per_user_per_day=2.0,
            premium=n % 2 == 1,
            granted_roles=list(roles),
        )
        for n in range(count)
    ]


def sandbox_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the generated tenant.")] = 1,
    users: Annotated[int, typer.Option(help="Users in the primary tenant.")] = 200,
    apps: Annotated[int, typer.Option(help="Third-party + own apps (plus Microsoft's).")] = 40,
    signins_per_user_per_day: Annotated[float, typer.Option(help="Interactive sign-ins.")] = 2.0,
    days: Annotated[int, typer.Option(help="Days of sign-in history.")] = 30,
    premium: Annotated[
        bool, typer.Option("--premium/--no-premium", help="Entra ID P1 (sign-in data).")
    ] = True,
    consented: Annotated[
        bool, typer.Option("--consented/--not-consented", help="Our app already has admin consent.")
    ] = True,
    tenant_id: Annotated[str, typer.Option(help="Primary tenant id (default: from seed).")] = "",
    tenant_name: Annotated[str, typer.Option(help="Primary tenant's name.")] = "Contoso",
    client_id: Annotated[
        str, typer.Option(help="Client id the token endpoint accepts.")
    ] = DEFAULT_CLIENT_ID,
    client_secret: Annotated[
        str, typer.Option(help="Client secret it accepts.")
    ] = DEFAULT_CLIENT_SECRET,
    roles: Annotated[
        str, typer.Option(help="Comma-separated granted application roles.")
    ] = ",".join(DEFAULT_ROLES),
    extra_tenants_count: Annotated[
        int, typer.Option("--extra-tenants", help="Additional small tenants.")
    ] = 0,
    latency_ms: Annotated[float, typer.Option(help="Median added latency per request.")] = 0.0,
    latency_sigma: Annotated[float, typer.Option(help="Lognormal spread (0 = fixed).")] = 0.0,
    rate_429: Annotated[float, typer.Option(help="Share of random 429s.")] = 0.0,
    rate_503: Annotated[float, typer.Option(help="Share of random 503s.")] = 0.0,
    rate_504: Annotated[float, typer.Option(help="Share of random 504s.")] = 0.0,
    rate_drop: Annotated[float, typer.Option(help="Share of dropped connections.")] = 0.0,
    rate_malformed: Annotated[float, typer.Option(help="Share of malformed JSON bodies.")] = 0.0,
    throttling: Annotated[
        bool, typer.Option("--throttling/--no-throttling", help="Apply Graph's throttling limits.")
    ] = True,
    time_scale: Annotated[float, typer.Option(help="Throttle windows run this much faster.")] = 1.0,
    token_lifetime: Annotated[
        int | None, typer.Option(help="Token seconds (default 60-90 min).")
    ] = None,
    empty_page_rate: Annotated[
        float, typer.Option(help="Share of empty pages with nextLink.")
    ] = 0.02,
    dry_run: Annotated[bool, typer.Option(help="Print the settings and exit.")] = False,
) -> None:
    """A local stand-in for Microsoft sign-in and Graph."""
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    primary = TenantSpec(
        tenant_id=tenant_id,
        name=tenant_name,
        seed=seed,
        users=users,
        apps=apps,
        signins_per_user_per_day=signins_per_user_per_day,
        days=days,
        premium=premium,
        granted_roles=role_list,
        consented=consented,
    )
    config = SandboxConfig(
        tenants=[
            primary,
            *extra_tenants(
                extra_tenants_count, seed=seed, users=users, apps=apps, days=days, roles=role_list
            ),
        ],
        client_id=client_id,
        client_secret=client_secret,
        throttling=ThrottleLimits(enabled=throttling, time_scale=time_scale),
        faults=FaultSettings(
            latency_ms=latency_ms,
            latency_sigma=latency_sigma,
            rate_429=rate_429,
            rate_503=rate_503,
            rate_504=rate_504,
            rate_drop=rate_drop,
            rate_malformed=rate_malformed,
        ),
        token_lifetime_seconds=token_lifetime,
        empty_page_rate=empty_page_rate,
    )
    announce(config, f"http://{host}:{port}")
    if dry_run:
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def run_sandbox_command(args: list[str], prog_name: str) -> None:
    """Parse `args` as `sandbox_command`'s flags and run it (for a parent CLI that loads the
    sandbox only when asked)."""
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    single.command()(sandbox_command)  # one command: Typer makes it the program itself
    typer.main.get_command(single).main(args=args, prog_name=prog_name)


def announce(config: SandboxConfig, base_url: str) -> None:
    """Print what any client (ours, curl, another SDK) needs to use the sandbox."""
    typer.echo(f"Sandbox Microsoft identity platform + Graph at {base_url}")
    typer.echo(f"  client id:     {config.client_id}")
    typer.echo(f"  client secret: {config.client_secret}")
    for spec in config.tenants:
        typer.echo(
            f"  tenant:        {spec.tenant_id}  {spec.name} ({spec.domain}), "
            f"{spec.users} users, premium={spec.premium}, consented={spec.consented}"
        )
    typer.echo(f"  token URL:     {base_url}/{config.primary.tenant_id}/oauth2/v2.0/token")
    typer.echo(f"  Graph:         {base_url}/v1.0   control API: {base_url}/_sandbox")
