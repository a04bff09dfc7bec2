"""Fenced jobs (issue 8, part 7): what a job stalled past the reaper's threshold leaves behind.

* ``stalled_job_duplicates``: results written twice over ``ROUNDS`` stalled screening runs
  and ``ROUNDS`` stalled draft requests, in both orders that matter: the re-queued attempt
  finishes first and the stalled one resumes afterwards, and the stalled one resumes while the
  re-queued attempt is still running. Each stall is the real reaper run with a clock past
  ``REAPER_STALE_AFTER`` while the first attempt is paused (after its checks / inside its
  provider call). A duplicate is a finding row beyond one screening's findings, a draft
  revision beyond the first, or a second "finished" audit entry. Goal == 0.
* ``stalled_job_calls_unrecorded``: provider calls made minus ``ProviderCall`` rows (info,
  goal == 0).

Database: SQLite in memory unless ``DATABASE_URL`` is set (then a throwaway test database);
jobs run inline (the interleaving is driven in one process; ``tests/test_job_fencing.py`` has
the same runs with forked RQ workers on PostgreSQL and Redis).

Run: ``DJANGO_SETTINGS_MODULE=sandbox_site.settings.test .venv/bin/python bench/bench_jobs.py``
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox_site.settings.test")

import django  # noqa: E402

django.setup()

from benchdb import throwaway_database  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from ecm_ops.providers.offline import OfflineProvider  # noqa: E402

ROUNDS = 20
CHECKS = [
    "ecm_ops.content_checks.artefacts.AIArtefactsCheck",
    "ecm_ops.content_checks.pii.PIICheck",
]
FLAGGED_BODY = (
    "<p>As an AI language model, I cannot confirm this. Write to jane.doe@example.com "
    "or call 020 7946 0958.</p>"
)
BRIEF = {"topic": "night buses", "audience": "commuters", "key_points": ["More buses"]}


class BenchProvider(OfflineProvider):
    """The offline provider, counting calls and running ``hook(n)`` inside call ``n``."""

    name = "bench"
    calls = 0
    hook = None

    def generate(self, request):
        cls = type(self)
        cls.calls += 1
        if cls.hook is not None:
            hook, cls.hook = cls.hook, None  # one stall per round
            hook()
        return super().generate(request)


def _later():
    from ecm_ops import conf

    return timezone.now() + timedelta(seconds=conf.get("REAPER_STALE_AFTER") + 60)


def _page(demo, n: int, body: str):
    from sandbox_site.content.models import NewsArticle

    page = NewsArticle(
        slug=f"bench-jobs-{n}",
        title=f"Council agrees budget {n}",
        live=False,
        intro="The council agreed next year's budget on Tuesday.",
        body=body,
    )
    demo["news"].add_child(instance=page)
    page.save_revision(user=demo["users"]["editor"])
    return page


def _requeue_without_running(model, pk):
    """The real reaper re-queues the row; its re-enqueue goes to a dead Redis, so the bench
    decides when attempt 2 runs."""
    from ecm_ops.jobs.reaper import reap

    dead = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5}}
    with override_settings(RQ_QUEUES=dead, ECM_OPS={**settings.ECM_OPS, "JOB_BACKEND": "rq"}):
        reap(now=_later())
    assert model.objects.get(pk=pk).status == "queued"


def _resume(first, job, pk):
    """Run the rest of the stalled attempt ``first`` (the job body after its claim)."""
    from ecm_ops.jobs import claims

    real_claim = claims.claim
    claims.claim = lambda model, key: first
    try:
        return job(pk)
    finally:
        claims.claim = real_claim


def screening_round(demo, n: int, resume_while_running: bool) -> int:
    from ecm_ops.jobs import claims
    from ecm_ops.jobs.reaper import reap
    from ecm_ops.models import Finding, ScreeningRun
    from ecm_ops.services import screening

    page = _page(demo, n, FLAGGED_BODY)
    run = ScreeningRun.objects.create(page=page, revision=page.get_latest_revision(), trigger="cli")
    real_screen = screening.screen_object
    _, once = real_screen(run.revision.as_object(), page=page)
    state = {"calls": 0}
    if resume_while_running:
        first = claims.claim(ScreeningRun, run.pk)
        _requeue_without_running(ScreeningRun, run.pk)

        def stalling(*args, **kwargs):
            state["calls"] += 1
            if state["calls"] == 1:  # attempt 2 is screening: the stalled attempt resumes
                _resume(first, screening.process_screening_run, run.pk)
            return real_screen(*args, **kwargs)

    else:

        def stalling(*args, **kwargs):
            result = real_screen(*args, **kwargs)
            state["calls"] += 1
            if state["calls"] == 1:  # attempt 1 stalls; the reaper runs attempt 2 inline
                reap(now=_later())
            return result

    screening.screen_object = stalling
    try:
        screening.process_screening_run(run.pk)
    finally:
        screening.screen_object = real_screen
    written = Finding.objects.filter(run=run).count()
    finished = _log_count(page, "ecm_ops.screening.finished")
    return max(written - len(once), 0) + max(finished - 1, 0)


def draft_round(demo, n: int, resume_while_running: bool) -> tuple[int, int]:
    from wagtail.models import Revision

    from ecm_ops.drafting.service import process_draft_request
    from ecm_ops.jobs import claims
    from ecm_ops.jobs.reaper import reap
    from ecm_ops.models import DraftRequest, PromptTemplate
    from ecm_ops.models.drafts import ProviderCall

    page = _page(demo, 1000 + n, "<p>Spending on parks rises slightly.</p>")
    version = PromptTemplate.objects.get(slug="news-explainer").latest_version
    draft = DraftRequest.objects.create(  # a queued row, as request_draft writes it
        page=page, template_version=version, requester=demo["users"]["editor"], brief=BRIEF
    )
    revisions = Revision.page_revisions.filter(object_id=str(page.pk))
    before = revisions.count()
    calls_before = BenchProvider.calls
    if resume_while_running:
        first = claims.claim(DraftRequest, draft.pk)
        _requeue_without_running(DraftRequest, draft.pk)
        BenchProvider.hook = lambda: _resume(first, process_draft_request, draft.pk)
    else:
        BenchProvider.hook = lambda: reap(now=_later())
    process_draft_request(draft.pk)
    duplicates = max(revisions.count() - before - 1, 0)
    duplicates += max(_log_count(page, "ecm_ops.draft.succeeded") - 1, 0)
    unrecorded = (BenchProvider.calls - calls_before) - ProviderCall.objects.filter(
        draft=draft
    ).count()
    return duplicates, unrecorded


def _log_count(page, action: str) -> int:
    from wagtail.models import PageLogEntry

    return PageLogEntry.objects.filter(page=page, action=action).count()


def main() -> int:
    logging.getLogger("ecm_ops").setLevel(logging.CRITICAL)  # stale attempts log warnings
    with throwaway_database("test_ecm_ops_bench_jobs") as where:
        print(f"# bench_jobs on {where}")
        from sandbox_site.content.demo_data import seed

        demo = seed()
        overrides = {
            **settings.ECM_OPS,
            "PROVIDER": f"{__name__}.BenchProvider",
            "CHECKS": CHECKS,
            "JOB_BACKEND": "inline",
        }
        duplicates = unrecorded = 0
        with override_settings(ECM_OPS=overrides):
            for n in range(ROUNDS):
                duplicates += screening_round(demo, n, resume_while_running=n % 2 == 1)
                dup, lost = draft_round(demo, n, resume_while_running=n % 2 == 1)
                duplicates += dup
                unrecorded += lost
        print(f"# {ROUNDS} stalled screening runs and {ROUNDS} stalled draft requests")
        print(f"bench: stalled_job_duplicates = {duplicates} count (goal == 0)")
        print(f"bench: stalled_job_calls_unrecorded = {unrecorded} count (goal == 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
