"""The tenant generator: realistic, deterministic, and cheap at 100,000 users."""

from __future__ import annotations

import time
from collections import Counter
from itertools import pairwise

from sandbox.apps import AppKind
from sandbox.catalog import MICROSOFT_TENANT, RISKY_SCOPES, SAAS_CATALOG
from sandbox.config import TenantSpec
from sandbox.directory import Tenant
from sandbox.people import DEPARTMENTS
from tests.sandbox.support import ANCHOR

CLIENT = "5a9d7b3c-1e2f-4a6b-8c9d-0e1f2a3b4c5d"


def tenant(**spec: object) -> Tenant:
    return Tenant(
        TenantSpec(**spec), anchor=ANCHOR.timestamp(), client_id=CLIENT, client_name="AppVentory"
    )


def test_same_seed_gives_the_same_objects_and_another_seed_does_not():
    first, again, other = tenant(seed=3), tenant(seed=3), tenant(seed=4)
    assert [first.user_record(i) for i in range(50)] == [again.user_record(i) for i in range(50)]
    assert [a.record for a in first.apps] == [a.record for a in again.apps]
    assert list(first.signins.scan(0, 200)) == list(again.signins.scan(0, 200))
    assert first.user_record(0) != other.user_record(0)


def test_users_are_unique_and_look_like_people():
    t = tenant(users=500)
    records = [t.user_record(i) for i in range(500)]
    assert len({r["userPrincipalName"] for r in records}) == 500
    members = [r for r in records if r["userType"] == "Member"]
    titles = {d.name: set(d.titles) for d in DEPARTMENTS}
    assert all(r["jobTitle"] in titles[r["department"]] for r in members)
    assert len({r["department"] for r in members}) == len(DEPARTMENTS)
    assert any(r["userType"] == "Guest" and "#EXT#" in r["userPrincipalName"] for r in records)
    assert any(not r["accountEnabled"] for r in records)


def test_apps_mix_real_saas_microsoft_own_and_managed_identities():
    t = tenant(apps=80)
    kinds = Counter(a.kind for a in t.apps)
    assert kinds[AppKind.MICROSOFT] >= 30
    assert kinds[AppKind.TENANT_OWN] == 12 and kinds[AppKind.MANAGED_IDENTITY] == 8
    names = {a.name for a in t.apps}
    assert {e.name for e in SAAS_CATALOG} <= names  # the whole catalog, then the long tail
    assert all(
        a.record["appOwnerOrganizationId"] == MICROSOFT_TENANT
        for a in t.apps
        if a.kind is AppKind.MICROSOFT
    )
    risky = [g for g in t.grants if set(g.scope.split()) & set(RISKY_SCOPES)]
    assert any(g.client.record["verifiedPublisher"]["verifiedPublisherId"] is None for g in risky)
    assert {g.consent_type for g in risky} == {"AllPrincipals", "Principal"}


def test_sign_ins_are_skewed_ordered_and_sometimes_fail():
    t = tenant(users=80, apps=30, days=60)
    hits = list(t.signins.scan())
    assert len(hits) == t.signins.total == 80 * 2 * 60
    assert all(a.time > b.time for a, b in pairwise(hits))
    per_app = Counter(h.app.name for h in hits)
    assert per_app.most_common(1)[0][1] > 20 * min(per_app.values())
    used = {h.app.sp_id for h in hits}
    never = [a for a in t.apps if a.kind is AppKind.THIRD_PARTY and a.sp_id not in used]
    assert never
    failures = [h for h in hits if not h.success]
    assert 0.02 < len(failures) / len(hits) < 0.2
    newest_by_app: dict[str, float] = {}
    for h in hits:
        newest_by_app.setdefault(h.app.sp_id, h.time)
    abandoned = [s for s, at in newest_by_app.items() if at < ANCHOR.timestamp() - 14 * 86_400]
    assert abandoned


def test_a_100k_user_3m_sign_in_tenant_is_built_lazily():
    started = time.process_time()  # CPU time: what laziness saves, whatever the load
    t = tenant(users=100_000, apps=300, signins_per_user_per_day=1, days=30)
    assert time.process_time() - started < 5
    assert t.signins.total == 3_000_000
    assert t.user_record(99_999)["userPrincipalName"].endswith("@contoso.onmicrosoft.com")
    window = t.signins.first_before(ANCHOR.timestamp() - 86_400)
    assert 50_000 < window < 200_000  # about one day of sign-ins, found by bisection
    late = t.signins.hit(2_999_999)
    assert ANCHOR.timestamp() - 30 * 86_400 <= late.time < ANCHOR.timestamp()
