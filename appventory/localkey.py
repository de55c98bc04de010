"""The local mode's encryption key: generated once into a git-ignored file, never for production."""

from __future__ import annotations

import os
from pathlib import Path

from sync_core.crypto import generate_key, parse_keys

LOCAL_KEY_PATH = Path(".appventory") / "secret.key"


def ensure_local_key(path: Path = LOCAL_KEY_PATH) -> tuple[str, bool]:
    """The key stored at `path`, creating it (mode 0600) when missing; and whether it was new."""
    if path.exists():
        key = path.read_text().strip()
        parse_keys(key)
        return key, False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key, True
