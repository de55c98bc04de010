"""/users/delta and /servicePrincipals/delta: full rounds, change rounds, expiry and resets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sandbox.directory import Change, Tenant
from sandbox.graph.auth import APPLICATIONS, USERS
from sandbox.graph.call import GraphCall, Resource, reject_unsupported
from sandbox.graph.errors import GraphError
from sandbox.graph.filters import compile_filter
from sandbox.graph.paging import expired_skiptoken, invalid_skiptoken
from sandbox.graph.query import project, resolve_select
from sandbox.randomness import hash64, unit
from sandbox.tokens import TokenExpired, TokenRejected

Entry = tuple[int | str, bool, frozenset[str] | None]  # (key, deleted, changed fields)


@dataclass
class Round:
    """Where a delta round stands; serialised into $skiptoken and $deltatoken."""

    select: list[str] | None
    phase: str  # "full" (every object) or "changes" (change log since `since`)
    position: int
    since: int  # change-log seq already delivered
    until: int  # change-log seq this round ends at
    epoch: int
    minimal: bool = False
    emptied: bool = False
    filter: str | None = None  # only `id eq '…'` clauses, as Graph allows on delta


def _id_filter(text: str | None, entity: str) -> Any:
    """Delta accepts $filter only on id (e.g. id eq '…' or id eq '…')."""
    return compile_filter(text, properties=frozenset({"id"}), entity=entity)[0]


class DeltaFeed:
    """One delta request against one collection ("users" or "servicePrincipals")."""

    def __init__(self, call: GraphCall, collection: str, resource: Resource) -> None:
        self.call, self.collection, self.resource = call, collection, resource
        self.tenant: Tenant = call.caller.tenant
        self.sandbox = call.sandbox
        self.base = f"{call.ctx.base_url}/{call.version}/{collection}/delta"

    def respond(self) -> dict[str, Any]:
        """The page for this request."""
        self.call.caller.require(self.permission())
        current = self._round()
        body: dict[str, Any] = {"@odata.context": self.call.context_url(self.collection)}
        if current is None:  # $deltatoken=latest: no data, just a link for later
            latest = Round(
                self._select(),
                "changes",
                0,
                self.tenant.seq,
                self.tenant.seq,
                self.tenant.delta_epoch,
                filter=self.call.query.filter,
            )
            body["@odata.deltaLink"] = self._link("delta", latest)
            body["value"] = []
            return body
        if current.minimal:
            self.call.response_headers["Preference-Applied"] = "return=minimal"
        items, next_round = self._page(current)
        if next_round is not None:
            body["@odata.nextLink"] = self._link("dskip", next_round)
        else:
            done = Round(
                current.select,
                "changes",
                0,
                current.until,
                current.until,
                current.epoch,
                filter=current.filter,
            )
            body["@odata.deltaLink"] = self._link("delta", done)
        body["value"] = items
        return body

    def permission(self) -> frozenset[str]:
        """The application permissions that may read this collection."""
        return USERS if self.collection == "users" else APPLICATIONS

    def _select(self) -> list[str] | None:
        select = resolve_select(
            self.call.query.select,
            properties=self.resource.properties,
            entity=self.resource.entity,
            single_only=self.resource.single_only,
        )
        if select and "signInActivity" in select:
            # A reporting property: not tracked by delta.
            raise GraphError(501, "NotImplemented", "This operation target is not yet supported.")
        return select

    def _round(self) -> Round | None:
        query = self.call.query
        if query.skiptoken is not None:
            return self._decode(query.skiptoken, "dskip")
        reject_unsupported(query, delta=True)
        _id_filter(query.filter, self.resource.entity)
        minimal = "return=minimal" in self.call.headers.get("prefer", "").lower()
        token = query.deltatoken
        if token is not None and token.lower() == "latest":
            return None
        if token:
            previous = self._decode(token, "delta")
            return Round(
                previous.select,
                "changes",
                0,
                previous.since,
                self.tenant.seq,
                previous.epoch,
                minimal,
                filter=previous.filter,
            )
        return Round(
            self._select(),
            "full",
            0,
            0,
            self.tenant.seq,
            self.tenant.delta_epoch,
            filter=query.filter,
        )

    def _decode(self, token: str, kind: str) -> Round:
        config = self.sandbox.config
        lifetime = (
            config.delta_token_lifetime_seconds
            if kind == "delta"
            else config.skiptoken_lifetime_seconds
        )
        try:
            payload = self.sandbox.page_tokens.decode(token, now=self.call.now, lifetime=lifetime)
        except TokenExpired as exc:
            if kind == "dskip":
                raise expired_skiptoken() from exc
            raise GraphError(
                400,
                "syncStateNotFound",
                "The sync state generation is not found; "
                "the delta token has expired. Start a new full sync.",
            ) from exc
        except (TokenRejected, ValueError) as exc:
            raise invalid_skiptoken() from exc
        if (
            payload.get("k") != kind
            or payload.get("t") != self.tenant.id
            or payload.get("c") != self.collection
        ):
            raise invalid_skiptoken()
        found = Round(**payload["r"])
        if found.epoch != self.tenant.delta_epoch:
            raise self._gone(found.select)
        return found

    def _gone(self, select: list[str] | None) -> GraphError:
        keep = f"$select={','.join(select)}&" if select else ""
        location = f"{self.base}?{keep}$deltatoken="
        return GraphError(
            410,
            "resyncRequired",
            "The delta token is no longer valid; the app "
            "must reset the sync state and run a full round.",
            headers={"Location": location},
        )

    def _link(self, kind: str, state: Round) -> str:
        token = self.sandbox.page_tokens.encode(
            {
                "k": kind,
                "t": self.tenant.id,
                "c": self.collection,
                "r": state.__dict__,
                "issued": self.call.now,
            }
        )
        option = "$deltatoken" if kind == "delta" else "$skiptoken"
        return f"{self.base}?{option}={quote(token)}"

    def _page(self, state: Round) -> tuple[list[dict[str, Any]], Round | None]:
        size = self.sandbox.config.delta_page_size
        if state.position and not state.emptied and self._empty_here(state):
            return [], Round(**{**state.__dict__, "emptied": True})
        if state.phase == "full":
            chunk, position = self._full_chunk(state.position, size)
        else:
            entries = self._changes(state)
            chunk = entries[state.position : state.position + size]
            position = state.position + size if state.position + size < len(entries) else None
        items = [self._render(key, deleted, fields, state) for key, deleted, fields in chunk]
        keep = _id_filter(state.filter, self.resource.entity)
        items = [i for i in items if keep is None or keep(i)]
        if position is None:
            return items, None
        return items, Round(**{**state.__dict__, "position": position, "emptied": False})

    def _empty_here(self, state: Round) -> bool:
        h = hash64(self.tenant.spec.seed, f"delta-empty:{state.since}", state.position)
        return unit(h) < self.sandbox.config.empty_page_rate

    def _full_chunk(self, position: int, size: int) -> tuple[list[Entry], int | None]:
        """Every live object, then objects already deleted (@removed in the initial round)."""
        tenant = self.tenant
        if self.collection == "users":
            space = tenant.user_total
            gone: list[int | str] = sorted(tenant.removed_users)
        else:
            space = len(tenant.apps)
            gone = [a.sp_id for a in tenant.apps if not a.is_live]
        chunk: list[Entry] = []
        end = space + len(gone)
        while position < end and len(chunk) < size:
            if position >= space:
                chunk.append((gone[position - space], True, None))
            elif self.collection == "users" and tenant.is_live_user(position):
                chunk.append((position, False, None))
            elif self.collection != "users" and tenant.apps[position].is_live:
                chunk.append((tenant.apps[position].sp_id, False, None))
            position += 1
        return chunk, position if position < end else None

    def _changes(self, state: Round) -> list[Entry]:
        """Changes since the token, merged per object, with some replayed (duplicates)."""
        merged: dict[int | str, tuple[bool, frozenset[str] | None]] = {}
        for change in self.tenant.changes[state.since : state.until]:
            if change.collection == self.collection and self._visible(change, state.select):
                _, fields = merged.get(change.key, (False, frozenset()))
                both = None if fields is None or change.fields is None else fields | change.fields
                merged[change.key] = (change.deleted, both)
        entries = [(k, deleted, fields) for k, (deleted, fields) in merged.items()]
        rate = self.sandbox.config.delta_duplicate_rate
        seed = self.tenant.spec.seed
        replays = [e for e in entries if unit(hash64(seed, f"dup:{state.until}", str(e[0]))) < rate]
        return entries + replays

    @staticmethod
    def _visible(change: Change, select: list[str] | None) -> bool:
        """With $select, only changes to selected properties make an object show up."""
        return change.fields is None or select is None or bool(change.fields & set(select))

    def _render(
        self, key: int | str, deleted: bool, fields: frozenset[str] | None, state: Round
    ) -> dict[str, Any]:
        if self.collection == "users":
            object_id = self.tenant.users.user_id(int(key))
            reason = "changed"  # soft-deleted users can be restored for 30 days
        else:
            object_id, reason = str(key), "deleted"
        if deleted:
            return {"id": object_id, "@removed": {"reason": reason}}
        if self.collection == "users":
            record = self.tenant.user_record(int(key))
        else:
            app = self.tenant.app(str(key))
            record = app.record if app else {"id": object_id}
        wanted = self.resource.fields(state.select)
        if state.minimal and fields is not None:
            wanted = [f for f in wanted if f in fields]
        return project(record, wanted)
