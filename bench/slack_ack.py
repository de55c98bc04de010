"""Slack ack latency: how fast every command is acknowledged while a sync runs.

Run from the repository root:

    .venv/bin/python -m bench.slack_ack --users 2000 --apps 200 --time-scale 10 --samples 60

Three processes, as in production's embedded mode: the sandbox tenant (`appventory sandbox`),
the web app (`appventory serve`, SQLite, in-process sync runner: the sync shares the event loop
and the database connection with the Slack door), and this script, which plays Slack: it serves
a fake Web API (where the app posts progress and replies) and sends signed slash commands to
`/slack/events`, timing each until its HTTP answer (the ack) arrives.

It starts a full sync with `/sync full`, then sends the commands round-robin, one at a time,
until each has `--samples` answers taken while a sync was running (restarting a full sync when
one ends). A sample counts as "during a sync" when it was sent between the sync's first message
and its final result. Prints p50 / p99 / max per command and writes `bench/results/slack_ack.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from appventory.runtime import open_runtime
from bench.sync import database
from sandbox.slack import TEAM_ID, FakeSlack, running_fake_slack
from sync_core import consent, records
from sync_core.crypto import generate_key
from sync_core.settings import Settings
from sync_core.store import organizations
from sync_core.store import slack as slack_store

RESULTS = Path(__file__).resolve().parent / "results" / "slack_ack.json"
SECRET = "bench-signing-secret"
ADMIN = "UBENCHADMIN"
ACTOR = records.Actor(records.ActorType.CLI, "bench", "bench.slack_ack")
COMMANDS = [
    ("/help", ""),
    ("/connect", ""),
    ("/connect", "status"),
    ("/connect", "refresh"),
    ("/sync", ""),  # a run is active: "already running"
    ("/sync", "history"),
    ("/apps", ""),
    ("/apps", "shadow"),
    ("/apps", "in-use a"),
    ("/apps", "unused-seats"),
    ("/apps", "Slack"),
    ("/connect", "frobnicate"),  # unknown sub-command: refused in the ack itself
]
CLIENT_REPORTS_PERIOD = 10.2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _appventory() -> list[str]:
    exe = Path(sys.executable).with_name("appventory")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "appventory"]


class Process:
    """A child process with its log, stopped with SIGINT."""

    def __init__(self, args: list[str], *, log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )

    async def wait_for(self, url: str, *, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"{self.log.name}: exited\n{self.log.read_text()[-3000:]}")
                with contextlib.suppress(httpx.TransportError):
                    answer = await client.get(url)
                    if answer.status_code == 200:
                        return answer.json()
                await asyncio.sleep(0.1)
        raise SystemExit(f"{url} did not answer in {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Sample:
    command: str
    sent_at: float
    seconds: float
    status: int
    response_url: str = ""
    answered_in_ack: bool = False


@dataclass
class Syncs:
    """When syncs ran, as the fake Slack saw their messages (read incrementally)."""

    windows: list[list[float | None]] = field(default_factory=list)
    seen: int = 0

    def update(self, fake: FakeSlack) -> None:
        calls = fake.calls[self.seen :]
        self.seen += len(calls)
        for call in calls:
            if call.status != 200 or call.method not in ("chat.postMessage", "chat.update"):
                continue
            if call.method == "chat.postMessage" and "started by" in call.text:
                self.windows.append([call.at, None])
            elif "Sync of" in call.text and self.windows and self.windows[-1][1] is None:
                self.windows[-1][1] = call.at

    def active(self, at: float) -> bool:
        return any(s <= at and (e is None or at <= e) for s, e in self.windows)

    def running(self) -> bool:
        return bool(self.windows) and self.windows[-1][1] is None


class FakeSlackThread:
    """The fake Slack on its own thread and event loop, so serving the app's posts never
    delays the timing of an ack on the measuring loop."""

    def __enter__(self) -> FakeSlack:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        self._ready.wait(30)
        return self.fake

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with running_fake_slack() as fake:
            self.fake = fake
            self._ready.set()
            await self._stop.wait()

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def _body(command: str, text: str, url: str) -> str:
    return urlencode(
        {
            "token": "x",
            "team_id": TEAM_ID,
            "team_domain": "bench",
            "channel_id": "CBENCH",
            "channel_name": "bench",
            "user_id": ADMIN,
            "user_name": "bench",
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "trigger_id": "t",
            "response_url": url,
        }
    )


async def send(client: httpx.AsyncClient, fake: FakeSlack, command: str, text: str) -> Sample:
    url = fake.response_url()
    body = _body(command, text, url)
    ts = str(int(time.time()))
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
    }
    started = time.monotonic()
    answer = await client.post("/slack/events", content=body, headers=headers)
    return Sample(
        f"{command} {text}".strip(),
        started,
        time.monotonic() - started,
        answer.status_code,
        url,
        bool(answer.content),
    )


class Replies:
    """Which response_urls the app has posted to (read incrementally from the fake)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake, self.seen, self.urls = fake, 0, set()

    def has(self, url: str) -> bool:
        calls = self.fake.calls[self.seen :]
        self.seen += len(calls)
        self.urls.update(c.url for c in calls if c.method == "respond")
        return url in self.urls


async def answered(replies: Replies, sample: Sample, *, timeout: float = 15.0) -> None:
    """Wait for the reply a command posts after its ack (a person reads it before typing on)."""
    if sample.answered_in_ack:
        return
    for _ in range(int(timeout / 0.005)):
        if replies.has(sample.response_url):
            return
        await asyncio.sleep(0.005)


async def prepare(settings: Settings, tenant_id: str) -> uuid.UUID:
    """An organization with the sandbox tenant connected and the workspace bound."""
    async with open_runtime(settings) as runtime:
        org, _ = await organizations.create_organization(name="Bench Co")
        verified = await runtime.check_tenant(tenant_id)
        await consent.record_connection(organization_id=org.id, actor=ACTOR, verified=verified)
        await slack_store.bind_workspace(team_id=TEAM_ID, organization_id=org.id, actor=ACTOR)
        return org.id


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0 < q < 1), interpolated between the two nearest samples."""
    if len(values) < 2:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[min(98, max(0, round(q * 100) - 1))]


async def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    sandbox_port, app_port = _free_port(), _free_port()
    sandbox = Process(
        [
            *_appventory(),
            "sandbox",
            "--port",
            str(sandbox_port),
            "--users",
            str(args.users),
            "--apps",
            str(args.apps),
            "--signins-per-user-per-day",
            f"{args.signins:g}",
            "--latency-ms",
            f"{args.latency_ms:g}",
            "--time-scale",
            f"{args.time_scale:g}",
        ],
        log=workdir / "sandbox.log",
    )
    processes = [sandbox]
    try:
        info = await sandbox.wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox")
        reports_period = CLIENT_REPORTS_PERIOD / args.time_scale  # as the sandbox compresses
        with FakeSlackThread() as fake:
            async with database(args.db, workdir, keep=args.keep) as db:
                fake.users[ADMIN] = {"is_admin": True}
                env = {
                    "APPVENTORY_DATABASE_URL": db["url"],
                    "APPVENTORY_SECRET_KEY": generate_key(),
                    "APPVENTORY_ENTRA_CLIENT_ID": info["client_id"],
                    "APPVENTORY_ENTRA_CLIENT_SECRET": info["client_secret"],
                    "APPVENTORY_LOGIN_URL": f"http://127.0.0.1:{sandbox_port}",
                    "APPVENTORY_GRAPH_URL": f"http://127.0.0.1:{sandbox_port}",
                    "APPVENTORY_GRAPH_REPORTS_PERIOD_SECONDS": f"{reports_period:g}",
                    "APPVENTORY_SLACK_API_URL": fake.api_url,
                    "SLACK_BOT_TOKEN": "xoxb-bench",
                    "SLACK_SIGNING_SECRET": SECRET,
                    "APPVENTORY_LOG_LEVEL": "WARNING",
                }
                settings = Settings(
                    _env_file=None,
                    **{k.removeprefix("APPVENTORY_").lower(): v for k, v in env.items()},
                )
                org = await prepare(settings, info["tenants"][0]["tenant_id"])
                child_env = {
                    k: v
                    for k, v in os.environ.items()
                    if not k.startswith(("APPVENTORY_", "SLACK_"))
                } | env
                app = Process(
                    [*_appventory(), "serve", "--port", str(app_port)],
                    log=workdir / "app.log",
                    env=child_env,
                )
                processes.append(app)
                await app.wait_for(f"http://127.0.0.1:{app_port}/healthz")
                worker = None
                if args.sync_in == "worker":
                    command = [*_appventory(), "sync", "--org", str(org), "--full"]
                    worker = Worker(command, env=child_env, workdir=workdir)
                try:
                    return await measure(args, fake, f"http://127.0.0.1:{app_port}", worker=worker)
                finally:
                    app.stop()  # before its database goes
    finally:
        for process in reversed(processes):
            process.stop()


class Worker:
    """Syncs in their own process (`appventory sync`), as a worker runs them in production."""

    def __init__(self, command: list[str], *, env: dict[str, str], workdir: Path) -> None:
        self.command, self.env, self.workdir = command, env, workdir
        self.process: Process | None = None

    def start(self, syncs: Syncs) -> None:
        log = self.workdir / f"sync-{len(syncs.windows) + 1}.log"
        self.process = Process(self.command, log=log, env=self.env)
        syncs.windows.append([time.monotonic(), None])

    def update(self, syncs: Syncs) -> None:
        if self.process is not None and self.process.process.poll() is not None:
            syncs.windows[-1][1] = time.monotonic()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


async def measure(
    args: argparse.Namespace, fake: FakeSlack, base_url: str, *, worker: Worker | None
) -> dict[str, Any]:
    samples: list[Sample] = []
    loads = [os.getloadavg()[0]]  # the machine is shared: how busy it was says how noisy
    syncs = Syncs()
    counts: dict[str, int] = defaultdict(int)
    replies = Replies(fake)
    deadline = time.monotonic() + args.max_seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await send(client, fake, "/help", "")  # warm-up: Bolt's one-time auth.test
        try:
            while time.monotonic() < deadline:
                if worker is None:
                    syncs.update(fake)
                else:
                    worker.update(syncs)
                if not syncs.running():
                    await start_sync(client, fake, syncs, worker)
                    continue
                for command, text in COMMANDS:
                    sample = await send(client, fake, command, text)
                    samples.append(sample)
                    if syncs.active(sample.sent_at):
                        counts[sample.command] += 1
                    if not args.burst:
                        await answered(replies, sample)
                    await asyncio.sleep(args.pause)
                loads.append(os.getloadavg()[0])
                if min(counts.get(f"{c} {t}".strip(), 0) for c, t in COMMANDS) >= args.samples:
                    break
        finally:
            if worker is not None:
                worker.stop()
                worker.update(syncs)
        if worker is None:
            syncs.update(fake)
    return {**summarise(samples, syncs, args), "load_1min": _load(loads)}


def _load(loads: list[float]) -> dict[str, float]:
    """The 1-minute load average over the measurement (2 cores: above 2 means waiting)."""
    return {
        "start": round(loads[0], 2),
        "min": round(min(loads), 2),
        "mean": round(statistics.fmean(loads), 2),
        "max": round(max(loads), 2),
    }


async def start_sync(
    client: httpx.AsyncClient, fake: FakeSlack, syncs: Syncs, worker: Worker | None
) -> None:
    """A full sync: through /sync (run by the web process), or in a worker process."""
    if worker is not None:
        worker.start(syncs)
        await asyncio.sleep(1.0)  # let it take the run before commands find it active
        return
    known = len(syncs.windows)
    while len(syncs.windows) == known:
        # A scheduled sync (the web process books one for a tenant never synced) posts nothing
        # to Slack, and `/sync full` is refused while it runs: ask again until ours starts.
        await send(client, fake, "/sync", "full")
        for _ in range(100):
            await asyncio.sleep(0.05)
            syncs.update(fake)
            if len(syncs.windows) != known:
                break


def summarise(samples: list[Sample], syncs: Syncs, args: argparse.Namespace) -> dict[str, Any]:
    during = [s for s in samples if syncs.active(s.sent_at)]
    rows = []
    for command, text in COMMANDS:
        name = f"{command} {text}".strip()
        ms = [s.seconds * 1000 for s in during if s.command == name]
        if ms:
            rows.append(
                {
                    "command": name,
                    "n": len(ms),
                    "p50_ms": round(percentile(ms, 0.5), 1),
                    "p99_ms": round(percentile(ms, 0.99), 1),
                    "max_ms": round(max(ms), 1),
                    "mean_ms": round(statistics.fmean(ms), 1),
                }
            )
    every = [s.seconds * 1000 for s in during]
    overall = {}
    if every:
        overall = {
            "n": len(every),
            "p50_ms": round(percentile(every, 0.5), 1),
            "p99_ms": round(percentile(every, 0.99), 1),
            "max_ms": round(max(every), 1),
        }
    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    starts = [start for start, _ in syncs.windows]
    slowest = [
        {
            "command": s.command,
            "ms": round(s.seconds * 1000, 1),
            "after_sync_start_s": round(s.sent_at - max(t for t in starts if t <= s.sent_at), 2),
        }
        for s in sorted(during, key=lambda s: -s.seconds)[:8]
    ]
    windows = [round(end - start, 1) for start, end in syncs.windows if end is not None]
    running = [round(time.monotonic() - start, 1) for start, end in syncs.windows if end is None]
    return {
        "params": {k: v for k, v in vars(args).items() if k != "keep"},
        "sync_seconds": {"finished": windows, "still_running_after": running},
        "slowest": slowest,
        "machine": machine,
        "syncs_observed": len(syncs.windows),
        "errors": sum(1 for s in samples if s.status != 200),
        "all_commands": overall,
        "commands": rows,
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"{'command':<26}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"]
    for row in result["commands"]:
        lines.append(
            f"{row['command']:<26}{row['n']:>6}{row['p50_ms']:>10}{row['p99_ms']:>10}"
            f"{row['max_ms']:>10}"
        )
    total = result["all_commands"]
    if total:
        lines.append(
            f"{'every command':<26}{total['n']:>6}{total['p50_ms']:>10}"
            f"{total['p99_ms']:>10}{total['max_ms']:>10}"
        )
    lines.append(
        f"syncs running meanwhile: {result['syncs_observed']}; non-200 answers: {result['errors']}"
    )
    if "load_1min" in result:
        load = result["load_1min"]
        lines.append(
            f"1-minute load average: {load['min']} to {load['max']} "
            f"(mean {load['mean']}) on {os.cpu_count()} cpus"
        )
    return "\n".join(lines)


def write_results(result: dict[str, Any], args: argparse.Namespace) -> None:
    """One entry per parameter set in the results file; a re-run replaces its own entry."""
    key = (
        f"{args.sync_in}/{args.db}/users={args.users}/apps={args.apps}/"
        f"signins={args.signins:g}/scale={args.time_scale:g}/pause={args.pause:g}"
        f"{'/burst' if args.burst else ''}{f'/{args.tag}' if args.tag else ''}"
    )
    entries = {}
    if RESULTS.exists():
        entries = {e["key"]: e for e in json.loads(RESULTS.read_text()).get("runs", [])}
    entries[key] = {
        "key": key,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **result,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": list(entries.values())}, indent=2) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--signins", type=float, default=2.0, help="per user per day")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="sandbox latency")
    parser.add_argument("--time-scale", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=60, help="per command, during a sync")
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between commands")
    parser.add_argument(
        "--burst",
        action="store_true",
        help="send the next command without waiting for the previous reply",
    )
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument(
        "--sync-in",
        choices=("web", "worker"),
        default="web",
        help="run syncs in the web process (embedded) or a worker process",
    )
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: a throwaway database on 127.0.0.1 (needed for a worker)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--tag", default="", help="a label for the results entry (e.g. before)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.sync_in == "worker" and args.db == "sqlite":
        raise SystemExit("a worker process needs PostgreSQL (--db postgres): SQLite is one process")
    workdir = Path(tempfile.mkdtemp(prefix="slack-ack-"))
    try:
        result = asyncio.run(benchmark(args, workdir))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(result))
    write_results(result, args)
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
