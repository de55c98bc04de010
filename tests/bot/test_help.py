"""/help and unknown sub-commands: generated from the command table, answered in the ack."""

from __future__ import annotations

from bot.commands import COMMANDS
from sandbox.slack import texts


async def test_help_lists_every_command_of_the_table(bot):
    response = await bot.command("/help")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    shown = texts(body["blocks"])
    for row in COMMANDS:
        assert " ".join(w for w in (row.command, row.sub, row.usage) if w) in shown
        assert row.summary in shown


async def test_unknown_sub_command_is_refused_with_that_command_s_help(bot):
    response = await bot.command("/connect", "frobnicate now")
    body = response.json()
    assert body["response_type"] == "ephemeral"
    shown = texts(body["blocks"])
    assert "I don't know `/connect frobnicate now`. Nothing was done." in shown
    assert "/connect status" in shown and "/sync" not in shown
    # Answered in the ack: nothing but Bolt's one-time auth.test reached Slack.
    assert {c.method for c in bot.slack.calls} <= {"auth.test"}
