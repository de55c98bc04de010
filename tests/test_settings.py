"""Settings: one typed object; a missing or malformed value is one line naming the variable."""

from __future__ import annotations

import pytest

from sync_core.crypto import generate_key
from sync_core.settings import Settings, SettingsError, load_settings

KEY = generate_key()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:
    """An environment without AppVentory or Slack variables and no .env file."""
    import os

    for name in list(os.environ):
        if name.startswith(("APPVENTORY_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "APPVENTORY_SECRET_KEY is required but not set"),
        ({"APPVENTORY_SECRET_KEY": "not-a-key"}, "APPVENTORY_SECRET_KEY is invalid: key 1 of 1"),
        ({"APPVENTORY_SECRET_KEY": f"{KEY},short"}, "APPVENTORY_SECRET_KEY is invalid: key 2 of 2"),
        (
            {"APPVENTORY_SECRET_KEY": KEY, "APPVENTORY_DATABASE_URL": "mysql://root@localhost/x"},
            "APPVENTORY_DATABASE_URL is invalid: unknown database scheme 'mysql'",
        ),
        (
            {"APPVENTORY_SECRET_KEY": KEY, "APPVENTORY_DATABASE_URL": "postgres://"},
            "APPVENTORY_DATABASE_URL is invalid: postgres URL needs a host and a database",
        ),
        (
            {"APPVENTORY_SECRET_KEY": KEY, "APPVENTORY_ACTIVE_DAYS": "0"},
            "APPVENTORY_ACTIVE_DAYS is invalid",
        ),
        (
            {"APPVENTORY_SECRET_KEY": KEY, "APPVENTORY_GRAPH_URL": "graph.microsoft.com"},
            "APPVENTORY_GRAPH_URL is invalid",
        ),
    ],
)
def test_bad_settings_name_the_variable_in_one_line(clean_env, env, expected):
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (
            "postgresql://app@db.internal:5432/appventory",
            "postgres://app@db.internal:5432/appventory",
        ),
        ("postgres://app@db.internal/appventory", "postgres://app@db.internal/appventory"),
        ("sqlite://data/appventory.sqlite3", "sqlite://data/appventory.sqlite3"),
    ],
)
def test_both_postgres_spellings_are_accepted(clean_env, given, stored):
    clean_env.setenv("APPVENTORY_SECRET_KEY", KEY)
    clean_env.setenv("APPVENTORY_DATABASE_URL", given)
    assert load_settings().database_url == stored


def test_defaults_and_slack_names_without_prefix(clean_env):
    clean_env.setenv("APPVENTORY_SECRET_KEY", KEY)
    clean_env.setenv("SLACK_SIGNING_SECRET", "shh")
    settings = load_settings()
    assert settings.database_url == "sqlite://appventory.sqlite3"
    assert settings.login_url == "https://login.microsoftonline.com"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.active_days, settings.inactive_days) == (30, 60)
    assert settings.slack_signing_secret.get_secret_value() == "shh"


def test_secrets_never_show_in_repr():
    settings = Settings(_env_file=None, secret_key=KEY, slack_bot_token="xoxb-123")
    assert KEY not in repr(settings)
    assert "xoxb-123" not in repr(settings)


def test_dotenv_file_is_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text(f"APPVENTORY_SECRET_KEY={KEY}\nAPPVENTORY_ACTIVE_DAYS=14\n")
    assert load_settings().active_days == 14


def test_every_setting_is_documented_in_env_example():
    from pathlib import Path

    from sync_core.settings import _variable_name

    documented = (Path(__file__).parents[1] / ".env.example").read_text()
    names = [_variable_name(field) for field in Settings.model_fields]
    assert [n for n in names if f"\n{n}=" not in documented] == []


def test_the_shipped_env_example_copied_to_dotenv_loads(clean_env, tmp_path):
    """README: copy .env.example to .env. Its empty `NAME=` lines mean "not set"."""
    import shutil
    from pathlib import Path

    shutil.copy(Path(__file__).parents[1] / ".env.example", tmp_path / ".env")
    clean_env.setenv("APPVENTORY_SECRET_KEY", KEY)
    settings = load_settings()
    assert settings.entra_client_id is None
    assert settings.active_days == Settings.model_fields["active_days"].default
