"""`appventory worker` where there is no job queue: one line saying where syncs run instead."""

from __future__ import annotations

import os
import subprocess

import pytest

from sync_core.crypto import generate_key
from tests.ops.conftest import APPVENTORY


@pytest.mark.parametrize(
    ("database_url", "runner", "expected"),
    [
        ("sqlite://app.sqlite3", "auto", "error: appventory worker needs PostgreSQL"),
        ("postgres://u@127.0.0.1:9/db", "in_process", "error: APPVENTORY_SYNC_RUNNER is"),
    ],
)
def test_worker_refuses_without_a_job_queue(tmp_path, database_url, runner, expected):
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPVENTORY_")}
    env.update(
        APPVENTORY_SECRET_KEY=generate_key(),
        APPVENTORY_DATABASE_URL=database_url,
        APPVENTORY_SYNC_RUNNER=runner,
    )
    done = subprocess.run(
        [APPVENTORY, "worker"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(expected), done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created
