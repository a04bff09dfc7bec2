"""The ecm_ops RQ worker warms the checks once in its parent process, then works normally.

Nothing is mocked: a probe check records the process it ran in, and a probe job (run in a
forked work horse, as ``manage.py rqworker --worker-class ecm_ops.jobs.worker.Worker`` runs
it) reports what the horse inherited from the parent.
"""

from __future__ import annotations

import os

import pytest

from ecm_ops.conf import DEFAULT_CHECKS
from ecm_ops.content_checks.registry import BaseCheck
from ecm_ops.jobs.worker import Worker

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class WarmthProbeCheck(BaseCheck):
    """Records the pid of every process that ran it."""

    check_id = "test.warmth"
    label = "Warm-up probe"
    pids: list[int] = []

    def run(self, doc, context):
        type(self).pids.append(os.getpid())
        return []


def probe() -> dict:
    """Job body: what this work horse inherited (before it runs any check itself)."""
    from ecm_ops.content_checks.registry import _load

    return {
        "pid": os.getpid(),
        "checks_loaded": _load.cache_info().currsize,
        "probe_ran_in": list(WarmthProbeCheck.pids),
    }


def test_worker_warms_checks_in_the_parent_before_forking(rq_queue, settings, demo):
    from ecm_ops.content_checks.registry import _load
    from ecm_ops.services import screening
    from sandbox_site.content.models import NewsArticle

    settings.ECM_OPS = {
        **settings.ECM_OPS,
        "CHECKS": [*DEFAULT_CHECKS, f"{__name__}.WarmthProbeCheck"],
    }
    _load.cache_clear()
    WarmthProbeCheck.pids = []
    page = NewsArticle.objects.get(slug="city-opens-new-library")
    probe_job = rq_queue.enqueue(probe)
    run = screening.request_screening(page, trigger="cli", revision=page.latest_revision)
    assert rq_queue.count == 2

    # The default Worker forks a horse per job; that is the case this class exists for.
    Worker([rq_queue], connection=rq_queue.connection).work(burst=True)

    seen = probe_job.latest_result().return_value
    assert seen["pid"] != os.getpid()  # the job ran in a forked horse...
    assert seen["checks_loaded"] >= 1  # ...which inherited the loaded checks...
    assert seen["probe_ran_in"] == [os.getpid()]  # ...run once, here, before the fork
    run.refresh_from_db()
    assert run.status == "succeeded"  # a warmed parent leaves the horse's checks working
    assert not run.findings.filter(check_id__endswith="could_not_run").exists()
