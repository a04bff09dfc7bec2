"""Operations dashboard numbers (issue 11).

* ``ops_dashboard_ms``: server time of one GET of Content ops → Operations (12 weeks, the
  default) for a site admin, median of 5, on a site with 1,000,000 findings, 100,000 drafts,
  50,000 review cases and 2 years of daily rollups. Goal <= 300 ms.
* ``ops_dashboard_queries_1y`` / ``_2y``: queries of that GET with 1 and with 2 years of
  rollups. Goal <= 15, constant in history.
* ``rollup_day_s``: building the rollup rows of one day with 5,000 AI drafts and their 5,000
  first screenings, cases, approvals, publications and provider calls. Goal <= 2 s.

Raw rows are written with ``bulk_create`` (findings with one ``INSERT ... SELECT`` on
PostgreSQL). On SQLite the raw volume is a tenth (said in the output); the issue's figures
are for PostgreSQL (``DATABASE_URL``, a throwaway database: ``bench/benchdb.py``).

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_ops_dashboard.py``
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import load_average, on_postgres, throwaway_database  # noqa: E402
from django.db import connection  # noqa: E402


def _copies(obj, n: int) -> None:
    """``n`` copies of the unsaved ``obj`` in one ``INSERT ... SELECT generate_series``
    (PostgreSQL): COPY-like speed without building ``n`` Python objects."""
    model = type(obj)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) "  # noqa: S608 (names from the model)
            f"SELECT {marks} FROM generate_series(1, %s)",
            [*params, n],
        )


def raw_volume(demo, scale: int) -> None:
    from ecm_ops.models import DraftRequest, PromptTemplateVersion, ReviewCase, ScreeningRun

    pages = [p.specific for p in demo["health"].get_descendants()]
    for page in pages:
        if page.latest_revision_id is None:
            page.save_revision()
    version = PromptTemplateVersion.objects.first()
    editor = demo["users"]["editor"]
    drafts, cases = 100_000 // scale, 50_000 // scale
    page = pages[0]
    samples = [
        (DraftRequest(page=page, template_version=version, requester=editor, brief={},
                      status="succeeded"), drafts),
        (ScreeningRun(page=page, revision_id=page.latest_revision_id, trigger="save",
                      status="succeeded"), drafts),
        (ReviewCase(page=page, revision_id=page.latest_revision_id, requester=editor,
                    state="approved"), cases),
    ]  # fmt: skip
    if on_postgres():
        for obj, n in samples:
            _copies(obj, n)
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO ecm_ops_finding (run_id, check_id, severity, field, start, "end", '
                "excerpt, message, suggestion) SELECT r.id, 'style.term', 'warning', 'body', g, "
                "g + 5, 'text', 'Use the preferred term.', '' FROM ecm_ops_screeningrun r, "
                "generate_series(1, 10) g"
            )
        return
    from copy import copy

    from ecm_ops.models import Finding

    for obj, n in samples:
        type(obj).objects.bulk_create((copy(obj) for _ in range(n)), batch_size=5000)
    Finding.objects.bulk_create(
        (Finding(run_id=pk, check_id="style.term", severity="warning", message="m")
         for pk in ScreeningRun.objects.values_list("pk", flat=True) for _ in range(10)),
        batch_size=5000,
    )  # fmt: skip


def rollup_history(demo, first, days: int) -> None:
    from ecm_ops.models import DailyRollup, PromptTemplate

    templates = list(PromptTemplate.objects.values_list("pk", flat=True))
    rng = random.Random(3)
    rows = []
    for d in range(days):
        day = first + timedelta(days=d)
        for section in (demo["health"].pk, demo["news"].pk):
            for template in templates:
                n = rng.randint(5, 40)
                rows.append(DailyRollup(
                    day=day, section_id=section, template_id=template, drafts_requested=n,
                    ai_submitted=n, published=n, ai_published=n - 2, ai_share_sum=0.8 * n,
                    first_screens=n, first_screen_blocked=rng.randint(0, 4), score_count=n,
                    score_sum=2.0 * n, score_sq_sum=5.0 * n, decided=n, sent_back=2, rejected=1,
                    incidents=rng.randint(0, 1), first_decision_hours=[1, 2, 3, 4, 5, 3, 1, 0, 0, 0, 0, 0],
                    publish_hours=[0, 1, 2, 4, 5, 3, 1, 1, 0, 0, 0, 0], approvals=n,
                    approvals_by_reviewer={"3": n}, provider_calls=n, input_tokens=1200 * n,
                    output_tokens=600 * n, cache_read_tokens=800 * n, cost=0.012 * n,
                ))  # fmt: skip
    DailyRollup.objects.bulk_create(rows, batch_size=5000)


def dashboard(client, url) -> tuple[int, float, float]:
    client.get(url)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: the debug query log is a bounded deque
    # that the bulk inserts above have filled, and its length stops changing.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = executed
    times, cpu = [], []
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return len(queries), statistics.median(times), statistics.median(cpu)


def main() -> int:
    with throwaway_database("test_ecm_ops_bench_ops") as where:
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from ecm_ops.models import PromptTemplateVersion
        from ecm_ops.services import rollups
        from ecm_ops.services.ops_history import make_day
        from sandbox_site.content.demo_data import seed

        scale = 1 if on_postgres() else 10
        print(
            f"# bench_ops_dashboard on {where}; {load_average()}; raw volume 1/{scale}", flush=True
        )
        demo = seed()
        started = time.perf_counter()
        raw_volume(demo, scale)
        print(f"# raw rows written in {time.perf_counter() - started:.1f} s")
        today = timezone.localdate()
        url = reverse("ecm_ops:operations")
        client = Client()
        client.force_login(demo["users"]["admin"])
        rollup_history(demo, today - timedelta(days=365), 366)
        from ecm_ops.models import PilotBaseline

        PilotBaseline.objects.create(name="Pilot", starts_on=today - timedelta(days=300),
                                     ends_on=today - timedelta(days=240))  # fmt: skip
        q1, _ms, _cpu = dashboard(client, url)
        rollup_history(demo, today - timedelta(days=730), 365)
        q2, ms, cpu = dashboard(client, url)
        print(
            f"# dashboard GET: median {ms:.0f} ms wall, {cpu:.0f} ms CPU of this process "
            f"(the web process; PostgreSQL's share is in the wall time); {load_average()}"
        )
        print(f"bench: ops_dashboard_queries_1y = {q1} queries (goal <= 15)")
        print(f"bench: ops_dashboard_queries_2y = {q2} queries (goal <= 15)")
        print(f"bench: ops_dashboard_ms = {ms:.0f} ms (goal <= 300)")

        day = today - timedelta(days=800)
        pages = [p.specific for p in demo["health"].get_descendants()]
        version = PromptTemplateVersion.objects.filter(template__slug="health-advice").first()
        make_day(day, pages, version, demo["users"]["editor"], demo["users"]["senior"],
                 drafts=5000, blocker_rate=0.1)  # fmt: skip
        start, start_cpu = time.perf_counter(), time.process_time()
        written = rollups.build_day(day)
        seconds = time.perf_counter() - start
        print(
            f"# rollup CPU time of this process {time.process_time() - start_cpu:.2f} s; "
            f"{load_average()}"
        )
        print(f"# rollup of one day: {written} rows from 5,000 screenings")
        print(f"bench: rollup_day_s = {seconds:.2f} s (goal <= 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
