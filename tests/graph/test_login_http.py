"""The MSAL http_client adapter: only the authority origin is sent elsewhere."""

from __future__ import annotations

import httpx
import pytest
import respx

from sync_core.graph import LoginHttpClient

SANDBOX = "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://login.microsoftonline.com/t/oauth2/v2.0/token", f"{SANDBOX}/t/oauth2/v2.0/token"),
        ("https://LOGIN.microsoftonline.com/t/v2.0/x?y=1", f"{SANDBOX}/t/v2.0/x?y=1"),
        (
            "https://login.microsoftonline.com.evil.test/t",
            "https://login.microsoftonline.com.evil.test/t",
        ),
        ("http://login.microsoftonline.com/t", "http://login.microsoftonline.com/t"),
        ("https://graph.microsoft.com/v1.0/users", "https://graph.microsoft.com/v1.0/users"),
    ],
)
def test_rewrites_only_the_authority_origin(url: str, expected: str) -> None:
    with httpx.Client() as http:
        adapter = LoginHttpClient(
            http, authority_host="login.microsoftonline.com", login_url=SANDBOX
        )
        assert adapter.rewrite(url) == expected


def test_no_rewrite_when_login_url_is_the_authority() -> None:
    with httpx.Client() as http:
        adapter = LoginHttpClient(
            http,
            authority_host="login.microsoftonline.com",
            login_url="https://login.microsoftonline.com/",
        )
        url = "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        assert adapter.rewrite(url) == url


def test_meets_msal_http_client_contract() -> None:
    with respx.mock(base_url=SANDBOX) as mock, httpx.Client() as http:
        form = mock.post("/t/token").mock(return_value=httpx.Response(200, json={"ok": 1}))
        raw = mock.post("/t/raw").mock(return_value=httpx.Response(200, text="{}"))
        get = mock.get("/t/conf").mock(return_value=httpx.Response(404, text="nope"))
        adapter = LoginHttpClient(
            http, authority_host="login.microsoftonline.com", login_url=SANDBOX
        )
        base = "https://login.microsoftonline.com/t"
        posted = adapter.post(f"{base}/token", params=None, data={"a": "1"}, headers={"x": "y"})
        adapter.post(
            f"{base}/raw", data="a=1&b=2", headers={"Content-Type": "text/plain"}, timeout=3
        )
        fetched = adapter.get(f"{base}/conf", params={"q": "1"}, headers=None)
    assert (posted.status_code, posted.text, posted.headers["content-type"]) == (
        200,
        '{"ok":1}',
        "application/json",
    )
    assert form.calls.last.request.content == b"a=1"
    assert form.calls.last.request.headers["x"] == "y"
    assert raw.calls.last.request.content == b"a=1&b=2"
    assert get.calls.last.request.url.params["q"] == "1"
    with pytest.raises(httpx.HTTPStatusError):
        fetched.raise_for_status()
