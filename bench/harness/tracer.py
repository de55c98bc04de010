"""--trace: wall time inside store calls and Graph fetches, by patched wrappers."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Tracer:
    """--trace: wall time spent inside the store calls and Graph fetches of a run.

    Patches module attributes for the duration of a run (the code under test is not changed).
    Calls overlap (passes run concurrently), so totals can exceed the wall time; they include
    waiting for the database (one SQLite connection is shared by every pass) and for the
    Graph client's concurrency slots and reports limiter.
    """

    STORE = (
        ("sync_core.store.signins", "add_sign_ins"),
        ("sync_core.store.signins", "set_last_sign_ins"),
        ("sync_core.store.inventory", "upsert_rows"),
        ("sync_core.store.access", "upsert_rows"),  # bound by name in access.py
        ("sync_core.store.inventory", "mark_removed"),
        ("sync_core.store.inventory", "mark_unseen_removed"),
        ("sync_core.store.inventory", "assignable_apps"),
        ("sync_core.store.groups", "upsert_rows"),  # bound by name in groups.py
        ("sync_core.store.groups", "remove_members"),
        ("sync_core.store.access", "remove_unseen_assignments"),
        ("sync_core.store.access", "remove_unseen_grants"),
        ("sync_core.store.access", "remove_for_apps"),
        ("sync_core.store.runs", "save_progress"),
        ("sync_core.store.activity", "record"),
        ("sync_core.store.connections", "update"),
        ("sync_core.insights", "derive"),  # run by SyncEngine.run after the passes
    )

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        self._undo: list[tuple[Any, str, Any]] = []

    def _wrap(self, original: Any, label: Any) -> Any:
        totals = self.totals

        async def traced(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                entry = totals[label(args, kwargs)]
                entry[0] += 1
                entry[1] += spent
                entry[2] = max(entry[2], spent)

        return traced

    def __enter__(self) -> Tracer:
        import importlib

        from sync_core.graph.client import GraphClient

        for module_name, name in self.STORE:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            original = getattr(module, name, None)
            if original is None:
                continue
            if name == "upsert_rows":

                def label(args: Any, kwargs: Any) -> str:
                    return f"store.upsert_rows[{args[0].__name__}]"
            else:

                def label(args: Any, kwargs: Any, _n: str = name, _m: str = module_name) -> str:
                    return f"{_m.removeprefix('sync_core.')}.{_n}"

            self._patch(module, name, self._wrap(original, label))

        def fetch_label(args: Any, kwargs: Any) -> str:
            path = urlsplit(args[1]).path
            return "graph fetch " + GUID.sub("{id}", path.split("/v1.0/", 1)[-1])

        self._patch(GraphClient, "_fetch", self._wrap(GraphClient._fetch, fetch_label))
        return self

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def rows(self) -> list[dict[str, Any]]:
        return sorted(
            (
                {"what": k, "calls": int(v[0]), "seconds": v[1], "max_ms": v[2] * 1000}
                for k, v in self.totals.items()
            ),
            key=lambda r: -r["seconds"],
        )
