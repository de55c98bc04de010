"""Alerts to an organization's channel: a failed sync, its recovery, new shadow IT."""

from __future__ import annotations

from collections.abc import Sequence

from bot import blocks
from bot.blocks import escape
from bot.messages.apps import DECISIONS, REASONS
from sync_core import records
from sync_core.insights.records import InsightEvent, ShadowReason

# Three blocks per app and a header: 15 apps stay well under Slack's 50 blocks.
SHADOW_PER_MESSAGE = 15


def _name(report: records.SyncReport, tenant_name: str | None) -> str:
    return escape(tenant_name or report.tenant_id)


def sync_failed(report: records.SyncReport, *, tenant_name: str | None) -> blocks.Message:
    """A failed sync: the error, the hint, and the two ways out."""
    name = _name(report, tenant_name)
    error = escape(report.error_message or report.error_code or "unknown error")
    code = escape(report.error_code or "error")
    hint = escape(report.hint or "The next sync retries.")
    body = [
        blocks.section(f":rotating_light: *Sync of {name} failed*\n`{code}` {error}"),
        blocks.section(f":bulb: {hint}"),
        blocks.actions(
            blocks.button(
                "Retry sync", action_id="sync_retry", value=report.tenant_id, style="primary"
            ),
            blocks.button("Re-grant consent", action_id="consent_regrant", value=report.tenant_id),
            block_id=f"failed:{report.tenant_id}",
        ),
        blocks.context(
            "I post this once per failure streak, and a short note when syncing works again."
        ),
    ]
    return blocks.message(f"Sync of {name} failed: {error}", body)


def sync_recovered(report: records.SyncReport, *, tenant_name: str | None) -> blocks.Message:
    """The short note after a failure streak ends."""
    name = _name(report, tenant_name)
    text = f":white_check_mark: Syncing *{name}* works again ({report.status.value})."
    return blocks.message(text, [blocks.section(text)])


def _evidence(event: InsightEvent) -> str:
    d = event.details
    reasons = [REASONS.get(ShadowReason(r), r) for r in d.get("reasons", []) if r]
    lines = [", ".join(reasons)] if reasons else []
    if d.get("consented_users"):
        who = blocks.names(list(d.get("consented_by") or []), total=d["consented_users"])
        lines.append(f"consented by {who}")
    if d.get("scopes"):
        lines.append("scopes " + ", ".join(f"`{escape(s)}`" for s in d["scopes"][:12]))
    if d.get("unassigned_users"):
        lines.append(f"{d['unassigned_users']:,} users use it without an assignment")
    if d.get("first_seen_at"):
        lines.append(f"first seen {str(d['first_seen_at'])[:10]}")
    return "\n".join(lines)


def _shadow_app(event: InsightEvent) -> list:
    d = event.details
    publisher = d.get("verified_publisher") or d.get("publisher") or "unknown publisher"
    verified = "" if d.get("verified_publisher") else " (unverified)"
    head = f":detective: *{escape(event.app_name)}* · {escape(publisher)}{verified}"
    buttons = [
        blocks.button(label, action_id=f"stage:{stage.value}", value=str(event.app_id), style=style)
        for stage, label, style in DECISIONS
    ]
    return [
        blocks.section(f"{head}\n{_evidence(event)}"),
        blocks.actions(*buttons, block_id=f"stage:{event.app_id}"),
        blocks.divider(),
    ]


def shadow_detected(events: Sequence[InsightEvent]) -> list[blocks.Message]:
    """Newly detected shadow IT, with evidence and stage buttons; a few apps per message."""
    messages = []
    for start in range(0, len(events), SHADOW_PER_MESSAGE):
        chunk = events[start : start + SHADOW_PER_MESSAGE]
        title = (
            f"New shadow IT: {escape(chunk[0].app_name)}"
            if len(events) == 1
            else f"New shadow IT: {blocks.count(len(events), 'app')}"
        )
        body: list = [blocks.section(f"*{title}*. Approve, monitor or reject each one:")]
        for event in chunk:
            body += _shadow_app(event)
        if len(events) > SHADOW_PER_MESSAGE:
            page = start // SHADOW_PER_MESSAGE + 1
            pages = -(-len(events) // SHADOW_PER_MESSAGE)
            body.append(blocks.context(f"part {page} of {pages} · `/apps shadow` lists them all"))
        messages.append(blocks.message(title, body))
    return messages
