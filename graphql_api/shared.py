"""A query's insight fields share the tenant figures they all start from."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from sync_core import insights


class SharedReads(SchemaExtension):
    """Within one query (never a mutation, whose writes later fields must see), identical
    app-figure reads run once: `insights { shadowIt overlaps licenseWaste … }` reads each
    tenant's figures once instead of once per field."""

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is not OperationType.QUERY:
            yield
            return
        with insights.shared_reads():
            yield
