"""Tortoise CLI configuration for contributors (`tortoise makemigrations`), never used at run time.

The CLI imports a module-level dict, so this one module reads the environment at import.
"""

import os

from sync_core.store.db import tortoise_config

TORTOISE_ORM = tortoise_config(
    os.environ.get("APPVENTORY_DATABASE_URL", "sqlite://appventory-migrations.sqlite3")
)
