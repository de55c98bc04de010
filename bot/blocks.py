"""Block Kit primitives: slack_sdk's models validate every block, so oversize fails in tests.

Limits (docs.slack.dev "Blocks"): 50 blocks per message, 100 in a modal or the Home tab,
3000 characters per section text, 150 per header, 10 section fields, 25 buttons per actions
block, 2000 characters per button value.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # modals and the Home tab
TEXT_LIMIT = 3000
HEADER_LIMIT = 150
FALLBACK_LIMIT = 3000

Message = dict[str, Any]


def escape(text: object) -> str:
    """Text from Entra or people, safe inside mrkdwn (Slack's three control characters)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_LIMIT)))


def section(text: str, *, accessory: Any = None, block_id: str | None = None) -> Block:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text)), accessory=accessory, block_id=block_id
    )


def fields(*texts: str) -> Block:
    return SectionBlock(fields=[MarkdownTextObject(text=clip(t, 2000)) for t in texts[:10]])


def context(*texts: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(t)) for t in texts[:10] if t])


def divider() -> Block:
    return DividerBlock()


def button(
    text: str,
    *,
    action_id: str,
    value: Any = None,
    url: str | None = None,
    style: str | None = None,
    confirm: tuple[str, str, str] | None = None,
) -> ButtonElement:
    """A button; a non-string value is sent as compact JSON (Slack caps values at 2000)."""
    payload = value
    if value is not None and not isinstance(value, str):
        payload = json.dumps(value, separators=(",", ":"))
    dialog = None
    if confirm:
        title, question, yes = confirm
        # Confirmation dialogs: title 100, text 300, buttons 30 characters.
        dialog = ConfirmObject(
            title=clip(title, 100), text=clip(question, 300), confirm=clip(yes, 30), deny="Cancel"
        )
    return ButtonElement(
        text=clip(text, 75),
        action_id=action_id,
        value=payload,
        url=url,
        style=style,
        confirm=dialog,
    )


def actions(*elements: ButtonElement, block_id: str | None = None) -> Block:
    return ActionsBlock(elements=list(elements)[:25], block_id=block_id)


def message(text: str, blocks: list[Block], **extra: Any) -> Message:
    """A message: the fallback text (notifications, screen readers) and validated blocks."""
    if len(blocks) > MESSAGE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks: Slack takes at most {MESSAGE_BLOCKS}")
    return {"text": clip(text, FALLBACK_LIMIT), "blocks": [b.to_dict() for b in blocks], **extra}


def surface(kind: str, blocks: list[Block], **extra: Any) -> dict[str, Any]:
    """A Home tab or modal view with validated blocks."""
    if len(blocks) > SURFACE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks: a {kind} view takes at most {SURFACE_BLOCKS}")
    return {"type": kind, "blocks": [b.to_dict() for b in blocks], **extra}


def when(moment: dt.datetime | None, *, now: dt.datetime) -> str:
    """A moment as people say it: "3 min ago", "yesterday", or a date."""
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 2 * 86400:
        return "yesterday"
    if seconds < 30 * 86400:
        return f"{int(seconds // 86400)} days ago"
    return moment.strftime("%Y-%m-%d")


def duration(seconds: float | None) -> str:
    """A duration as "42 s", "3 min 5 s" or "1 h 2 min"."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    if total < 3600:
        return f"{total // 60} min {total % 60} s"
    return f"{total // 3600} h {total % 3600 // 60} min"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 app", "3 apps"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def names(items: list[str], *, total: int | None = None, limit: int = 5) -> str:
    """A short list of names: "A, B, C and 4 more"."""
    total = len(items) if total is None else total
    shown = [escape(n) for n in items[:limit]]
    rest = total - len(shown)
    if not shown:
        return ""
    return ", ".join(shown) + (f" and {rest:,} more" if rest > 0 else "")
