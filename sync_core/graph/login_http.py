"""MSAL's http_client, over a sync httpx.Client, sending the authority host to `login_url`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class LoginHttpClient:
    """Satisfies MSAL's http_client contract; rewrites https://{authority_host} to login_url.

    MSAL insists on an https authority (docs/graph.md#tokens), so the authority string stays
    https://login.microsoftonline.com/{tenant} and only the transport is pointed elsewhere,
    e.g. at the sandbox on http://127.0.0.1:PORT. When login_url is the authority itself,
    nothing is rewritten.
    """

    def __init__(self, http: httpx.Client, *, authority_host: str, login_url: str) -> None:
        self._http = http
        self._from = f"https://{authority_host}".lower()
        self._to = login_url.rstrip("/")

    def rewrite(self, url: str) -> str:
        """The URL to actually send to: only an exact authority origin is rewritten."""
        origin = _origin(url)
        if origin != self._from or _origin(self._to) == self._from:
            return url
        return self._to + url[len(origin) :]

    def post(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """POST; MSAL sends its form either as a dict or as a pre-encoded string."""
        if isinstance(data, str | bytes):
            return self._http.post(
                self.rewrite(url), params=params, content=data, headers=headers, **_timeout(kwargs)
            )
        return self._http.post(
            self.rewrite(url), params=params, data=data, headers=headers, **_timeout(kwargs)
        )

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """GET (tenant discovery)."""
        return self._http.get(self.rewrite(url), params=params, headers=headers, **_timeout(kwargs))

    def close(self) -> None:
        """Close the underlying httpx client."""
        self._http.close()


def _timeout(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    # MSAL may pass requests-style extras; only a timeout means anything to httpx.
    return {"timeout": kwargs["timeout"]} if kwargs.get("timeout") is not None else {}
