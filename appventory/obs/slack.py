"""What kind of Slack request a body is, and which workspace sent it: for metrics and logs.

Read at the ASGI layer, before Bolt verifies the signature, so nothing here is trusted beyond a
closed set of label values and a team id of Slack's shape.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

# Slack's interactive payload types (api.slack.com/interactivity/handling#payloads).
INTERACTIVE = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
    }
)
# Events API envelope types.
ENVELOPES = {"event_callback": "event", "url_verification": "url_verification"}
TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,20}$")
PATH_KINDS = {"/slack/install": "install", "/slack/oauth_redirect": "oauth_redirect"}


def _team(value: Any) -> str | None:
    return value if isinstance(value, str) and TEAM_ID.match(value) else None


def _json(raw: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # unverified input: "[" * 2000 exhausts the decoder
        return {}
    return data if isinstance(data, dict) else {}


def _from_json(body: bytes) -> tuple[str, str | None]:
    data = _json(body)
    return ENVELOPES.get(str(data.get("type")), "other"), _team(data.get("team_id"))


def _from_form(body: bytes) -> tuple[str, str | None]:
    try:
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=100)
    except ValueError:  # more fields than any Slack form has: not Slack's
        return "other", None
    if "payload" in form:
        payload = _json(form["payload"][0])
        kind = str(payload.get("type"))
        team = payload.get("team")
        team_id = team.get("id") if isinstance(team, dict) else None
        return (kind if kind in INTERACTIVE else "interactive"), _team(team_id)
    team = _team(form.get("team_id", [None])[0])
    if "command" in form:
        return "command", team
    if "ssl_check" in form:
        return "ssl_check", None
    return "other", team


def classify(body: bytes, *, content_type: str) -> tuple[str, str | None]:
    """(kind, team id or None) of an /slack/events body; kind is from a closed set."""
    if content_type.startswith("application/json"):
        return _from_json(body)
    return _from_form(body)
