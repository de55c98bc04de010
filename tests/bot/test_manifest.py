"""The checked-in manifest is what the command table generates."""

from __future__ import annotations

from pathlib import Path

from bot import manifest
from bot.commands import COMMANDS

MANIFEST = Path(__file__).parents[2] / "slack-manifest.yml"


def test_checked_in_manifest_is_generated_from_the_code():
    assert MANIFEST.read_text() == manifest.render(), "regenerate: see bot/manifest.py"


def test_every_command_of_the_table_is_in_the_manifest():
    data = manifest.manifest()
    names = [c["command"] for c in data["features"]["slash_commands"]]
    assert names == list(dict.fromkeys(r.command for r in COMMANDS))
    assert all(c["url"].endswith("/slack/events") for c in data["features"]["slash_commands"])
    assert set(data) == {"_metadata", "display_information", "features", "oauth_config", "settings"}


def test_socket_mode_manifest_has_no_request_urls():
    data = manifest.manifest(socket_mode=True)
    assert data["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in data["settings"]["event_subscriptions"]
    assert all("url" not in c for c in data["features"]["slash_commands"])
