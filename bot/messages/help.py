"""/help and refusals of unknown sub-commands, generated from the command table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot import blocks


class Row(Protocol):
    """A line of the command table (read-only, so frozen dataclasses fit)."""

    @property
    def command(self) -> str: ...
    @property
    def sub(self) -> str | None: ...
    @property
    def usage(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def admin(self) -> bool: ...


def line(row: Row) -> str:
    """One command as help shows it."""
    words = " ".join(w for w in (row.command, row.sub, row.usage) if w)
    lock = " :lock:" if row.admin else ""
    return f"`{words}`{lock}  {row.summary}"


def help_message(rows: Sequence[Row], *, command: str | None = None) -> blocks.Message:
    """Every command (or one command's sub-commands), grouped by command."""
    shown = [r for r in rows if command is None or r.command == command]
    body: list = [blocks.header("AppVentory commands" if command is None else f"{command}")]
    for name in dict.fromkeys(r.command for r in shown):
        body.append(blocks.section("\n".join(line(r) for r in shown if r.command == name)))
    if any(r.admin for r in shown):
        body.append(blocks.context(":lock: workspace admins and owners, or the admin user group"))
    return blocks.message("AppVentory commands", body, response_type="ephemeral")


def unknown(rows: Sequence[Row], *, command: str, text: str) -> blocks.Message:
    """A refusal that names what was typed and lists what exists."""
    typed = blocks.escape(f"{command} {text}".strip())
    shown = [r for r in rows if r.command == command]
    lines = "\n".join(line(r) for r in shown)
    body = [
        blocks.section(f":thinking_face: I don't know `{typed}`. Nothing was done.\n{lines}"),
        blocks.context("`/help` lists every command."),
    ]
    return blocks.message(f"I don't know {typed}", body, response_type="ephemeral")


def unbound(*, team_id: str | None) -> blocks.Message:
    """The workspace is not linked to an organization yet."""
    text = (
        ":link: This Slack workspace is not linked to an AppVentory organization yet. An "
        "operator links it with `appventory slack bind --org ORG_ID --team "
        f"{blocks.escape(team_id or 'TEAM_ID')}`, or installs AppVentory through its "
        "install link."
    )
    return blocks.message(text, [blocks.section(text)], response_type="ephemeral")
