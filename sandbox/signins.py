"""The sign-in log: sign-in k (0 = newest) is a pure function of (seed, k); nothing is stored.

Times fall strictly as k grows, so a createdDateTime window is an index range found by binary
search. Users are drawn through "slots" (active users own 1..n slots) permuted per cycle, which
makes each user's newest sign-in computable without scanning the log (signInActivity).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import accumulate
from typing import NamedTuple

from sandbox.apps import App, AppKind
from sandbox.people import DEPARTMENTS, DISABLED_FAILURE, FAILURES
from sandbox.randomness import AffinePermutation, hash64, unit
from sandbox.users import UserFactory

HOUR = 3_600.0
DAY = 86_400.0
FAILURE_RATE = 0.06
_FAILURE_CUMULATIVE = list(accumulate(f[1] for f in FAILURES))
_SLOT_WEIGHTS = (0, 1, 1, 1, 2, 2, 3, 4, 6, 9)  # index 0: never signs in (weighted below)


class Hit(NamedTuple):
    """The facts about one sign-in that ground truth and signInActivity need."""

    key: int
    time: float
    user: int
    app: App
    success: bool


def _hour_weight(start: float) -> float:
    moment = datetime.fromtimestamp(start, UTC)
    hour, weekend = moment.hour, moment.weekday() >= 5
    weight = 1.0 if 8 <= hour < 18 else 0.3 if 6 <= hour < 21 else 0.04
    return weight * (0.15 if weekend else 1.0)


class SignInLog:
    """Generated history of interactive sign-ins plus a small overlay added by churn."""

    def __init__(
        self,
        *,
        seed: int,
        users: UserFactory,
        user_count: int,
        apps: list[App],
        anchor: float,
        days: int,
        per_user_per_day: float,
    ) -> None:
        self.seed, self.users, self.anchor, self.days = seed, users, anchor, days
        self._apps = [a for a in apps if a.kind is not AppKind.MANAGED_IDENTITY]
        self._slots = array("q", [0])
        # Per-user facts the log needs on every sign-in, computed once (3 bytes per user).
        self._dept = array("b", bytes(user_count))
        self._enabled = array("b", bytes(user_count))
        for u in range(user_count):
            dept = users.department_index(u)
            self._dept[u] = -1 if dept is None else dept
            self._enabled[u] = users.is_enabled(u)
            self._slots.append(self._slots[-1] + self._weight(u))
        self.slot_count = self._slots[-1]
        self.total = round(user_count * per_user_per_day * days) if self.slot_count else 0
        weights = [_hour_weight(anchor - (h + 1) * HOUR) for h in range(days * 24)]
        running = list(accumulate(weights)) or [0.0]
        scale = self.total / running[-1] if running[-1] else 0.0
        self._hour_start = array("q", [0, *(round(w * scale) for w in running)])
        self._cycles: dict[int, AffinePermutation] = {}
        self._tables: dict[tuple[int | None, int], tuple[list[float], list[App]]] = {}
        self.overlay: list[Hit] = []
        self._base_last_by_app: dict[str, Hit] | None = None
        self._overlay_last: dict[int, Hit] = {}
        self._overlay_last_success: dict[int, Hit] = {}

    def _weight(self, u: int) -> int:
        r = hash64(self.seed, "activity", u)
        if unit(r) < 0.06:
            return 0
        weight = _SLOT_WEIGHTS[1 + (r >> 8) % (len(_SLOT_WEIGHTS) - 1)]
        # Disabled accounts only produce the odd failed attempt (AADSTS50057).
        return weight if self._enabled[u] else 1

    def _cycle(self, c: int) -> AffinePermutation:
        perm = self._cycles.get(c)
        if perm is None:
            perm = self._cycles[c] = AffinePermutation(self.slot_count, self.seed, f"cycle{c}")
        return perm

    def time_of(self, k: int) -> float:
        """createdDateTime of base sign-in k (strictly decreasing in k)."""
        h = bisect_right(self._hour_start, k) - 1
        count = self._hour_start[h + 1] - self._hour_start[h]
        jitter = unit(hash64(self.seed, "signin-time", k))
        return self.anchor - HOUR * h - HOUR * (k - self._hour_start[h] + jitter) / count

    def first_before(self, t: float) -> int:
        """The smallest k whose time is < t (self.total when none)."""
        lo, hi = 0, self.total
        while lo < hi:
            mid = (lo + hi) // 2
            if self.time_of(mid) < t:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def user_of(self, k: int) -> int:
        """The user of base sign-in k."""
        cycle, position = divmod(k, self.slot_count)
        slot = self._cycle(cycle).inverse(position)
        return bisect_right(self._slots, slot) - 1

    def app_for(self, key: int, user: int, days_ago: float) -> App:
        """The app a user signs in to on a given day, weighted by department and popularity."""
        dept = self._department(user)
        cumulative, apps = self._table(dept, int(days_ago))
        if not apps:
            cumulative, apps = self._table(None, int(days_ago))
        pick = unit(hash64(self.seed, "signin-app", key)) * cumulative[-1]
        return apps[min(bisect_right(cumulative, pick), len(apps) - 1)]

    def _department(self, user: int) -> int | None:
        if user < len(self._dept):
            return None if self._dept[user] < 0 else self._dept[user]
        return self.users.department_index(user)

    def _table(self, dept: int | None, day: int) -> tuple[list[float], list[App]]:
        found = self._tables.get((dept, day))
        if found is None:
            name = DEPARTMENTS[dept].name if dept is not None else None
            apps = [
                a
                for a in self._apps
                if a.is_used_on(day + 0.5)
                and (
                    a.kind is AppKind.MICROSOFT
                    or (name is not None and ("*" in a.departments or name in a.departments))
                )
            ]
            found = self._tables[(dept, day)] = (list(accumulate(a.popularity for a in apps)), apps)
        return found

    def failure_of(self, key: int, user: int) -> tuple[int, str] | None:
        """(AADSTS code, reason) when the sign-in failed, else None."""
        enabled = self._enabled[user] if user < len(self._enabled) else self.users.is_enabled(user)
        if not enabled:
            return DISABLED_FAILURE
        h = hash64(self.seed, "signin-status", key)
        if unit(h) >= FAILURE_RATE:
            return None
        pick = unit(h ^ 0x5DEECE66D) * _FAILURE_CUMULATIVE[-1]
        code, _, reason = FAILURES[bisect_right(_FAILURE_CUMULATIVE, pick)]
        return code, reason

    def hit(self, k: int) -> Hit:
        """The facts of base sign-in k."""
        t = self.time_of(k)
        user = self.user_of(k)
        app = self.app_for(k, user, (self.anchor - t) / DAY)
        return Hit(k, t, user, app, self.failure_of(k, user) is None)

    def scan(self, start: int = 0, stop: int | None = None) -> Iterator[Hit]:
        """Base sign-ins start..stop-1, newest first (ground truth walks all of them)."""
        for k in range(start, self.total if stop is None else stop):
            yield self.hit(k)

    def add(self, *, user: int, app: App, at: float) -> Hit:
        """Record a new sign-in (churn); overlay keys are negative so they never collide."""
        if self.overlay:
            at = max(at, self.overlay[-1].time)  # the overlay stays sorted by time
        key = -(len(self.overlay) + 1)
        found = Hit(key, at, user, app, self.failure_of(key, user) is None)
        self.overlay.append(found)
        self._overlay_last[user] = found
        if found.success:
            self._overlay_last_success[user] = found
        return found

    def latest(self, user: int) -> tuple[Hit | None, Hit | None]:
        """(newest sign-in, newest successful sign-in) of a user, over the whole history."""
        newest = self._overlay_last.get(user)
        newest_ok = self._overlay_last_success.get(user)
        if newest_ok is not None or user + 1 >= len(self._slots):
            return newest, newest_ok
        base_any, base_ok = self._base_latest(user)
        return newest or base_any, base_ok

    def _base_latest(self, user: int) -> tuple[Hit | None, Hit | None]:
        slots = range(self._slots[user], self._slots[user + 1])
        first: Hit | None = None
        for cycle in range(self.total // max(self.slot_count, 1) + 1):
            perm = self._cycle(cycle)
            for k in sorted(cycle * self.slot_count + perm.forward(s) for s in slots):
                if k >= self.total:
                    return first, None
                found = self.hit(k)
                first = first or found
                if found.success:
                    return first, found
        return first, None

    def last_success_by_app(self) -> dict[str, Hit]:
        """Newest successful sign-in per service principal id (one full scan, then cached)."""
        if self._base_last_by_app is None:
            found: dict[str, Hit] = {}
            for hit in self.scan():
                if hit.success and hit.app.sp_id not in found:
                    found[hit.app.sp_id] = hit
            self._base_last_by_app = found
        merged = dict(self._base_last_by_app)
        for hit in self.overlay:
            if hit.success:
                merged[hit.app.sp_id] = hit
        return merged
