"""One Graph request as handlers see it, and the generic collection responder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers

from sandbox.graph.auth import Caller
from sandbox.graph.errors import GraphError, RequestContext, bad_request
from sandbox.graph.filters import Predicate, compile_filter
from sandbox.graph.paging import Items, Page, Pager, paginate
from sandbox.graph.query import Query, check_page_size, project, resolve_select
from sandbox.state import SandboxState


@dataclass
class GraphCall:
    """Everything a handler needs about the request being served."""

    sandbox: SandboxState
    caller: Caller
    ctx: RequestContext
    query: Query
    version: str
    path: str
    headers: Headers
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def base_path(self) -> str:
        """Absolute URL of this resource, without the query."""
        host = (self.sandbox.config.public_graph_host or self.ctx.base_url).rstrip("/")
        return f"{host}/{self.version}/{self.path}"

    @property
    def now(self) -> float:
        """The sandbox clock."""
        return self.sandbox.clock.now()

    def context_url(
        self, context: str, select: list[str] | None = None, *, entity: bool = False
    ) -> str:
        """@odata.context; it lists the $select properties, as Graph does."""
        suffix = f"({','.join(select)})" if select else ""
        return (
            f"{self.ctx.base_url}/{self.version}/$metadata#{context}{suffix}"
            f"{'/$entity' if entity else ''}"
        )


@dataclass(frozen=True)
class Resource:
    """A Graph entity type: its properties and the set returned without $select."""

    entity: str
    properties: frozenset[str]
    defaults: tuple[str, ...] | None = None  # None: every property
    single_only: frozenset[str] = frozenset()

    def fields(self, select: list[str] | None) -> tuple[str, ...] | list[str]:
        """The properties to return."""
        return select or self.defaults or tuple(sorted(self.properties - self.single_only))


def reject_unsupported(
    query: Query, *, delta: bool = False, allowed: frozenset[str] = frozenset()
) -> None:
    """Options the directory refuses here ($skip always; $top/$orderby/$expand on delta;
    $orderby/$expand wherever the route does not say it handles them)."""
    if query.has("$skip"):
        raise bad_request("'$skip' is not supported by the service.", "Request_BadRequest")
    refused = (
        ("$top", "$orderby", "$expand", "$search") if delta else ("$orderby", "$expand", "$search")
    )
    for option in (o for o in refused if o not in allowed):
        if query.has(option):
            raise GraphError(
                400,
                "Request_UnsupportedQuery",
                f"The query option '{option}' is not supported for this request.",
            )


def count_allowed(call: GraphCall) -> bool:
    """$count needs ConsistencyLevel: eventual on directory objects."""
    if not call.query.count:
        return False
    if call.headers.get("consistencylevel", "").lower() != "eventual":
        raise bad_request("$count is not currently supported.", "Request_BadRequest")
    return True


def advanced_query(call: GraphCall) -> bool:
    """ConsistencyLevel: eventual plus $count=true. Graph runs no advanced query when $expand
    is present, so advanced-only clauses then fail as they would without the headers."""
    return (
        call.query.count
        and call.headers.get("consistencylevel", "").lower() == "eventual"
        and not call.query.has("$expand")
    )


# Reads one page (pager, page size, $filter predicate): ordered routes bring their own.
PageReader = Callable[[Pager, int, Predicate | None], Page]


def list_response(
    call: GraphCall,
    *,
    resource: Resource,
    context: str,
    route: str,
    source: Callable[[list[str] | None], Callable[[int], Items]],
    max_top: int = 999,
    default_top: int = 100,
    cap: int | None = None,
    odata_type: str | None = None,
    allowed: frozenset[str] = frozenset(),
    pages: PageReader | None = None,
    expand: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A page of a directory collection with $select, $top, $filter, $count and paging.

    `allowed` names the options ($orderby, $expand) the route handles itself: `pages` reads
    the page in its order, `expand` gives the extra properties of each returned record.
    """
    reject_unsupported(call.query, allowed=allowed)
    select = resolve_select(
        call.query.select,
        properties=resource.properties,
        entity=resource.entity,
        single_only=resource.single_only,
    )
    top = call.query.top
    check_page_size(top, maximum=max_top)
    keep, _ = compile_filter(
        call.query.filter, properties=resource.properties, entity=resource.entity
    )
    with_count = count_allowed(call)
    pager = Pager(call, route)
    fields = resource.fields(select)
    size = min(top or default_top, cap or max_top)
    if pages is None:
        page = paginate(pager, source(select), size=size, keep=keep)
    else:
        page = pages(pager, size, keep)
    body: dict[str, Any] = {"@odata.context": call.context_url(context, select)}
    if with_count and call.query.skiptoken is None:
        body["@odata.count"] = sum(1 for _, r in source(select)(0) if keep is None or keep(r))
    if page.next is not None:
        body["@odata.nextLink"] = pager.next_link(page.next)
    items = [project(r, fields) for r in page.items]
    if expand is not None:
        items = [{**item, **expand(r)} for item, r in zip(items, page.items, strict=True)]
    if odata_type is not None:  # collections of directoryObjects say what each item is
        items = [{"@odata.type": odata_type, **item} for item in items]
    body["value"] = items
    return body


def entity_response(
    call: GraphCall, record: dict[str, Any], *, resource: Resource, context: str
) -> dict[str, Any]:
    """A single object with $select."""
    select = resolve_select(
        call.query.select, properties=resource.properties, entity=resource.entity
    )
    return {
        "@odata.context": call.context_url(context, select, entity=True),
        **project(record, resource.fields(select)),
    }
