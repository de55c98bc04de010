"""Counting the SQL statements a piece of work sends, e.g. one API request.

Tortoise logs every statement it sends on the `tortoise.db_client` logger at DEBUG (the query
and its values), on SQLite and PostgreSQL alike. A handler on that logger adds one to the tally
of the current context: a context variable, so concurrent requests keep separate tallies and
tasks spawned inside a request (resolvers gathered by Strawberry) count towards it.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

LOGGER = "tortoise.db_client"
# Connection pool set-up and tear-down share the logger; they are not statements.
_NOT_STATEMENTS = ("Created connection", "Closed connection")


@dataclass
class Tally:
    """Statements sent while the tally was current."""

    count: int = 0
    statements: list[str] = field(default_factory=list)


_current: contextvars.ContextVar[Tally | None] = contextvars.ContextVar(
    "appventory_sql_tally", default=None
)


class _Counter(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        tally = _current.get()
        if tally is None or str(record.msg).startswith(_NOT_STATEMENTS):
            return
        tally.count += 1
        query = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        tally.statements.append(str(query))


_handler = _Counter(level=logging.DEBUG)


def install() -> None:
    """Attach the counter (idempotent). Sets the logger to DEBUG: records are built per query,
    which costs microseconds; nothing prints unless some handler up the tree prints DEBUG."""
    logger = logging.getLogger(LOGGER)
    if _handler not in logger.handlers:
        logger.addHandler(_handler)
    logger.setLevel(logging.DEBUG)


@contextmanager
def counting() -> Iterator[Tally]:
    """Count the statements sent from this context (and tasks started in it) until exit."""
    install()
    tally = Tally()
    token = _current.set(tally)
    try:
        yield tally
    finally:
        _current.reset(token)
