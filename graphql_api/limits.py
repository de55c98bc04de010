"""Limits on a request's inputs and cost, checked as validation rules, before any field runs.

Every string a resolver sees came either from a literal in the document or from a variable, so
both are walked once here instead of in each resolver. Errors name the argument (for a variable,
where it is used), so a client knows what to change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graphql_api import cost
from graphql_api.errors import CLIENT_CODE

MAX_STRING = 1_024
# By argument or input field name. Filters and writes stop at their column's size
# (sync_core/store/models.py): a longer value matches nothing, and Tortoise refuses it with a
# ValidationError. A cursor over a 256-character name is ~2 kB once JSON-escaped and base64'd.
STRING_LIMITS = {
    "search": 256,
    "department": 256,
    "tenantId": 64,
    "kinds": 64,
    "category": 128,
    "currency": 3,
    "after": 4_096,
}
MAX_ITEMS = 100  # items in a list, keys in an object
MAX_NESTING = 8  # our deepest input (a filter holding a list) is 3 levels


@dataclass(frozen=True)
class Place:
    """Where a value sits: how a message names it, and the name that picks its limit."""

    label: str
    key: str

    def inside(self, key: str) -> Place:
        return Place(f"{self.label}.{key}", key)


def _string_problem(text: str, place: Place) -> str | None:
    limit = STRING_LIMITS.get(place.key, MAX_STRING)
    if len(text) > limit:
        return f"{place.label}: at most {limit} characters ({len(text)} given)"
    if "\x00" in text:  # PostgreSQL cannot store it; SQLite's LIKE stops reading at it
        return f"{place.label}: must not contain NUL characters"
    if not text.isascii() and not _is_utf8(text):
        return f"{place.label}: must be valid Unicode (it holds a lone surrogate)"
    return None


def _is_utf8(text: str) -> bool:
    """JSON's \\ud800-style escapes decode to surrogates no database driver can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem(value: Any, place: Place, *, depth: int = 0) -> str | None:
    """What is wrong with one input value, or None."""
    if isinstance(value, str):
        return _string_problem(value, place)
    if not isinstance(value, list | dict):
        return None
    if depth >= MAX_NESTING:
        return f"{place.label}: nested too deeply"
    if len(value) > MAX_ITEMS:
        return f"{place.label}: at most {MAX_ITEMS} items ({len(value)} given)"
    pairs = value.items() if isinstance(value, dict) else ((None, item) for item in value)
    for key, item in pairs:
        found = problem(item, place.inside(str(key)) if key else place, depth=depth + 1)
        if found:
            return found
    return None


def _literal_problem(
    node: ValueNode, place: Place, usages: dict[str, Place], *, depth: int = 0
) -> str | None:
    """What is wrong with a literal argument value; records where variables are used."""
    if isinstance(node, StringValueNode):
        return _string_problem(node.value, place)
    if isinstance(node, VariableNode):
        usages.setdefault(node.name.value, place)
        return None
    if not isinstance(node, ListValueNode | ObjectValueNode):
        return None
    items = node.values if isinstance(node, ListValueNode) else node.fields
    if depth >= MAX_NESTING:
        return f"{place.label}: nested too deeply"
    if len(items) > MAX_ITEMS:
        return f"{place.label}: at most {MAX_ITEMS} items ({len(items)} given)"
    for item in items:
        if isinstance(item, ObjectFieldNode):
            found = _literal_problem(
                item.value, place.inside(item.name.value), usages, depth=depth + 1
            )
        else:
            found = _literal_problem(item, place, usages, depth=depth + 1)
        if found:
            return found
    return None


def input_problem(document: DocumentNode, variables: Mapping[str, Any] | None) -> str | None:
    """The first literal argument or variable over a limit, or None."""
    arguments: list[ArgumentNode] = []

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            arguments.append(node)

    visit(document, Arguments())
    usages: dict[str, Place] = {}
    for argument in arguments:
        place = Place(argument.name.value, argument.name.value)
        if found := _literal_problem(argument.value, place, usages):
            return found
    for name, value in (variables or {}).items():
        used = usages.get(name)
        place = Place(f"{used.label} (${name})", used.key) if used else Place(f"${name}", name)
        if found := problem(value, place):
            return found
    return None


def too_costly(estimated: int) -> GraphQLError:
    return GraphQLError(
        f"This query's estimated cost is {estimated}, over the limit of {cost.MAX_COST}: ask for "
        "smaller pages, fewer nested lists or fewer insights per request (see docs/graphql.md).",
        extensions={"code": "QUERY_TOO_COSTLY", "cost": estimated, "maxCost": cost.MAX_COST},
    )


def limits_rule(context: ExecutionContext) -> type[ValidationRule]:
    """A validation rule for this request: it needs the request's variables and operation."""

    class RequestLimitsRule(ValidationRule):
        def leave_document(self, node: DocumentNode, *_: Any) -> None:
            found = input_problem(node, context.variables)
            if found:
                self.report_error(GraphQLError(found, extensions={"code": CLIENT_CODE}))
                return
            estimated = cost.estimate(
                node,
                schema=self.context.schema,
                variables=context.variables,
                operation_name=context.operation_name,
            )
            if estimated > cost.MAX_COST:
                self.report_error(too_costly(estimated))

    return RequestLimitsRule


class RequestLimits(SchemaExtension):
    """Refuse a document whose inputs are over a limit, or whose estimated cost is."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, limits_rule(context))
        yield
