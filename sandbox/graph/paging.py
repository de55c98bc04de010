"""Paging: opaque signed cursors, nextLinks that repeat the query, occasional empty pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sandbox.graph.errors import GraphError
from sandbox.graph.query import Query
from sandbox.randomness import hash64, unit
from sandbox.tokens import TokenExpired, TokenRejected

SCAN_BUDGET = 20_000  # records examined per page before answering with what was found

Items = Iterator[tuple[int, dict[str, Any]]]


def invalid_skiptoken() -> GraphError:
    """A skiptoken that was tampered with, or minted for another tenant, app or query."""
    return GraphError(400, "Request_BadRequest", "Invalid Skip Token")


def expired_skiptoken() -> GraphError:
    """The directory's answer to a stale page token."""
    return GraphError(
        400,
        "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.",
    )


def fingerprint(route: str, query: Query) -> str:
    """Binds a cursor to its route and to the original query parameters."""
    options = sorted((k, v) for k, v in query.options.items() if k != "$skiptoken")
    return hashlib.sha256(repr((route, options)).encode()).hexdigest()[:16]


@dataclass
class Cursor:
    """Where the next page starts, plus anything the route wants carried along."""

    position: int = 0
    emptied: bool = False
    extra: dict[str, Any] | None = None


@dataclass
class Page:
    """One page of results and the cursor of the next one (None: last page)."""

    items: list[dict[str, Any]]
    next: Cursor | None


class Pager:
    """Reads and writes $skiptoken for one request."""

    def __init__(self, call: Any, route: str) -> None:
        self.call = call
        self.route = route
        self.sandbox = call.sandbox
        self.fp = fingerprint(route, call.query)

    def cursor(self) -> Cursor:
        """The cursor in the request's $skiptoken, or the start."""
        token = self.call.query.skiptoken
        if token is None:
            return Cursor()
        now = self.sandbox.clock.now()
        try:
            payload = self.sandbox.page_tokens.decode(
                token, now=now, lifetime=self.sandbox.config.skiptoken_lifetime_seconds
            )
        except TokenExpired as exc:
            raise expired_skiptoken() from exc
        except (TokenRejected, ValueError) as exc:
            raise invalid_skiptoken() from exc
        if (
            payload.get("k") != "skip"
            or payload.get("t") != self.call.caller.tenant.id
            or payload.get("fp") != self.fp
        ):
            raise invalid_skiptoken()
        return Cursor(int(payload["p"]), bool(payload.get("e")), payload.get("x"))

    def next_link(self, cursor: Cursor) -> str:
        """Absolute nextLink: the original query plus a new $skiptoken."""
        token = self.sandbox.page_tokens.encode(
            {
                "k": "skip",
                "t": self.call.caller.tenant.id,
                "fp": self.fp,
                "p": cursor.position,
                "e": cursor.emptied,
                "x": cursor.extra,
                "issued": self.sandbox.clock.now(),
            }
        )
        rest = self.call.query.without_skiptoken()
        glue = f"{rest}&" if rest else ""
        return f"{self.call.base_path}?{glue}$skiptoken={quote(token)}"

    def is_empty_page(self, cursor: Cursor) -> bool:
        """Whether to answer this (non-first) page empty, still carrying a nextLink."""
        if cursor.position == 0 or cursor.emptied:
            return False
        rate = self.sandbox.config.empty_page_rate
        h = hash64(self.call.caller.tenant.spec.seed, f"empty:{self.route}", cursor.position)
        return unit(h) < rate


def collect(
    items: Items,
    *,
    size: int,
    keep: Callable[[dict[str, Any]], bool] | None,
    budget: int = SCAN_BUDGET,
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `size` kept records and the position to continue from (None when exhausted).

    One record beyond the page is peeked at, so the last page carries no nextLink.
    """
    found: list[dict[str, Any]] = []
    for scanned, (position, record) in enumerate(items, start=1):
        if keep is None or keep(record):
            if len(found) == size:
                return found, position
            found.append(record)
        if scanned >= budget and len(found) < size:
            return found, position + 1
    return found, None


def paginate(
    pager: Pager,
    source: Callable[[int], Items],
    *,
    size: int,
    keep: Callable[[dict[str, Any]], bool] | None,
) -> Page:
    """One page of a positional collection, honouring the request's $skiptoken."""
    cursor = pager.cursor()
    if pager.is_empty_page(cursor):
        return Page([], Cursor(cursor.position, True, cursor.extra))
    found, position = collect(source(cursor.position), size=size, keep=keep)
    return Page(found, None if position is None else Cursor(position, False, cursor.extra))
