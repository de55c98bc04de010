"""/sync: live progress, the result, an active run, and recent history (one report, many
renderings: the same SyncReport the CLI and GraphQL show)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot import blocks
from bot.blocks import escape
from sync_core import records
from sync_core.records import ActorType, EntityReport, EntityStatus, SyncStatus

LABELS = {
    "users": "Users",
    "apps": "Apps",
    "groups": "Group members",
    "assignments": "Assignments",
    "grants": "Consents",
    "sign_ins": "Sign-ins",
    "sign_in_activity": "Last sign-ins",
}
ENTITY_ICON = {
    EntityStatus.PENDING: ":white_circle:",
    EntityStatus.RUNNING: ":arrows_counterclockwise:",
    EntityStatus.SUCCEEDED: ":white_check_mark:",
    EntityStatus.SKIPPED: ":heavy_minus_sign:",
    EntityStatus.FAILED: ":x:",
}
RUN_ICON = {
    SyncStatus.QUEUED: ":hourglass:",
    SyncStatus.RUNNING: ":arrows_counterclockwise:",
    SyncStatus.SUCCEEDED: ":white_check_mark:",
    SyncStatus.PARTIAL: ":warning:",
    SyncStatus.FAILED: ":x:",
}


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What a finished run changed, beyond its counters."""

    new_apps: tuple[str, ...] = ()
    new_apps_total: int = 0
    shadow_it: tuple[str, ...] = ()
    problematic_apps: int | None = None


def who(actor: records.Actor) -> str:
    """An actor as a mention or a word."""
    if actor.type is ActorType.SLACK_USER and actor.id:
        return f"<@{actor.id}>"
    return {ActorType.SYSTEM: "the schedule", ActorType.CLI: "the command line"}.get(
        actor.type, "the API"
    )


def _tenant(report: records.SyncReport, tenant_name: str | None) -> str:
    return escape(tenant_name or report.tenant_id)


def _counts(entity: EntityReport) -> str:
    if entity.status is EntityStatus.PENDING:
        return "waiting"
    if entity.status is EntityStatus.SKIPPED:
        return escape(entity.error or "not due")
    if entity.status is EntityStatus.FAILED:
        return f"failed: `{escape(entity.error_code or 'error')}`"
    mode = f" ({entity.mode.value})" if entity.mode else ""
    return (
        f"{entity.fetched:,} read{mode} · {entity.created:,} new · {entity.updated:,} updated"
        f" · {entity.removed:,} removed"
    )


def entity_fields(report: records.SyncReport) -> blocks.Block:
    """One field per entity: icon, name, counts."""
    return blocks.fields(
        *(
            f"{ENTITY_ICON[e.status]} *{LABELS.get(e.name, e.name)}*\n{_counts(e)}"
            for e in report.entities
        )
    )


def _graph_line(report: records.SyncReport) -> str:
    waited = f" (waited {report.seconds_waited:.0f} s)" if report.throttled else ""
    mode = "full" if report.full else "incremental"
    return (
        f"{mode} run `{str(report.id)[:8]}` · {report.requests:,} Graph requests · "
        f"{report.throttled:,} throttled{waited}"
    )


def progress(
    report: records.SyncReport, *, now: dt.datetime, tenant_name: str | None = None
) -> blocks.Message:
    """A running (or queued) sync, redrawn as its counters move."""
    started = report.started_at or report.created_at
    state = "Syncing" if report.status is SyncStatus.RUNNING else "Queued: sync of"
    head = (
        f"{RUN_ICON[report.status]} {state} *{_tenant(report, tenant_name)}* · started by "
        f"{who(report.actor)} · {blocks.duration((now - started).total_seconds())}"
    )
    body = [blocks.section(head)]
    if report.entities:
        body.append(entity_fields(report))
    body.append(blocks.context(_graph_line(report)))
    return blocks.message(f"Syncing {_tenant(report, tenant_name)}", body)


def _problems(report: records.SyncReport, outcome: SyncOutcome) -> list[str]:
    lines = [
        f":x: *{LABELS.get(e.name, e.name)}*: {escape(e.hint or e.error or 'failed')}"
        for e in report.entities
        if e.status is EntityStatus.FAILED
    ]
    if report.status is SyncStatus.FAILED and not lines and report.hint:
        lines.append(f":x: {escape(report.error_message or '')}\n{escape(report.hint)}")
    elif report.hint and not lines:
        lines.append(f":information_source: {escape(report.hint)}")
    if outcome.problematic_apps:
        lines.append(
            f":warning: {blocks.count(outcome.problematic_apps, 'problematic app')}: "
            "`/apps problematic`"
        )
    return lines


def result(
    report: records.SyncReport, outcome: SyncOutcome, *, tenant_name: str | None = None
) -> blocks.Message:
    """A finished sync: status, duration, counts per entity, new apps, shadow IT, problems."""
    name = _tenant(report, tenant_name)
    verb = {SyncStatus.SUCCEEDED: "succeeded", SyncStatus.PARTIAL: "finished with gaps"}.get(
        report.status, "failed"
    )
    head = (
        f"{RUN_ICON[report.status]} Sync of *{name}* {verb} in "
        f"{blocks.duration(report.duration_seconds)} · started by {who(report.actor)}"
    )
    body = [blocks.section(head), entity_fields(report)]
    if outcome.new_apps_total:
        apps = blocks.names(list(outcome.new_apps), total=outcome.new_apps_total)
        body.append(blocks.section(f"*New apps* ({outcome.new_apps_total:,}): {apps}"))
    if outcome.shadow_it:
        apps = blocks.names(list(outcome.shadow_it))
        body.append(
            blocks.section(
                f":detective: *Shadow IT found* ({len(outcome.shadow_it):,}): {apps} · review "
                "with `/apps shadow`"
            )
        )
    if problems := _problems(report, outcome):
        body.append(blocks.section("*Problems*\n" + "\n".join(problems)))
    body.append(blocks.context(_graph_line(report)))
    return blocks.message(f"Sync of {name} {verb}", body)


def already_running(
    report: records.SyncReport, *, now: dt.datetime, tenant_name: str | None = None
) -> blocks.Message:
    """Another run of this tenant is queued or running."""
    since = report.started_at or report.created_at
    text = (
        f":hourglass: A sync of *{_tenant(report, tenant_name)}* is already "
        f"{report.status.value} (run `{str(report.id)[:8]}`, since "
        f"{since:%H:%M} UTC, {blocks.when(since, now=now)}, started by {who(report.actor)}). "
        "Its message updates when it ends."
    )
    return blocks.message(text, [blocks.section(text)], response_type="ephemeral")


def started_elsewhere(report: records.SyncReport, *, tenant_name: str | None) -> blocks.Message:
    """The ephemeral note when the progress message went to the channel."""
    text = f":arrows_counterclockwise: Sync of *{_tenant(report, tenant_name)}* started."
    return blocks.message(text, [blocks.section(text)], response_type="ephemeral")


def choose_tenant(connections: Sequence[records.Connection]) -> blocks.Message:
    """Several tenants are connected: one Sync button each."""
    body = [blocks.section("Several tenants are connected. Which one should I sync?")]
    buttons = [
        blocks.button(
            f"Sync {c.tenant_name or c.tenant_id}",
            action_id=f"sync_tenant:{c.tenant_id}",
            value=c.tenant_id,
        )
        for c in connections[:25]
    ]
    body.append(blocks.actions(*buttons))
    return blocks.message("Choose a tenant to sync", body, response_type="ephemeral")


def history(
    reports: Sequence[records.SyncReport],
    *,
    now: dt.datetime,
    tenant_names: dict[str, str | None] | None = None,
) -> blocks.Message:
    """Recent runs, newest first, with status, counts and the hint of any that failed."""
    names = tenant_names or {}
    if not reports:
        text = "No sync has run yet. `/sync` starts one."
        return blocks.message(text, [blocks.section(text)], response_type="ephemeral")
    body: list = [blocks.header("Recent syncs")]
    for report in reports[:15]:
        name = escape(names.get(report.tenant_id) or report.tenant_id)
        changed = sum(e.created + e.updated + e.removed for e in report.entities)
        line = (
            f"{RUN_ICON[report.status]} *{name}* · {report.status.value} · "
            f"{blocks.when(report.created_at, now=now)} · "
            f"{blocks.duration(report.duration_seconds)} · {changed:,} changes · "
            f"{report.trigger} by {who(report.actor)}"
        )
        body.append(blocks.section(line))
        if report.hint:
            body.append(blocks.context(f":bulb: {escape(report.hint)}"))
    return blocks.message("Recent syncs", body, response_type="ephemeral")
