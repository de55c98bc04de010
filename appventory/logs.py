"""Process logging for `serve` and `worker`: one JSON object per line on stdout, secrets redacted.

Every module keeps logging through the standard library (`logging.getLogger(__name__)`); this
module renders those records with structlog's `ProcessorFormatter`, adding the ids bound in
contextvars (`request_id`, `team_id`, `tenant_id`, `run_id`) and scrubbing tokens and secrets.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from sync_core.settings import LogFormat, Settings

REDACTED = "[REDACTED]"
# Requests that would drown the access log: probes and scrapes.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# (pattern, replacement): what a secret looks like in free text, keeping a recognisable prefix.
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Passwords in URLs (postgres://user:password@host/db).
    (re.compile(r"(://[^:/\s@]+:)[^@\s]+@"), rf"\1{REDACTED}@"),
    # Authorization headers, whatever the scheme, then loose "Bearer ..." values.
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bearer|basic)\s+)?[^\s\"',;]+"),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # Slack bot/user/refresh tokens (xoxb-, xoxp-, xoxe-...) and app-level tokens (xapp-).
    (re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+"), rf"\1-{REDACTED}"),
    # Our GraphQL API tokens.
    (re.compile(r"\bavt_[A-Za-z0-9_-]+"), f"avt_{REDACTED}"),
    # client_secret=..., "client_secret": "...", and OAuth codes and states in a logged URL.
    (
        re.compile(
            r"(?i)((?:client_secret|secret|password|[?&]code|[?&]state)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"'&,;]+"
        ),
        rf"\1{REDACTED}",
    ),
    # Entra client secrets look like `abc8Q~` followed by ~34 characters.
    (re.compile(r"\b[A-Za-z0-9_.-]{3}\dQ~[A-Za-z0-9_.~-]{20,}"), REDACTED),
    # JWTs (Microsoft access tokens, id tokens).
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Fernet keys: 32 bytes, url-safe base64 (APPVENTORY_SECRET_KEY).
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}="), REDACTED),
    # Slack's response_url and incoming webhooks (plain or form-encoded): whoever holds one can
    # post in the channel for 30 minutes.
    (re.compile(r"(?i)(hooks\.slack\.com(?:/|%2F))[^\s\"'&,;)]+"), rf"\1{REDACTED}"),
    # Slack's legacy verification token in a logged body, `token=...` or `'token': '...'`.
    (re.compile(r"(?i)(\btoken[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;)]+"), rf"\1{REDACTED}"),
    # slack_bolt logs the whole body of a request whose signature failed: unverified input that
    # can carry all of the above; nothing in it is worth keeping.
    (re.compile(r"(?s)(Invalid request signature detected \(.*?\bbody: ).*"), rf"\1{REDACTED})"),
)
SECRET_KEYS = re.compile(r"(?i)(secret|password|token|authorization|cookie|api_key)$")
# Log values quote user input (a 10 MB GraphQL variable once wrote 50 MB of logs): each string
# value is cut to MAX_VALUE characters, a traceback to MAX_TRACEBACK.
MAX_VALUE = 4_000
MAX_TRACEBACK = 16_000
CUT_MARGIN = 4_096  # longer than any secret the patterns above recognise (JWTs are ~2 kB)


def redact_text(text: str) -> str:
    """The text with every token, key and secret it contains replaced."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def bounded(text: str, limit: int, *, keep_end: bool = False) -> str:
    """The text redacted and cut to `limit` characters (its start, or its start and end), with
    how much was cut. Redaction runs on a margin past each cut, so that a secret straddling a cut
    is replaced whole rather than half kept."""
    if len(text) <= limit:
        return redact_text(text)
    if not keep_end:
        head = redact_text(text[: limit + CUT_MARGIN])[:limit]
        return f"{head}… [{len(text) - limit} more characters]"
    half = limit // 2
    head = redact_text(text[: half + CUT_MARGIN])[:half]
    tail = redact_text(text[-(half + CUT_MARGIN) :])[-half:]
    return f"{head}… [{len(text) - 2 * half} more characters] …{tail}"


def _redact_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if SECRET_KEYS.search(key) and value:
            return REDACTED
        if key == "exception":  # a traceback's last lines say what failed: keep both ends
            return bounded(value, MAX_TRACEBACK, keep_end=True)
        return bounded(value, MAX_VALUE)
    if isinstance(value, Mapping):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, v) for v in value]
    return value


def redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: scrub and cut every string field, and drop whole values under
    secret-ish keys."""
    return {k: v if k == "_record" else _redact_value(k, v) for k, v in event_dict.items()}


def access_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Lift uvicorn's access-log arguments into fields a log search can filter on."""
    args = event_dict.pop("positional_args", ())
    event_dict.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the message
    record = event_dict.get("_record")
    if record is not None and record.name == "uvicorn.access" and len(args) == 5:
        client, method, path, _, status = args
        event_dict.update(client=client, method=method, path=path, status=status)
    return event_dict


class QuietPaths(logging.Filter):
    """Drop uvicorn access lines for health probes and metric scrapes."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        path = str(args[2]).split("?", 1)[0] if len(args) == 5 else ""
        return path not in QUIET_PATHS


def formatter(fmt: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    """The formatter rendering stdlib records as JSON or console lines, redacted, with ids."""
    pre_chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        access_fields,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if fmt is LogFormat.JSON
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        pass_foreign_args=True,  # access_fields reads uvicorn's arguments, then drops them
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Render tracebacks to text first, so the redaction below sees them too.
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )


def configure(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Send every logger's records to one stdout handler in the configured format."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter(settings.log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    level = settings.log_level.upper()
    root.setLevel(level)
    # One line per outgoing HTTP request is noise at INFO; keep it for DEBUG.
    logging.getLogger("httpx").setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)
    # Long-running processes want the job queue's own lines (the CLI quiets them).
    logging.getLogger("procrastinate").setLevel(logging.NOTSET)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuietPaths) for f in access.filters):
        access.addFilter(QuietPaths())
    # uvicorn's own loggers go through the root handler at its level (serve passes
    # log_config=None, so uvicorn adds no handlers of its own).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.setLevel(logging.NOTSET)
        uvicorn_logger.propagate = True


@contextmanager
def bound(**ids: str | None) -> Iterator[None]:
    """Every log line inside carries these ids (unset ones are skipped)."""
    with structlog.contextvars.bound_contextvars(**{k: v for k, v in ids.items() if v}):
        yield
