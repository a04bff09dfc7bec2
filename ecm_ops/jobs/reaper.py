"""The reaper: re-enqueue background rows that Redis or a worker lost.

A row is stuck when it is still queued (or running) a deadline after it was last enqueued (or
started). Running rows past the deadline belong to a dead worker: they go back to queued (if
the worker was only slow, its attempt is fenced off: see :mod:`ecm_ops.jobs.claims`). Rows
that used up ``MAX_ATTEMPTS`` fail with a reason an editor can read; a failed submit
screening sends its review case back to the editor with that reason. Scheduled monitoring rows
are due when ``due_at`` has passed by the deadline (their RQ scheduled job was lost).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from .. import conf
from ..models import (
    DraftRequest,
    EscalationTimer,
    EvaluationRun,
    MonitoringCheck,
    RollupRun,
    ScreeningRun,
    SweepChunk,
    SweepRun,
)
from ..models.base import BackgroundWork
from ..states import JobStatus
from . import outbox

logger = logging.getLogger("ecm_ops.jobs")

# EscalationTimer: review SLA timers, scheduled like monitoring (only due ones are re-armed).
WORK_MODELS: list[type[BackgroundWork]] = [
    DraftRequest,
    ScreeningRun,
    MonitoringCheck,
    EscalationTimer,
    SweepRun,
    SweepChunk,
    EvaluationRun,
    RollupRun,
]


def reap(now=None) -> dict[str, int]:
    """Re-enqueue stuck rows of every work model. Returns counts per model, for logs and tests."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=conf.get("REAPER_STALE_AFTER"))
    max_attempts = conf.get("MAX_ATTEMPTS")
    counts: dict[str, int] = {}
    for model in WORK_MODELS:
        # A running row whose worker died: back to queued.
        model.objects.filter(status=JobStatus.RUNNING, started_at__lt=cutoff).update(
            status=JobStatus.QUEUED
        )
        stuck = model.objects.filter(status=JobStatus.QUEUED).filter(
            Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True, created_at__lt=cutoff)
        )
        if model in (MonitoringCheck, EscalationTimer):
            stuck = stuck.filter(due_at__lte=now)
        exhausted = list(stuck.filter(attempts__gte=max_attempts).values_list("pk", flat=True))
        if exhausted:
            _give_up(model, exhausted, max_attempts, now)
        pks = list(stuck.filter(attempts__lt=max_attempts).values_list("pk", flat=True)[:500])
        for pk in pks:
            outbox.enqueue_now(model, pk)
        counts[model._meta.model_name] = len(pks)
    if any(counts.values()):
        logger.warning("ecm_ops reaper re-enqueued %s", counts)
    return counts


def _give_up(model: type[BackgroundWork], pks: list[int], max_attempts: int, now) -> None:
    """Fail rows that used up their attempts, with a reason an editor can read. A submit
    screening given up on must not leave its review case waiting in ``screening`` forever:
    the review service sends the case back with the run's error (fail closed)."""
    failed = model.objects.filter(pk__in=pks, status=JobStatus.QUEUED)
    if model is ScreeningRun:
        pks = list(failed.values_list("pk", flat=True))
    failed.update(
        status=JobStatus.FAILED,
        finished_at=now,
        error=f"Gave up after {max_attempts} attempts: the background worker kept failing. "
        "Check the worker logs, then retry.",
    )
    if model is ScreeningRun:
        from ..services.review import screening_finished

        for run in ScreeningRun.objects.filter(pk__in=pks, status=JobStatus.FAILED):
            try:
                screening_finished(run)
            except Exception:  # one case must not stop the reaper's pass
                logger.exception("Could not send back the review case of screening run %s", run.pk)


def run_due_monitoring(now=None) -> int:
    """Inline mode has no RQ scheduler: run monitoring rows whose time has come."""
    now = now or timezone.now()
    pks = list(
        MonitoringCheck.objects.filter(status=JobStatus.QUEUED, due_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in pks:
        outbox.enqueue_now(MonitoringCheck, pk)
    return len(pks)


def run_due_escalations(now=None) -> int:
    """Inline mode has no RQ scheduler: run review SLA timers whose time has come."""
    now = now or timezone.now()
    pks = list(
        EscalationTimer.objects.filter(status=JobStatus.QUEUED, due_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in pks:
        outbox.enqueue_now(EscalationTimer, pk)
    return len(pks)
