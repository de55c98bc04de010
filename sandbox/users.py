"""Users as pure functions of (seed, index): nothing is stored per user."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Any

from sandbox.clock import iso
from sandbox.people import DEPARTMENTS, GIVEN_NAMES, GUEST_DOMAINS, LANGUAGES, OFFICES, SURNAMES
from sandbox.randomness import AffinePermutation, Draws, guid, hash64, unit

DAY = 86_400.0
USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)
# Properties Graph only returns for a single user (GET /users/{id}); a list answers 501.
USER_SINGLE_ONLY = frozenset(
    {
        "aboutMe",
        "birthday",
        "hireDate",
        "interests",
        "mySite",
        "pastProjects",
        "preferredName",
        "responsibilities",
        "schools",
        "skills",
        "mailboxSettings",
        "print",
    }
)
USER_PROPERTIES = frozenset(
    {
        *USER_DEFAULT,
        "accountEnabled",
        "ageGroup",
        "assignedLicenses",
        "assignedPlans",
        "authorizationInfo",
        "city",
        "companyName",
        "consentProvidedForMinor",
        "country",
        "createdDateTime",
        "creationType",
        "customSecurityAttributes",
        "deletedDateTime",
        "department",
        "employeeHireDate",
        "employeeLeaveDateTime",
        "employeeId",
        "employeeOrgData",
        "employeeType",
        "externalUserState",
        "externalUserStateChangeDateTime",
        "faxNumber",
        "identities",
        "imAddresses",
        "isResourceAccount",
        "lastPasswordChangeDateTime",
        "legalAgeGroupClassification",
        "licenseAssignmentStates",
        "mailNickname",
        "onPremisesDistinguishedName",
        "onPremisesDomainName",
        "onPremisesExtensionAttributes",
        "onPremisesImmutableId",
        "onPremisesLastSyncDateTime",
        "onPremisesProvisioningErrors",
        "onPremisesSamAccountName",
        "onPremisesSecurityIdentifier",
        "onPremisesSyncEnabled",
        "onPremisesUserPrincipalName",
        "otherMails",
        "passwordPolicies",
        "passwordProfile",
        "postalCode",
        "preferredDataLocation",
        "provisionedPlans",
        "proxyAddresses",
        "securityIdentifier",
        "serviceProvisioningErrors",
        "showInAddressList",
        "signInActivity",
        "signInSessionsValidFromDateTime",
        "state",
        "streetAddress",
        "usageLocation",
        "userType",
        *USER_SINGLE_ONLY,
    }
)
_DEPT_CUMULATIVE = list(accumulate(d.weight for d in DEPARTMENTS))
GUEST_SHARE = 0.03
DISABLED_SHARE = 0.04


class UserFactory:
    """Builds user `i` of a tenant on demand; names are unique by construction."""

    def __init__(self, *, seed: int, domain: str, company: str, anchor: float) -> None:
        self.seed = seed
        self.domain = domain
        self.company = company
        self.anchor = anchor
        self._names = AffinePermutation(len(GIVEN_NAMES) * len(SURNAMES), seed, "names")

    def user_id(self, i: int) -> str:
        """The object id of user i."""
        return guid(self.seed, "user", i)

    def department_index(self, i: int) -> int | None:
        """Index into DEPARTMENTS, or None for guests."""
        if self.is_guest(i):
            return None
        pick = unit(hash64(self.seed, "dept", i)) * _DEPT_CUMULATIVE[-1]
        return bisect_right(_DEPT_CUMULATIVE, pick)

    def office_index(self, i: int) -> int:
        """Index into OFFICES: where user i works (and usually signs in from)."""
        return hash64(self.seed, "office", i) % len(OFFICES)

    def is_enabled(self, i: int) -> bool:
        """Whether the account is enabled (a few are disabled)."""
        return unit(hash64(self.seed, "enabled", i)) >= DISABLED_SHARE

    def names(self, i: int) -> tuple[str, str, str]:
        """(given name, surname, unique UPN local part)."""
        block = self._names.n
        combo = self._names.forward(i % block)
        given = GIVEN_NAMES[combo // len(SURNAMES)]
        surname = SURNAMES[combo % len(SURNAMES)]
        suffix = "" if i < block else str(i // block + 1)
        local = f"{given}.{surname}{suffix}".lower().replace("'", "")
        return given, surname, local

    def is_guest(self, i: int) -> bool:
        """Guests (B2B invitees) have no department."""
        return unit(hash64(self.seed, "user-kind", i)) < GUEST_SHARE

    def identity(self, i: int) -> tuple[str, str, str]:
        """(id, userPrincipalName, displayName): the cheap subset sign-ins need."""
        given, surname, local = self.names(i)
        if self.is_guest(i):
            guest = GUEST_DOMAINS[hash64(self.seed, "guest-domain", i) % len(GUEST_DOMAINS)]
            upn = f"{local}_{guest}#EXT#@{self.domain}"
        else:
            upn = f"{local}@{self.domain}"
        return self.user_id(i), upn, f"{given} {surname}"

    def record(self, i: int, *, created: float | None = None) -> dict[str, Any]:
        """Every property of user i that the sandbox models (others read as null)."""
        uid, upn, display = self.identity(i)
        given, surname, local = self.names(i)
        draws = Draws(self.seed, "user", i)
        dept_index = self.department_index(i)
        office = OFFICES[self.office_index(i)]
        created = created or self.anchor - (30 + draws.below(2_000)) * DAY - draws.below(86_400)
        is_guest = dept_index is None
        mail = upn if not is_guest else f"{local}@{upn.split('_')[-1].split('#')[0]}"
        record: dict[str, Any] = {
            "id": uid,
            "displayName": display,
            "givenName": given,
            "surname": surname,
            "userPrincipalName": upn,
            "mail": mail,
            "mailNickname": local.replace(".", ""),
            "accountEnabled": self.is_enabled(i),
            "createdDateTime": iso(created),
            "userType": "Guest" if is_guest else "Member",
            "businessPhones": [] if is_guest else [f"{office.phone_prefix} 555 {1000 + i % 9000}"],
            "mobilePhone": None if draws.chance(0.4) else f"{office.phone_prefix} 7{i % 10**7:07d}",
            "preferredLanguage": LANGUAGES.get(office.country, "en-US"),
            "proxyAddresses": [f"SMTP:{mail}"],
            "otherMails": [],
            "imAddresses": [mail],
            "identities": [
                {"signInType": "userPrincipalName", "issuer": self.domain, "issuerAssignedId": upn}
            ],
            "lastPasswordChangeDateTime": iso(created + draws.below(200) * DAY),
            "signInSessionsValidFromDateTime": iso(created),
            "onPremisesSyncEnabled": True if draws.chance(0.3) else None,
        }
        if dept_index is None:  # a guest
            record.update(
                creationType="Invitation",
                externalUserState="Accepted",
                externalUserStateChangeDateTime=iso(created),
            )
        else:
            dept = DEPARTMENTS[dept_index]
            record.update(
                department=dept.name,
                jobTitle=dept.titles[draws.below(len(dept.titles))],
                officeLocation=office.name,
                city=office.city,
                state=office.state,
                country=office.country,
                usageLocation=office.country,
                companyName=self.company,
                employeeId=f"{100000 + i}",
                employeeType="Contractor" if draws.chance(0.08) else "Employee",
                employeeHireDate=iso(created),
            )
        return record
