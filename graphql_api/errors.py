"""Expected errors carry a code and a message a client can show; everything else is masked."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

log = logging.getLogger(__name__)
CLIENT_CODE = "BAD_USER_INPUT"
LOGGED_MESSAGE = 500  # characters of an error message in the log: they quote the input


class ExpectedError(Exception):
    """An error the client caused or can act on."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.extensions = {"code": self.code}


class NotFound(ExpectedError):
    code = "NOT_FOUND"


class BadInput(ExpectedError):
    code = CLIENT_CODE


class Unauthenticated(ExpectedError):
    code = "UNAUTHENTICATED"


class Unavailable(ExpectedError):
    code = "UNAVAILABLE"


def _is_in_the_request(error: GraphQLError) -> bool:
    """Parse, validation and variable errors: located in the document, raised before any field
    ran (graphql-core keeps the scalar's own exception as the original of a bad variable)."""
    return error.path is None and bool(error.nodes or error.original_error is None)


def is_client_error(error: GraphQLError) -> bool:
    """An error the caller made: an ExpectedError, or one in the request itself."""
    return isinstance(error.original_error, ExpectedError) or _is_in_the_request(error)


def is_unexpected(error: GraphQLError) -> bool:
    """Errors raised by our code while running: shown only as a reference."""
    return error.original_error is not None and not is_client_error(error)


def shorten(text: str, *, limit: int = LOGGED_MESSAGE) -> str:
    """The text, cut to `limit` characters: messages quote the caller's input."""
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters]"


def log_errors(errors: list[GraphQLError]) -> None:
    """Client mistakes at INFO without a traceback; a crash before execution at ERROR.

    Errors raised while fields ran are logged by MaskUnexpected, with their reference.
    """
    for error in errors:
        if is_client_error(error):
            code = (error.extensions or {}).get("code", CLIENT_CODE)
            log.info("GraphQL request refused (%s): %s", code, shorten(error.message))
        elif error.path is None:
            log.error(
                "GraphQL request failed: %s", shorten(error.message), exc_info=error.original_error
            )
        elif error.original_error is None:  # graphql-core's own, e.g. a null in a non-null
            log.error("GraphQL error at %s: %s", error.path, shorten(error.message))


class ClientErrorCodes(SchemaExtension):
    """Errors in the request (parse, validation, variables) carry BAD_USER_INPUT too, so a
    client can tell its mistakes from ours by the code alone."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            if _is_in_the_request(error) and "code" not in (error.extensions or {}):
                error.extensions = {**(error.extensions or {}), "code": CLIENT_CODE}


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
