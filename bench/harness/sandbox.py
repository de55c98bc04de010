"""The sandbox tenant in a child process (`appventory sandbox`) and its control API."""

from __future__ import annotations

import contextlib
import math
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

import httpx

from bench.harness.proc import free_port, proc_cpu_seconds, proc_status


class TenantParams(Protocol):
    """What the sandbox command line is built from (a benchmark's parameters)."""

    seed: int
    users: int
    apps: int
    signins_per_user_per_day: float
    days: int
    latency_ms: float
    latency_sigma: float
    time_scale: float
    empty_page_rate: float


class SandboxProcess:
    """`appventory sandbox` in a child process, its control API, and its resource usage."""

    def __init__(self, params: TenantParams, workdir: Path) -> None:
        self.params = params
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "sandbox.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.startup_seconds = 0.0

    def command(self) -> list[str]:
        exe = Path(sys.executable).with_name("appventory")
        prefix = [str(exe)] if exe.exists() else [sys.executable, "-m", "appventory"]
        p = self.params
        return [
            *prefix,
            "sandbox",
            "--port",
            str(self.port),
            "--seed",
            str(p.seed),
            "--users",
            str(p.users),
            "--apps",
            str(p.apps),
            "--signins-per-user-per-day",
            f"{p.signins_per_user_per_day:g}",
            "--days",
            str(p.days),
            "--latency-ms",
            f"{p.latency_ms:g}",
            "--latency-sigma",
            f"{p.latency_sigma:g}",
            "--time-scale",
            f"{p.time_scale:g}",
            "--empty-page-rate",
            f"{p.empty_page_rate:g}",
        ]

    def start(self) -> None:
        started = time.perf_counter()
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"sandbox exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                answer = httpx.get(f"{self.base_url}/_sandbox", timeout=5)
                if answer.status_code == 200:
                    self.info = answer.json()
                    self.startup_seconds = time.perf_counter() - started
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"sandbox did not answer within 600 s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    @property
    def tenant(self) -> dict[str, Any]:
        return self.info["tenants"][0]

    @property
    def tenant_id(self) -> str:
        return self.tenant["tenant_id"]

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.process.pid) if self.process else math.nan

    def memory_kb(self) -> dict[str, int]:
        return proc_status(self.process.pid) if self.process else {}


class Control:
    """The sandbox's control API, over its own HTTP client (not the sync's)."""

    def __init__(self, base_url: str, tenant_id: str) -> None:
        # Ground truth walks every sign-in: ~30 s at 100k users / 3M sign-ins.
        self.client = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(600, connect=10))
        self.tenant_id = tenant_id

    async def close(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, path: str, payload: dict | None = None) -> Any:
        answer = await self.client.request(method, f"/_sandbox/{path}".rstrip("/"), json=payload)
        answer.raise_for_status()
        return answer.json()

    async def ground_truth(self) -> dict[str, Any]:
        return await self._call("GET", f"tenants/{self.tenant_id}/ground-truth")

    async def churn(self, **counts: int) -> dict[str, Any]:
        return await self._call("POST", f"tenants/{self.tenant_id}/churn", counts)

    async def request_log(self) -> list[dict[str, Any]]:
        return (await self._call("GET", "requests"))["requests"]
