"""The Slack app manifest (paste it at api.slack.com/apps → Create New App → From a manifest),
generated from the command table, the scopes and the events the bot handles.

`slack-manifest.yml` in the repository is this output for https://appventory.example.com; a test
keeps the two equal. `appventory slack manifest` prints it for APPVENTORY_PUBLIC_URL.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.commands import COMMANDS
from bot.install import BOT_SCOPES, REDIRECT_PATH

EXAMPLE_URL = "https://appventory.example.com"
EVENTS_PATH = "/slack/events"
BOT_EVENTS = ("app_home_opened", "app_uninstalled", "tokens_revoked")
# /connect takes channel names: escaped, Slack sends them as <#C0123|name>.
ESCAPED = frozenset({"/connect"})


def _usage(command: str) -> str:
    subs = [r.sub for r in COMMANDS if r.command == command and r.sub]
    bare = next((r for r in COMMANDS if r.command == command and r.sub is None), None)
    options = "|".join(subs)
    if bare and bare.usage:
        return f"[{options}] or {bare.usage}" if options else bare.usage
    return f"[{options}]" if options else ""


def manifest(*, public_url: str = EXAMPLE_URL, socket_mode: bool = False) -> dict[str, Any]:
    """The manifest for a deployment at `public_url` (Socket Mode needs no request URLs)."""
    base = public_url.rstrip("/")
    url = {} if socket_mode else {"url": base + EVENTS_PATH}
    commands = []
    for name in dict.fromkeys(r.command for r in COMMANDS):
        bare = next(r for r in COMMANDS if r.command == name)
        entry = {"command": name, **url, "description": bare.summary}
        if usage := _usage(name):
            entry["usage_hint"] = usage
        commands.append({**entry, "should_escape": name in ESCAPED})
    requests = {} if socket_mode else {"request_url": base + EVENTS_PATH}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "AppVentory",
            "description": "Shadow IT and SaaS inventory from Microsoft Entra ID",
            "background_color": "#1d3557",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": False,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "AppVentory", "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {
            "redirect_urls": [base + REDIRECT_PATH],
            "scopes": {"bot": list(BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {**requests, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, **requests},
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def render(*, public_url: str = EXAMPLE_URL, socket_mode: bool = False) -> str:
    """The manifest file's text."""
    head = (
        "# AppVentory's Slack app. Paste at https://api.slack.com/apps > Create New App > From a\n"
        "# manifest, after replacing the host (or print yours: `appventory slack manifest`).\n"
    )
    body = yaml.safe_dump(
        manifest(public_url=public_url, socket_mode=socket_mode),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return head + body
