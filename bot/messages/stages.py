"""The stage decision: a dialog with an optional note, and what is said afterwards."""

from __future__ import annotations

import json
from typing import Any

from bot import blocks
from bot.blocks import escape
from bot.messages.apps import DECISIONS, stage_label
from sync_core.insights.records import AppSummary
from sync_core.records import AppStage


def stage_modal(app: AppSummary, *, stage: AppStage, origin: dict[str, Any]) -> dict[str, Any]:
    """The dialog behind a stage button: confirm, with an optional note for the trail."""
    verb = dict((s, label) for s, label, _ in DECISIONS)[stage]
    metadata = json.dumps({"app": app.id, "stage": stage.value, **origin}, separators=(",", ":"))
    note = {
        "type": "input",
        "block_id": "note",
        "optional": True,
        "label": {"type": "plain_text", "text": "Note (optional, kept in the activity trail)"},
        "element": {
            "type": "plain_text_input",
            "action_id": "text",
            "multiline": True,
            "max_length": 500,
        },
    }
    body = [blocks.section(f"{verb} *{escape(app.name)}*? It is {stage_label(app.stage)} now.")]
    view = blocks.surface(
        "modal",
        body,
        callback_id="stage_note",
        title={"type": "plain_text", "text": f"{verb} app"},
        submit={"type": "plain_text", "text": verb},
        close={"type": "plain_text", "text": "Cancel"},
        private_metadata=metadata,
    )
    view["blocks"].append(note)
    return view


def stage_set(
    *, app_name: str, stage: AppStage, actor_id: str | None, note: str | None, changed: bool
) -> blocks.Message:
    """What happened after a stage decision."""
    if not changed:
        text = f"*{escape(app_name)}* was already {stage_label(stage)}. Nothing changed."
    else:
        said = f": “{escape(note)}”" if note else ""
        text = f"<@{actor_id}> set *{escape(app_name)}* to {stage_label(stage)}{said}"
    return blocks.message(text, [blocks.section(text)])
