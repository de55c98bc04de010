"""/groups/delta with `$select=members`: the users and servicePrincipals delta machinery, over
groups.

As Microsoft documents (docs/graph.md#groups): with `members` selected, each group carries
`members@delta`, the direct members (users, but also nested groups, devices, service
principals, each tagged with `@odata.type`); a large group's members come split over several
objects of one round, here over several pages. A change round lists each changed group once per
page with only the members that joined, and those that left marked `@removed`. Paging,
`$deltatoken=latest`, expiry (`syncStateNotFound`) and reset (410 `resyncRequired`) are the
shared machinery's.
"""

from __future__ import annotations

from typing import Any

from sandbox.access import GROUP_PROPERTIES, Group
from sandbox.graph.auth import GROUPS
from sandbox.graph.call import GraphCall, Resource
from sandbox.graph.delta import DeltaFeed, Round, _id_filter
from sandbox.graph.query import project
from sandbox.randomness import guid

COLLECTION = "groups"
MEMBERS = "members"
GROUP_DELTA = Resource("group", GROUP_PROPERTIES | {MEMBERS}, defaults=None)
# A position in a full round: group index x STRIDE + the next user index to look at.
STRIDE = 1 << 32
# Graph does not document how many members one page holds; here a page holds this many times
# the delta page size in member entries (1,000 by default: 100k members take 100 pages).
MEMBERS_PER_OBJECT = 5
USER = "#microsoft.graph.user"
# Members that are not users, which a client must skip (Entra does not cascade app
# assignments to nested groups): (group name, member type, member name).
OTHER_MEMBERS = (
    ("IT Admins", "#microsoft.graph.group", "Leadership"),
    ("Remote Workers", "#microsoft.graph.device", "remote-laptop-1"),
    ("Remote Workers", "#microsoft.graph.servicePrincipal", "remote-vpn-agent"),
)
Member = tuple[str, bool, str]  # (member id, left the group, @odata.type)
Item = tuple[int, list[Member]]  # (group index, its members on this page)


class GroupsDeltaFeed(DeltaFeed):
    """One delta request against the tenant's groups (and their direct members)."""

    def __init__(self, call: GraphCall) -> None:
        super().__init__(call, COLLECTION, GROUP_DELTA)

    def permission(self) -> frozenset[str]:
        return GROUPS

    def _page(self, state: Round) -> tuple[list[dict[str, Any]], Round | None]:
        if state.position and not state.emptied and self._empty_here(state):
            return [], Round(**{**state.__dict__, "emptied": True})
        if state.phase == "full":
            found, position = self._full_members(state.position)
        else:
            found, position = self._changed_members(state)
        # Membership is tracked only when selected, as Graph documents.
        with_members = bool(state.select) and MEMBERS in (state.select or [])
        items = [self._render_group(g, members, state, with_members) for g, members in found]
        keep = _id_filter(state.filter, self.resource.entity)
        items = [i for i in items if keep is None or keep(i)]
        if position is None:
            return items, None
        return items, Round(**{**state.__dict__, "position": position, "emptied": False})

    def _page_members(self) -> int:
        return max(1, self.sandbox.config.delta_page_size * MEMBERS_PER_OBJECT)

    def _other_members(self, group: Group) -> list[Member]:
        seed = self.tenant.spec.seed
        return [
            (guid(seed, "group" if kind.endswith("group") else kind, name), False, kind)
            for owner, kind, name in OTHER_MEMBERS
            if owner == group.name
        ]

    def _full_members(self, position: int) -> tuple[list[Item], int | None]:
        """Every group with its current members, a page's worth of members at a time."""
        tenant, groups = self.tenant, self.tenant.groups
        found: list[Item] = []
        room = self._page_members()
        g, i = divmod(position, STRIDE)
        while g < len(groups) and room > 0:
            group, members = groups[g], []
            if i == 0:
                members += self._other_members(group)
            while i < tenant.user_total and len(members) < room:
                if tenant.is_live_user(i) and tenant.is_member(group, i):
                    members.append((tenant.users.user_id(i), False, USER))
                i += 1
            found.append((g, members))
            room -= max(1, len(members))
            if i >= tenant.user_total:
                g, i = g + 1, 0
        return found, (g * STRIDE + i if g < len(groups) else None)

    def _changed_members(self, state: Round) -> tuple[list[Item], int | None]:
        """Members who joined or left since the token (the last change per member wins)."""
        index = {group.id: n for n, group in enumerate(self.tenant.groups)}
        merged: dict[tuple[int, int], bool] = {}
        for change in self.tenant.changes[state.since : state.until]:
            if change.collection == COLLECTION and change.member is not None:
                merged[(index[str(change.key)], change.member)] = change.deleted
        entries = sorted(merged.items())
        size = self._page_members()
        chunk = entries[state.position : state.position + size]
        found: list[Item] = []
        for (g, member), left in chunk:
            if not found or found[-1][0] != g:
                found.append((g, []))
            found[-1][1].append((self.tenant.users.user_id(member), left, USER))
        end = state.position + size
        return found, (end if end < len(entries) else None)

    def _render_group(
        self, g: int, members: list[Member], state: Round, with_members: bool
    ) -> dict[str, Any]:
        group = self.tenant.groups[g]
        wanted = [f for f in self.resource.fields(state.select) if f != MEMBERS]
        record = project(group.record(), wanted or ["id"])
        record["id"] = group.id
        if with_members:
            record["members@delta"] = [_member(m) for m in members]
        return record


def _member(member: Member) -> dict[str, Any]:
    member_id, left, kind = member
    entry: dict[str, Any] = {"@odata.type": kind, "id": member_id}
    if left:
        entry["@removed"] = {"reason": "deleted"}
    return entry
