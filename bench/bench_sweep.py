"""Monitoring sweep numbers (issue 4):

* ``sweep_pages_per_s``: a sweep of 10,000 live pages with 2 RQ worker processes
  (goal >= 100 pages/s), timed from the first chunk's start to the last chunk's finish.
* ``sweep_worker_peak_rss``: peak RSS of each worker process (``resource.getrusage``;
  goal <= 300 MB).
* ``sweep_queries_per_chunk_10`` / ``_100``: queries one chunk needs for 10 and 100 pages
  (must be equal: no N+1).

PostgreSQL + Redis (``DATABASE_URL`` and ``REDIS_URL`` set): a dedicated database
``ecm_ops_bench_sweep`` is dropped and re-created (the ``test`` database is never touched);
the workers are separate processes (``python bench/bench_sweep.py --worker``) running RQ's
``SimpleWorker`` in burst mode. Otherwise (SQLite in memory): one in-process worker, said so
in the output. The 10,000 pages are bulk-inserted with computed tree paths (Wagtail's
``add_child`` would take minutes); the creation time is reported separately.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_sweep.py``
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")
BENCH_DB = "ecm_ops_bench_sweep"
PAGES = int(os.environ.get("BENCH_SWEEP_PAGES", "10000"))
WORKERS = 2
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
WORKER_MODE = "--worker" in sys.argv


def _bench_db_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def _recreate_database() -> None:
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


if ON_POSTGRES:
    if not WORKER_MODE:
        _recreate_database()
    os.environ["DATABASE_URL"] = _bench_db_url()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

STABLE_CHECKS = [
    "ecm_ops.content_checks.artefacts.AIArtefactsCheck",
    "ecm_ops.content_checks.pii.PIICheck",
]


def rq_settings():
    url = os.environ.get("REDIS_URL", "")
    queues = {"default": {"URL": url, "DEFAULT_TIMEOUT": 600}}
    return override_settings(
        RQ_QUEUES=queues, ECM_OPS={**settings.ECM_OPS, "JOB_BACKEND": "rq", "QUEUE": "default"}
    )


def use_stable_checks_if_asked() -> None:
    """``BENCH_STABLE_CHECKS=1``: only the two checks that never query the database."""
    if os.environ.get("BENCH_STABLE_CHECKS"):
        from ecm_ops import conf

        settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": STABLE_CHECKS}
        conf.ecm_settings.cache_clear()


def worker_main() -> None:
    """One RQ worker process: drain the queue, then report its peak RSS."""
    use_stable_checks_if_asked()
    from rq import SimpleWorker

    with rq_settings():
        from ecm_ops.jobs.outbox import get_queue

        queue = get_queue()
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"RSS_KB {peak_kb}", flush=True)


def bulk_pages(parent, count: int) -> list[int]:
    """Insert ``count`` live NewsArticle pages under ``parent`` with computed tree paths."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from wagtail.models import Page

    from sandbox_site.content.models import NewsArticle

    ct = ContentType.objects.get_for_model(NewsArticle)
    now = timezone.now()
    body = (
        "<p>The council met on Monday to discuss the new bus routes. Residents asked for more "
        "evening services and cheaper tickets. The plan will be published next month.</p>"
    )
    last = parent.get_last_child()
    start = Page._str2int(last.path[-Page.steplen :]) if last else 0
    rows = []
    for i in range(count):
        path = Page._get_path(parent.path, parent.depth + 1, start + i + 1)
        slug = f"bench-{start + i + 1}"
        rows.append(
            Page(
                path=path,
                depth=parent.depth + 1,
                numchild=0,
                title=f"Bench story {i}",
                draft_title=f"Bench story {i}",
                slug=slug,
                url_path=f"{parent.url_path}{slug}/",
                content_type=ct,
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
                locale_id=parent.locale_id,
            )
        )
    created = Page.objects.bulk_create(rows, batch_size=1000)
    ids = [p.pk for p in created]
    with connection.cursor() as cursor:
        cursor.executemany(
            # The table name comes from the model's Meta, not from input.
            f"INSERT INTO {NewsArticle._meta.db_table} (page_ptr_id, intro, body) "  # noqa: S608
            "VALUES (%s, %s, %s)",
            [(pk, "A short intro.", body) for pk in ids],
        )
    Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + count)
    return ids


def setup_data():
    from sandbox_site.content.demo_data import seed

    call_command("migrate", verbosity=0)
    demo = seed()
    return demo


def main() -> None:
    from ecm_ops.content_checks.registry import get_checks
    from ecm_ops.models import SweepChunk
    from ecm_ops.monitoring import sweep

    engine = "PostgreSQL" if ON_POSTGRES else "SQLite (in memory)"
    redis = bool(os.environ.get("REDIS_URL")) and ON_POSTGRES
    print(f"bench_sweep: database {engine}; workers: {'2 RQ processes' if redis else '1 inline'}")
    started = time.perf_counter()
    demo = setup_data()
    print(f"bench_sweep: schema + demo data in {time.perf_counter() - started:.1f} s")
    use_stable_checks_if_asked()
    try:
        names = [type(c).__name__ for c in get_checks()]
    except Exception as exc:  # a check module not importable yet: say so and fall back
        print(f"bench_sweep: configured checks not importable ({exc}); using the stable two")
        settings.ECM_OPS = {
            **settings.ECM_OPS,
            "CHECKS": STABLE_CHECKS,
        }
        from ecm_ops import conf

        conf.ecm_settings.cache_clear()
        names = [type(c).__name__ for c in get_checks()]
    print(f"bench_sweep: checks {', '.join(names)} + link rot + staleness")

    started = time.perf_counter()
    ids = bulk_pages(demo["news"], PAGES)
    print(f"bench_sweep: created {len(ids)} live pages in {time.perf_counter() - started:.1f} s")

    # The sweep's own queries (checks that never touch the database), then with every
    # configured check (some of which query per page: reported, not hidden).
    for label, checks in (("", STABLE_CHECKS), ("_all_checks", None)):
        extra = {"CHECKS": checks} if checks else {}
        with override_settings(ECM_OPS={**settings.ECM_OPS, **extra}):
            for size in (10, 100):
                sweep.screen_pages(ids[-size - 1 : -1])  # warm caches (content types, checks)
                counter = sweep.QueryCounter()
                with connection.execute_wrapper(counter):
                    sweep.screen_pages(ids[:size])
                print(
                    f"bench: sweep_queries_per_chunk_{size}{label} = {counter.count} queries "
                    "(goal == constant)"
                )

    size = settings.ECM_OPS.get("SWEEP_CHUNK_SIZE", 100)
    rss = []
    if redis:
        with rq_settings():
            from ecm_ops.jobs.outbox import get_queue

            get_queue().connection.flushdb()
            sweep_row = sweep.start_sweep("bench")
            sweep.plan_sweep(sweep_row.pk)  # plan here; the chunks go to Redis on commit
        env = {**os.environ, "DATABASE_URL": _bench_db_url()}
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker"],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(WORKERS)
        ]
        for proc in procs:
            out, _ = proc.communicate(timeout=3600)
            rss += [int(line.split()[1]) for line in out.splitlines() if line.startswith("RSS_KB")]
    else:
        from ecm_ops.jobs.outbox import backend

        assert backend() == "inline"
        with override_settings(ECM_OPS={**settings.ECM_OPS, "JOB_BACKEND": "inline"}):
            sweep_row = sweep.start_sweep("bench")
            sweep.plan_sweep(sweep_row.pk)
            for pk in SweepChunk.objects.filter(sweep=sweep_row, status="queued").values_list(
                "pk", flat=True
            ):
                sweep.process_chunk(pk)
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    chunks = list(SweepChunk.objects.filter(sweep_id=sweep_row.pk))
    done = [c for c in chunks if c.status == "succeeded"]
    failed = [c for c in chunks if c.status != "succeeded"]
    screened = sum(c.pages_screened for c in done)
    first = min(c.started_at for c in done)
    last = max(c.finished_at for c in done)
    seconds = (last - first).total_seconds()
    full = {c.query_count for c in done if len(c.page_ids) == size}
    print(
        f"bench_sweep: {len(done)} chunks of {size} done, {len(failed)} not done; "
        f"{screened} pages screened; queries per full chunk: {sorted(full)}"
    )
    print(f"bench: sweep_pages_per_s = {screened / seconds:.0f} pages/s (goal >= 100)")
    peak_mb = max(rss) / 1024 if rss else float("nan")
    print(
        f"bench: sweep_worker_peak_rss = {peak_mb:.0f} MB (goal <= 300) "
        f"[{', '.join(f'{r / 1024:.0f}' for r in rss)} MB per worker]"
    )
    if ON_POSTGRES:
        connection.close()


if __name__ == "__main__":
    if WORKER_MODE:
        worker_main()
    else:
        main()
