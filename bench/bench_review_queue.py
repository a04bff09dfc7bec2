"""Review queue numbers (issue 5): 1,000 open cases over 20 sections, for a reviewer with
authority on 5 sections (plus a few delegated cases elsewhere).

* ``review_queue_queries_100`` / ``review_queue_queries_1000``: queries for one GET of the
  queue (first page of 20, as Wagtail's own listings) with 100 and with 1,000 open cases (goal <= 25, and the same at both
  sizes: no N+1).
* Certification (issue 10): every section has a certification programme; the reviewer is
  certified on four of their five sections (expired on the fifth, whose cases drop out), and
  other users hold 20 certifications at 100 cases and 1,000 at 1,000 cases, so the query
  counts are also constant in certifications.
* ``case_workspace_queries``: queries for one GET of a case screen by the reviewer
  (goal <= 30), at 1,000 cases.
* ``review_queue_median_ms``: median server time of the GET over 30 requests at 1,000 cases
  after 3 warm-up requests (goal <= 250 ms).

Database: SQLite in memory unless ``DATABASE_URL`` is set; on PostgreSQL Django's test-database
creation makes and drops its own database (``ECM_OPS_TEST_DB_NAME`` or
``test_ecm_ops_bench_review``), never touching the real one.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_review_queue.py``
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
)

RUNS, WARMUP = 30, 3
GOAL_QUERIES, GOAL_MS = 25, 250.0


def _get(client, url) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, len(queries), response.content.count(b"/admin/ecm-ops/reviews/")


def main() -> int:
    from django.test import Client
    from django.urls import reverse
    from review_bench_data import add_cases, add_certifications, build_world

    with throwaway_database("test_ecm_ops_bench_review") as where:
        print(f"# bench_review_queue on {where}")
        world = build_world()
        client = Client()
        client.force_login(world["reviewer"])
        url = reverse("ecm_ops:review_queue")
        counts = {}
        for total, certs in ((100, 20), (1000, 980)):
            add_cases(world, total - world["made"])
            add_certifications(world, certs)
            _get(client, url)  # warm caches (content types, permissions)
            _ms, queries, links = _get(client, url)
            counts[total] = queries
            print(f"# {total} open cases: {queries} queries, {links} case links on page 1")
            print(
                f"bench: review_queue_queries_{total} = {queries} queries "
                f"(goal <= {GOAL_QUERIES}, equal at 100 and 1000)"
            )
        from ecm_ops.governance.authority import cases_reviewable_by

        case = cases_reviewable_by(world["reviewer"]).filter(tier__isnull=False).first()
        case_url = reverse("ecm_ops:review_case", args=[case.pk])
        _get(client, case_url)
        _ms, ws_queries, _links = _get(client, case_url)
        print(f"bench: case_workspace_queries = {ws_queries} queries (goal <= 30)")
        for _ in range(WARMUP):
            _get(client, url)
        times = [_get(client, url)[0] for _ in range(RUNS)]
        print(
            f"# constant: {counts[100] == counts[1000]}; p90 {sorted(times)[int(RUNS * 0.9)]:.1f} ms"
        )
        print(
            f"bench: review_queue_median_ms = {statistics.median(times):.1f} ms "
            f"(goal <= {GOAL_MS:.0f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
