"""Sync benchmark: a full sync of a sandbox tenant, 1% churn, then a delta sync.

Run from the repository root:

    .venv/bin/python -m bench.sync --users 10000 --apps 1000 --signins-per-user-per-day 1 \\
        --days 30 --latency-ms 50 --time-scale 10 --db sqlite

The sandbox (the fake Entra + Graph) runs in its own process (`appventory sandbox`), so the peak
RSS reported here is the sync's alone. The real runtime syncs it: MSAL, httpx, the engine, the
store (a fresh SQLite file, or a throwaway PostgreSQL database that is dropped afterwards).

Time compression: `--time-scale T` makes the sandbox divide every throttling window by T (the
reports limiter becomes 5 requests per 10/T s; the identity RU buckets refill T times faster), and
our client's reports limiter is scaled the same way (10.2/T s). Latency is per request and is
not scaled. The compressed wall time is what was measured; a real-time equivalent is only an
estimate, given where the reports limiter bound the sign-in pass (see `real_time_estimate`).

Prints a table per run and writes `bench/results/sync.json` (one entry per parameter set; a
re-run with the same parameters replaces its entry).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import io
import itertools
import json
import logging
import os
import pstats
import re
import shutil
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from appventory.runtime import Runtime, open_runtime
from bench import against, model
from bench.harness.database import database, database_size
from bench.harness.machine import machine_info
from bench.harness.probes import LoopLag, PassTimer, RssSampler
from bench.harness.proc import MB, cpu_self, maxrss_mb, proc_status
from bench.harness.sandbox import Control, SandboxProcess
from bench.harness.tracer import GUID, Tracer
from sync_core import consent, records
from sync_core.crypto import generate_key
from sync_core.records import SyncReport
from sync_core.settings import Settings
from sync_core.store import groups, models, organizations
from sync_core.sync.service import request_sync

RESULTS = Path(__file__).resolve().parent / "results" / "sync.json"
ACTOR = records.Actor(records.ActorType.CLI, "bench", "bench.sync")

# Graph's reports limit (docs/graph.md#throttling) and our client's window (Settings default).
REPORTS_LIMIT = 5
CLIENT_REPORTS_PERIOD = 10.2
SANDBOX_REPORTS_WINDOW = 10.0
# Identity RU per 10 s for one app in one tenant, by size class (docs/graph.md#model).
RU_PER_10S = {"S": 3_500, "M": 5_000, "L": 8_000}
# Passes that run concurrently (sign_in_activity too, once the licence is known).
CONCURRENT_PASSES = ("users", "apps", "assignments", "grants", "sign_ins", "sign_in_activity")

log = logging.getLogger("bench.sync")


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Params:
    """What one benchmark run was asked to do."""

    users: int
    apps: int
    signins_per_user_per_day: float
    days: int
    latency_ms: float
    latency_sigma: float
    time_scale: float
    db: str
    seed: int
    concurrency: int
    empty_page_rate: float
    churn_percent: float

    @property
    def key(self) -> str:
        """Identifies the parameter set in the results file."""
        return (
            f"{self.db}/users={self.users}/apps={self.apps}/"
            f"signins={self.signins_per_user_per_day:g}x{self.days}d/"
            f"latency={self.latency_ms:g}ms/scale={self.time_scale:g}/c={self.concurrency}"
        )

    @property
    def client_reports_period(self) -> float:
        return CLIENT_REPORTS_PERIOD / self.time_scale

    def churn(self) -> dict[str, int]:
        """≈1% churn: a third each of joiners, leavers and changes; apps; consents given,
        revoked and re-scoped; sign-ins."""
        share = self.churn_percent / 100

        def part(total: float, fraction: float) -> int:
            return max(1, round(total * share * fraction))

        return {
            "users_added": part(self.users, 1 / 3),
            "users_removed": part(self.users, 1 / 3),
            "users_changed": part(self.users, 1 / 3),
            "members_added": part(self.users, 1 / 6),
            "members_removed": part(self.users, 1 / 6),
            "apps_added": part(self.apps, 1 / 2),
            "apps_removed": part(self.apps, 1 / 2),
            "consents_added": part(self.users, 1 / 10),
            "consents_revoked": part(self.users, 1 / 30),
            "grants_changed": part(self.users, 1 / 30),
            "signins_added": part(self.users * self.signins_per_user_per_day, 1),
        }


@dataclass
class RunResult:
    """One sync run, measured."""

    label: str
    report: SyncReport
    wall_seconds: float
    started_at: float  # time.time(), for splitting the sandbox's request log
    ended_at: float
    passes: dict[str, tuple[float, float]]
    cpu_seconds: float
    sandbox_cpu_seconds: float
    rss: dict[str, Any]
    loop_lag: dict[str, float]
    peak_rss_mb: float
    rss_before_mb: float
    rss_after_mb: float
    peak_rss_before_mb: float = 0.0
    profile: list[dict[str, Any]] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)
    requests_by_route: list[dict[str, Any]] = field(default_factory=list)
    identity_peak_10s: int = 0
    # When the sandbox started each sign-in request (epoch s), from its request log.
    sign_in_starts: list[float] = field(default_factory=list)
    graph_requests_logged: int = 0
    token_requests_logged: int = 0
    non_get_graph: int = 0

    @property
    def rows_written(self) -> int:
        return sum(e.created + e.updated + e.removed for e in self.report.entities)


async def sync_once(
    runtime: Runtime,
    organization_id: uuid.UUID,
    sandbox: SandboxProcess,
    *,
    label: str,
    full: bool,
    profile_dir: Path | None,
    trace: bool = False,
) -> RunResult:
    run, _ = await request_sync(
        organization_id=organization_id, actor=ACTOR, runner=None, full=full, trigger="bench"
    )
    engine = runtime.require_engine()
    timer = PassTimer()
    rss_before = proc_status("self").get("VmRSS", 0) / 1024
    peak_before = maxrss_mb()
    cpu0, sbx_cpu0 = cpu_self(), sandbox.cpu_seconds()
    profiler = cProfile.Profile() if profile_dir else None
    tracer = Tracer() if trace else None
    with RssSampler() as sampler, tracer or contextlib.nullcontext():
        async with LoopLag() as lag:
            started_at, t0 = time.time(), time.perf_counter()
            timer.t0 = t0
            if profiler:
                profiler.enable()
            report = await engine.run(run.id, observer=timer)
            if profiler:
                profiler.disable()
            wall = time.perf_counter() - t0
            ended_at = time.time()
    result = RunResult(
        label=label,
        report=report,
        wall_seconds=wall,
        started_at=started_at,
        ended_at=ended_at,
        passes={n: w for n in timer.started if (w := timer.window(n))},
        cpu_seconds=cpu_self() - cpu0,
        sandbox_cpu_seconds=sandbox.cpu_seconds() - sbx_cpu0,
        rss=sampler.summary(),
        loop_lag=lag.summary(),
        peak_rss_mb=maxrss_mb(),
        rss_before_mb=rss_before,
        peak_rss_before_mb=peak_before,
        rss_after_mb=proc_status("self").get("VmRSS", 0) / 1024,
    )
    if profiler and profile_dir:
        result.profile = _save_profile(profiler, profile_dir / f"sync-{label}.prof")
    if tracer:
        result.trace = tracer.rows()
    return result


def _save_profile(profiler: cProfile.Profile, path: Path, top: int = 30) -> list[dict[str, Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(filename)}:{line}({func})",
                "calls": nc,
                "tottime": tt,
                "cumtime": ct,
                "primitive_calls": cc,
            }
        )
    rows.sort(key=lambda r: r["tottime"], reverse=True)
    return rows[:top]


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3."):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --------------------------------------------------------------------------- estimates


def sign_in_floor(pages: int, period: float, latency: float) -> float:
    """Minimum seconds for `pages` sign-in pages under 5 starts per `period` s.

    See docs/graph.md#model.
    """
    if pages <= 0:
        return 0.0
    return max(pages * latency, ((pages - 1) // REPORTS_LIMIT) * period + latency)


def stored_changes(result: RunResult, name: str) -> int:
    """What a run stored as created, updated or removed for one entity (for the model's delta
    bound: a leaver's or a removed app's grants, a joiner's groups, are not in the posted churn)."""
    entity = result.report.entity(name)
    return entity.created + entity.updated + entity.removed if entity else 0


def real_time_estimate(result: RunResult, params: Params) -> dict[str, Any]:
    """What the run would take at time scale 1, where that can be said honestly.

    Only the reports limiter's windows were compressed in a way that shapes this run: the
    identity RU buckets are far from binding at this request rate (checked separately against the
    request log). So the sign-in pass is stretched to its real-time limiter floor, and the run
    ends when the later of the concurrent passes ends, plus whatever followed them
    (sign_in_activity, bookkeeping), as measured.
    """
    signins = result.report.entity("sign_ins")
    window = result.passes.get("sign_ins")
    latency = params.latency_ms / 1000
    if signins is None or window is None or params.time_scale == 1:
        return {
            "seconds": result.wall_seconds,
            "meaningful": params.time_scale == 1,
            "why": "no compression" if params.time_scale == 1 else "no sign-in pass timing",
        }
    measured = window[1] - window[0]
    floor_compressed = sign_in_floor(signins.pages, params.client_reports_period, latency)
    floor_real = sign_in_floor(signins.pages, CLIENT_REPORTS_PERIOD, latency)
    if signins.pages <= REPORTS_LIMIT:
        return {
            "seconds": result.wall_seconds,
            "meaningful": True,
            "sign_in_pages": signins.pages,
            "why": f"{signins.pages} sign-in page(s) fit in one reports window: compression "
            "did not shorten this run, compressed time = real time",
        }
    per_page = measured / signins.pages
    signins_real, method = _replay_sign_ins(result, window)
    if signins_real is None:
        # Uniform pages: at real time each waits for the limiter, so the pass ends one page's
        # work after the last request the limiter lets through.
        method = "uniform pages"
        signins_real = max(
            measured, ((signins.pages - 1) // REPORTS_LIMIT) * CLIENT_REPORTS_PERIOD + per_page
        )
    others_end = max(
        (result.passes[n][1] for n in CONCURRENT_PASSES if n in result.passes and n != "sign_ins"),
        default=0.0,
    )
    group_end = max(
        (result.passes[n][1] for n in CONCURRENT_PASSES if n in result.passes), default=0.0
    )
    group_end_real = max(others_end, window[0] + signins_real)
    seconds = result.wall_seconds + (group_end_real - group_end)
    return {
        "seconds": seconds,
        "meaningful": True,
        "sign_in_pages": signins.pages,
        "sign_in_pass_measured": measured,
        "sign_in_seconds_per_page": per_page,
        "sign_in_limiter_bound_when_compressed": per_page * REPORTS_LIMIT
        < params.client_reports_period,
        "sign_in_floor_compressed": floor_compressed,
        "sign_in_floor_real": floor_real,
        "sign_in_pass_real": signins_real,
        "sign_in_method": method,
        "why": f"sign-in pass stretched from {measured:.1f} s to ≈{signins_real:.1f} s "
        f"({signins.pages} pages at 5 per {CLIENT_REPORTS_PERIOD} s, {method}); other passes "
        "as measured (no throttling window shaped them)",
    }


def _replay_sign_ins(result: RunResult, window: tuple[float, float]) -> tuple[float | None, str]:
    """Replay the sign-in pass at real time from its measured per-page work.

    Pages are sequential: page i starts when page i-1's work is done (the gap measured between
    their requests in this run) and no earlier than 10.2 s after page i-5 started. Per-page work
    that grows during the pass (a store that slows down as it fills) is kept as it was.
    """
    starts = result.sign_in_starts
    if len(starts) < 2:
        return None, ""
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    tail = (result.started_at + window[1]) - starts[-1]  # last request to the pass's end
    head = starts[0] - (result.started_at + window[0])  # pass start to its first request
    if tail < 0 or head < 0:
        return None, ""
    replayed = [head]
    for i, gap in enumerate(gaps, start=1):
        earliest = replayed[i - REPORTS_LIMIT] + CLIENT_REPORTS_PERIOD if i >= REPORTS_LIMIT else 0
        replayed.append(max(replayed[i - 1] + gap, earliest))
    return replayed[-1] + tail, "replayed from the measured time of each page"


# --------------------------------------------------------------------------- request log


def _route(entry: dict[str, Any]) -> str:
    path = GUID.sub("{id}", entry["path"])
    path = re.sub(r"\(appId='[^']*'\)", "(appId=…)", path)
    query = entry.get("query") or ""
    if path.endswith("/users") and "signInActivity" in query:
        path += " (signInActivity)"
    elif "skiptoken" in query.lower() or "deltatoken" in query.lower():
        path += " (next/delta link)" if "deltatoken" not in query.lower() else " (deltaLink)"
    return f"{entry['method']} {path}"


def analyse_log(result: RunResult, entries: list[dict[str, Any]]) -> None:
    """Requests the sandbox served during this run, by route; Graph's method check; RU peak."""
    # The log stamps a request when the server starts it: inside [run start, run end].
    mine = [e for e in entries if result.started_at <= e["time"] <= result.ended_at]
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "throttled": 0, "errors": 0, "server_ms": 0.0}
    )
    for entry in mine:
        g = groups[_route(entry)]
        g["count"] += 1
        g["server_ms"] += entry.get("duration_ms") or 0.0
        status = entry.get("status")
        if status == 429:
            g["throttled"] += 1
        elif status is None or status >= 400:
            g["errors"] += 1
    result.requests_by_route = sorted(
        (
            {"route": route, **g, "mean_server_ms": g["server_ms"] / g["count"]}
            for route, g in groups.items()
        ),
        key=lambda g: -g["count"],
    )
    graph = [e for e in mine if e["path"].startswith(("/v1.0/", "/beta/"))]
    result.graph_requests_logged = len(graph)
    result.non_get_graph = sum(e["method"] != "GET" for e in graph)
    result.token_requests_logged = sum("/oauth2/v2.0/token" in e["path"] for e in mine)
    identity = sorted(
        e["time"] for e in graph if "/auditLogs/" not in e["path"] and "/reports/" not in e["path"]
    )
    peak, lo = 0, 0
    for hi, t in enumerate(identity):
        while identity[lo] < t - 10:
            lo += 1
        peak = max(peak, hi - lo + 1)
    result.identity_peak_10s = peak
    result.sign_in_starts = sorted(e["time"] for e in graph if "/auditLogs/signIns" in e["path"])


# --------------------------------------------------------------------------- correctness


async def stored_counts(
    connection_id: uuid.UUID, truth_now: dt.datetime, retention_days: int = 30
) -> dict[str, int]:
    live = {"connection_id": connection_id, "removed_at": None}
    window_start = truth_now - dt.timedelta(days=retention_days)
    return {
        "users": await models.DirectoryUser.filter(**live).count(),
        "service_principals": await models.Application.filter(**live).count(),
        "grants": await models.PermissionGrant.filter(**live).count(),
        "user_consents": await models.PermissionGrant.filter(
            **live, consent_type="Principal"
        ).count(),
        "sign_ins_stored": await models.SignInEvent.filter(connection_id=connection_id).count(),
        # The sandbox's retention window moves with its clock: compare what it still shows.
        "sign_ins": await models.SignInEvent.filter(
            connection_id=connection_id, occurred_at__gte=window_start, occurred_at__lte=truth_now
        ).count(),
    }


async def assigned_users_mismatch(connection_id: uuid.UUID, truth: dict[str, Any]) -> int:
    """Apps whose assigned-user count (direct + through groups) differs from ground truth.

    Counted in the database, not in Python: this runs between the two syncs, and loading a few
    hundred thousand access rows here would raise the peak RSS the delta run is measured by.
    """
    stored = await groups.assigned_user_counts(connection_id=connection_id)
    expected = {
        a["servicePrincipalId"]: a["assigned_users"]
        for a in truth["apps"]
        if a["assigned_users"] and a["kind"] in ("third_party", "tenant_own")
    }
    return sum(stored.get(k) != expected.get(k) for k in stored.keys() | expected.keys())


async def check_truth(control: Control, connection_id: uuid.UUID) -> dict[str, Any]:
    started = time.perf_counter()
    truth = await control.ground_truth()
    seconds = time.perf_counter() - started
    now = dt.datetime.fromisoformat(truth["now"].replace("Z", "+00:00"))
    stored = await stored_counts(connection_id, now)
    expected = {
        "users": truth["users"],
        "service_principals": truth["service_principals"]["total"],
        "grants": truth["delegated_grants"]["total"],
        "user_consents": truth["delegated_grants"]["principal"],
        "sign_ins": truth["sign_ins"],
    }
    rows = [
        {"what": k, "stored": stored[k], "truth": v, "equal": stored[k] == v}
        for k, v in expected.items()
    ]
    mismatched_apps = await assigned_users_mismatch(connection_id, truth)
    rows.append(
        {
            "what": "apps with wrong assigned-user count",
            "stored": mismatched_apps,
            "truth": 0,
            "equal": mismatched_apps == 0,
        }
    )
    return {
        "rows": rows,
        "equal": all(r["equal"] for r in rows),
        "sign_ins_stored_total": stored["sign_ins_stored"],
        "truth_seconds": seconds,
        "truth_now": truth["now"],
    }


# --------------------------------------------------------------------------- rendering


def _fmt_int(n: float) -> str:
    return f"{n:,.0f}"


def _table(headers: list[str], rows: list[list[Any]], align: str | None = None) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if a == "l" else v.rjust(w)
            for v, w, a in zip(values, widths, align, strict=True)
        )

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def render_run(
    result: RunResult,
    params: Params,
    estimate: dict[str, Any],
    expected: dict[str, int] | None = None,
) -> str:
    r = result.report
    out = [
        f"\n== {result.label.upper()} sync: {r.status.value}"
        + (f" ({r.error_code}: {r.hint})" if r.error_code else "")
    ]
    rows = []
    for e in r.entities:
        span = result.passes.get(e.name)
        rows.append(
            [
                e.name,
                e.mode.value if e.mode else "-",
                e.status.value,
                _fmt_int(e.pages),
                _fmt_int(e.fetched),
                _fmt_int(e.created),
                _fmt_int(e.updated),
                _fmt_int(e.removed),
                _fmt_int(e.skipped),
                f"{span[0]:.1f}-{span[1]:.1f}" if span else "-",
                f"{span[1] - span[0]:.1f}" if span else "-",
            ]
        )
    out.append(
        _table(
            [
                "entity",
                "mode",
                "status",
                "pages",
                "fetched",
                "created",
                "updated",
                "removed",
                "skipped",
                "span s",
                "secs",
            ],
            rows,
            "lllrrrrrrrr",
        )
    )
    if expected:
        out.append("expected from churn: " + ", ".join(f"{k} {v}" for k, v in expected.items()))
    rows_written = result.rows_written
    scale = params.time_scale
    out.append("")
    summary = [
        [
            "wall time (compressed)",
            f"{result.wall_seconds:.1f} s"
            + (f"   (run row: {r.duration_seconds:.1f} s)" if r.duration_seconds else ""),
        ],
        [
            "after the run row closed",
            f"{result.wall_seconds - (r.duration_seconds or 0):.1f} s (loading the run, insights "
            "derive, listeners: part of SyncEngine.run, outside the run's own timing)",
        ],
        [
            "real-time equivalent",
            (
                f"≈{estimate['seconds']:.0f} s (estimate: {estimate['why']})"
                if scale != 1
                else "= wall time (no compression)"
            ),
        ],
        [
            "Graph requests",
            f"{_fmt_int(r.requests)}   (sandbox log: "
            f"{_fmt_int(result.graph_requests_logged)} Graph, "
            f"{result.token_requests_logged} token, "
            f"{result.non_get_graph} non-GET on Graph)",
        ],
        ["429s", _fmt_int(r.throttled)],
        ["sign-in pass", _sign_in_bound(result, params)],
        [
            "seconds waited",
            f"{r.seconds_waited:.1f} s compressed (limiter + Retry-After + "
            "backoff, summed over concurrent waits)",
        ],
        [
            "rows written",
            f"{_fmt_int(rows_written)}  ({rows_written / result.wall_seconds:,.0f}"
            " rows/s of wall time; usage_daily rollup rows not counted)",
        ],
        [
            "CPU (this process)",
            f"{result.cpu_seconds:.1f} s = {result.cpu_seconds / result.wall_seconds:.0%} of wall",
        ],
        [
            "CPU (sandbox)",
            f"{result.sandbox_cpu_seconds:.1f} s = "
            f"{result.sandbox_cpu_seconds / result.wall_seconds:.0%} of wall",
        ],
        [
            "event-loop lag",
            (
                f"p50 {result.loop_lag.get('p50_ms', 0):.1f} ms, "
                f"p99 {result.loop_lag.get('p99_ms', 0):.1f} ms, "
                f"max {result.loop_lag.get('max_ms', 0):.0f} ms, blocked ≈"
                f"{result.loop_lag.get('blocked_seconds', 0):.1f} s"
            ),
        ],
        [
            "RSS (this process)",
            f"peak {result.peak_rss_mb:.0f} MB (ru_maxrss after run; "
            f"{result.peak_rss_before_mb:.0f} MB before it); VmRSS "
            f"{result.rss_before_mb:.0f} MB before -> "
            f"{result.rss.get('max_mb', 0):.0f} MB max sampled -> "
            f"{result.rss_after_mb:.0f} MB after",
        ],
        [
            "identity requests / 10 s",
            f"peak {result.identity_peak_10s} (RU bucket at time "
            f"scale 1: {RU_PER_10S[_size(params.users)]:,} per 10 s)",
        ],
    ]
    out.append(_table(["", ""], summary, "ll").split("\n", 2)[2])
    if result.requests_by_route:
        out.append("")
        route_rows = [
            [
                g["route"],
                _fmt_int(g["count"]),
                g["throttled"],
                g["errors"],
                f"{g['mean_server_ms']:.0f}",
            ]
            for g in result.requests_by_route[:14]
        ]
        if len(result.requests_by_route) > 14:
            rest = result.requests_by_route[14:]
            route_rows.append(
                [
                    f"({len(rest)} more routes)",
                    _fmt_int(sum(g["count"] for g in rest)),
                    sum(g["throttled"] for g in rest),
                    sum(g["errors"] for g in rest),
                    "",
                ]
            )
        out.append(
            _table(["requests by route (sandbox log)", "n", "429", "err", "server ms"], route_rows)
        )
    if result.trace:
        out.append("")
        out.append(
            _table(
                [
                    "where the time went (--trace; overlapping)",
                    "calls",
                    "total s",
                    "mean ms",
                    "max ms",
                ],
                [
                    [
                        t["what"],
                        _fmt_int(t["calls"]),
                        f"{t['seconds']:.1f}",
                        f"{1000 * t['seconds'] / max(1, t['calls']):.1f}",
                        f"{t['max_ms']:.0f}",
                    ]
                    for t in result.trace[:18]
                ],
            )
        )
    if result.profile:
        out.append("")
        out.append(
            _table(
                ["top functions by own time (cProfile)", "calls", "tottime", "cumtime"],
                [
                    [
                        p["function"][:90],
                        _fmt_int(p["calls"]),
                        f"{p['tottime']:.2f}",
                        f"{p['cumtime']:.2f}",
                    ]
                    for p in result.profile[:20]
                ],
            )
        )
    return "\n".join(out)


def _sign_in_bound(result: RunResult, params: Params) -> str:
    """Whether the reports limiter or our own per-page work paced the sign-in pass."""
    signins, span = result.report.entity("sign_ins"), result.passes.get("sign_ins")
    if signins is None or span is None or signins.pages == 0:
        return "-"
    per_page = (span[1] - span[0]) / signins.pages
    spacing = params.client_reports_period / REPORTS_LIMIT
    if signins.pages <= REPORTS_LIMIT:
        bound = "within one reports window"
    elif per_page > spacing * 1.1:
        bound = "paced by our own per-page work, not by the limiter"
    else:
        bound = "paced by the reports limiter"
    return (
        f"{signins.pages} pages, {per_page:.2f} s/page; the limiter allows one page per "
        f"{spacing:.3f} s here ({CLIENT_REPORTS_PERIOD / REPORTS_LIMIT:.2f} s at real time): "
        f"{bound}"
    )


def render_truth(label: str, check: dict[str, Any]) -> str:
    rows = [
        [r["what"], _fmt_int(r["stored"]), _fmt_int(r["truth"]), "yes" if r["equal"] else "NO"]
        for r in check["rows"]
    ]
    text = _table([f"{label}: stored vs ground truth", "stored", "truth", "equal"], rows)
    return (
        f"\n{text}\n(sign-ins compared inside the sandbox's 30-day window at {check['truth_now']};"
        f" {check['sign_ins_stored_total']:,} stored in all; ground truth took "
        f"{check['truth_seconds']:.1f} s)"
    )


def _size(users: int) -> str:
    return "S" if users < 50 else ("M" if users <= 500 else "L")


# --------------------------------------------------------------------------- results file


def run_json(result: RunResult, estimate: dict[str, Any]) -> dict[str, Any]:
    r = result.report
    return {
        "status": r.status.value,
        "wall_seconds": result.wall_seconds,
        "run_row_seconds": r.duration_seconds,
        "real_time_estimate": estimate,
        "requests": r.requests,
        "throttled": r.throttled,
        "seconds_waited": r.seconds_waited,
        "rows_written": result.rows_written,
        "rows_per_second": result.rows_written / result.wall_seconds,
        "cpu_seconds": result.cpu_seconds,
        "sandbox_cpu_seconds": result.sandbox_cpu_seconds,
        "peak_rss_mb": result.peak_rss_mb,
        "peak_rss_before_mb": result.peak_rss_before_mb,
        "rss_before_mb": result.rss_before_mb,
        "rss_after_mb": result.rss_after_mb,
        "rss_samples": result.rss,
        "loop_lag": result.loop_lag,
        "entities": {
            e.name: {
                k: (v.value if hasattr(v, "value") else v)
                for k, v in asdict(e).items()
                if k != "name"
            }
            for e in r.entities
        },
        "pass_seconds": {
            n: {"start": s, "end": e, "seconds": e - s} for n, (s, e) in result.passes.items()
        },
        "requests_by_route": result.requests_by_route,
        "graph_requests_logged": result.graph_requests_logged,
        "token_requests_logged": result.token_requests_logged,
        "non_get_graph_requests": result.non_get_graph,
        "identity_requests_peak_10s": result.identity_peak_10s,
        "profile_top": result.profile,
        "trace": result.trace,
    }


def write_results(path: Path, entry: dict[str, Any]) -> None:
    """Merge one entry into the results file, replacing an entry with the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"benchmark": "sync", "results": []}
    if path.exists():
        with contextlib.suppress(ValueError):
            loaded = json.loads(path.read_text())
            if isinstance(loaded, dict) and isinstance(loaded.get("results"), list):
                data = loaded
    data["results"] = [e for e in data["results"] if e.get("key") != entry["key"]] + [entry]
    data["results"].sort(key=lambda e: (e["parameters"]["db"], e["parameters"]["users"], e["key"]))
    data["updated_at"] = entry["machine"]["date"]
    data["notes"] = (
        "wall_seconds are measured with throttling windows compressed by parameters.time_scale "
        "(sandbox and client alike); latency is not compressed. real_time_estimate stretches "
        "only the sign-in pass back to Graph's 5 requests per 10 s. peak_rss_mb is ru_maxrss of "
        "the syncing process (the sandbox runs in its own process)."
    )
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


# --------------------------------------------------------------------------- main


async def benchmark(params: Params, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    # Taken before anything runs: the code measured is what was on disk when it was imported.
    machine = machine_info()
    sandbox = SandboxProcess(params, workdir)
    print("sandbox:", " ".join(sandbox.command()))
    sandbox.start()
    control = Control(sandbox.base_url, sandbox.tenant_id)
    try:
        tenant = sandbox.tenant
        print(
            f"sandbox up in {sandbox.startup_seconds:.1f} s: {tenant['users']:,} users, "
            f"{tenant['signins_generated']:,} sign-ins, {params.apps:,} apps (+ Microsoft's), "
            f"size class {tenant['size']}; {sandbox.memory_kb().get('VmRSS', 0) / 1024:.0f} MB"
        )
        async with database(params.db, workdir, keep=args.keep_db) as db:
            settings = Settings(
                _env_file=None,
                secret_key=generate_key(),
                database_url=db["url"],
                entra_client_id=sandbox.info["client_id"],
                entra_client_secret=sandbox.info["client_secret"],
                login_url=sandbox.base_url,
                graph_url=sandbox.base_url,
                graph_concurrency=params.concurrency,
                graph_reports_period_seconds=params.client_reports_period,
            )
            async with open_runtime(settings) as runtime:
                entry = await _runs(params, args, runtime, sandbox, control, db)
                machine["loadavg_at_end"] = list(os.getloadavg())
                return {"key": params.key, "machine": machine, **entry}
    finally:
        await control.close()
        sandbox_memory = sandbox.memory_kb()
        sandbox.stop()
        if sandbox_memory:
            print(f"sandbox process: peak RSS {sandbox_memory.get('VmHWM', 0) / 1024:.0f} MB")


async def _runs(
    params: Params,
    args: argparse.Namespace,
    runtime: Runtime,
    sandbox: SandboxProcess,
    control: Control,
    db: dict[str, Any],
) -> dict[str, Any]:
    org, _ = await organizations.create_organization(name="Bench Org")
    verified = await runtime.check_tenant(sandbox.tenant_id)
    connected = await consent.record_connection(
        organization_id=org.id, actor=ACTOR, verified=verified
    )
    connection_id = connected.connection.id
    baseline = {"rss_mb": proc_status("self").get("VmRSS", 0) / 1024, "peak_rss_mb": maxrss_mb()}
    print(f"runtime open, tenant connected: RSS {baseline['rss_mb']:.0f} MB")
    profile_dir = Path(args.profile) if args.profile else None

    full = await sync_once(
        runtime, org.id, sandbox, label="full", full=True, profile_dir=profile_dir, trace=args.trace
    )
    full_truth = await check_truth(control, connection_id)
    tenant = await against.tenant_for(connection_id)
    naive = None
    if not args.no_naive:
        print("naive client: syncing the same tenant into a second connection…")
        naive, _ = await against.naive_for(runtime=runtime, sandbox=sandbox)
    churn_counts = params.churn()
    churn = await control.churn(**churn_counts)
    touched = churn.get("touched", {})
    delta = await sync_once(
        runtime,
        org.id,
        sandbox,
        label="delta",
        full=False,
        profile_dir=profile_dir,
        trace=args.trace,
    )
    delta_truth = await check_truth(control, connection_id)
    size = await database_size(params.db, db, runtime)

    entries = await control.request_log()
    for result in (full, delta):
        analyse_log(result, entries)
    if args.request_log:
        Path(args.request_log).write_text(json.dumps(entries) + "\n")  # noqa: ASYNC240
        print(f"sandbox request log ({len(entries):,} entries) written to {args.request_log}")
    joined = set(touched.get("users_added", []))
    left = set(touched.get("users_removed", []))
    expected = {
        "users created": len(joined - left),
        "users removed": len(left - joined),
        "users changed (max updated)": len(touched.get("users_changed", [])),
        "apps created": len(touched.get("apps_added", [])),
        "apps removed": len(touched.get("apps_removed", [])),
        "sign_ins created": len(touched.get("signins_added", [])),
        "consents given": len(touched.get("consents_added", [])),
        "consents revoked": len(touched.get("consents_revoked", [])),
        "grants re-scoped": len(touched.get("grants_changed", [])),
    }
    full_estimate = real_time_estimate(full, params)
    delta_estimate = real_time_estimate(delta, params)

    print(render_run(full, params, full_estimate))
    print(render_truth("after full sync", full_truth))
    print(f"\nchurn posted: {churn_counts}")
    print(render_run(delta, params, delta_estimate, expected))
    print(render_truth("after delta sync", delta_truth))

    ratios = {
        "delta_requests_pct_of_full": 100 * delta.report.requests / max(1, full.report.requests),
        "delta_time_pct_of_full_compressed": 100 * delta.wall_seconds / full.wall_seconds,
        "delta_time_pct_of_full_real_time_estimate": 100
        * delta_estimate["seconds"]
        / full_estimate["seconds"],
    }
    limits = model.Limits.sandbox(
        latency_ms=params.latency_ms,
        time_scale=params.time_scale,
        size_class=sandbox.tenant["size"],
        empty_page_rate=params.empty_page_rate,
    )
    ours = full.report.duration_seconds or full.wall_seconds
    numbers = against.figures(
        ours_seconds=ours,
        full_bound=model.full_sync(tenant, limits),
        delta_bound=model.delta_sync(
            against.churn_for(
                churn_counts,
                memberships=stored_changes(delta, "groups"),
                grants=stored_changes(delta, "grants"),
            ),
            limits,
        ),
        delta_seconds=delta.report.duration_seconds or delta.wall_seconds,
        delta_requests=delta.report.requests,
        naive=naive,
        limits=limits,
        tenant=tenant,
    )
    print(against.render(numbers, ours, full.report.requests))
    print("\n== delta vs full")
    print(
        _table(
            ["", "value"],
            [
                [
                    "delta requests / full requests",
                    f"{delta.report.requests:,} / {full.report.requests:,} = "
                    f"{ratios['delta_requests_pct_of_full']:.2f}% (target ≤ 3%)",
                ],
                [
                    "delta time / full time (compressed)",
                    f"{delta.wall_seconds:.1f} / {full.wall_seconds:.1f} s = "
                    f"{ratios['delta_time_pct_of_full_compressed']:.1f}%",
                ],
                [
                    "delta time / full time (real-time est.)",
                    f"{delta_estimate['seconds']:.1f} / {full_estimate['seconds']:.0f} s = "
                    f"{ratios['delta_time_pct_of_full_real_time_estimate']:.1f}%",
                ],
                ["store size after both runs", f"{(size or 0) / MB:.0f} MB ({params.db})"],
            ],
            "ll",
        )
    )
    print(
        f"\nScaling: throttling windows ran {params.time_scale:g} times faster in the sandbox "
        f"and in our client (reports limiter 5 per {params.client_reports_period:.2f} s instead "
        f"of 5 per {CLIENT_REPORTS_PERIOD} s); latency ({params.latency_ms:g} ms per request) was "
        "not scaled. Wall times above are measured, compressed; real-time figures are estimates "
        "that stretch only the limiter-bound sign-in pass."
    )
    return {
        "parameters": {
            **asdict(params),
            "client_reports_period_seconds": params.client_reports_period,
            "churn": churn_counts,
        },
        "sandbox": {
            "command": sandbox.command(),
            "startup_seconds": sandbox.startup_seconds,
            "signins_generated": sandbox.tenant["signins_generated"],
            "size_class": sandbox.tenant["size"],
            "peak_rss_mb": sandbox.memory_kb().get("VmHWM", 0) / 1024,
        },
        "baseline": baseline,
        "full": run_json(full, full_estimate),
        "delta": run_json(delta, delta_estimate),
        "delta_expected_from_churn": expected,
        "ratios": ratios,
        "truth": {"after_full": full_truth, "after_delta": delta_truth},
        "store_bytes": size,
        # The sync's own duration (the run row, without the insights step after it) is what
        # efficiency and naive_ratio compare: the naive client derives no insights.
        "sync_seconds": ours,
        **numbers,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sync",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--apps", type=int, default=1_000)
    parser.add_argument("--signins-per-user-per-day", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=50.0,
        help="added latency per Graph request (not time-scaled)",
    )
    parser.add_argument(
        "--latency-sigma",
        type=float,
        default=0.0,
        help="lognormal spread of the latency (0 = fixed)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=10.0,
        help="throttling windows run this much faster (sandbox and client)",
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--concurrency", type=int, default=8, help="APPVENTORY_GRAPH_CONCURRENCY for the client"
    )
    parser.add_argument(
        "--empty-page-rate",
        type=float,
        default=0.02,
        help="share of empty pages with a nextLink (the sandbox's default)",
    )
    parser.add_argument("--churn-percent", type=float, default=1.0)
    parser.add_argument(
        "--no-naive", action="store_true", help="skip the naive baseline client (faster)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-write", action="store_true", help="print only, write no JSON")
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile each run (slower); .prof files go to DIR"
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="time store calls and Graph fetches (patched wrappers; small overhead)",
    )
    parser.add_argument(
        "--request-log", metavar="FILE", help="write the sandbox's raw request log here (JSON)"
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="keep the SQLite file / PostgreSQL database for inspection",
    )
    parser.add_argument("--verbose", action="store_true", help="log the engine at INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.time_scale <= 0:
        raise SystemExit("--time-scale must be > 0")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    params = Params(
        users=args.users,
        apps=args.apps,
        signins_per_user_per_day=args.signins_per_user_per_day,
        days=args.days,
        latency_ms=args.latency_ms,
        latency_sigma=args.latency_sigma,
        time_scale=args.time_scale,
        db=args.db,
        seed=args.seed,
        concurrency=args.concurrency,
        empty_page_rate=args.empty_page_rate,
        churn_percent=args.churn_percent,
    )
    workdir = Path(tempfile.mkdtemp(prefix="appventory-bench-"))
    try:
        entry = asyncio.run(benchmark(params, args, workdir))
    finally:
        if args.keep_db:
            print(f"kept work directory {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.no_write:
        write_results(args.output, entry)
        print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
