"""The throwaway database every bench script measures on (never the configured one's contents).

SQLite: an in-memory test database. PostgreSQL (``DATABASE_URL``): a test database created and
destroyed with Django's test-runner utilities, named by ``ECM_OPS_TEST_DB_NAME`` or the bench's
default, so parallel runs don't collide.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)


@contextmanager
def throwaway_database(default_name: str) -> Iterator[str]:
    """Create the bench database; yields a description of where the bench runs."""
    if connection.vendor == "postgresql":
        name = os.environ.get("ECM_OPS_TEST_DB_NAME") or default_name
        connection.settings_dict.setdefault("TEST", {})["NAME"] = name
        where = f"PostgreSQL (throwaway test database {name!r})"
    else:
        where = f"{connection.vendor} (in-memory test database)"
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        yield where
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
