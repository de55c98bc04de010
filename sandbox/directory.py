"""One fake tenant: generated objects, a small overlay of changes, and its change log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.access import (
    ALL_EMPLOYEES,
    Assignment,
    Grant,
    Group,
    assignments_for,
    build_groups,
    grants_for,
    graph_permission,
)
from sandbox.apps import (
    App,
    AppKind,
    client_app,
    managed_identity,
    microsoft_app,
    own_app,
    third_party_apps,
    usage_profile,
)
from sandbox.catalog import GRAPH_APP_ID, MICROSOFT_APPS
from sandbox.config import TenantSpec
from sandbox.people import DEPARTMENTS
from sandbox.randomness import hash64, unit
from sandbox.roles import GLOBAL_ADMINISTRATOR
from sandbox.signins import SignInLog
from sandbox.users import UserFactory

DAY = 86_400.0
EXECUTIVE = "Executive"  # the department whose head tops the management chain


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change log that delta queries read."""

    seq: int
    collection: str  # "users" or "servicePrincipals"
    key: int | str  # user index or service principal id
    fields: frozenset[str] | None  # None: the whole object (created)
    deleted: bool
    at: float


class Tenant:
    """Everything Graph serves for one tenant; users and sign-ins are generated on demand."""

    def __init__(self, spec: TenantSpec, *, anchor: float, client_id: str, client_name: str):
        self.spec, self.id, self.anchor = spec, spec.tenant_id, anchor
        self.premium, self.consented = spec.premium, spec.consented
        self.granted_roles = list(spec.granted_roles)
        self.tokens_not_before = 0.0
        self.delta_epoch = 0
        self.consent_error: str | None = None
        self.client_id, self.client_name = client_id, client_name
        self.users = UserFactory(
            seed=spec.seed, domain=spec.domain, company=spec.name, anchor=anchor
        )
        self.base_users = spec.users
        self.added_users: list[float] = []
        self.removed_users: dict[int, float] = {}
        self.user_changes: dict[int, dict[str, Any]] = {}
        self.groups = build_groups(spec.seed, anchor)
        self.apps: list[App] = []
        self.assignments: list[Assignment] = []
        self.grants: list[Grant] = []
        self.changes: list[Change] = []
        # Directory role template ids per user index; the first enabled member is a Global
        # Administrator, the one the sandbox's sign-in page signs in unless told otherwise.
        self.directory_roles: dict[int, set[str]] = {self._first_member(): {GLOBAL_ADMINISTRATOR}}
        self.signin_as: str | None = None
        self._by_sp: dict[str, App] = {}
        self._by_app_id: dict[str, App] = {}
        self._user_ids: dict[str, int] | None = None
        self._upns: dict[str, int] | None = None
        self._heads: tuple[int, dict[str, int]] | None = None  # (change seq, heads)
        for app in self._generated_apps():
            self.add_app(app, log=False)
        if self.consented:
            self.install_client(log=False)
        self.signins = SignInLog(
            seed=spec.seed,
            users=self.users,
            user_count=spec.users,
            apps=self.apps,
            anchor=anchor,
            days=spec.days,
            per_user_per_day=spec.signins_per_user_per_day,
        )

    def _generated_apps(self) -> list[App]:
        seed, spec = self.spec.seed, self.spec
        apps = [microsoft_app(seed, a) for a in MICROSOFT_APPS]
        own_count = round(spec.apps * 0.15) if spec.apps >= 3 else 0
        created = self.anchor - 400 * DAY
        made = third_party_apps(seed, spec.apps - own_count, anchor=self.anchor)
        made += [
            own_app(seed, self.id, n, created=created, publisher=spec.name)
            for n in range(own_count)
        ]
        for app in made:
            usage_profile(seed, app, days=spec.days, anchor=self.anchor)
        mi_count = spec.apps // 10 if spec.apps >= 5 else 0
        made += [managed_identity(seed, n, created=created) for n in range(mi_count)]
        return apps + made

    # --- service principals -------------------------------------------------------------

    @property
    def graph_app(self) -> App:
        """Microsoft Graph's service principal (resource of every grant)."""
        return self._by_app_id[GRAPH_APP_ID]

    def add_app(self, app: App, *, log: bool = True) -> App:
        """Add a service principal with its assignments and grants."""
        self.apps.append(app)
        self._by_sp[app.sp_id] = app
        self._by_app_id[app.app_id] = app
        self.assignments += assignments_for(
            self.spec.seed, app, groups=self.groups, user_count=self.base_users, anchor=self.anchor
        )
        if (
            app.kind is AppKind.TENANT_OWN
            and unit(hash64(self.spec.seed, "own-perm", int(app.sp_id[:8], 16))) < 0.7
        ):
            self.assignments += graph_permission(
                self.graph_app, app, ["User.Read.All"], created=app.created
            )
        if app.app_id != GRAPH_APP_ID:
            self.grants += grants_for(
                self.spec.seed, app, graph_sp_id=self.graph_app.sp_id, user_count=self.base_users
            )
        if log:
            self.log_change("servicePrincipals", app.sp_id, None, at=app.created)
        return app

    def remove_app(self, app: App, *, at: float) -> None:
        """Delete a service principal; its assignments and grants go with it."""
        app.removed_at = at
        for item in self.assignments:
            if item.removed_at is None and (item.resource is app or item.principal == app.sp_id):
                item.removed_at = at
        for grant in self.grants:
            if grant.removed_at is None and grant.client is app:
                grant.removed_at = at
        self.log_change("servicePrincipals", app.sp_id, None, at=at, deleted=True)

    def install_client(self, *, log: bool = True, at: float | None = None) -> None:
        """Admin consent: our app's service principal and its Graph application permissions."""
        at = at or self.anchor
        app = self._by_app_id.get(self.client_id)
        if app is None or not app.is_live:
            app = client_app(self.spec.seed, self.client_id, self.client_name)
            app.created = at
            self.add_app(app, log=log)
        self.consented = True
        self.set_roles(self.granted_roles, at=at)

    def set_roles(self, roles: list[str], *, at: float) -> None:
        """Replace the application permissions granted to our app."""
        self.granted_roles = list(roles)
        client = self._by_app_id.get(self.client_id)
        if client is None or not client.is_live:
            return
        for item in self.assignments:
            if item.principal == client.sp_id and item.removed_at is None:
                item.removed_at = at
        self.assignments += graph_permission(self.graph_app, client, self.granted_roles, created=at)

    def app(self, sp_id: str) -> App | None:
        """A live service principal by object id."""
        found = self._by_sp.get(sp_id.lower())
        return found if found is not None and found.is_live else None

    def app_by_app_id(self, app_id: str) -> App | None:
        """A live service principal by appId."""
        found = self._by_app_id.get(app_id.lower())
        return found if found is not None and found.is_live else None

    def live_apps(self) -> list[App]:
        """Service principals not deleted."""
        return [a for a in self.apps if a.is_live]

    # --- users ----------------------------------------------------------------------------

    @property
    def user_total(self) -> int:
        """Index space of users: generated plus added by churn (removed ones included)."""
        return self.base_users + len(self.added_users)

    def is_live_user(self, i: int) -> bool:
        """In range and not removed."""
        return 0 <= i < self.user_total and i not in self.removed_users

    def live_user_count(self) -> int:
        """Users that exist now."""
        return self.user_total - len(self.removed_users)

    def user_record(self, i: int) -> dict[str, Any]:
        """User i with churn changes applied."""
        created = self.added_users[i - self.base_users] if i >= self.base_users else None
        record = self.users.record(i, created=created)
        record.update(self.user_changes.get(i, {}))
        return record

    def user_department(self, i: int) -> str | None:
        """Current department (churn may have moved the user)."""
        changed = self.user_changes.get(i, {})
        if "department" in changed:
            return changed["department"]
        dept = self.users.department_index(i)
        return None if dept is None else DEPARTMENTS[dept].name

    def user_enabled(self, i: int) -> bool:
        """Current accountEnabled (churn may have flipped it)."""
        return bool(self.user_changes.get(i, {}).get("accountEnabled", self.users.is_enabled(i)))

    def department_heads(self) -> dict[str, int]:
        """Department name -> its head: the lowest-index live, enabled user now in it.

        Derived, not generated: no draw is taken, so every user's properties stay as they
        were; churn (moves, removals, disabling) re-elects heads on the next read.
        """
        if self._heads is not None and self._heads[0] == self.seq:
            return self._heads[1]
        heads: dict[str, int] = {}
        for i in range(self.user_total):
            if len(heads) == len(DEPARTMENTS):
                break
            if i in self.removed_users or not self.user_enabled(i):
                continue
            department = self.user_department(i)
            if department is not None:
                heads.setdefault(department, i)
        self._heads = (self.seq, heads)
        return heads

    def manager_of(self, i: int) -> int | None:
        """User i's manager: the head of their department; heads (and anyone in a
        department with no enabled member left) report to the head of Executive, who has
        none. Guests have no manager."""
        department = self.user_department(i)
        if department is None:
            return None
        heads = self.department_heads()
        head = heads.get(department)
        if head is not None and head != i:
            return head
        chief = heads.get(EXECUTIVE)
        return chief if chief is not None and chief != i else None

    def find_user(self, key: str) -> int | None:
        """A live user's index from an object id or a userPrincipalName."""
        if self._user_ids is None:
            self._index_users()
        assert self._user_ids is not None and self._upns is not None
        found = self._user_ids.get(key.lower())
        if found is None:
            found = self._upns.get(key.lower())
        return found if found is not None and self.is_live_user(found) else None

    def _first_member(self) -> int:
        return next(
            i
            for i in range(self.base_users)
            if self.users.is_enabled(i) and not self.users.is_guest(i)
        )

    def admin_index(self) -> int | None:
        """The tenant's first Global Administrator (who the sandbox signs in by default)."""
        return min(
            (i for i, roles in self.directory_roles.items() if GLOBAL_ADMINISTRATOR in roles),
            default=None,
        )

    def _index_users(self) -> None:
        self._user_ids, self._upns = {}, {}
        for i in range(self.user_total):
            self._remember_user(i)

    def _remember_user(self, i: int) -> None:
        if self._user_ids is not None and self._upns is not None:
            uid, upn, _ = self.users.identity(i)
            self._user_ids[uid] = i
            self._upns[upn.lower()] = i

    def add_user(self, *, at: float) -> int:
        """A new hire: the generator's next index."""
        self.added_users.append(at)
        i = self.user_total - 1
        self._remember_user(i)
        self.log_change("users", i, None, at=at)
        return i

    # --- groups -----------------------------------------------------------------------

    def group(self, group_id: str) -> Group | None:
        """A group by id."""
        return next((g for g in self.groups if g.id == group_id.lower()), None)

    def is_member(self, group: Group, i: int) -> bool:
        """Group membership rule for user i."""
        if self.users.department_index(i) is None:
            return False  # guests are in no internal group
        if group.department is not None:
            return self.user_department(i) == group.department
        if group.name == ALL_EMPLOYEES:
            return True
        return unit(hash64(self.spec.seed, f"member:{group.name}", i)) < group.share

    # --- change log -------------------------------------------------------------------

    def log_change(
        self,
        collection: str,
        key: int | str,
        fields: frozenset[str] | None,
        *,
        at: float,
        deleted: bool = False,
    ) -> None:
        """Append to the change log (delta reads it)."""
        seq = len(self.changes) + 1
        self.changes.append(Change(seq, collection, key, fields, deleted, at))

    @property
    def seq(self) -> int:
        """The newest change number."""
        return len(self.changes)
