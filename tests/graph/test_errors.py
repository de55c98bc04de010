"""Every Graph and identity-platform error code maps to its exception, with a usable hint."""

from __future__ import annotations

import httpx
import pytest
import respx

from sync_core.graph import (
    BadQuery,
    ClientSecretExpired,
    ConsentMissing,
    DeltaExpired,
    GraphAuthError,
    GraphError,
    InvalidClientSecret,
    MissingPermission,
    NotFound,
    PremiumLicenseRequired,
    ServiceUnavailable,
    TenantNotFound,
    Throttled,
    TokenError,
    error_from_response,
    token_error_from_msal,
)
from tests.graph.conftest import graph_error

GRAPH_CASES = [
    (401, "InvalidAuthenticationToken", GraphAuthError),
    (403, "Authorization_RequestDenied", MissingPermission),
    (403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", PremiumLicenseRequired),
    (400, "syncStateNotFound", DeltaExpired),
    (400, "resyncRequired", DeltaExpired),
    (410, "", DeltaExpired),
    (404, "Request_ResourceNotFound", NotFound),
    (400, "Request_UnsupportedQuery", BadQuery),
    (400, "BadRequest", BadQuery),
    (400, "Request_BadRequest", BadQuery),
    (501, "NotImplemented", BadQuery),
    (429, "TooManyRequests", Throttled),
    (503, "serviceNotAvailable", ServiceUnavailable),
    (504, "GatewayTimeout", ServiceUnavailable),
    (500, "generalException", ServiceUnavailable),
    (418, "SomethingNew", GraphError),
]


@pytest.mark.parametrize(("status", "code", "expected"), GRAPH_CASES)
def test_error_body_maps_to_class(status: int, code: str, expected: type[GraphError]) -> None:
    response = graph_error(status, code, "it failed")
    error = error_from_response(status, body=response.content, headers=response.headers)
    assert type(error) is expected
    assert (error.status, error.code, error.message) == (status, code, "it failed")
    assert error.request_id == "req-123"
    assert error.hint


@pytest.mark.parametrize(("status", "code", "expected"), GRAPH_CASES)
async def test_client_raises_class_for_code(
    graph: respx.MockRouter, make_client, status: int, code: str, expected: type[GraphError]
) -> None:
    graph.get("/users").mock(return_value=graph_error(status, code))
    with pytest.raises(expected) as caught:
        await make_client(max_attempts=1).get_json("users")
    assert caught.value.status == status
    assert not isinstance(caught.value, httpx.HTTPError)


def test_invalid_skiptoken_is_bad_query() -> None:
    body = b'{"error":{"code":"Request_BadRequest","message":"Invalid $skiptoken"}}'
    assert isinstance(error_from_response(400, body=body), BadQuery)


def test_delta_gone_carries_location() -> None:
    fresh = "https://graph.microsoft.com/v1.0/users/delta?$deltaToken="
    error = error_from_response(410, body=b"", headers={"Location": fresh})
    assert isinstance(error, DeltaExpired)
    assert error.location == fresh


def test_non_json_error_body_falls_back_to_status() -> None:
    error = error_from_response(503, body=b"<html>Service Unavailable</html>")
    assert isinstance(error, ServiceUnavailable)
    assert error.code == ""
    assert "Service Unavailable" in error.message


def test_throttled_reads_fractional_retry_after() -> None:
    response = graph_error(429, "TooManyRequests", headers={"Retry-After": "2.128"})
    error = error_from_response(429, body=response.content, headers=response.headers)
    assert isinstance(error, Throttled)
    assert error.retry_after == pytest.approx(2.128)


def test_hints_name_the_action() -> None:
    assert "consent" in MissingPermission("x").hint
    assert "P1" in PremiumLicenseRequired("x").hint
    assert "/connect" in ConsentMissing("x").hint


TOKEN_CASES = [
    ("unauthorized_client", [700016], ConsentMissing),
    ("invalid_grant", [65001], ConsentMissing),
    ("invalid_client", [7000215], InvalidClientSecret),
    ("invalid_client", [7000222], ClientSecretExpired),
    ("invalid_request", [90002], TenantNotFound),
    ("invalid_scope", [70011], TokenError),
    ("unauthorized_client", [], ConsentMissing),
    ("temporarily_unavailable", [], TokenError),
]


@pytest.mark.parametrize(("error", "codes", "expected"), TOKEN_CASES)
def test_msal_error_dict_maps_to_class(
    error: str, codes: list[int], expected: type[TokenError]
) -> None:
    prefix = f"AADSTS{codes[0]}: " if codes else ""
    result = {
        "error": error,
        "error_description": f"{prefix}Something went wrong.\r\nTrace ID: abc",
        "error_codes": codes,
        "correlation_id": "corr-1",
    }
    raised = token_error_from_msal(result, tenant_id="contoso.com")
    assert type(raised) is expected
    assert raised.code == (f"AADSTS{codes[0]}" if codes else error)
    assert (raised.tenant_id, raised.request_id) == ("contoso.com", "corr-1")
    assert "Trace ID" not in raised.message


def test_token_errors_are_graph_errors_with_hints() -> None:
    raised = token_error_from_msal(
        {"error": "invalid_client", "error_description": "AADSTS7000222: expired"},
        tenant_id="t",
    )
    assert isinstance(raised, ClientSecretExpired)
    assert isinstance(raised, GraphError)
    assert "secret" in raised.hint
