"""Save -> findings visible in the editor (issue 4): p95 <= 1.5 s with ONE RQ worker on Redis.

Each sample: an editor saves a page through Wagtail's real edit view (Django test client),
then polls the findings endpoint the editor panel polls, every 25 ms, until it reports a
finished screening of the revision just saved. Each sample saves a different page, so the
save debounce (which coalesces saves of ONE page within ``SCREEN_DEBOUNCE_SECONDS``) does not
add its deliberate delay.

PostgreSQL + Redis (``DATABASE_URL`` and ``REDIS_URL`` set): a dedicated database
``ecm_ops_bench_findings`` is dropped and re-created (``test`` is never touched) and one real
RQ worker process (a forking ``rq.Worker``, as ``manage.py rqworker`` runs) serves the queue.
Otherwise jobs run INLINE after commit (said so in the output).

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python
bench/bench_save_to_findings.py``
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")
BENCH_DB = "ecm_ops_bench_findings"
SAMPLES = int(os.environ.get("BENCH_FINDINGS_SAMPLES", "30"))
WARMUP = 3
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
USE_RQ = ON_POSTGRES and bool(os.environ.get("REDIS_URL"))
WORKER_MODE = "--worker" in sys.argv


def _bench_db_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


if ON_POSTGRES:
    if not WORKER_MODE:
        import psycopg

        parts = urlsplit(os.environ["DATABASE_URL"])
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = _bench_db_url()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

STABLE_CHECKS = [
    "ecm_ops.content_checks.artefacts.AIArtefactsCheck",
    "ecm_ops.content_checks.pii.PIICheck",
]


def job_settings():
    extra = {"JOB_BACKEND": "rq" if USE_RQ else "inline"}
    if os.environ.get("BENCH_STABLE_CHECKS"):
        extra["CHECKS"] = STABLE_CHECKS
    queues = {"default": {"URL": os.environ.get("REDIS_URL", ""), "DEFAULT_TIMEOUT": 600}}
    return override_settings(
        RQ_QUEUES=queues if USE_RQ else {}, ECM_OPS={**settings.ECM_OPS, **extra}
    )


def worker_main() -> None:
    from rq import Worker

    with job_settings():
        from ecm_ops.jobs.outbox import get_queue
        from ecm_ops.services.screening import warm_up

        queue = get_queue()
        warm_up()  # forked job processes inherit the loaded checks
        connections.close_all()
        Worker([queue], connection=queue.connection).work()


def main() -> None:
    from django.test import Client
    from django.urls import reverse
    from wagtail.test.utils.form_data import rich_text

    from ecm_ops.content_checks.registry import get_checks
    from sandbox_site.content.demo_data import seed
    from sandbox_site.content.models import NewsArticle
    from tests.helpers import edit_form_data, edit_url

    engine = "PostgreSQL" if ON_POSTGRES else "SQLite (in memory)"
    mode = (
        "1 RQ worker process on Redis" if USE_RQ else "INLINE jobs (REDIS_URL/DATABASE_URL unset)"
    )
    print(f"bench_save_to_findings: database {engine}; {mode}")
    setup_test_environment()
    call_command("migrate", verbosity=0)
    demo = seed()
    with job_settings():
        print(f"bench_save_to_findings: checks {[type(c).__name__ for c in get_checks()]}")
        editor = demo["users"]["editor"]
        pages = []
        for i in range(SAMPLES + WARMUP):
            page = NewsArticle(
                title=f"Bench save {i}",
                slug=f"bench-save-{i}",
                intro="What the plan means.",
                body="<p>The council met on Monday.</p>",
            )
            demo["news"].add_child(instance=page)
            page.save_revision(user=editor)
            pages.append(page)
        worker = None
        if USE_RQ:
            from ecm_ops.jobs.outbox import get_queue

            get_queue().connection.flushdb()
            connections.close_all()
            worker = subprocess.Popen(
                [sys.executable, __file__, "--worker"],
                env={**os.environ, "DATABASE_URL": _bench_db_url()},
            )
            time.sleep(3)  # let the worker start and register
        client = Client()
        client.force_login(editor)
        samples = []
        try:
            for i, page in enumerate(pages):
                body = f"<p>Saved text {i}. Contact us at jane.doe@gmail.com for tickets.</p>"
                data = edit_form_data(page, body=rich_text(body))
                started = time.perf_counter()
                response = client.post(edit_url(page), data)
                assert response.status_code == 302, response.status_code
                url = reverse("ecm_ops:page_findings", args=[page.pk])
                while True:
                    state = client.get(url).json()
                    run = state["run"]
                    if (
                        run
                        and run["done"]
                        and run["revision"] == state["latest_revision"]
                        and not state["pending"]
                    ):
                        break
                    if time.perf_counter() - started > 30:
                        raise RuntimeError(f"no findings after 30 s: {state['latest_run']}")
                    time.sleep(0.025)
                elapsed = time.perf_counter() - started
                assert any(f["check"] == "pii.email" for f in state["findings"]), state
                if i >= WARMUP:
                    samples.append(elapsed)
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
    samples.sort()
    p95 = samples[max(0, int(round(0.95 * len(samples))) - 1)]
    print(
        f"bench_save_to_findings: {len(samples)} samples, median "
        f"{statistics.median(samples):.3f} s, max {samples[-1]:.3f} s"
    )
    print(f"bench: save_to_findings_p95 = {p95:.3f} s (goal <= 1.5)")
    connections.close_all()


if __name__ == "__main__":
    if WORKER_MODE:
        worker_main()
    else:
        main()
