"""Large pages are processed in slices, so a sync never holds the event loop for long.

A 1,000-row sign-in page costs ~100-150 ms of mapping and ORM work in the loop; the web process
shares that loop with Slack, which wants an ack within 3 s and our p99 target is 300 ms. Each
slice is one store call (its own short transaction), and the loop runs other tasks between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
SLICE = 250


def slices(items: Sequence[T], size: int = SLICE) -> Iterator[Sequence[T]]:
    """Consecutive runs of at most `size` items (one empty run for an empty sequence)."""
    if not items:
        yield items
        return
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def pause() -> None:
    """Let every ready task (an HTTP request, a Slack ack) run before the next slice."""
    await asyncio.sleep(0)
