"""The command table: every slash command and sub-command, its handler and its help line.

/help, `/COMMAND help`, refusals of unknown sub-commands and the app manifest are all generated
from this one table.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp

from bot.errors import guarded
from bot.handlers import apps, connect, sync
from bot.invocation import Invocation
from bot.messages import help as help_messages
from bot.services import BotServices
from sync_core import records

Handler = Callable[[Invocation], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """One row: `/command sub usage`, what it does, who may use it, and its handler."""

    command: str
    sub: str | None
    usage: str
    summary: str
    run: Handler | None
    admin: bool = False


COMMANDS: tuple[Command, ...] = (
    Command(
        "/connect",
        None,
        "",
        "Connect a Microsoft 365 tenant, or show the connected ones",
        connect.connect,
    ),
    Command(
        "/connect", "add", "", "A consent link to connect another tenant", connect.add, admin=True
    ),
    Command(
        "/connect", "status", "", "Each tenant: status, permissions, last sync", connect.status
    ),
    Command(
        "/connect",
        "refresh",
        "[tenant]",
        "A new consent link to refresh permissions",
        connect.refresh,
        admin=True,
    ),
    Command(
        "/connect",
        "remove",
        "[tenant]",
        "Disconnect a tenant (its history is kept)",
        connect.remove,
        admin=True,
    ),
    Command(
        "/connect",
        "channel",
        "[#channel]",
        "Post alerts to this channel",
        connect.channel,
        admin=True,
    ),
    Command(
        "/sync", None, "[tenant] [full]", "Sync now: progress and result in one message", sync.sync
    ),
    Command("/sync", "history", "", "Recent syncs with status and hints", sync.history),
    Command(
        "/apps",
        None,
        "[NAME]",
        "All apps, or one app's details (users, problems, stage)",
        apps.by_name,
    ),
    Command("/apps", "in-use", "[search]", "Apps used in the last 30 days", apps.view("in-use")),
    Command(
        "/apps",
        "discovered",
        "[search]",
        "Apps linked to the tenant but never seen used",
        apps.view("discovered"),
    ),
    Command(
        "/apps", "inactive", "[search]", "Apps used before, not recently", apps.view("inactive")
    ),
    Command(
        "/apps",
        "shadow",
        "[search]",
        "Shadow IT, with evidence and Approve/Monitor/Reject",
        apps.view("shadow"),
    ),
    Command(
        "/apps",
        "overlaps",
        "[search]",
        "Apps of one category in use at once",
        apps.view("overlaps"),
    ),
    Command(
        "/apps",
        "problematic",
        "[search]",
        "Failing sign-ins, risky consents, orphans",
        apps.view("problematic"),
    ),
    Command(
        "/apps",
        "unused-seats",
        "[search]",
        "Assigned seats nobody used, and their cost",
        apps.view("unused-seats"),
    ),
    Command("/help", None, "", "What each command does", None),
)


def find(command: str, text: str) -> tuple[Command, list[str]] | None:
    """The row a command line asks for and its arguments, or None for an unknown one."""
    words = text.split()
    if words:
        row = next(
            (r for r in COMMANDS if r.command == command and r.sub == words[0].lower()), None
        )
        if row:
            return row, words[1:]
    bare = next((r for r in COMMANDS if r.command == command and r.sub is None), None)
    if bare and (not words or bare.usage):
        return bare, words
    return None


def dispatcher(name: str):
    """The Bolt listener of one slash command: ack at once, then run the row's handler."""

    async def listener(
        ack,
        command: dict,
        respond,
        client,
        services: BotServices,
        organization_id: uuid.UUID | None,
        actor: records.Actor,
    ) -> None:
        text = (command.get("text") or "").strip()
        if text.lower() == "help" or name == "/help":
            await ack(
                **help_messages.help_message(COMMANDS, command=None if name == "/help" else name)
            )
            return
        found = find(name, text)
        if found is None:
            await ack(**help_messages.unknown(COMMANDS, command=name, text=text))
            return
        if organization_id is None:
            await ack(**help_messages.unbound(team_id=command.get("team_id")))
            return
        await ack()  # Slack wants an answer within 3 s; everything slow comes after.
        row, args = found
        assert row.run is not None, "only /help has no handler, and it is answered above"
        inv = Invocation(args, command, services, organization_id, actor, client, respond)
        if row.admin:
            await inv.require_admin(f"use `{row.command} {row.sub}`")
        await row.run(inv)

    listener.__name__ = f"command_{name.strip('/')}"
    return listener


def register(app: AsyncApp) -> None:
    """Register every slash command of the table."""
    for name in dict.fromkeys(r.command for r in COMMANDS):
        app.command(name)(guarded(dispatcher(name)))
