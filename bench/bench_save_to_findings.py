"""Save -> findings visible in the editor: the same 800-word page saved again and again.

Each sample: an editor (not a superuser) saves ONE 800-word page of real prose
(``bench/corpus.py``) through Wagtail's real edit view (Django test client), changing one
sentence (with an e-mail address, so the personal-data check has something new to find), then
polls the findings endpoint the editor panel polls, every 25 ms, until it reports a finished
screening of the revision just saved. The next save follows at once, as an editor who saves,
reads the findings and saves again.

* ``save_to_findings_p95`` (goal <= 1.5 s): with the save debounce off
  (``SCREEN_DEBOUNCE_SECONDS = 0``): the pipeline itself (save, enqueue, one forking RQ worker
  with the warmed checks, findings written, poll).
* ``save_to_findings_debounced_p95`` (goal <= debounce + 1.5 s): the shipped debounce
  (``SCREEN_DEBOUNCE_SECONDS``, 10 s): a save within the window of the previous screening is
  screened at the window's end (RQ's scheduler), so repeated saves wait for it on purpose.
* ``save_request_p95`` (info): the POST of the edit view alone.
* ``findings_poll_queries`` (goal <= 3): the queries of one poll of the panel when nothing
  changed (a 304 on ``ecm_ops.urls``); ``findings_poll_full_queries`` (info): a full answer.
  The polling loop sends ``If-None-Match`` as the panel's script does.

PostgreSQL + Redis (``DATABASE_URL`` and ``REDIS_URL`` set): a throwaway test database
(``bench/benchdb.py``) and one real worker process, ``ecm_ops.jobs.worker.Worker`` with the
scheduler, as ``make worker`` runs it. Otherwise jobs run INLINE after commit and the debounce
has no scheduler to wait for (said so in the output).

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python
bench/bench_save_to_findings.py``. ``BENCH_FINDINGS_SAMPLES`` (default 30) and
``BENCH_DEBOUNCED_SAMPLES`` (default 6) set the sample counts.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")
SAMPLES = int(os.environ.get("BENCH_FINDINGS_SAMPLES", "30"))
DEBOUNCED_SAMPLES = int(os.environ.get("BENCH_DEBOUNCED_SAMPLES", "6"))
WARMUP = 3
WORKER_MODE = "--worker" in sys.argv

import django  # noqa: E402

django.setup()

from benchdb import load_average, throwaway_database, uses_rq, worker_env  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


def job_settings(**extra):
    rq = uses_rq()
    queues = {"default": {"URL": os.environ.get("REDIS_URL", ""), "DEFAULT_TIMEOUT": 600}}
    return override_settings(
        RQ_QUEUES=queues if rq else {},
        ECM_OPS={**settings.ECM_OPS, "JOB_BACKEND": "rq" if rq else "inline", **extra},
    )


def worker_main() -> None:
    from ecm_ops.jobs.worker import Worker

    with job_settings():
        from ecm_ops.jobs.outbox import get_queue

        queue = get_queue()
        Worker([queue], connection=queue.connection).work(with_scheduler=True)


POLL_URL = "ecm_ops_public:page_findings_poll"  # what the panel polls (sandbox_site/urls.py)


def poll_queries(client, page) -> tuple[int, int]:
    """Queries of the panel's poll: the first (full) answer and an unchanged one (304)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse(POLL_URL, args=[page.pk])
    with CaptureQueriesContext(connection) as full:
        first = client.get(url)
    with CaptureQueriesContext(connection) as unchanged:
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304, again.status_code
    return len(full), len(unchanged)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(p / 100 * len(ordered))) - 1)]


def save_and_wait(client, page, i: int, body_html: str) -> tuple[float, float]:
    """(save request seconds, save -> findings seconds) for one save of ``page``."""
    from django.urls import reverse
    from wagtail.test.utils.form_data import rich_text

    from tests.helpers import edit_form_data, edit_url

    body = body_html + f"<p>Update {i}: write to desk{i}.editor@gmail.com with corrections.</p>"
    data = edit_form_data(page, body=rich_text(body))
    started = time.perf_counter()
    response = client.post(edit_url(page), data)
    saved = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    url = reverse(POLL_URL, args=[page.pk])
    etag, state = None, None
    while True:
        headers = {"If-None-Match": etag} if etag else {}
        response = client.get(url, headers=headers)
        if response.status_code == 200:  # else 304: the last answer still holds
            state, etag = response.json(), response["ETag"]
        run = state["run"]
        if (
            run
            and run["done"]
            and run["revision"] == state["latest_revision"]
            and not state["pending"]
        ):
            break
        if time.perf_counter() - started > 60:
            raise RuntimeError(f"no findings after 60 s: {state['latest_run']}")
        time.sleep(0.025)
    elapsed = time.perf_counter() - started
    assert any(f["excerpt"] == f"desk{i}.editor@gmail.com" for f in state["findings"]), state
    return saved, elapsed


def main() -> None:
    from corpus import article_html, describe
    from django.test import Client

    from ecm_ops import conf
    from ecm_ops.content_checks.registry import get_checks
    from sandbox_site.content.demo_data import seed
    from sandbox_site.content.models import NewsArticle

    rq = uses_rq()
    with throwaway_database("test_ecm_ops_bench_findings") as where:
        mode = "1 forking RQ worker (ecm_ops Worker, with scheduler)" if rq else "INLINE jobs"
        print(f"bench_save_to_findings: {where}; {mode}; corpus: {describe()}")
        demo = seed()
        editor = demo["users"]["editor"]
        assert not editor.is_superuser
        body_html = article_html(800, seed=800)
        page = NewsArticle(
            title="What the new transport plan means",
            slug="bench-save",
            intro="What the plan means.",
            body=body_html,
        )
        demo["news"].add_child(instance=page)
        page.save_revision(user=editor)
        worker = None
        if rq:
            from ecm_ops.jobs.outbox import get_queue

            with job_settings():
                get_queue().connection.flushdb()
            connections.close_all()
            quiet = None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL
            worker = subprocess.Popen(
                [sys.executable, __file__, "--worker"],
                env=worker_env(),
                stdout=quiet,
                stderr=quiet,
            )
            time.sleep(3)  # let the worker start, warm up and register
        client = Client()
        client.force_login(editor)
        results: dict[str, tuple[list[float], list[float]]] = {}
        try:
            with job_settings():
                checks = [type(c).__name__ for c in get_checks()]
                debounce = conf.get("SCREEN_DEBOUNCE_SECONDS")
            print(f"bench_save_to_findings: checks {checks}; shipped debounce {debounce} s")
            phases = (
                ("immediate", {"SCREEN_DEBOUNCE_SECONDS": 0}, SAMPLES),
                ("debounced", {}, DEBOUNCED_SAMPLES),
            )
            i = 0
            for label, extra, count in phases:
                saves, latencies = [], []
                with job_settings(**extra):
                    for n in range(WARMUP + count):
                        i += 1
                        saved, elapsed = save_and_wait(client, page, i, body_html)
                        if n >= WARMUP or label == "debounced":
                            saves.append(saved)
                            latencies.append(elapsed)
                        if label == "debounced" and len(latencies) >= count:
                            break
                results[label] = (saves, latencies)
            full_poll, unchanged_poll = poll_queries(client, page)
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
            connections.close_all()
    words = len(" ".join(body_html.split()).split())
    print(f"bench_save_to_findings: one page of about {words} words, saved {i} times; "
          f"{load_average()}")  # fmt: skip
    saves, latencies = results["immediate"]
    print(
        f"bench_save_to_findings: immediate: {len(latencies)} samples, median "
        f"{statistics.median(latencies):.3f} s, max {max(latencies):.3f} s"
    )
    print(f"bench: save_to_findings_p95 = {percentile(latencies, 95):.3f} s (goal <= 1.5)")
    print(f"bench: save_request_p95 = {percentile(saves, 95):.3f} s (info)")
    print(f"bench: findings_poll_queries = {unchanged_poll} queries (goal <= 3, unchanged state)")
    print(f"bench: findings_poll_full_queries = {full_poll} queries (info, after a change)")
    _saves, debounced = results["debounced"]
    note = "" if rq else "; inline jobs: nothing waits for the window"
    print(
        f"bench: save_to_findings_debounced_p95 = {percentile(debounced, 95):.3f} s "
        f"(goal <= {debounce + 1.5:g}, the {debounce} s debounce + 1.5{note})"
    )


if __name__ == "__main__":
    if WORKER_MODE:
        worker_main()
    else:
        main()
