"""The consent hijack, tried through the real door: org A's consent state with tenant= a tenant
that org B connected. Microsoft's consent redirect cannot prove who clicked; only a sign-in as
an admin of that tenant connects it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from sandbox.authcode import posted_form
from sync_core import consent, records
from sync_core.records import ActorType
from sync_core.store import activity, connections, organizations
from tests.bot.conftest import ADMIN
from tests.bot.test_connect import _consent_link

APPLICATION_ADMINISTRATOR = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
VICTIM = records.Actor(ActorType.SYSTEM, None, "victim's own connect")


async def _victim_org(bot, entra):
    """Org B, with the sandbox tenant connected (its admin consented for B earlier)."""
    victim, _ = await organizations.create_organization(name="Victim Corp")
    verified = await bot.runtime.check_tenant(entra.sandbox.tenant_id)
    await consent.record_connection(organization_id=victim.id, actor=VICTIM, verified=verified)
    return victim.id


async def _forged_callback(bot, entra) -> str:
    """Org A's admin asks for a consent link, but never visits Microsoft: they write the
    callback themselves, naming org B's tenant."""
    state = parse_qs(urlsplit(await _consent_link(bot)).query)["state"][0]
    query = urlencode({"admin_consent": "True", "tenant": entra.sandbox.tenant_id, "state": state})
    return f"/connect/microsoft/callback?{query}"


async def _users(entra) -> list[dict]:
    token = await entra.sandbox.token()
    answer = await entra.sandbox.client.get(
        "/v1.0/users",
        params={"$top": "20", "$select": "userPrincipalName,accountEnabled"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.json()["value"]


async def test_a_forged_consent_callback_cannot_attach_another_orgs_tenant(entra_bot):
    bot, entra = entra_bot
    await _victim_org(bot, entra)
    state = await entra.sandbox.set_state()
    member = next(
        u["userPrincipalName"]
        for u in await _users(entra)
        if u["accountEnabled"]
        and u["userPrincipalName"] != state["admin"]
        and "#EXT#" not in u["userPrincipalName"]
    )
    # Worst case: the attacker is a plain member of the victim's tenant (or an app admin).
    await entra.sandbox.set_state(
        signin_as=member, directory_roles={member: [APPLICATION_ADMINISTRATOR]}
    )

    step = await bot.http.get(await _forged_callback(bot, entra))
    assert step.status_code == 302, step.text  # on to the tenant's sign-in, nothing connected
    assert await connections.list_connections(organization_id=bot.organization_id) == []

    page = await entra.sign_in(bot, step.headers["location"])
    assert page.status_code == 400
    assert f"{member} is not a Global Administrator or Privileged Role Administrator" in page.text
    assert await connections.list_connections(organization_id=bot.organization_id) == []
    assert bot.slack.called("chat.postMessage") == []


async def test_a_replayed_sign_in_answer_is_refused(entra_bot):
    bot, entra = entra_bot
    step = await bot.http.get(await entra.follow(await _consent_link(bot)))
    response = await entra.sandbox.client.get(
        step.headers["location"].replace(
            "https://login.microsoftonline.com", entra.sandbox.base_url
        )
    )
    action, fields = posted_form(response.text)
    assert (await bot.http.post(action, data=fields)).status_code == 200
    await bot.settle()
    again = await bot.http.post(action, data=fields)
    assert again.status_code == 400 and "already used" in again.text


async def test_the_tenants_own_admin_may_connect_it_to_a_second_org_and_b_is_told(entra_bot):
    """An MSP and its client may both connect one tenant, when the tenant's admin says so."""
    bot, entra = entra_bot
    victim = await _victim_org(bot, entra)
    step = await bot.http.get(await _forged_callback(bot, entra))
    page = await entra.sign_in(bot, step.headers["location"])  # the sandbox's Global Admin
    assert page.status_code == 200 and "Connected Contoso" in page.text
    await bot.settle()
    admin = (await entra.sandbox.set_state())["admin"]
    [shared] = await activity.list_activities(organization_id=victim, kinds=["connection.shared"])
    assert (shared.actor.id, shared.details["proven_by"]) == (ADMIN, admin)
    assert shared.details["proven_by_roles"] == ["Global Administrator"]
