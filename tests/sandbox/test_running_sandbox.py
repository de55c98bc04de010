"""running_sandbox: uvicorn on a free port in this loop, with control helpers."""

from __future__ import annotations

import httpx

from sandbox.testing import AsyncRedirectingTransport, running_sandbox
from tests.sandbox.support import small_config


async def test_helpers_over_a_real_socket():
    async with running_sandbox(small_config()) as sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
        token = await sandbox.token()
        transport = AsyncRedirectingTransport(sandbox.base_url)
        async with httpx.AsyncClient(transport=transport) as graph:
            graph.headers["Authorization"] = f"Bearer {token}"
            # The client keeps Microsoft's URLs; the transport sends them to the sandbox.
            first = (await graph.get("https://graph.microsoft.com/v1.0/users?$top=10")).json()
            assert first["@odata.nextLink"].startswith(f"{sandbox.base_url}/v1.0/users?")
            second = await graph.get(first["@odata.nextLink"])
            assert second.status_code == 200

            before = await sandbox.ground_truth()
            touched = await sandbox.churn(users_added=2)
            assert len(touched["touched"]["users_added"]) == 2
            assert (await sandbox.ground_truth())["users"] == before["users"] + 2

            await sandbox.set_faults(rate_504=1.0)
            assert (await graph.get(f"{sandbox.base_url}/v1.0/organization")).status_code == 504
            await sandbox.set_faults(reset=True)

            await sandbox.set_state(premium=False)
            signins = await graph.get(f"{sandbox.base_url}/v1.0/auditLogs/signIns")
            assert signins.status_code == 403

            await sandbox.advance_clock(2 * 3_600)
            expired = await graph.get(f"{sandbox.base_url}/v1.0/organization")
            assert expired.status_code == 401

        log = await sandbox.request_log()
        graph_calls = [e for e in log if e["path"].startswith("/v1.0/")]
        assert graph_calls and {e["method"] for e in graph_calls} == {"GET"}
        assert {e["tenant"] for e in graph_calls} == {sandbox.tenant_id}
        await sandbox.clear_request_log()
        assert await sandbox.request_log() == []
        assert (await sandbox.expire_client_secret())["secret_expired"] is True
