"""Read-only Microsoft Graph access: app-only tokens, one pagination primitive, typed errors."""

from sync_core.graph.auth import AccessToken, TokenProvider, unverified_claims
from sync_core.graph.bearer import GraphAuth, TokenSource
from sync_core.graph.client import DEFAULT_GRAPH_URL, GraphClient, is_report_url
from sync_core.graph.errors import (
    BadQuery,
    ClientSecretExpired,
    ConsentMissing,
    DeltaExpired,
    GraphAuthError,
    GraphConnectionError,
    GraphError,
    InvalidClientSecret,
    MalformedResponse,
    MissingPermission,
    NotFound,
    PremiumLicenseRequired,
    ReadOnlyViolation,
    ServiceUnavailable,
    TenantNotFound,
    Throttled,
    TokenError,
    TokenServiceUnavailable,
    TransientGraphError,
    error_from_response,
    token_error_from_msal,
)
from sync_core.graph.login_http import LoginHttpClient
from sync_core.graph.page import Page
from sync_core.graph.policy import RetryPolicy
from sync_core.graph.stats import GraphStats, OnWait, WaitReason

__all__ = [
    "DEFAULT_GRAPH_URL",
    "AccessToken",
    "BadQuery",
    "ClientSecretExpired",
    "ConsentMissing",
    "DeltaExpired",
    "GraphAuth",
    "GraphAuthError",
    "GraphClient",
    "GraphConnectionError",
    "GraphError",
    "GraphStats",
    "InvalidClientSecret",
    "LoginHttpClient",
    "MalformedResponse",
    "MissingPermission",
    "NotFound",
    "OnWait",
    "Page",
    "PremiumLicenseRequired",
    "ReadOnlyViolation",
    "RetryPolicy",
    "ServiceUnavailable",
    "TenantNotFound",
    "Throttled",
    "TokenError",
    "TokenProvider",
    "TokenServiceUnavailable",
    "TokenSource",
    "TransientGraphError",
    "WaitReason",
    "error_from_response",
    "is_report_url",
    "token_error_from_msal",
    "unverified_claims",
]
