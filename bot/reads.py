"""Heavy reads (whole-tenant insights for /apps and the Home tab) on their own thread, event loop
and database connection, so their CPU work does not hold the loop that acknowledges Slack.

Python threads share the interpreter lock, but it changes hands every few milliseconds: an ack
waits for a slice, not for a 300 ms aggregation to finish. Only reads go here; writes stay on
the process's own store.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sync_core.store.db import Store, open_store

log = logging.getLogger(__name__)
T = TypeVar("T")


class ReadLoop:
    """A second event loop in a thread with its own store; `run` executes a read there."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._store: Store | None = None
        self._thread = threading.Thread(target=self._serve, name="slack-reads", daemon=True)

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the opener, which refuses to start
            self._failure = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with open_store(self._database_url) as store:
            self._store = store
            self._ready.set()
            await self._stop.wait()

    async def __aenter__(self) -> ReadLoop:
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, 60)
        if self._failure is not None or self._store is None:
            raise RuntimeError(f"the read loop did not start: {self._failure}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join, 30)

    async def run(self, read: Callable[[], Awaitable[T]]) -> T:
        """The result of `read()`, executed on the read loop."""
        store, loop = self._store, self._loop
        assert store is not None and loop is not None, "the read loop is not open"

        async def call() -> T:
            with store.activated():
                return await read()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), loop))


async def inline(read: Callable[[], Awaitable[T]]) -> T:
    """No read loop (tests, the CLI): run the read here."""
    return await read()
