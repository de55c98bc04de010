"""Every `--help` an operator can ask for reads cleanly in an 80-column terminal."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from appventory.cli import app

COMMANDS = [
    [],
    ["migrate"],
    ["serve"],
    ["connect"],
    ["sync"],
    ["worker"],
    ["sandbox"],
    ["demo"],
    ["org"],
    ["org", "create"],
    ["org", "delete"],
    ["token"],
    ["token", "create"],
    ["token", "revoke"],
    ["slack"],
    ["slack", "bind"],
    ["slack", "install-link"],
    ["slack", "manifest"],
    ["keys"],
    ["keys", "generate"],
    ["keys", "rotate"],
    ["signins"],
    ["signins", "prune"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "appventory")
def test_help_fits_80_columns_without_type_noise_or_cut_text(command):
    result = CliRunner().invoke(
        app, [*command, "--help"], env={"COLUMNS": "80"}, color=False, prog_name="appventory"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "<bool>" not in result.output
    assert not any(line.rstrip().endswith("...") for line in lines[1:])  # [ARGS]... is usage
    assert result.output.startswith("Usage: appventory")
