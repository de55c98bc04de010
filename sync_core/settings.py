"""The one settings object, read from the environment (and a `.env` file) at the entry point."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync_core.crypto import SecretKeyError, Vault, parse_keys

DEFAULT_DATABASE_URL = "sqlite://appventory.sqlite3"
PREFIX = "APPVENTORY_"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SyncRunner(StrEnum):
    """Where syncs run: `auto` is the job queue on PostgreSQL and in process on SQLite."""

    AUTO = "auto"
    IN_PROCESS = "in_process"
    QUEUE = "queue"


class LogFormat(StrEnum):
    """How `serve` and `worker` write log lines; interactive commands always write console lines."""

    JSON = "json"
    CONSOLE = "console"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


def _env(name: str) -> Any:
    """Bind a field to one environment variable name (and its field name, for tests)."""
    return Field(validation_alias=AliasChoices(name, name.lower()))


def normalise_database_url(url: str) -> str:
    """Accept sqlite:// and postgres:// or postgresql:// URLs; reject anything else clearly."""
    parts = urlsplit(url.strip())
    if parts.scheme == "sqlite":
        if not (parts.netloc + parts.path):
            raise ValueError("sqlite URL needs a path, e.g. sqlite://appventory.sqlite3")
        return url.strip()
    if parts.scheme in {"postgres", "postgresql"}:
        if not parts.hostname or not parts.path.strip("/"):
            raise ValueError("postgres URL needs a host and a database, e.g. postgres://u@host/db")
        return "postgres://" + url.strip().split("://", 1)[1]
    shown = parts.scheme or url
    raise ValueError(
        f"unknown database scheme {shown!r}: use sqlite://PATH or postgres://USER@HOST:PORT/DB"
    )


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.strip()


class Settings(BaseSettings):
    """Every setting of every process. Tests build it directly; processes call `load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
        # `NAME=` (as in .env.example) means "not set", not "an empty value".
        env_ignore_empty=True,
    )

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr
    environment: Environment = Environment.DEVELOPMENT
    public_url: str = "http://localhost:8000"
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.JSON
    # Prometheus: a bearer token /metrics on the web app then requires (the web app is public
    # because Slack must reach it), and the port a worker serves its metrics on (none: off).
    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # GraphiQL and introspection: on in development, off in production unless set to true.
    graphql_introspection: bool | None = None

    entra_client_id: str | None = None
    entra_client_secret: SecretStr | None = None
    login_url: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"

    slack_api_url: str = "https://slack.com/api/"
    slack_bot_token: Annotated[SecretStr | None, _env("SLACK_BOT_TOKEN")] = None
    slack_signing_secret: Annotated[SecretStr | None, _env("SLACK_SIGNING_SECRET")] = None
    slack_app_token: Annotated[SecretStr | None, _env("SLACK_APP_TOKEN")] = None
    slack_client_id: Annotated[str | None, _env("SLACK_CLIENT_ID")] = None
    slack_client_secret: Annotated[SecretStr | None, _env("SLACK_CLIENT_SECRET")] = None
    # Who may connect, disconnect and decide stages besides workspace admins: a user group's
    # ID (S0123ABCD) or handle (it-admins).
    slack_admin_group: str | None = None

    # Fractions are allowed (0.5 = every 30 s) for demos and tests.
    sync_interval_minutes: float = Field(default=60, gt=0, le=7 * 24 * 60)
    # How often the schedule looks for due connections (and for jobs of dead workers): a divisor
    # of 60 seconds, as it becomes a cron with a seconds column.
    schedule_tick_seconds: int = Field(default=60, ge=1, le=60)
    # in_process: `serve` runs syncs and the schedule (one process, e.g. a small PostgreSQL
    # install or tests); queue: `appventory worker` processes do (PostgreSQL only).
    sync_runner: SyncRunner = SyncRunner.AUTO
    # Sync jobs one `appventory worker` process runs at once.
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    # A worker silent (no heartbeat) this long is presumed dead; its jobs are retried elsewhere.
    worker_stall_seconds: float = Field(default=30, ge=2)
    # Assignments and signInActivity have no delta query: they are re-read in full this often.
    full_refresh_hours: float = Field(default=24, gt=0)
    sign_in_backfill_days: int = Field(default=30, ge=1, le=30)
    # Incremental sign-in pulls reach back this far, for events Entra records late.
    sign_in_overlap_minutes: int = Field(default=10, ge=0)
    # Raw sign-ins are kept this long (daily counts for good). More than Entra's 30 days: an
    # event Graph can still return must still be stored, or a re-read would count it twice.
    sign_in_retention_days: int = Field(default=90, ge=31, le=3650)
    graph_concurrency: int = Field(default=8, ge=1, le=64)
    graph_max_attempts: int = Field(default=6, ge=1, le=20)
    # Graph's reports limit (sign-ins): 5 requests per 10 s per app and tenant. The window is
    # kept slightly longer so network jitter does not land a sixth request inside Graph's.
    graph_reports_limit: int = Field(default=5, ge=1)
    graph_reports_period_seconds: float = Field(default=10.2, gt=0)
    active_days: int = Field(default=30, ge=1, le=365)
    inactive_days: int = Field(default=60, ge=1, le=730)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr) -> SecretStr:
        try:
            parse_keys(value.get_secret_value())
        except SecretKeyError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("metrics_token", "metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # .env.example lists these as `NAME=`: an empty value means "not set", not "".
        return None if value == "" else value

    @model_validator(mode="after")
    def _queue_needs_postgres(self) -> Settings:
        if self.sync_runner is SyncRunner.QUEUE and self.is_sqlite:
            raise ValueError("APPVENTORY_SYNC_RUNNER=queue needs a postgres:// database")
        return self

    @field_validator("schedule_tick_seconds")
    @classmethod
    def _tick(cls, value: int) -> int:
        if 60 % value:
            raise ValueError("must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)")
        return value

    @field_validator("public_url", "login_url", "graph_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _http_url(value).rstrip("/")

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        # slack_sdk joins method names onto base_url, so it must end with a slash.
        return _http_url(value).rstrip("/") + "/"

    def vault(self) -> Vault:
        """The encryptor for secrets at rest, from APPVENTORY_SECRET_KEY."""
        return Vault(parse_keys(self.secret_key.get_secret_value()))

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return self.environment is Environment.DEVELOPMENT

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    @property
    def uses_job_queue(self) -> bool:
        """Syncs go through the PostgreSQL job queue to `appventory worker` processes."""
        if self.sync_runner is SyncRunner.AUTO:
            return not self.is_sqlite
        return self.sync_runner is SyncRunner.QUEUE


def _variable_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return PREFIX + field.upper()


HOW_TO_SET = {
    PREFIX + "SECRET_KEY": "make one with `appventory keys generate` (keep it secret; "
    "losing it loses every stored secret)",
}


def describe(error: ValidationError) -> str:
    """One line naming the first bad variable and what is wrong with it."""
    first = error.errors()[0]
    name = _variable_name(str(first["loc"][0])) if first["loc"] else "settings"
    if first["type"] == "missing":
        how = HOW_TO_SET.get(name)
        return f"{name} is required but not set" + (f": {how}" if how else "")
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{name} is invalid: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise SettingsError with one line on a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
