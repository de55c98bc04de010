"""Admin consent: signed, single-use, expiring state bound to who asked and to the tenant;
the tenant proven by a token, the person by a sign-in as one of its admins."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from sync_core import consent, records
from sync_core.graph import ConsentMissing
from sync_core.graph.signin import SignedInUser, SignInError
from sync_core.records import ActorType, ConnectionStatus
from sync_core.store import activity, connections, organizations
from sync_core.sync.tenant import TenantAdmin, TenantCheck

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
TENANT = "3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
CONFIG = consent.ConsentConfig(
    login_url="https://login.microsoftonline.com",
    client_id="client-1",
    public_url="https://appventory.example.com",
    signing_key=b"k" * 32,
)
ALICE = records.Actor(ActorType.SLACK_USER, "U123", "alice")


OTHER_TENANT = "9e8d7c6b-5a49-4838-a726-1504f3e2d1c0"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
ADMIN_OID = "0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9"


async def _verified(tenant: str) -> TenantCheck:
    return TenantCheck(tenant_id=tenant, name="Contoso", permissions=("User.Read.All",))


class FakeProof:
    """Who the sign-in page signs in: a user of `tenant` with `roles`; records the flows."""

    def __init__(
        self,
        *,
        tenant: str = TENANT,
        roles: frozenset[str] = frozenset({GLOBAL_ADMIN}),
        refuse: str | None = None,
    ) -> None:
        self.tenant, self.roles, self.refuse = tenant, roles, refuse
        self.begun: list[tuple[str, str]] = []

    async def begin(self, *, tenant_id: str, redirect_uri: str, state: str) -> dict:
        self.begun.append((tenant_id, state))
        return {
            "auth_uri": f"https://login.example/{tenant_id}/authorize?state={state}",
            "state": state,
            "nonce": "n",
        }

    async def finish(self, *, tenant_id, flow, response, now) -> TenantAdmin:
        if self.refuse:
            raise SignInError(self.refuse)
        assert response["state"] == flow["state"]
        user = SignedInUser(tenant_id=self.tenant, user_id=ADMIN_OID, username="pat@contoso.com")
        return TenantAdmin(user=user, roles=self.roles)


async def _complete(params, *, proof=None, now=NOW, check=_verified):
    """Both callbacks: Microsoft's consent redirect, then (when asked) the admin's sign-in."""
    proof = proof or FakeProof()
    step = await consent.complete(config=CONFIG, params=params, now=now, check=check, prove=proof)
    if isinstance(step, consent.SignInRequired):
        state = parse_qs(urlsplit(step.url).query)["state"][0]
        step = await consent.complete(
            config=CONFIG, params={"code": "c", "state": state}, now=now, check=check, prove=proof
        )
    return step


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
    result = await _complete(_callback(await _begin(org.id)))
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
    assert (event.details["proven_by"], event.details["proven_by_roles"]) == (
        "pat@contoso.com",
        ["Global Administrator"],
    )


async def _assert_refused(org_id, params, message, now=NOW, proof=None):
    with pytest.raises(consent.ConsentError, match=message):
        await _complete(params, now=now, proof=proof)
    assert await connections.list_connections(organization_id=org_id) == []


async def test_reused_state_is_refused(store):
    org, _ = await organizations.create_organization(name="Acme")
    state = await _begin(org.id)
    await _complete(_callback(state))
    with pytest.raises(consent.ConsentError, match="already used or has expired"):
        await _complete(_callback(state))


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

    proof = FakeProof()
    with pytest.raises(ConsentMissing):
        await _complete(_callback(await _begin(org.id)), check=refuse, proof=proof)
    assert await connections.list_connections(organization_id=org.id) == []
    assert proof.begun == []  # nobody is even asked to sign in


async def _victim_connected() -> uuid.UUID:
    """Org B has its tenant connected (its admin proved it); the tenant's token works."""
    victim, _ = await organizations.create_organization(name="Victim")
    await _complete(_callback(await _begin(victim.id)))
    return victim.id


async def test_a_forged_callback_for_another_orgs_tenant_needs_that_tenants_admin(store):
    """The reported attack: org A's state, tenant=org B's tenant. The consent step alone
    connects nothing; the sign-in of a non-admin (or of nobody) is refused."""
    victim = await _victim_connected()
    attacker, _ = await organizations.create_organization(name="Attacker")
    state = await _begin(attacker.id)
    step = await consent.complete(
        config=CONFIG, params=_callback(state), now=NOW, check=_verified, prove=FakeProof()
    )
    assert isinstance(step, consent.SignInRequired) and step.tenant_id == TENANT
    assert await connections.list_connections(organization_id=attacker.id) == []
    member = FakeProof(roles=frozenset({APP_ADMIN}))
    await _assert_refused(
        attacker.id,
        _callback(await _begin(attacker.id)),
        "is not a Global Administrator or Privileged Role Administrator",
        proof=member,
    )
    assert [c.tenant_id for c in await connections.list_connections(organization_id=victim)] == [
        TENANT
    ]


async def test_a_sign_in_to_another_tenant_does_not_prove_this_one(store):
    org, _ = await organizations.create_organization(name="Acme")
    elsewhere = FakeProof(tenant=OTHER_TENANT)
    await _assert_refused(
        org.id,
        _callback(await _begin(org.id)),
        f"signed in to tenant {OTHER_TENANT}, not to {TENANT}",
        proof=elsewhere,
    )


async def test_a_failed_or_cancelled_sign_in_connects_nothing(store):
    org, _ = await organizations.create_organization(name="Acme")
    cancelled = FakeProof(refuse="Microsoft reported that the sign-in did not complete")
    await _assert_refused(
        org.id,
        _callback(await _begin(org.id)),
        "sign-in did not complete.*Nothing was connected",
        proof=cancelled,
    )


async def test_a_link_for_one_tenant_cannot_connect_another(store):
    """/connect refresh and re-grant name the tenant: the answer must be for that tenant."""
    org, _ = await organizations.create_organization(name="Acme")
    url = await consent.begin(
        config=CONFIG, organization_id=org.id, actor=ALICE, now=NOW, tenant_hint=OTHER_TENANT
    )
    state = parse_qs(urlsplit(url).query)["state"][0]
    await _assert_refused(org.id, _callback(state), f"was for tenant {OTHER_TENANT}")


async def test_the_sign_in_state_is_single_use_and_not_a_consent_state(store):
    org, _ = await organizations.create_organization(name="Acme")
    proof = FakeProof()
    step = await consent.complete(
        config=CONFIG,
        params=_callback(await _begin(org.id)),
        now=NOW,
        check=_verified,
        prove=proof,
    )
    sign_in_state = parse_qs(urlsplit(step.url).query)["state"][0]
    done = await consent.complete(
        config=CONFIG,
        params={"code": "c", "state": sign_in_state},
        now=NOW,
        check=_verified,
        prove=proof,
    )
    assert isinstance(done, consent.ConsentResult)
    with pytest.raises(consent.ConsentError, match="already used"):
        await consent.complete(
            config=CONFIG,
            params={"code": "c", "state": sign_in_state},
            now=NOW,
            check=_verified,
            prove=proof,
        )


async def test_connecting_a_tenant_another_org_has_is_never_silent(store):
    victim = await _victim_connected()
    partner, _ = await organizations.create_organization(name="Partner MSP")
    await _complete(_callback(await _begin(partner.id)))
    [shared] = await activity.list_activities(organization_id=victim, kinds=["connection.shared"])
    assert (shared.subject_id, shared.details["proven_by"]) == (TENANT, "pat@contoso.com")
    assert shared.details["organization_id"] == str(partner.id)
