"""The App Home tab: connections, last sync, apps by status, shadow IT waiting for review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import blocks
from bot.blocks import escape
from bot.messages.apps import STATUS, evidence, stage_buttons
from bot.messages.connect import STATUS as CONNECTION_STATUS
from bot.messages.connect import tenant_name
from bot.messages.sync import RUN_ICON
from sync_core import records
from sync_core.insights.records import AppStatus, ShadowApp

SHADOW_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Overview:
    """What the Home tab shows, read for one organization."""

    connections: tuple[records.Connection, ...]
    last_runs: Mapping[str, records.SyncReport]  # by tenant id
    counts: Mapping[AppStatus, int]
    waiting: tuple[ShadowApp, ...]  # shadow IT nobody decided on yet


def home(overview: Overview | None, *, now: dt.datetime, admins: str) -> dict:
    """The Home view (100 blocks at most)."""
    body: list = [blocks.header("AppVentory")]
    if overview is None:
        text = (
            "This workspace is not linked to an AppVentory organization yet. An operator "
            "links it with `appventory slack bind`."
        )
        return blocks.surface("home", [*body, blocks.section(text)])
    if not overview.connections:
        body.append(blocks.section("No Microsoft 365 tenant connected yet: run `/connect`."))
    for connection in overview.connections[:10]:
        run = overview.last_runs.get(connection.tenant_id)
        last = (
            f"{RUN_ICON[run.status]} last sync {run.status.value} "
            f"{blocks.when(run.finished_at or run.created_at, now=now)}"
            if run
            else "never synced"
        )
        status = CONNECTION_STATUS.get(connection.status, connection.status.value)
        body.append(blocks.section(f"*{tenant_name(connection)}* · {status}\n{last}"))
    counts = " · ".join(f"{STATUS[s]} {overview.counts.get(s, 0):,}" for s in AppStatus)
    body += [blocks.divider(), blocks.section(f"*Apps*\n{counts}"), blocks.divider()]
    waiting = overview.waiting
    body.append(blocks.section(f"*Shadow IT waiting for review* ({len(waiting):,})"))
    if not waiting:
        body.append(blocks.context("Nothing waiting. New shadow IT is also posted as an alert."))
    for item in waiting[:SHADOW_SHOWN]:
        body += [
            blocks.section(f"*{escape(item.app.name)}*\n{evidence(item)}"),
            stage_buttons(item.app),
        ]
    if len(waiting) > SHADOW_SHOWN:
        body.append(blocks.context(f"and {len(waiting) - SHADOW_SHOWN:,} more: `/apps shadow`"))
    body.append(blocks.context(f"`/help` lists commands · changes are for {escape(admins)}"))
    return blocks.surface("home", body)


def waiting_for_review(shadow: Sequence[ShadowApp]) -> tuple[ShadowApp, ...]:
    """Shadow IT nobody approved, monitored, rejected or retired yet."""
    from sync_core.records import AppStage

    return tuple(s for s in shadow if s.app.stage in (None, AppStage.NEEDS_REVIEW))
