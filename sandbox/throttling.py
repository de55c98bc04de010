"""Microsoft Graph throttling: identity RU buckets, the reports limiter, the per-app ceiling."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sandbox.config import TenantSize, ThrottleLimits

# Identity base costs (docs/graph.md#throttling); any other identity GET costs 1.
BASE_COSTS = {
    "users": 2,
    "users/delta": 2,
    "oauth2PermissionGrants": 2,
    "oauth2PermissionGrants/delta": 2,  # not in Microsoft's table: priced as the listing
    "servicePrincipals/appRoleAssignments": 2,
    "groups/members": 3,
    "groups/transitiveMembers": 5,
}


def request_cost(route: str, *, select: bool, expand: bool, top: int | None) -> int:
    """RU for one identity GET: base, -1 with $select, +1 with $expand, -1 with $top < 20."""
    cost = BASE_COSTS.get(route, 1) - select + expand - (top is not None and top < 20)
    return max(1, cost)


@dataclass
class Verdict:
    """The outcome of asking for capacity."""

    allowed: bool
    retry_after: float = 0.0
    scope: str = ""
    information: str = ""
    used: float = 0.0  # share of the tightest bucket in use after this request


class TokenBucket:
    """Continuous refill; throttled requests still count, down to one window of debt."""

    def __init__(self, capacity: float, window: float, now: float) -> None:
        self.capacity = capacity
        self.rate = capacity / window
        self.tokens = capacity
        self.updated = now

    def take(self, cost: float, now: float) -> tuple[bool, float]:
        """(allowed, seconds until this cost would fit)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        allowed = self.tokens >= cost
        self.tokens = max(-self.capacity, self.tokens - cost)
        return allowed, 0.0 if allowed else (cost - self.tokens) / self.rate

    @property
    def used(self) -> float:
        """Share of the capacity in use (above 1 while in debt)."""
        return (self.capacity - self.tokens) / self.capacity


class SlidingWindow:
    """At most `limit` requests in any `window` seconds (the reports limiter)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.hits: deque[float] = deque()

    def take(self, now: float) -> tuple[bool, float]:
        """(allowed, seconds until a slot frees up)."""
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        if len(self.hits) >= self.limit:
            return False, self.hits[0] + self.window - now
        self.hits.append(now)
        return True, 0.0


class Throttle:
    """All limiters of one sandbox, keyed by app and tenant."""

    def __init__(self, limits: ThrottleLimits) -> None:
        self.limits = limits
        self._tenant_ru: dict[tuple[str, str], TokenBucket] = {}
        self._app_ru: dict[str, TokenBucket] = {}
        self._app_requests: dict[str, TokenBucket] = {}
        self._reports: dict[tuple[str, str], SlidingWindow] = {}

    def request(self, *, app_id: str, tenant_id: str, now: float) -> Verdict:
        """The global per-app request ceiling, counted for every Graph request."""
        if not self.limits.enabled:
            return Verdict(True)
        bucket = self._app_requests.get(app_id)
        if bucket is None:
            bucket = self._app_requests[app_id] = TokenBucket(
                self.limits.app_requests * self.limits.multiplier,
                self.limits.window(self.limits.app_requests_window_seconds),
                now,
            )
        allowed, wait = bucket.take(1, now)
        return Verdict(
            allowed, wait, f"Application/ReadWrite/{app_id}/{tenant_id}", "RequestLimitExceeded"
        )

    def directory(
        self, *, app_id: str, tenant_id: str, size: TenantSize, cost: int, now: float
    ) -> Verdict:
        """Charge RU to the app+tenant bucket and the app's all-tenant bucket."""
        if not self.limits.enabled:
            return Verdict(True)
        lim = self.limits
        tenant_bucket = self._tenant_ru.get((app_id, tenant_id))
        if tenant_bucket is None:
            tenant_bucket = self._tenant_ru[(app_id, tenant_id)] = TokenBucket(
                lim.tenant_capacity(size), lim.window(lim.ru_window_seconds), now
            )
        allowed, wait = tenant_bucket.take(cost, now)
        if not allowed:
            return Verdict(
                False,
                wait,
                f"Tenant_Application/Read/{app_id}/{tenant_id}",
                "ResourceUnitLimitExceeded",
                tenant_bucket.used,
            )
        app_bucket = self._app_ru.get(app_id)
        if app_bucket is None:
            app_bucket = self._app_ru[app_id] = TokenBucket(
                lim.app_ru * lim.multiplier, lim.window(lim.app_ru_window_seconds), now
            )
        allowed, wait = app_bucket.take(cost, now)
        used = max(tenant_bucket.used, app_bucket.used)
        if not allowed:
            return Verdict(
                False,
                wait,
                f"Application/Read/{app_id}/{tenant_id}",
                "ResourceUnitLimitExceeded",
                used,
            )
        return Verdict(True, used=used)

    def reports(self, *, app_id: str, tenant_id: str, now: float) -> Verdict:
        """The identity reports limiter: 5 requests per 10 s per app per tenant."""
        if not self.limits.enabled:
            return Verdict(True)
        window = self._reports.get((app_id, tenant_id))
        if window is None:
            limit = max(1, round(self.limits.reports_requests * self.limits.multiplier))
            window = self._reports[(app_id, tenant_id)] = SlidingWindow(
                limit, self.limits.window(self.limits.reports_window_seconds)
            )
        allowed, wait = window.take(now)
        return Verdict(
            allowed, wait, f"Tenant_Application/Read/{app_id}/{tenant_id}", "ReportsLimitExceeded"
        )
