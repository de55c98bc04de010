"""$expand as the directory takes it on users: one navigation property, an optional nested
$select, and Graph's 400s for everything else."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.graph.errors import bad_request, unsupported_query
from sandbox.graph.query import resolve_select


@dataclass(frozen=True)
class Expansion:
    """One expanded navigation property and the properties selected on it (None: all)."""

    navigation: str
    select: list[str] | None = None


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on a separator outside parentheses; 400 when they do not balance."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                break
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise bad_request(f"Syntax error: unbalanced parentheses in '{text}'.")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _nested_select(options: str, *, properties: frozenset[str], entity: str) -> list[str] | None:
    """The $select inside manager(...); other nested options are not modelled."""
    select: list[str] | None = None
    for option in split_top_level(options, ";"):
        name, _, value = option.partition("=")
        name = name.strip().lower()
        if name in ("$select", "select"):
            raw = [p.strip() for p in value.split(",") if p.strip()]
            select = resolve_select(raw, properties=properties, entity=entity)
        elif option:
            raise unsupported_query(
                f"The query option '{name}' is not supported inside $expand here."
            )
    return select


def parse_expand(
    text: str,
    *,
    supported: frozenset[str],
    navigations: frozenset[str],
    properties: frozenset[str],
    entity: str,
) -> Expansion:
    """Users expand a single navigation property (Graph's own limit for this entity)."""
    items = [i for i in split_top_level(text, ",") if i]
    if len(items) > 1:
        raise bad_request(
            f"The result of parsing $expand contained at least {len(items)} items, "
            "but the maximum allowed is 1."
        )
    if not items:
        raise bad_request("The $expand query option must name a navigation property.")
    name, paren, rest = items[0].partition("(")
    if paren and not rest.endswith(")"):
        raise bad_request(f"Syntax error: '{items[0]}' is not a valid $expand item.")
    name = name.strip()
    canonical = {n.lower(): n for n in supported | navigations}.get(name.lower())
    if canonical is None:
        if name.lower() in {p.lower() for p in properties}:
            raise bad_request(
                f"Property '{name}' on type 'microsoft.graph.{entity}' is not a navigation "
                "property or complex property. Only navigation properties can be expanded."
            )
        raise bad_request(
            f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'."
        )
    if canonical not in supported:
        # Graph would expand it; the sandbox does not model the relation, and says so.
        raise unsupported_query(
            f"The sandbox does not expand '{canonical}' on {entity} objects; "
            f"it expands {', '.join(sorted(supported))}."
        )
    select = _nested_select(rest[:-1], properties=properties, entity=entity) if paren else None
    return Expansion(canonical, select)
