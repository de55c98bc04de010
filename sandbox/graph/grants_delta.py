"""/oauth2PermissionGrants/delta: the users and servicePrincipals delta machinery over grants.

A grant changes on its own (a consent given, revoked, its scope changed: the change log's
"oauth2PermissionGrants" entries) or with the objects it hangs on: a deleted client service
principal or a deleted consenting user takes its grants along, a new service principal brings
its own. The listing hides such grants (`grant_record`), so delta reports them as `@removed`.
"""

from __future__ import annotations

from typing import Any

from sandbox.access import Grant
from sandbox.graph.applications import GRANT, grant_record
from sandbox.graph.auth import GRANTS
from sandbox.graph.call import GraphCall
from sandbox.graph.delta import DeltaFeed, Entry, Round
from sandbox.graph.query import project
from sandbox.randomness import hash64, unit

COLLECTION = "oauth2PermissionGrants"
Merged = dict[int | str, tuple[bool, frozenset[str] | None]]


class GrantsDeltaFeed(DeltaFeed):
    """One delta request against the tenant's delegated permission grants."""

    def __init__(self, call: GraphCall) -> None:
        super().__init__(call, COLLECTION, GRANT)
        self._by_id: dict[str, Grant] | None = None
        self._owners: tuple[dict[str, list[Grant]], dict[int, list[Grant]]] | None = None

    def permission(self) -> frozenset[str]:
        return GRANTS

    def _grant(self, grant_id: str) -> Grant | None:
        if self._by_id is None:
            self._by_id = {g.id: g for g in self.tenant.grants}
        return self._by_id.get(grant_id)

    def _full_chunk(self, position: int, size: int) -> tuple[list[Entry], int | None]:
        """Every grant the listing shows, in the listing's order. Unlike users, nothing already
        deleted: a grant is deleted outright (there is no deleted-items container for it), and
        objects deleted before the initial round are not returned (docs/graph.md#delta)."""
        grants = self.tenant.grants
        chunk: list[Entry] = []
        while position < len(grants) and len(chunk) < size:
            grant = grants[position]
            if grant_record(self.tenant, grant) is not None:
                chunk.append((grant.id, False, None))
            position += 1
        return chunk, position if position < len(grants) else None

    def _changes(self, state: Round) -> list[Entry]:
        """Grant changes since the token, merged per grant, with some replayed (duplicates)."""
        merged: Merged = {}
        for change in self.tenant.changes[state.since : state.until]:
            if change.collection == COLLECTION:
                if self._visible(change, state.select):
                    _merge(merged, change.key, change.deleted, change.fields)
            elif change.collection == "servicePrincipals":
                for grant in self._grants_of_client(str(change.key)):
                    _merge(merged, grant.id, change.deleted, None)
            elif change.collection == "users" and change.deleted:
                for grant in self._grants_of_user(int(change.key)):
                    _merge(merged, grant.id, True, None)
        entries = [(k, deleted, fields) for k, (deleted, fields) in merged.items()]
        rate = self.sandbox.config.delta_duplicate_rate
        seed = self.tenant.spec.seed
        replays = [
            e for e in entries if unit(hash64(seed, f"grant-dup:{state.until}", str(e[0]))) < rate
        ]
        return entries + replays

    def _grants_of_client(self, sp_id: str) -> list[Grant]:
        return self._index()[0].get(sp_id, [])

    def _grants_of_user(self, user: int) -> list[Grant]:
        return self._index()[1].get(user, [])

    def _index(self) -> tuple[dict[str, list[Grant]], dict[int, list[Grant]]]:
        """Grants per client and per consenting user, built once per request when needed."""
        if self._owners is None:
            by_client: dict[str, list[Grant]] = {}
            by_user: dict[int, list[Grant]] = {}
            for grant in self.tenant.grants:
                by_client.setdefault(grant.client.sp_id, []).append(grant)
                if grant.principal is not None:
                    by_user.setdefault(grant.principal, []).append(grant)
            self._owners = (by_client, by_user)
        return self._owners

    def _render(
        self, key: int | str, deleted: bool, fields: frozenset[str] | None, state: Round
    ) -> dict[str, Any]:
        grant = self._grant(str(key))
        record = None if grant is None or deleted else grant_record(self.tenant, grant)
        if record is None:  # gone now, whatever the log said at the round's end
            return {"id": str(key), "@removed": {"reason": "deleted"}}
        wanted = self.resource.fields(state.select)
        if state.minimal and fields is not None:
            wanted = [f for f in wanted if f in fields]
        return project(record, wanted)


def _merge(merged: Merged, key: int | str, deleted: bool, fields: frozenset[str] | None) -> None:
    """Later changes win for deletion; changed fields add up (None: the whole object)."""
    _, before = merged.get(key, (False, frozenset()))
    both = None if before is None or fields is None else before | fields
    merged[key] = (deleted, both)
