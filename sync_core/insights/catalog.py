"""The category catalog: well-known SaaS apps shipped as data, matched by app id or by name."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

CATALOG_FILE = Path(__file__).with_name("catalog.json")
# Words tenants append to gallery apps' names ("Zoom SSO", "Workday (prod)"); they name no product.
NOISE = frozenset({"sso", "saml", "oidc", "oauth", "app", "application", "prod", "production"})


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    name: str
    publisher: str
    category: str
    aliases: tuple[str, ...] = ()
    app_ids: tuple[str, ...] = ()


def normalise(name: str) -> str:
    """A display name reduced to lower-case words, without accents, brackets or noise words."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"\([^)]*\)", " ", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    while len(words) > 1 and words[-1] in NOISE:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True)
class Catalog:
    """Entries indexed by app id and by normalised name and alias."""

    entries: tuple[CatalogEntry, ...]
    by_app_id: dict[str, CatalogEntry] = field(default_factory=dict, repr=False)
    by_name: dict[str, CatalogEntry] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, entries: tuple[CatalogEntry, ...]) -> Catalog:
        """A catalog with its indexes; a name listed twice keeps its first entry."""
        by_app_id = {i.lower(): e for e in entries for i in e.app_ids}
        by_name: dict[str, CatalogEntry] = {}
        for entry in entries:
            for name in (entry.name, *entry.aliases):
                by_name.setdefault(normalise(name), entry)
        return cls(entries, by_app_id, by_name)

    def match(self, *, app_id: str | None, name: str | None) -> CatalogEntry | None:
        """The entry for an app: by app id first, then by display name."""
        if app_id and (entry := self.by_app_id.get(app_id.lower())):
            return entry
        return self.by_name.get(normalise(name)) if name else None

    @functools.cached_property
    def categories(self) -> tuple[str, ...]:
        """Every category the catalog uses, sorted."""
        return tuple(sorted({e.category for e in self.entries}))

    def canonical_category(self, text: str) -> str:
        """A category as people typed it, spelled as the catalog spells it when it knows it."""
        cleaned = " ".join(text.split())
        known = {c.casefold(): c for c in self.categories}
        return known.get(cleaned.casefold(), cleaned)


def load(path: Path = CATALOG_FILE) -> Catalog:
    """Read a catalog file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = tuple(
        CatalogEntry(
            name=item["name"],
            publisher=item["publisher"],
            category=item["category"],
            aliases=tuple(item.get("aliases", ())),
            app_ids=tuple(item.get("app_ids", ())),
        )
        for item in data["apps"]
    )
    return Catalog.of(entries)


@functools.cache
def default() -> Catalog:
    """The catalog shipped with AppVentory, read once on first use."""
    return load()


def category_of(
    *, override: str | None, app_id: str | None, name: str | None, catalog: Catalog
) -> str | None:
    """An app's category: what people set, else what the catalog knows, else none."""
    if override:
        return override
    entry = catalog.match(app_id=app_id, name=name)
    return entry.category if entry else None
