"""Big pages are written in slices, with the event loop free between them."""

from __future__ import annotations

import asyncio

import pytest

from sync_core.sync.slices import SLICE, pause, slices


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, [0]), (1, [1]), (SLICE, [SLICE]), (SLICE + 1, [SLICE, 1]), (1000, [250] * 4)],
)
def test_slices_cover_every_item_once_in_order(count: int, sizes: list[int]) -> None:
    items = list(range(count))
    parts = list(slices(items))
    assert [len(p) for p in parts] == sizes
    assert [i for p in parts for i in p] == items


async def test_pause_lets_a_waiting_task_run() -> None:
    ran = asyncio.Event()
    asyncio.get_running_loop().call_soon(ran.set)
    await pause()
    assert ran.is_set()
