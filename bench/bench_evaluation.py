"""Prompt evaluation numbers (issue 10, section 1):

* ``eval_run_20_cases_s``: wall time of one evaluation run of 20 cases with the offline
  provider, as a worker runs it (claim, generate, screen, judge, one fenced commit per case,
  the summary), no outer transaction. The checks are warmed first, as the RQ worker does
  (``ecm_ops.jobs.worker``).
* ``eval_overhead_per_case``: that run's time per case minus the time spent inside the
  provider (``generate``), i.e. what ecm_ops adds per case: building the request, writing the
  output into a page, screening it with every configured check, judging the assertions and
  the fenced write. Median of 3 runs.

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_evaluation.py``
(``make bench``). SQLite in memory, or PostgreSQL in a throwaway test database when
DATABASE_URL is set (``bench/benchdb.py``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import load_average, throwaway_database  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from ecm_ops.providers.offline import OfflineProvider  # noqa: E402

CASES = 20
RUNS = 3


class TimedOffline(OfflineProvider):
    """The offline provider, keeping the time spent inside it (to subtract)."""

    spent = 0.0

    def generate(self, request):
        started = time.perf_counter()
        try:
            return super().generate(request)
        finally:
            TimedOffline.spent += time.perf_counter() - started


def _suite(template) -> None:
    from ecm_ops.models import EvaluationCase

    template.evaluation_cases.all().delete()
    for i in range(CASES):
        EvaluationCase.objects.create(
            template=template,
            name=f"Case {i}",
            brief={
                "topic": f"the new bus route number {i}",
                "audience": "commuters",
                "key_points": ["Buses run every 15 minutes", "Night buses stop at midnight"],
            },
            assertions=[
                {"type": "no_blocker"},
                {"type": "max_score", "value": 10},
                {"type": "contains", "value": "bus"},
                {"type": "not_regex", "value": r"[\w.+-]+@[\w-]+\.[\w.]+"},
                {"type": "fields"},
                {"type": "schema"},
                {"type": "word_count", "min": 20, "max": 800},
                {"type": "readability"},
            ],
        )


def main() -> None:
    with throwaway_database("test_ecm_ops_bench_evaluation") as where:
        from ecm_ops.evaluation.runner import process_evaluation_run
        from ecm_ops.models import PromptTemplate
        from ecm_ops.services.evaluation import request_run
        from ecm_ops.services.screening import warm_up
        from sandbox_site.content.demo_data import seed

        data = seed()
        template = PromptTemplate.objects.get(slug="news-explainer")
        _suite(template)
        warm_up()
        walls, overheads, cpus, passed = [], [], [], []
        with override_settings(ECM_OPS={"PROVIDER": "bench_evaluation.TimedOffline"}):
            for _ in range(RUNS):
                run = request_run(
                    template.promoted_version_id, data["users"]["admin"], enqueue=False
                )
                TimedOffline.spent = 0.0
                started, cpu = time.perf_counter(), time.process_time()
                run = process_evaluation_run(run.pk)
                wall = time.perf_counter() - started
                cpus.append((time.process_time() - cpu) / CASES * 1000)
                walls.append(wall)
                overheads.append((wall - TimedOffline.spent) / CASES * 1000)
                passed.append(bool(run.passed) and run.results.count() == CASES)
    wall = statistics.median(walls)
    overhead = statistics.median(overheads)
    print(f"bench_evaluation: ran on {where}; {load_average()}; every run passed: {all(passed)}")
    print(
        f"bench: eval_cpu_per_case = {statistics.median(cpus):.1f} ms (info: process CPU time "
        "per case, provider included; wall time stretches with the machine's load)"
    )
    print(f"bench: eval_run_20_cases_s = {wall:.2f} s (goal <= 10)")
    print(f"bench: eval_overhead_per_case = {overhead:.1f} ms (goal <= 20)")
    print(f"bench: eval_runs_complete = {int(all(passed))} bool (goal == 1)")


if __name__ == "__main__":
    main()
