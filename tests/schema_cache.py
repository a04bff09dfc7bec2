"""A migrated SQLite schema kept between test runs, so ``make test`` on SQLite does not run
every migration again (30-100 s per run on a loaded 2-core machine).

The test database stays in memory (fast); only its creation changes. The first run migrates
as usual and saves the result with SQLite's backup API to
``.test-schema/sqlite-<key>.sqlite3``; later runs copy that file into the in-memory database
instead of migrating. The key is a hash of every installed app's migration files and of the
Django version, so a new or changed migration (or a dependency upgrade that brings one) makes
a new file: a stale schema is never reused. ``ECM_OPS_SCHEMA_CACHE=0`` turns it off.

PostgreSQL runs are not affected; there, pytest-django's ``--reuse-db`` does the same job
(``make test PYTEST_ARGS=--reuse-db``, and ``--create-db`` after a migration changes).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.backends.sqlite3.creation import DatabaseCreation

CACHE_DIR = Path(__file__).resolve().parent.parent / ".test-schema"


def schema_key() -> str:
    digest = hashlib.sha256(django.get_version().encode())
    for app in sorted(apps.get_app_configs(), key=lambda a: a.label):
        folder = Path(app.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            digest.update(f"{app.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def install() -> None:
    """Wrap SQLite's ``create_test_db`` (in-memory test databases only)."""
    if os.environ.get("ECM_OPS_SCHEMA_CACHE") == "0":
        return
    original = DatabaseCreation.create_test_db

    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        if not self.is_in_memory_db(self._get_test_db_name()):
            return original(self, verbosity, autoclobber, serialize, keepdb)
        cached = CACHE_DIR / f"sqlite-{schema_key()}.sqlite3"
        if not cached.exists():
            name = original(self, verbosity, autoclobber, serialize, keepdb)
            CACHE_DIR.mkdir(exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            with sqlite3.connect(partial) as target:
                self.connection.connection.backup(target)
            target.close()
            partial.replace(cached)  # atomic: a parallel run sees the whole file or none
            return name
        # What create_test_db does, with the migrations replaced by the saved schema.
        name = self._get_test_db_name()
        self._create_test_db(verbosity, autoclobber, keepdb)
        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        self.connection.ensure_connection()
        with sqlite3.connect(cached) as source:
            source.backup(self.connection.connection)
        source.close()
        if serialize:
            self.connection._test_serialized_contents = self.serialize_db_to_string()
        call_command("createcachetable", database=self.connection.alias)
        return name

    DatabaseCreation.create_test_db = create_test_db
