"""Expected errors carry a code and a message a client can show; everything else is masked."""

from __future__ import annotations

import logging
import uuid

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger(__name__)


class ExpectedError(Exception):
    """An error the client caused or can act on."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.extensions = {"code": self.code}


class NotFound(ExpectedError):
    code = "NOT_FOUND"


class BadInput(ExpectedError):
    code = "BAD_USER_INPUT"


class Unauthenticated(ExpectedError):
    code = "UNAUTHENTICATED"


class Unavailable(ExpectedError):
    code = "UNAVAILABLE"


def is_unexpected(error: GraphQLError) -> bool:
    """Validation and parse errors (no original error) and ExpectedErrors are shown as they are."""
    original = error.original_error
    return original is not None and not isinstance(original, ExpectedError)


class MaskUnexpected(MaskErrors):
    """Hide unexpected errors behind a reference that also appears in the log."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        reference = uuid.uuid4().hex[:12]
        log.error(
            "unexpected GraphQL error, reference %s, path %s",
            reference,
            error.path,
            exc_info=error.original_error,
        )
        return GraphQLError(
            f"Unexpected error (reference {reference}).",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "reference": reference},
        )
