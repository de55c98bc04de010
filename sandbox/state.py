"""The running sandbox: tenants, clock, keys, limiters, faults and the request log."""

from __future__ import annotations

import logging
import random
import re
import secrets
import time
from typing import Any

from sandbox.churn import apply_churn
from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.directory import Tenant
from sandbox.faults import FaultInjector
from sandbox.requestlog import RequestLog
from sandbox.throttling import Throttle
from sandbox.tokens import AccessTokens, PageTokens

log = logging.getLogger(__name__)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ALIASES = ("organizations", "common")


class SandboxState:
    """Shared by the identity, Graph and control routes of one app."""

    def __init__(self, config: SandboxConfig) -> None:
        started = time.perf_counter()
        self.config = config
        self.clock = Clock()
        anchor = config.anchor.timestamp() if config.anchor else self.clock.now()
        self.tenants: dict[str, Tenant] = {
            spec.tenant_id: Tenant(
                spec,
                anchor=anchor,
                client_id=config.client_id.lower(),
                client_name=config.client_name,
            )
            for spec in config.tenants
        }
        key = config.signing_key or secrets.token_bytes(32)
        self.access_tokens = AccessTokens(key)
        self.page_tokens = PageTokens(key)
        # Authorization codes of the sign-in flow (sandbox/authcode.py), by code.
        self.auth_codes: dict[str, Any] = {}
        self.throttle = Throttle(config.throttling)
        self.faults = FaultInjector(config.faults)
        self.requests = RequestLog(config.request_log_size)
        self.client_secret_expired = config.client_secret_expired
        self.rng = random.Random(config.tenants[0].seed)
        self.pending: list[tuple[float, float, str, dict[str, int]]] = []
        log.info(
            "sandbox ready: %d tenant(s) in %.2fs", len(self.tenants), time.perf_counter() - started
        )

    @property
    def primary(self) -> Tenant:
        """The first configured tenant."""
        return self.tenants[self.config.primary.tenant_id]

    def tenant(self, tenant_id: str) -> Tenant | None:
        """A tenant by GUID."""
        return self.tenants.get(tenant_id.lower())

    def resolve(self, segment: str) -> Tenant | None:
        """The tenant a login URL's first segment names: GUID, domain or an alias."""
        value = segment.lower()
        if value in ALIASES:
            return self.primary
        if GUID.match(value):
            return self.tenants.get(value)
        return next((t for t in self.tenants.values() if t.spec.domain == value), None)

    def token_lifetime(self) -> int:
        """Seconds a new access token lives: configured, or a random 60-90 minutes."""
        configured = self.config.token_lifetime_seconds
        return configured if configured is not None else self.rng.randint(3_600, 5_400)

    def schedule_churn(self, tenant: Tenant, counts: dict[str, int], *, delay: float) -> float:
        """Churn that Graph only shows `delay` seconds from now (replication lag)."""
        now = self.clock.now()
        self.pending.append((now + delay, now, tenant.id, counts))
        self.pending.sort()
        return now + delay

    def catch_up(self) -> None:
        """Apply scheduled churn that is due; objects carry the time the change happened."""
        now = self.clock.now()
        while self.pending and self.pending[0][0] <= now:
            _, happened, tenant_id, counts = self.pending.pop(0)
            apply_churn(self.tenants[tenant_id], now=happened, **counts)
