"""Derive on a kept store: its wall time, and the time of each statement it sends.

Runs `insights.derive` on a database kept by `bench.graphql --keep-db` (or `bench.sync`), at
the moment the sync's own derive ran (the stored `computed_at`), so the windows are the same.
With `--explain`, prints each statement's plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE
on PostgreSQL, which runs the statement once more). Nothing is written to bench/results.

    .venv/bin/python -m bench.derive --url sqlite:///tmp/appventory_bench_graphql_….sqlite3
    .venv/bin/python -m bench.derive --url postgres://postgres@127.0.0.1:5432/… --explain
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sync_core import insights
from sync_core.store import models
from sync_core.store.db import open_store
from sync_core.store.insights import sql as insight_sql
from sync_core.store.insights import state as insight_state

Fetch = Callable[[str, Sequence[object]], Awaitable[list[dict[str, Any]]]]
MODULES = "sync_core.store.insights"


def _templates() -> dict[str, str]:
    """Every SQL constant of the insight store modules, by its name, to label statements."""
    found = {}
    for name, module in sys.modules.items():
        if not name.startswith(MODULES):
            continue
        for attr, value in vars(module).items():
            if attr.isupper() and isinstance(value, str) and "SELECT" in value:
                found[f"{name.rsplit('.', 1)[-1]}.{attr}"] = value
    return found


def _label(sql: str, templates: dict[str, str]) -> str:
    """The constant a statement was formatted from: the longest one whose text before its first
    placeholder the statement starts with."""
    text = " ".join(sql.split())
    best, size = text[:60], 0
    for name, template in templates.items():
        head = " ".join(template.split("{")[0].split())
        if len(head) > size and text.startswith(head):
            best, size = name, len(head)
    return best


def _rss_mb() -> float:
    """This process's resident set now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _timed_fetch(
    original: Fetch, timings: dict[str, list[float]], explain: bool, rss: dict[str, float]
) -> Fetch:
    templates = _templates()

    async def fetch(sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        started = time.perf_counter()
        rows = await original(sql, params)
        label = _label(sql, templates)
        timings[label].append(time.perf_counter() - started)
        rss[label] = max(rss.get(label, 0.0), _rss_mb())
        if explain:
            await _explain(original, label, sql, params)
        return rows

    return fetch


async def _explain(original: Fetch, label: str, sql: str, params: Sequence[object]) -> None:
    postgres = models.Application._meta.db.capabilities.dialect == "postgres"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    plan = await original(prefix + sql, params)
    print(f"\n--- {label}")
    for row in plan:
        print(
            "   ", row.get("QUERY PLAN") or f"{row.get('id')}<{row.get('parent')} {row['detail']}"
        )


def _patch(fetch: Fetch) -> None:
    """Send every insight statement through `fetch` (the modules imported `fetch` by name)."""
    original = insight_sql.fetch
    for name, module in list(sys.modules.items()):
        if name.startswith(MODULES) and getattr(module, "fetch", None) is original:
            module.fetch = fetch  # type: ignore[attr-defined]


async def run(url: str, *, repeat: int, explain: bool, days_later: int, trace: bool) -> None:
    async with open_store(url) as store:
        with store.activated():
            await _derive_timed(repeat=repeat, explain=explain, days_later=days_later, trace=trace)


async def _derive_timed(*, repeat: int, explain: bool, days_later: int, trace: bool) -> None:
    if True:
        [row] = await insight_sql.fetch(
            "SELECT connection_id, MAX(computed_at) AS at FROM app_figures GROUP BY connection_id"
        )
        connection_id = insight_sql.as_uuid(row["connection_id"])
        now = insight_sql.as_datetime_required(row["at"]) + dt.timedelta(days=days_later)
        await insight_state.connection_scope(connection_id=connection_id)
        timings: dict[str, list[float]] = defaultdict(list)
        rss: dict[str, float] = {}
        _patch(_timed_fetch(insight_sql.fetch, timings, explain, rss))
        for n in range(repeat):
            timings.clear()
            before, started = _rss_mb(), time.perf_counter()
            if trace:
                tracemalloc.start()
            await insights.derive(connection_id=connection_id, now=now)
            _, python_peak = tracemalloc.get_traced_memory() if trace else (0, 0)
            tracemalloc.stop()
            total = time.perf_counter() - started
            print(f"\nderive {n + 1}/{repeat}: {total:.2f} s at {now.isoformat()}")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  RSS before {before:.0f} MB, after {_rss_mb():.0f} MB, process peak "
                f"{peak:.0f} MB"
                + (f"; Python objects' peak {python_peak / 2**20:.1f} MiB" if trace else "")
            )
            spent = sorted(timings.items(), key=lambda item: -sum(item[1]))
            for label, times in spent:
                print(f"  {sum(times):8.3f} s  x{len(times):<4} RSS<={rss[label]:5.0f} MB {label}")
            rest = total - sum(sum(t) for t in timings.values())
            print(f"  {rest:8.3f} s        outside these reads (writes, Python)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a kept store (sqlite://… or postgres://…)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--explain", action="store_true", help="print each statement's plan")
    parser.add_argument("--days-later", type=int, default=0, help="derive this many days later")
    parser.add_argument(
        "--trace", action="store_true", help="also the Python objects' peak (tracemalloc, slower)"
    )
    args = parser.parse_args()
    asyncio.run(
        run(
            args.url,
            repeat=args.repeat,
            explain=args.explain,
            days_later=args.days_later,
            trace=args.trace,
        )
    )


if __name__ == "__main__":
    main()
