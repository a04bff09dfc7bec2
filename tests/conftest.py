"""Test harness: service detection, demo data, helpers.

Tests marked ``postgres``, ``redis`` or ``browser`` need the real service. When it is missing
they are skipped with the reason, unless ``ECM_OPS_REQUIRE_SERVICES=1`` (CI), where a missing
service is a failure.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings

REQUIRE = os.environ.get("ECM_OPS_REQUIRE_SERVICES") == "1"


def pytest_configure(config):
    from .schema_cache import install

    install()  # a migrated SQLite schema kept between runs (tests/schema_cache.py)


CHROMIUM = os.environ.get("ECM_OPS_CHROMIUM", "/usr/bin/chromium")
#: Headless Debian Chromium on a machine with no network: no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@cache
def missing_service(marker: str) -> str:
    """'' when the service is available, else why not."""
    if marker == "postgres":
        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            return "PostgreSQL is not configured (set DATABASE_URL=postgres://...)"
        return ""
    if marker == "redis":
        url = os.environ.get("REDIS_URL")
        if not url:
            return "Redis is not configured (set REDIS_URL=redis://...)"
        try:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except Exception as exc:
            return f"Redis at {url} is unreachable: {exc}"
        return ""
    if marker == "browser":
        if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
            return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            return "playwright is not installed"
        return ""
    return ""


def pytest_collection_modifyitems(items):
    """Every transactional test restores the database it found (``serialized_rollback``):
    otherwise the flush after one would delete what Wagtail's data migrations created (the
    root page, the default locale and site, the Editors group) for the ones after it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and "serialized_rollback" not in marker.kwargs
        ):
            item.add_marker(
                pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False
            )


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker):
            reason = missing_service(marker)
            if reason:
                if REQUIRE:
                    pytest.fail(f"ECM_OPS_REQUIRE_SERVICES=1 but {reason}", pytrace=False)
                pytest.skip(reason)


@pytest.fixture
def demo(db):
    """The sandbox demo data (sections, policies, tiers, users, workflow, templates)."""
    from sandbox_site.content.demo_data import seed

    return seed()


@pytest.fixture
def client_for(client):
    """Log the test client in as a demo user: ``client_for(user)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


def worker_redis_url() -> str:
    """``REDIS_URL``, with a Redis database of its own per pytest-xdist worker (the tests
    flush their queue: two workers must not flush each other's)."""
    url = os.environ["REDIS_URL"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 1 + int(worker[2:])) % 16}"))


@pytest.fixture
def rq_queue(settings):
    """Switch ecm_ops to RQ on the real Redis for this test, with an empty queue."""
    import django_rq

    settings.RQ_QUEUES = {"default": {"URL": worker_redis_url(), "DEFAULT_TIMEOUT": 60}}
    settings.ECM_OPS = {**settings.ECM_OPS, "JOB_BACKEND": "rq"}
    queue = django_rq.get_queue("default")
    queue.connection.flushdb()
    yield queue
    queue.connection.flushdb()


def run_worker(queue) -> None:
    """Drain the queue with a real RQ worker in burst mode (in-process, so it sees the test
    database), including jobs the scheduler has made due."""
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True)
