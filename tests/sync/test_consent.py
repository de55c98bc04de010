"""Admin consent: signed, single-use, expiring state bound to who asked; tenant proven."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from sync_core import consent, records
from sync_core.graph import ConsentMissing
from sync_core.records import ActorType, ConnectionStatus
from sync_core.store import activity, connections, organizations
from sync_core.sync.tenant import TenantCheck

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
TENANT = "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
CONFIG = consent.ConsentConfig(
    login_url="https://login.microsoftonline.com",
    client_id="client-1",
    public_url="https://appventory.example.com",
    signing_key=b"k" * 32,
)
ALICE = records.Actor(ActorType.SLACK_USER, "U123", "alice")


async def _verified(tenant: str) -> TenantCheck:
    return TenantCheck(tenant_id=tenant, name="Contoso", permissions=("User.Read.All",))


async def _begin(org_id, now=NOW) -> str:
    url = await consent.begin(
        config=CONFIG, organization_id=org_id, actor=ALICE, now=now, context={"team": "T1"}
    )
    return parse_qs(urlsplit(url).query)["state"][0]


def _callback(state: str, **extra: str) -> dict[str, str]:
    return {"admin_consent": "True", "tenant": TENANT, "state": state, **extra}


async def test_consent_url_asks_for_application_permissions_and_comes_back_to_us(store):
    org, _ = await organizations.create_organization(name="Acme")
    url = await consent.begin(config=CONFIG, organization_id=org.id, actor=ALICE, now=NOW)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.netloc == "login.microsoftonline.com"
    assert parts.path == "/organizations/v2.0/adminconsent"
    assert query["scope"] == ["https://graph.microsoft.com/.default"]
    assert query["redirect_uri"] == ["https://appventory.example.com/connect/microsoft/callback"]


async def test_completed_consent_records_the_connection_and_who_asked(store):
    org, _ = await organizations.create_organization(name="Acme")
    result = await consent.complete(
        config=CONFIG, params=_callback(await _begin(org.id)), now=NOW, check=_verified
    )
    assert result.connection.status is ConnectionStatus.CONNECTED
    assert (result.connection.tenant_name, result.connection.permissions) == (
        "Contoso",
        ("User.Read.All",),
    )
    assert result.check.missing == (
        "Application.Read.All",
        "AuditLog.Read.All",
        "Directory.Read.All",
    )
    assert result.context == {"team": "T1"}
    [event] = await activity.list_activities(organization_id=org.id)
    assert (event.kind, event.actor.id, event.subject_id) == (
        "connection.connected",
        "U123",
        TENANT,
    )


async def _assert_refused(org_id, params, message, now=NOW):
    with pytest.raises(consent.ConsentError, match=message):
        await consent.complete(config=CONFIG, params=params, now=now, check=_verified)
    assert await connections.list_connections(organization_id=org_id) == []


async def test_reused_state_is_refused(store):
    org, _ = await organizations.create_organization(name="Acme")
    state = await _begin(org.id)
    await consent.complete(config=CONFIG, params=_callback(state), now=NOW, check=_verified)
    with pytest.raises(consent.ConsentError, match="already used or has expired"):
        await consent.complete(config=CONFIG, params=_callback(state), now=NOW, check=_verified)


async def test_expired_state_is_refused(store):
    org, _ = await organizations.create_organization(name="Acme")
    state = await _begin(org.id)
    later = NOW + consent.STATE_TTL + dt.timedelta(seconds=1)
    await _assert_refused(org.id, _callback(state), "already used or has expired", now=later)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s + "x",
        lambda s: "forged." + s.split(".")[1],
        lambda s: "",
        lambda s: s.split(".")[0],
    ],
)
async def test_tampered_or_missing_state_is_refused(store, tamper):
    org, _ = await organizations.create_organization(name="Acme")
    state = await _begin(org.id)
    await _assert_refused(org.id, _callback(tamper(state)), "not one AppVentory issued")


async def test_a_signed_state_we_never_stored_is_refused(store):
    org, _ = await organizations.create_organization(name="Acme")
    nonce = "never-stored"
    state = f"{nonce}.{consent._signature(nonce, CONFIG.signing_key)}"
    await _assert_refused(org.id, _callback(state), "already used or has expired")


async def test_consent_errors_from_microsoft_are_shown_and_use_up_the_state(store):
    org, _ = await organizations.create_organization(name="Acme")
    state = await _begin(org.id)
    params = {
        "state": state,
        "error": "access_denied",
        "error_description": "AADSTS65004: User declined to consent",
    }
    await _assert_refused(org.id, params, "AADSTS65004: User declined to consent")
    await _assert_refused(org.id, _callback(state), "already used")


@pytest.mark.parametrize("tenant", ["", "common", "evil.example.com", "not-a-guid"])
async def test_tenant_must_be_a_guid(store, tenant):
    org, _ = await organizations.create_organization(name="Acme")
    params = _callback(await _begin(org.id), tenant=tenant)
    await _assert_refused(org.id, params, "did not confirm admin consent")


async def test_tenant_is_untrusted_until_a_token_works(store):
    org, _ = await organizations.create_organization(name="Acme")

    async def refuse(tenant: str) -> TenantCheck:
        raise ConsentMissing("AADSTS700016: app not found in tenant", code="AADSTS700016")

    with pytest.raises(ConsentMissing):
        await consent.complete(
            config=CONFIG, params=_callback(await _begin(org.id)), now=NOW, check=refuse
        )
    assert await connections.list_connections(organization_id=org.id) == []
