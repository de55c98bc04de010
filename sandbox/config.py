"""Settings of the sandbox: the tenants it fakes, the app it accepts, limits and faults."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from sandbox.randomness import guid

DEFAULT_ROLES = ("User.Read.All", "Application.Read.All", "AuditLog.Read.All", "Directory.Read.All")
DEFAULT_CLIENT_ID = "5a9d7b3c-1e2f-4a6b-8c9d-0e1f2a3b4c5d"
DEFAULT_CLIENT_SECRET = "sbx8Q~sandbox.client.secret.value"
DAY = 86_400.0


class TenantSize(Enum):
    """Microsoft's identity throttling size classes (docs/graph.md#throttling)."""

    SMALL = "S"
    MEDIUM = "M"
    LARGE = "L"


@dataclass
class TenantSpec:
    """One fake tenant; every generated object is a pure function of `seed` and an index."""

    tenant_id: str = ""
    name: str = "Contoso"
    seed: int = 1
    users: int = 50
    apps: int = 30
    signins_per_user_per_day: float = 2.0
    days: int = 30
    premium: bool = True
    granted_roles: list[str] = field(default_factory=lambda: list(DEFAULT_ROLES))
    consented: bool = True
    domain: str = ""

    def __post_init__(self) -> None:
        if not self.tenant_id:
            self.tenant_id = guid(self.seed, "tenant", 0)
        self.tenant_id = self.tenant_id.lower()
        if not self.domain:
            slug = re.sub(r"[^a-z0-9]", "", self.name.lower()) or "tenant"
            self.domain = f"{slug}.onmicrosoft.com"

    @property
    def size(self) -> TenantSize:
        """S below 50 users, M up to 500, L above (docs/graph.md#throttling)."""
        if self.users < 50:
            return TenantSize.SMALL
        return TenantSize.MEDIUM if self.users <= 500 else TenantSize.LARGE


@dataclass
class ThrottleLimits:
    """Identity and reports throttling limits; all windows are divided by `time_scale`."""

    enabled: bool = True
    ru_small: int = 3_500
    ru_medium: int = 5_000
    ru_large: int = 8_000
    ru_window_seconds: float = 10.0
    app_ru: int = 150_000
    app_ru_window_seconds: float = 20.0
    app_requests: int = 130_000
    app_requests_window_seconds: float = 10.0
    reports_requests: int = 5
    reports_window_seconds: float = 10.0
    multiplier: float = 1.0
    time_scale: float = 1.0

    def tenant_capacity(self, size: TenantSize) -> float:
        """RU per window for one app in one tenant of this size."""
        base = {TenantSize.SMALL: self.ru_small, TenantSize.MEDIUM: self.ru_medium}
        return base.get(size, self.ru_large) * self.multiplier

    def window(self, seconds: float) -> float:
        """A documented window compressed by the time scale."""
        return seconds / max(self.time_scale, 1e-9)


@dataclass
class FaultSettings:
    """Injected trouble on Graph (and optionally identity) requests; rates are 0..1."""

    latency_ms: float = 0.0
    latency_sigma: float = 0.0
    rate_429: float = 0.0
    rate_503: float = 0.0
    rate_504: float = 0.0
    rate_drop: float = 0.0
    rate_malformed: float = 0.0
    retry_after_seconds: float = 1.5
    share_503_with_retry_after: float = 0.5
    include_identity: bool = False
    seed: int | None = None


@dataclass
class SandboxConfig:
    """Everything create_app needs; the first tenant is the primary one."""

    tenants: list[TenantSpec] = field(default_factory=lambda: [TenantSpec()])
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    client_name: str = "AppVentory"
    public_login_host: str = "https://login.microsoftonline.com"
    # When set (e.g. "https://graph.microsoft.com"), nextLinks and deltaLinks name this host, as
    # Graph's do; a client must follow them as given, to its own Graph URL.
    public_graph_host: str | None = None
    throttling: ThrottleLimits = field(default_factory=ThrottleLimits)
    faults: FaultSettings = field(default_factory=FaultSettings)
    token_lifetime_seconds: int | None = None
    skiptoken_lifetime_seconds: float = 3_600.0
    delta_token_lifetime_seconds: float = 7 * DAY
    signin_retention_days: int = 30
    empty_page_rate: float = 0.02
    delta_page_size: int = 200
    delta_duplicate_rate: float = 0.03
    redirect_uris: list[str] = field(default_factory=list)
    client_secret_expired: bool = False
    anchor: datetime | None = None
    request_log_size: int = 100_000
    signing_key: bytes | None = None

    def __post_init__(self) -> None:
        if not self.tenants:
            raise ValueError("SandboxConfig needs at least one tenant")
        ids = [t.tenant_id for t in self.tenants]
        if len(set(ids)) != len(ids):
            raise ValueError("tenant ids must be unique")

    @property
    def primary(self) -> TenantSpec:
        """The tenant `organizations` and `common` resolve to."""
        return self.tenants[0]

    @property
    def time_scale(self) -> float:
        """How much faster than real time throttling windows run."""
        return self.throttling.time_scale
