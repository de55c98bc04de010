"""What a query will cost, estimated from the document before anything runs.

Depth, alias and token limits each bound one dimension; a query inside all three can still
multiply them (15 aliases of `insights`, ten levels of pages of pages). The estimate counts
what the server will build and read:

- every object a field returns costs 1, times the number of its parents (leaves are free);
- a page (`first`, 20 when absent) multiplies what is selected inside it by its size; a plain
  list by LIST_SIZE (or by `days` for daily activity);
- a field that reads the whole organization costs ORGANIZATION_READ each time it is selected
  (`insights` fields); the verdicts (`isShadowIt`, `problems`, `monthlyWaste`) are read once
  per request whatever the number of apps, so they cost ORGANIZATION_READ once per kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

from graphql_api.paging import DEFAULT_PAGE
from sync_core.store.paging import MAX_PAGE

MAX_COST = 20_000
ORGANIZATION_READ = 1_000
LIST_SIZE = 10
DAYS = 30  # loginActivity's default window
# The depth limit (10) refuses deeper documents in the same validation pass; the walk stops
# here so that a deep document cannot exhaust the stack first.
WALK_DEPTH = 32
WHOLE_ORGANIZATION = frozenset(
    {
        ("Insights", "appCounts"),
        ("Insights", "shadowIt"),
        ("Insights", "overlaps"),
        ("Insights", "problematicApps"),
        ("Insights", "licenseWaste"),
        ("Insights", "departments"),
    }
)
ONCE_PER_REQUEST = frozenset({("App", "isShadowIt"), ("App", "problems"), ("App", "monthlyWaste")})


@dataclass
class _Estimate:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    once: set[tuple[str, str]] = field(default_factory=set)
    memo: dict[str, int] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)

    def argument(self, node: FieldNode, name: str) -> int | None:
        """An Int argument's value, literal or from a variable (None when absent or not one)."""
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return given if isinstance(given, int) and not isinstance(given, bool) else None
        return None

    def size(self, node: FieldNode, definition: GraphQLField, parent: GraphQLObjectType) -> int:
        """How many items a field returns, at most (1 for an object)."""
        if "pageInfo" in parent.fields:  # a connection's edges: its page size counted them
            return 1
        if "first" in definition.args:  # a page: its size, capped as page_size caps it
            first = self.argument(node, "first")
            return min(max(DEFAULT_PAGE if first is None else first, 0), MAX_PAGE)
        if "days" in definition.args:  # one row per day
            days = self.argument(node, "days")
            return max(DAYS if days is None else days, 0)
        return LIST_SIZE if _is_list(definition.type) else 1

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLObjectType, *, depth: int
    ) -> int:
        """The cost of one instance of `parent` with this selection."""
        if depth > WALK_DEPTH:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, depth=depth)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, depth=depth)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                if isinstance(target, GraphQLObjectType):
                    total += self.selections(selection.selection_set, target, depth=depth + 1)
        return total

    def spread(self, name: str, *, depth: int) -> int:
        """A named fragment's cost, computed once: reused fragments would otherwise make the
        walk exponential in the document's size (and a cycle, which validation refuses in
        parallel with this rule, endless)."""
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:
            return 0
        if name not in self.memo:
            target = self.schema.get_type(fragment.type_condition.name.value)
            self.active.add(name)
            self.memo[name] = (
                self.selections(fragment.selection_set, target, depth=depth + 1)
                if isinstance(target, GraphQLObjectType)
                else 0
            )
            self.active.discard(name)
        return self.memo[name]

    def field(self, node: FieldNode, parent: GraphQLObjectType, *, depth: int) -> int:
        name = node.name.value
        definition = parent.fields.get(name)
        if definition is None or name.startswith("__"):
            return 0  # introspection, or an unknown field validation already refused
        key = (parent.name, name)
        if key in ONCE_PER_REQUEST:  # outside any multiplier: added once in estimate()
            self.once.add(key)
            cost = 0
        elif key in WHOLE_ORGANIZATION:
            cost = ORGANIZATION_READ
        else:
            cost = 0 if is_leaf_type(get_named_type(definition.type)) else 1
        inner = get_named_type(definition.type)
        if node.selection_set and isinstance(inner, GraphQLObjectType):
            items = self.size(node, definition, parent)
            cost += items * self.selections(node.selection_set, inner, depth=depth + 1)
        return cost


def _is_list(kind: GraphQLOutputType) -> bool:
    inner = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
    return isinstance(inner, GraphQLList)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


def estimate(
    document: DocumentNode,
    *,
    schema: GraphQLSchema,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> int:
    """The estimated cost of the operation a request will run (0 when none is selected)."""
    operation = _operation(document, operation_name)
    roots = {OperationType.QUERY: schema.query_type, OperationType.MUTATION: schema.mutation_type}
    root = roots.get(operation.operation) if operation else None
    if operation is None or root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Estimate(schema, fragments, variables or {})
    total = walk.selections(operation.selection_set, root, depth=0)
    return total + ORGANIZATION_READ * len(walk.once)
