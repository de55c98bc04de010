"""Print the README's performance table from bench/results/sync.json and store.json.

    .venv/bin/python -m bench.report

Only entries that carry the issue-9 figures (efficiency, naive_ratio) are shown, smallest
tenant first; the figures are copied as measured, with the load average of the machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _sync_rows(entries: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| users / apps / sign-ins | lower bound | ours (sync) | efficiency | naive | naive ratio "
        "| requests | 429s | waited | rows/s | peak RSS | delta requests | delta time | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in sorted(entries, key=lambda e: e["parameters"]["users"]):
        p, full, ratios = e["parameters"], e["full"], e["ratios"]
        tenant = e["model"]["tenant"]
        naive = e.get("naive") or {}
        load = e["machine"]["loadavg_at_start"][0]
        rows.append(
            f"| {p['users']:,} / {tenant['apps']:,} / {tenant['sign_ins']:,} "
            f"| {e['lower_bound_seconds']:.1f} s | {e['sync_seconds']:.1f} s "
            f"| {e['efficiency']:.2f} | {_seconds(naive.get('wall_seconds'))} "
            f"| {_ratio(e['naive_ratio'])} | {full['requests']:,} "
            f"| {full['throttled']} | {full['seconds_waited']:.1f} s "
            f"| {full['rows_per_second']:,.0f} | {full['peak_rss_mb']:.0f} MB "
            f"| {ratios['delta_requests_pct_of_full']:.1f}% "
            f"| {ratios['delta_time_pct_of_full_compressed']:.1f}% | {load:.1f} |"
        )
    return rows


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _store_rows(store: dict[str, Any]) -> list[str]:
    rows = [
        "| database | rows | ours rows/s | raw driver rows/s | ratio |",
        "|---|---|---|---|---|",
    ]
    for r in store["results"]:
        rows.append(
            f"| {r['db']}: {r['what']} | {r['rows']:,} | {r['ours_rows_per_second']:,.0f} "
            f"| {r['raw_rows_per_second']:,.0f} | {r['ratio']:.0%} |"
        )
    return rows


def main() -> None:
    sync = json.loads((RESULTS / "sync.json").read_text())["results"]
    print("\n".join(_sync_rows([e for e in sync if e.get("efficiency") is not None])))
    store_path = RESULTS / "store.json"
    if store_path.exists():
        print()
        print("\n".join(_store_rows(json.loads(store_path.read_text()))))


if __name__ == "__main__":
    main()
