"""The nightly sweep: re-screen every live page with the current rules, in chunked jobs.

``start_sweep`` writes a :class:`~ecm_ops.models.SweepRun` row (enqueued on commit). Its job,
:func:`plan_sweep`, streams the live page ids (``.iterator(chunk_size=…)``, never the whole
table in memory) into :class:`~ecm_ops.models.SweepChunk` rows of ``SWEEP_CHUNK_SIZE`` ids,
each enqueued on commit; the reaper re-enqueues a chunk that Redis or a worker lost.

:func:`process_chunk` needs a constant number of queries whatever the chunk size: the pages
are fetched once per page type, policies and monitoring data are prefetched for the whole
chunk (:func:`ecm_ops.monitoring.health.prefetch`), and the runs and findings are written with
two bulk inserts. Only a page with a *new* blocker costs more (its incident is opened through
:func:`ecm_ops.monitoring.incidents.open_incident`, which notifies and may unpublish).
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
from ..content_checks.canonical import canonical_text
from ..content_checks.registry import CheckContext, prepare_checks, run_checks
from ..content_checks.scoring import count, score
from ..jobs import claims, outbox
from ..models import (
    DraftRequest,
    Finding,
    Incident,
    RiskPolicy,
    ScreeningRun,
    SweepChunk,
    SweepRun,
)
from ..services.screening import finding_rows
from ..states import JobStatus, ScreeningTrigger, Severity
from . import health
from .incidents import ACTIVE, open_incident

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


def _policies():
    """Every policy keyed by its section path (one query)."""
    return {p.section.path: p for p in RiskPolicy.objects.select_related("section")}


def _nearest(policies: dict, path: str):
    matches = [p for p in policies if path.startswith(p)]
    return policies[max(matches, key=len)] if matches else None


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


class _PrefetchedContext(CheckContext):
    """A check context whose draft data (brief, instructions, style guide) the sweep already
    loaded for the whole chunk, so it must not look it up again per page."""

    def fill_from_drafts(self) -> None:
        return None


def _drafts(page_ids: list[int]) -> dict[int, DraftRequest]:
    """Each page's latest successful AI draft (one query for the chunk)."""
    latest: dict[int, DraftRequest] = {}
    for draft in (
        DraftRequest.objects.filter(page_id__in=page_ids, status=JobStatus.SUCCEEDED)
        .select_related("template_version__template__style_guide")
        .order_by("page_id", "created_at", "pk")
    ):
        latest[draft.page_id] = draft
    return latest


def _context(page, policy, draft) -> CheckContext:
    context = _PrefetchedContext(
        page=page,
        page_type=f"{page._meta.app_label}.{page._meta.model_name}",
        policy=policy,
        extra={"sweep": True},
    )
    if draft is not None:
        context.brief = dict(draft.brief or {})
        context.instructions = draft.template_version.instructions
        context.style_guide = draft.template_version.template.style_guide
    return context


def screen_pages(page_ids: list[int]) -> dict[str, int]:
    """Screen the live pages among ``page_ids`` with the current rules; store one monitoring
    run per page; open incidents for new blockers. Returns counts."""
    pages = _specific_pages(page_ids)
    policies = _policies()
    docs = [canonical_text(page) for page in pages]
    ctx = health.prefetch(pages, docs)
    drafts = _drafts([p.pk for p in pages])
    now = timezone.now()
    contexts = [
        _context(page, _nearest(policies, page.path), drafts.get(page.pk)) for page in pages
    ]
    prepare_checks(list(zip(docs, contexts, strict=True)))
    results = []
    for page, doc, context in zip(pages, docs, contexts, strict=True):
        findings = run_checks(doc, context) + health.health_findings(page, doc, ctx)
        findings.sort(key=lambda f: (f.start, f.check_id))
        results.append((page, doc, findings))
    with transaction.atomic():
        runs = ScreeningRun.objects.bulk_create(
            ScreeningRun(
                page=page,
                trigger=ScreeningTrigger.MONITOR,
                status=JobStatus.SUCCEEDED,
                attempts=1,
                started_at=now,
                finished_at=now,
                score=score(findings, doc.word_count),
                word_count=doc.word_count,
                blocker_count=count(findings, Severity.BLOCKER),
                warning_count=count(findings, Severity.WARNING),
            )
            for page, doc, findings in results
        )
        Finding.objects.bulk_create(
            [
                row
                for run, (_p, _d, findings) in zip(runs, results, strict=True)
                for row in finding_rows(run, findings)
            ],
            batch_size=500,
        )
        blocked = [(run, page) for run, (page, _d, _f) in zip(runs, results, strict=True)]
        blocked = [(run, page) for run, page in blocked if run.blocker_count]
        incidents = 0
        if blocked:
            already = set(
                Incident.objects.filter(
                    page_id__in=[p.pk for _r, p in blocked], state__in=ACTIVE
                ).values_list("page_id", flat=True)
            )
            for run, page in blocked:
                if page.pk not in already and open_incident(page, run):
                    incidents += 1
    return {"pages": len(pages), "blocker_pages": len(blocked), "incidents": incidents}


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
