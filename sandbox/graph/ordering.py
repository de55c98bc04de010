"""$orderby on directory collections: which properties sort, when that needs an advanced
query, and pages that continue from the last sort key (keyset) rather than from an offset."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sandbox.graph.errors import GraphError, unsupported_query
from sandbox.graph.paging import Cursor, Page, Pager, collect

# (0 for null, casefolded value, object id): nulls sort first ascending, as OData orders them,
# and the id breaks ties so that every key is unique and a page can resume after it.
SortKey = tuple[int, str, str]
Keys = list[tuple[SortKey, int]]  # ascending, each with the position of its object


@dataclass(frozen=True)
class OrderBy:
    """One $orderby clause: a canonical property name and a direction."""

    prop: str
    descending: bool = False


@dataclass(frozen=True)
class Sortable:
    """Which properties an entity sorts on by default and which only in advanced queries."""

    entity: str  # as Graph names it in errors: "User"
    default: frozenset[str]
    advanced: frozenset[str]


def parse_orderby(text: str, *, properties: frozenset[str], entity: str) -> OrderBy:
    """`prop [asc|desc]`, property names case-insensitive; one clause only."""
    clauses = [c.strip() for c in text.split(",")]
    if len(clauses) != 1:
        # The directory sorts on one property; the sandbox's wording, not Graph's.
        raise unsupported_query("Sorting on more than one property is not supported.")
    words = clauses[0].split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
        raise GraphError(400, "BadRequest", f"Syntax error in $orderby clause '{text}'.")
    prop = {p.lower(): p for p in properties}.get(words[0].lower())
    if prop is None:
        raise GraphError(
            400,
            "BadRequest",
            f"Could not find a property named '{words[0]}' on type 'microsoft.graph.{entity}'.",
        )
    return OrderBy(prop, len(words) == 2 and words[1].lower() == "desc")


def check_orderby(order: OrderBy, sortable: Sortable, *, advanced: bool, filtered: bool) -> None:
    """Graph's rules: default-sortable properties always, a few more in advanced queries,
    and $filter with $orderby only in an advanced query."""
    if order.prop in sortable.default or (advanced and order.prop in sortable.advanced):
        if filtered and not advanced:
            raise unsupported_query("Sorting not supported for current query.")
        return
    if advanced:
        raise unsupported_query("An unsupported property was specified.")
    raise unsupported_query(f"Unsupported sort property '{order.prop}' for '{sortable.entity}'.")


def sort_key(value: Any, object_id: str) -> SortKey:
    """Strings compare case-insensitively; ISO timestamps compare as text."""
    if value is None:
        return (0, "", object_id)
    return (1, str(value).casefold(), object_id)


def _start(keys: Keys, anchor: SortKey | None, *, descending: bool) -> int:
    """Position (in the requested direction) of the first key strictly past the anchor."""
    if anchor is None:
        return 0
    if descending:
        return len(keys) - bisect_left(keys, anchor, key=lambda entry: entry[0])
    return bisect_right(keys, anchor, key=lambda entry: entry[0])


def _anchor(cursor: Cursor) -> SortKey | None:
    saved = (cursor.extra or {}).get("after")
    if saved is None:
        return None
    rank, value, object_id = saved
    return (int(rank), str(value), str(object_id))


def ordered_page(
    pager: Pager,
    keys: Keys,
    record: Callable[[int], dict[str, Any]],
    order: OrderBy,
    *,
    size: int,
    keep: Callable[[dict[str, Any]], bool] | None,
) -> Page:
    """One page in sort order. The cursor carries the last sort key this page looked at and
    the next page starts strictly after it, so objects added or removed between pages
    neither repeat nor push others off a page."""
    cursor = pager.cursor()
    if pager.is_empty_page(cursor):
        return Page([], Cursor(cursor.position, True, cursor.extra))
    total = len(keys)

    def at(position: int) -> tuple[SortKey, int]:
        return keys[total - 1 - position] if order.descending else keys[position]

    def items(start: int) -> Iterator[tuple[int, dict[str, Any]]]:
        for position in range(start, total):
            yield position, record(at(position)[1])

    start = _start(keys, _anchor(cursor), descending=order.descending)
    found, following = collect(items(start), size=size, keep=keep)
    if following is None:
        return Page(found, None)
    # `following` is the first position not looked at (collect peeks one past a full page).
    served = cursor.position + len(found) + 1  # only has to grow: empty pages hash it
    return Page(found, Cursor(served, False, {"after": list(at(following - 1)[0])}))
