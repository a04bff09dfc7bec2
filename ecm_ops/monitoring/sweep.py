"""The nightly sweep: re-screen every live page with the current rules, in chunked jobs.

``start_sweep`` writes a :class:`~ecm_ops.models.SweepRun` row (enqueued on commit). Its job,
:func:`plan_sweep`, streams the live page ids (``.iterator(chunk_size=…)``, never the whole
table in memory) into :class:`~ecm_ops.models.SweepChunk` rows of ``SWEEP_CHUNK_SIZE`` ids,
each enqueued on commit; the reaper re-enqueues a chunk that Redis or a worker lost.

:func:`process_chunk` runs the chunk's pages through the one monitoring pipeline
(:func:`ecm_ops.monitoring.pipeline.monitor_pages`, also used by the scheduled re-check of a
single page) with a constant number of queries whatever the chunk size: the pages are fetched
once per page type, policies, baselines and monitoring data are prefetched for the whole
chunk, and the runs and findings are written with two bulk inserts. Only a page with a *new*
problem costs more (its incident or operations alert). A page that fails stays a failure of
that page: the rest of the chunk is screened and acted on.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Page

from .. import conf
from ..jobs import claims, outbox
from ..models import SweepChunk, SweepRun
from ..states import JobStatus
from .pipeline import monitor_pages

logger = logging.getLogger("ecm_ops.monitoring")


@transaction.atomic
def start_sweep(reason: str = "nightly", *, min_interval_hours: float = 12) -> SweepRun | None:
    """Create a sweep row (its job plans the chunks). A second nightly trigger within
    ``min_interval_hours`` of the last sweep is ignored, so a doubled cron cannot double-run."""
    since = timezone.now() - timedelta(hours=min_interval_hours)
    if reason == "nightly" and SweepRun.objects.filter(created_at__gte=since).exists():
        logger.info("A sweep already ran in the last %s hours; skipping", min_interval_hours)
        return None
    sweep = SweepRun.objects.create(reason=reason)
    outbox.enqueue_on_commit(sweep)
    return sweep


def plan_sweep(pk: int) -> SweepRun | None:
    """Job body: stream live page ids into chunk rows, each enqueued after commit."""
    sweep = claims.claim(SweepRun, pk)
    if sweep is None:
        return None
    size = conf.get("SWEEP_CHUNK_SIZE")
    ids = Page.objects.live().filter(depth__gt=1).order_by("pk").values_list("pk", flat=True)
    total = chunks = 0
    batch: list[int] = []
    with transaction.atomic():
        for page_id in ids.iterator(chunk_size=2000):
            batch.append(page_id)
            if len(batch) == size:
                _add_chunk(sweep, batch)
                total, chunks, batch = total + len(batch), chunks + 1, []
        if batch:
            _add_chunk(sweep, batch)
            total, chunks = total + len(batch), chunks + 1
        claims.finish(sweep, JobStatus.SUCCEEDED, page_count=total, chunk_count=chunks)
    sweep.refresh_from_db()
    return sweep


def _add_chunk(sweep: SweepRun, page_ids: list[int]) -> None:
    chunk = SweepChunk.objects.create(sweep=sweep, page_ids=list(page_ids))
    outbox.enqueue_on_commit(chunk)


def _specific_pages(page_ids: list[int]) -> list[Page]:
    """The live pages among ``page_ids`` as their specific classes, one query per page type."""
    by_type: dict[int, list[int]] = defaultdict(list)
    for pk, ct in Page.objects.filter(pk__in=page_ids, live=True).values_list(
        "pk", "content_type_id"
    ):
        by_type[ct].append(pk)
    pages: list[Page] = []
    for ct_id, pks in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class() or Page
        pages.extend(model.objects.filter(pk__in=pks))
    pages.sort(key=lambda p: p.pk)
    return pages


def screen_pages(page_ids: list[int]) -> dict[str, int]:
    """Monitor the live pages among ``page_ids`` through the one pipeline
    (:func:`ecm_ops.monitoring.pipeline.monitor_pages`). Returns counts."""
    pages = _specific_pages(page_ids)
    outcomes = monitor_pages(pages)
    return {
        "pages": len(pages),
        "blocker_pages": sum(1 for o in outcomes if o.run.blocker_count),
        "incidents": sum(1 for o in outcomes if o.incident is not None),
        "alerts": sum(1 for o in outcomes if o.failures),
        "failed_pages": sum(1 for o in outcomes if o.error),
    }


class QueryCounter:
    """Counts queries through ``connection.execute_wrapper`` (no debug cursor, no query log:
    Django's log keeps only the last 9,000 queries, which a long-lived worker passes)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def process_chunk(pk: int) -> SweepChunk | None:
    """Job body for one chunk. Records how many queries it needed (constant per chunk)."""
    chunk = claims.claim(SweepChunk, pk)
    if chunk is None:
        return None
    try:
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            counts = screen_pages(chunk.page_ids)
        claims.finish(
            chunk,
            JobStatus.SUCCEEDED,
            pages_screened=counts["pages"],
            blocker_pages=counts["blocker_pages"],
            incidents_opened=counts["incidents"],
            query_count=counter.count,
        )
    except Exception as exc:
        logger.exception("Sweep chunk %s failed", pk)
        claims.finish(
            chunk,
            JobStatus.FAILED,
            error=f"This part of the monitoring sweep could not run ({type(exc).__name__}); "
            "the next sweep will cover these pages again.",
        )
    chunk.refresh_from_db()
    return chunk
