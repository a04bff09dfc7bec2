"""Test settings: SQLite unless DATABASE_URL is set; jobs inline unless a test opts into RQ."""

import os

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
# Parallel local runs (several checkouts against one server) can each name their test database.
if os.environ.get("ECM_OPS_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["ECM_OPS_TEST_DB_NAME"]}

ECM_OPS = {
    "JOB_BACKEND": "inline",
    "PROVIDER": "offline",
    "PII_ALLOWLIST": ["newsroom@example.com"],
    "CHECK_TIME_BUDGET": 5.0,
}
WAGTAILADMIN_BASE_URL = "http://testserver"
LOGGING = {"version": 1, "disable_existing_loggers": False}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# No guardian anonymous user: ecm_ops never grants anonymous object permissions, and the row
# guardian re-creates on every flush would clash with serialized rollbacks in the tests.
ANONYMOUS_USER_NAME = None
