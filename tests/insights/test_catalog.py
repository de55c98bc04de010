"""The shipped category catalog and how apps are matched to it."""

from __future__ import annotations

import pytest

from sync_core.insights import catalog
from sync_core.insights.catalog import Catalog, CatalogEntry

SHIPPED = catalog.default()
REQUIRED = (
    "Video meetings",
    "File storage",
    "Project management",
    "E-signature",
    "CRM",
    "Design",
    "Diagramming and whiteboards",
    "Password managers",
    "AI assistants",
)


def test_the_shipped_catalog_is_large_and_complete():
    assert len(SHIPPED.entries) >= 150
    assert set(REQUIRED) <= set(SHIPPED.categories)
    assert all(e.name and e.publisher and e.category for e in SHIPPED.entries)


def test_no_name_or_alias_points_at_two_apps():
    owners: dict[str, str] = {}
    for entry in SHIPPED.entries:
        for name in {catalog.normalise(n) for n in (entry.name, *entry.aliases)}:
            assert owners.setdefault(name, entry.name) == entry.name, name
    ids = [i.lower() for e in SHIPPED.entries for i in e.app_ids]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Zoom", "zoom"),
        ("Zoom SSO", "zoom"),
        ("Workday (Production)", "workday"),
        ("ServiceNow - SAML App", "servicenow"),
        ("monday.com", "monday com"),
        ("  Café   Connect ", "cafe connect"),
        ("SSO", "sso"),  # a name that is only a noise word stays
    ],
)
def test_normalise(name, expected):
    assert catalog.normalise(name) == expected


@pytest.mark.parametrize(
    ("app_id", "name", "expected"),
    [
        (None, "Zoom", "Zoom"),
        (None, "zoom sso", "Zoom"),
        (None, "Dropbox Business", "Dropbox"),
        (None, "Atlassian Jira", "Jira"),
        (None, "Adobe Acrobat Sign", "Adobe Acrobat Sign"),
        (None, "Tableau Cloud", "Tableau"),
        (None, "Otter.ai", "Otter.ai"),
        (None, "Our Own Portal", None),
        # The app id wins over the name: Microsoft's apps are known by their fixed ids.
        ("1FEC8E78-BCE4-4AAF-AB1B-5451CC387264", "Renamed by someone", "Microsoft Teams"),
        ("ab9b8c07-8f02-4f72-87fa-80105867a763", "OneDrive SyncEngine", "Microsoft OneDrive"),
        ("not-a-known-id", "Slack", "Slack"),
    ],
)
def test_match(app_id, name, expected):
    entry = SHIPPED.match(app_id=app_id, name=name)
    assert (entry.name if entry else None) == expected


@pytest.mark.parametrize(
    ("override", "name", "expected"),
    [
        (None, "Zoom", "Video meetings"),
        ("Team chat", "Zoom", "Team chat"),
        (None, "Something Else", None),
        ("Expense management", "Something Else", "Expense management"),
    ],
)
def test_category_of(override, name, expected):
    found = catalog.category_of(override=override, app_id=None, name=name, catalog=SHIPPED)
    assert found == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("video MEETINGS", "Video meetings"),
        ("  crm ", "CRM"),
        ("Our   own thing", "Our own thing"),
    ],
)
def test_canonical_category(typed, expected):
    assert SHIPPED.canonical_category(typed) == expected


def test_a_catalog_of_its_own():
    mine = Catalog.of(
        (
            CatalogEntry("Alpha", "A Inc.", "Things", aliases=("Alpha One",)),
            CatalogEntry("Beta", "B Inc.", "Things", app_ids=("b-id",)),
        )
    )
    assert mine.match(app_id=None, name="alpha one").name == "Alpha"
    assert mine.match(app_id="B-ID", name=None).name == "Beta"
    assert mine.categories == ("Things",)
