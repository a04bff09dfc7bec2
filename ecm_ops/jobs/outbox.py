"""Rows -> jobs, after commit. The backend is chosen at call time, never at import time."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .. import conf
from ..models.base import BackgroundWork

logger = logging.getLogger("ecm_ops.jobs")
_inline_warned = False


def backend() -> str:
    """``"rq"`` or ``"inline"``, from ``ECM_OPS["JOB_BACKEND"]`` (``"auto"``: RQ when django-rq
    has the queue configured)."""
    configured = conf.get("JOB_BACKEND")
    if configured != "auto":
        return configured
    from django.conf import settings

    return "rq" if conf.get("QUEUE") in getattr(settings, "RQ_QUEUES", {}) else "inline"


def get_queue():
    """The RQ queue, enqueueing immediately: the outbox already waits for the commit, and
    django-rq's own default (``on_db_commit``) would defer the enqueue again when called inside
    an atomic block, out of reach of the Redis-down handling below."""
    import django_rq

    return django_rq.get_queue(conf.get("QUEUE"), commit_mode="auto")


def job_id(model: type[BackgroundWork], pk: int) -> str:
    """One RQ job id per row (RQ allows letters, digits, ``_`` and ``-``), so re-enqueueing
    and re-scheduling are idempotent."""
    return f"ecm_ops-{model._meta.model_name}-{pk}"


def job_timeout(model: type[BackgroundWork]) -> int:
    """RQ's ``job_timeout`` for ``model``'s jobs (``ECM_OPS["JOB_TIMEOUTS"]``): always shorter
    than the reaper's stale threshold (``conf`` refuses anything else), so RQ kills a job
    before the reaper re-queues its row."""
    timeouts = conf.get("JOB_TIMEOUTS")
    return timeouts.get(model._meta.model_name) or min(timeouts.values())


def enqueue_on_commit(row: BackgroundWork) -> None:
    """Enqueue ``row``'s entry point once the current transaction commits."""
    transaction.on_commit(partial(enqueue_now, type(row), row.pk))


def schedule_on_commit(row: BackgroundWork, when: datetime) -> None:
    """Schedule ``row``'s entry point for ``when`` (RQ scheduler) after commit.

    Inline mode runs nothing now: the reaper runs due rows (``manage.py ecm_ops_reap``).
    """
    transaction.on_commit(partial(_schedule_now, type(row), row.pk, when))


def enqueue_now(model: type[BackgroundWork], pk: int) -> None:
    """Enqueue one row now. A broken Redis is logged, not raised: the row stays queued and the
    reaper retries it, so the web request that created it still succeeds."""
    model.objects.filter(pk=pk).update(enqueued_at=timezone.now())
    func = import_string(model.job_entrypoint)
    if backend() == "inline":
        _warn_inline()
        func(pk)
        return
    try:
        get_queue().enqueue(
            func,
            pk,
            job_id=job_id(model, pk),
            failure_ttl=86400,
            job_timeout=job_timeout(model),
        )
    except Exception:  # Redis down: the reaper will enqueue it again
        logger.exception("Could not enqueue %s %s; the reaper will retry", model.__name__, pk)


def _schedule_now(model: type[BackgroundWork], pk: int, when: datetime) -> None:
    row = model.objects.filter(pk=pk).first()
    if row is None:
        return
    rq_id = job_id(model, pk)
    if backend() == "inline":
        _warn_inline()
        return
    try:
        get_queue().enqueue_at(
            when,
            import_string(model.job_entrypoint),
            pk,
            job_id=rq_id,
            job_timeout=job_timeout(model),
        )
        model.objects.filter(pk=pk).update(rq_job_id=rq_id)
    except Exception:
        logger.exception("Could not schedule %s %s; the reaper will re-arm it", model.__name__, pk)


def _warn_inline() -> None:
    global _inline_warned
    if not _inline_warned:
        _inline_warned = True
        logger.warning(
            "ecm_ops: REDIS is not configured, so background jobs run INLINE in the web process "
            "after commit. Set REDIS_URL / RQ_QUEUES and run `manage.py rqworker --with-scheduler` "
            "in production."
        )
