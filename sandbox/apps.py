"""Service principals of a tenant: Microsoft first-party, third-party SaaS, own apps, identities."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sandbox.catalog import (
    GRAPH_APP_ID,
    GRAPH_APP_ROLES,
    LONG_TAIL_PREFIXES,
    LONG_TAIL_SUFFIXES,
    MANAGED_IDENTITY_NAMES,
    MICROSOFT_TENANT,
    OWN_APP_NAMES,
    SAAS_CATALOG,
    CatalogApp,
    FirstPartyApp,
)
from sandbox.randomness import Draws, guid, hash64

SP_PROPERTIES = frozenset(
    {
        "id",
        "deletedDateTime",
        "accountEnabled",
        "addIns",
        "alternativeNames",
        "appDescription",
        "appDisplayName",
        "appId",
        "applicationTemplateId",
        "appOwnerOrganizationId",
        "appRoleAssignmentRequired",
        "appRoles",
        "customSecurityAttributes",
        "description",
        "disabledByMicrosoftStatus",
        "displayName",
        "homepage",
        "info",
        "keyCredentials",
        "loginUrl",
        "logoutUrl",
        "notes",
        "notificationEmailAddresses",
        "oauth2PermissionScopes",
        "passwordCredentials",
        "preferredSingleSignOnMode",
        "preferredTokenSigningKeyThumbprint",
        "replyUrls",
        "resourceSpecificApplicationPermissions",
        "samlSingleSignOnSettings",
        "servicePrincipalNames",
        "servicePrincipalType",
        "signInAudience",
        "tags",
        "tokenEncryptionKeyId",
        "verifiedPublisher",
    }
)
# /beta still carries publisherName (docs/graph.md#service-principals); v1.0 does not.
SP_BETA_PROPERTIES = SP_PROPERTIES | {"publisherName", "errorUrl", "samlMetadataUrl"}
INTEGRATED_TAG = "WindowsAzureActiveDirectoryIntegratedApp"
DAY = 86_400.0


class AppKind(Enum):
    """How ground truth splits service principals."""

    THIRD_PARTY = "third_party"
    MICROSOFT = "microsoft"
    TENANT_OWN = "tenant_own"
    MANAGED_IDENTITY = "managed_identity"


@dataclass
class App:
    """One service principal plus the usage profile that drives its sign-ins."""

    sp_id: str
    app_id: str
    name: str
    kind: AppKind
    publisher: str
    record: dict[str, Any]
    departments: tuple[str, ...] = ()
    consent: str = "none"  # "admin", "user" or "none"
    scopes: str = ""
    popularity: float = 0.0
    active_from_days: float = 1e9  # usage starts this many days before the anchor
    active_until_days: float = 0.0  # and stops this many days before it
    sso: str = "oidc"
    audience: float = 1.0
    created: float = 0.0
    removed_at: float | None = None

    @property
    def is_live(self) -> bool:
        """Not deleted by churn."""
        return self.removed_at is None

    def is_used_on(self, days_ago: float) -> bool:
        """Whether people sign in to this app on the day `days_ago` before the anchor."""
        return self.popularity > 0 and self.active_until_days <= days_ago < self.active_from_days


def _info(domain: str | None) -> dict[str, Any]:
    if not domain:
        return {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        }
    return {
        "logoUrl": f"https://secure.aadcdn.microsoftonline-p.com/c1c6b6c8/{domain}.png",
        "marketingUrl": f"https://{domain}",
        "privacyStatementUrl": f"https://{domain}/privacy",
        "supportUrl": f"https://{domain}/support",
        "termsOfServiceUrl": f"https://{domain}/terms",
    }


def _record(sp_id: str, app_id: str, name: str, owner: str | None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": sp_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "addIns": [],
        "alternativeNames": [],
        "appDescription": None,
        "appDisplayName": name,
        "appId": app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": owner,
        "appRoleAssignmentRequired": False,
        "appRoles": [],
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": name,
        "homepage": None,
        "info": _info(None),
        "keyCredentials": [],
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "resourceSpecificApplicationPermissions": [],
        "samlSingleSignOnSettings": None,
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "verifiedPublisher": {
            "displayName": None,
            "verifiedPublisherId": None,
            "addedDateTime": None,
        },
        "publisherName": None,
    }
    record.update(extra)
    return record


def _app_role(app_id: str, value: str, description: str) -> dict[str, Any]:
    return {
        "allowedMemberTypes": ["User"],
        "description": description,
        "displayName": value,
        "id": guid(app_id, "app-role", value),
        "isEnabled": True,
        "origin": "Application",
        "value": value,
    }


def microsoft_app(seed: int, app: FirstPartyApp) -> App:
    """A Microsoft first-party service principal, owned by Microsoft's tenant."""
    sp_id = guid(seed, "sp", app.app_id)
    roles = []
    if app.app_id == GRAPH_APP_ID:
        roles = [
            {
                "allowedMemberTypes": ["Application"],
                "description": value,
                "displayName": value,
                "id": role_id,
                "isEnabled": True,
                "origin": "Application",
                "value": value,
            }
            for value, role_id in GRAPH_APP_ROLES.items()
        ]
    record = _record(
        sp_id,
        app.app_id,
        app.name,
        MICROSOFT_TENANT,
        appRoles=roles,
        publisherName="Microsoft Services",
    )
    return App(
        sp_id,
        app.app_id,
        app.name,
        AppKind.MICROSOFT,
        "Microsoft Services",
        record,
        departments=("*",),
        popularity=app.popularity * 0.5,
    )


def third_party_app(seed: int, entry: CatalogApp, *, created: float) -> App:
    """A multi-tenant SaaS app consented into the tenant."""
    app_id = guid("catalog", "app", entry.name)
    sp_id = guid(seed, "sp", app_id)
    verified = {
        "displayName": entry.publisher if entry.mpn_id else None,
        "verifiedPublisherId": entry.mpn_id or None,
        "addedDateTime": "2021-06-14T16:20:00Z" if entry.mpn_id else None,
    }
    tags = [INTEGRATED_TAG]
    roles: list[dict[str, Any]] = []
    if entry.sso == "saml":
        tags.append("WindowsAzureActiveDirectoryCustomSingleSignOnApplication")
        roles = [
            _app_role(app_id, "msiam_access", "msiam_access"),
            _app_role(app_id, "User", "Standard user"),
            _app_role(app_id, "Admin", "Administrator"),
        ]
    record = _record(
        sp_id,
        app_id,
        entry.name,
        guid("catalog", "publisher-tenant", entry.publisher),
        homepage=f"https://{entry.domain}/",
        info=_info(entry.domain),
        tags=tags,
        appRoles=roles,
        appRoleAssignmentRequired=entry.consent == "admin",
        replyUrls=[f"https://{entry.domain}/auth/callback"],
        servicePrincipalNames=[app_id, f"https://{entry.domain}"],
        preferredSingleSignOnMode="saml" if entry.sso == "saml" else None,
        applicationTemplateId=guid("catalog", "template", entry.name) if entry.mpn_id else None,
        verifiedPublisher=verified,
        publisherName=entry.publisher,
    )
    return App(
        sp_id,
        app_id,
        entry.name,
        AppKind.THIRD_PARTY,
        entry.publisher,
        record,
        departments=entry.departments,
        consent=entry.consent,
        scopes=entry.scopes,
        popularity=entry.popularity,
        sso=entry.sso,
        audience=entry.audience,
        created=created,
    )


def long_tail_entry(seed: int, n: int) -> CatalogApp:
    """A made-up niche SaaS app; most are unverified and some ask for risky scopes."""
    draws = Draws(seed, "long-tail", n)
    name = f"{draws.choice(LONG_TAIL_PREFIXES)}{draws.choice(LONG_TAIL_SUFFIXES)}"
    name = f"{name} {n + 1}" if n >= len(LONG_TAIL_PREFIXES) else name
    slug = name.lower().replace(" ", "")
    verified = draws.chance(0.35)
    risky = (
        "Mail.Read",
        "Files.ReadWrite.All",
        "Mail.Send",
        "Directory.ReadWrite.All",
        "Mail.ReadWrite",
        "Sites.ReadWrite.All",
        "Contacts.Read",
    )
    scopes = " ".join(sorted({draws.choice(risky) for _ in range(1 + draws.below(3))}))
    return CatalogApp(
        name,
        f"{name.split()[0]} Labs",
        f"{5500000 + n}" if verified else "",
        f"{slug}.io",
        ("*",),
        "user",
        scopes,
        "oidc",
        0.2 + draws.random(),
        audience=0.1,
    )


def own_app(seed: int, tenant_id: str, n: int, *, created: float, publisher: str) -> App:
    """An app registered in the tenant itself (single-tenant line-of-business app)."""
    base = OWN_APP_NAMES[n % len(OWN_APP_NAMES)]
    name = base if n < len(OWN_APP_NAMES) else f"{base} {n // len(OWN_APP_NAMES) + 1}"
    app_id = guid(seed, "own-app", n)
    sp_id = guid(seed, "sp", app_id)
    record = _record(
        sp_id,
        app_id,
        name,
        tenant_id,
        signInAudience="AzureADMyOrg",
        tags=[INTEGRATED_TAG],
        appRoleAssignmentRequired=True,
        appRoles=[_app_role(app_id, "User", "Standard user")],
        replyUrls=[f"https://{name.lower().replace(' ', '-')}.azurewebsites.net/"],
        publisherName=publisher,
    )
    return App(
        sp_id,
        app_id,
        name,
        AppKind.TENANT_OWN,
        publisher,
        record,
        departments=("*",),
        consent="admin",
        popularity=1.0,
        created=created,
    )


def managed_identity(seed: int, n: int, *, created: float) -> App:
    """A managed identity's service principal (never signs in interactively)."""
    base = MANAGED_IDENTITY_NAMES[n % len(MANAGED_IDENTITY_NAMES)]
    name = base if n < len(MANAGED_IDENTITY_NAMES) else f"{base}-{n}"
    app_id = guid(seed, "mi-app", n)
    sp_id = guid(seed, "sp", app_id)
    resource = (
        f"/subscriptions/{guid(seed, 'subscription', 0)}/resourcegroups/rg-prod"
        f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )
    record = _record(
        sp_id,
        app_id,
        name,
        None,
        servicePrincipalType="ManagedIdentity",
        signInAudience=None,
        alternativeNames=["isExplicit=True", resource],
        servicePrincipalNames=[app_id, f"https://identity.azure.net/{sp_id}"],
    )
    return App(sp_id, app_id, name, AppKind.MANAGED_IDENTITY, "", record, created=created)


def client_app(seed: int, client_id: str, name: str) -> App:
    """Our own multi-tenant app's service principal, present once the tenant consented."""
    sp_id = guid(seed, "sp", client_id)
    record = _record(
        sp_id,
        client_id,
        name,
        guid("catalog", "publisher-tenant", name),
        tags=[INTEGRATED_TAG],
        publisherName=name,
        servicePrincipalNames=[client_id],
    )
    return App(sp_id, client_id, name, AppKind.THIRD_PARTY, name, record, consent="admin")


def third_party_apps(seed: int, count: int, *, anchor: float) -> list[App]:
    """`count` SaaS apps: a seeded pick of the real catalog first, then the long tail."""
    order = sorted(range(len(SAAS_CATALOG)), key=lambda j: hash64(seed, "catalog-order", j))
    entries = [SAAS_CATALOG[j] for j in order[:count]]
    entries += [long_tail_entry(seed, n) for n in range(max(0, count - len(SAAS_CATALOG)))]
    draws = Draws(seed, "created", 0)
    return [
        third_party_app(seed, e, created=anchor - (60 + draws.below(1_400)) * DAY) for e in entries
    ]


def usage_profile(seed: int, app: App, *, days: int, anchor: float) -> None:
    """Skew usage: some apps daily, some never, some abandoned or adopted recently."""
    draws = Draws(seed, "usage", app.app_id)
    roll = draws.random()
    if roll < 0.12:
        app.popularity = 0.0
    elif roll < 0.27:
        app.active_until_days = days * (0.35 + 0.55 * draws.random())
    elif roll < 0.35:
        app.active_from_days = days * (0.1 + 0.4 * draws.random())
        app.created = anchor - app.active_from_days * DAY - DAY
    app.popularity *= 0.5 + draws.random()
