#!/usr/bin/env python3
"""Set up a local virtual environment on first use, then run AppVentory or its tests.

    python3 dev.py start   # the main job: the whole product against a local sandbox tenant
    python3 dev.py test    # the whole test suite (PostgreSQL tests skip when none is reachable)
    python3 dev.py check   # ruff format --check, ruff check and mypy: what CI runs before the tests

Anything after the command is passed through (e.g. `python3 dev.py test -k settings`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-from"


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the project with its dev extras when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may run under an older python3
        sys.exit(f"AppVentory needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return
    print("installing AppVentory and its dependencies into .venv", flush=True)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"],
        check=True,
    )
    STAMP.write_text(_wanted_stamp())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test", "check"}:
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "check":
        return check()
    if command == "start":
        args = [str(BIN / "appventory"), "demo", *rest]
    else:
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    return _run(args)


def check() -> int:
    """Formatting, lint and types, each run even when an earlier one failed; 1 if any did."""
    steps = [
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "mypy")],  # what and how: [tool.mypy] in pyproject.toml
    ]
    failed = [" ".join([Path(s[0]).name, *s[1:]]) for s in steps if _run(s) != 0]
    if failed:
        print(f"check failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _run(args: list[str]) -> int:
    """Run the command; Ctrl-C reaches it too (same process group), so let it stop and exit
    with its code instead of printing a traceback of our own."""
    child = subprocess.Popen(args, cwd=ROOT)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
