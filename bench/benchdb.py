"""The throwaway database every bench script measures on (never the configured one's contents).

SQLite: an in-memory test database. PostgreSQL (``DATABASE_URL``): a test database created and
destroyed with Django's test-runner utilities, named ``<base>_<pid>`` where ``<base>`` is
``ECM_OPS_TEST_DB_NAME`` or the script's default, so parallel runs (other checkouts, other
engineers, two scripts at once) never collide.

Scripts whose workers are separate processes (``bench_sweep.py``, ``bench_save_to_findings.py``)
start them with :func:`worker_env`, which points ``DATABASE_URL`` at the throwaway database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from django.db import connection
from django.test.utils import (
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def uses_rq() -> bool:
    """Real workers need a database other processes can reach: PostgreSQL and Redis."""
    return on_postgres() and bool(os.environ.get("REDIS_URL"))


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


@contextmanager
def throwaway_database(default_name: str, serialize: bool = False) -> Iterator[str]:
    """Create and migrate the bench database; yields a description of where the bench runs.

    ``serialize=False`` (the default) skips Django's serialisation of the fresh database's
    contents, which only ``TransactionTestCase`` rollback emulation needs.
    """
    if on_postgres():
        base = os.environ.get("ECM_OPS_TEST_DB_NAME") or default_name
        name = f"{base}_{os.getpid()}"
        connection.settings_dict.setdefault("TEST", {})["NAME"] = name
        where = f"PostgreSQL (throwaway test database {name!r})"
    else:
        where = f"{connection.vendor} (in-memory test database)"
    setup_test_environment()
    old_config = setup_databases(
        verbosity=0, interactive=False, serialized_aliases=None if serialize else set()
    )
    try:
        yield where
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()


def worker_env(**extra: str) -> dict[str, str]:
    """The environment for a worker subprocess: ``DATABASE_URL`` names the throwaway database
    this process created (call inside :func:`throwaway_database`)."""
    env = {**os.environ, **extra}
    if on_postgres():
        parts = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(
            parts._replace(path="/" + connection.settings_dict["NAME"])
        )
        env.pop("ECM_OPS_TEST_DB_NAME", None)
    return env
