"""Screening: create a run row (then a job), and process it against the canonical text."""

from __future__ import annotations

import logging

from django.db import transaction

from ..content_checks.canonical import canonical_text
from ..content_checks.registry import CheckContext, run_checks
from ..content_checks.scoring import count, score
from ..governance.classification import policy_for
from ..jobs import claims, outbox
from ..models import Finding, ScreeningRun
from ..states import JobStatus, Severity
from . import audit

logger = logging.getLogger("ecm_ops.screening")


def request_screening(page, *, trigger: str, revision=None, user=None) -> ScreeningRun:
    """Create a queued run for ``revision`` (or the live page) and enqueue it after commit."""
    run = ScreeningRun.objects.create(
        page=page, revision=revision, trigger=trigger, requested_by=user
    )
    outbox.enqueue_on_commit(run)
    return run


def screen_object(page_obj, page=None, brief=None):
    """Run the checks on a page object now; returns (canonical text, findings)."""
    doc = canonical_text(page_obj)
    context = CheckContext(
        page=page or page_obj,
        page_type=f"{page_obj._meta.app_label}.{page_obj._meta.model_name}",
        policy=policy_for(page) if page is not None and page.pk else None,
        brief=brief or {},
    )
    return doc, run_checks(doc, context)


def process_screening_run(pk: int) -> ScreeningRun | None:
    """Job body: screen the run's revision, store findings and the score, then let the review
    service react. A crash marks the run failed (fail closed: a failed run clears nothing)."""
    run = claims.claim(ScreeningRun, pk)
    if run is None:
        return None
    try:
        page = run.page.specific
        page_obj = run.revision.as_object() if run.revision_id else page
        doc, findings = screen_object(page_obj, page=page)
        with transaction.atomic():
            Finding.objects.bulk_create(
                Finding(
                    run=run,
                    check_id=f.check_id,
                    severity=f.severity,
                    field=f.field,
                    start=f.start,
                    end=f.end,
                    excerpt=f.excerpt,
                    message=f.message,
                    suggestion=f.suggestion,
                )
                for f in findings
            )
            claims.finish(
                run,
                JobStatus.SUCCEEDED,
                score=score(findings, doc.word_count),
                word_count=doc.word_count,
                blocker_count=count(findings, Severity.BLOCKER),
                warning_count=count(findings, Severity.WARNING),
            )
            run.refresh_from_db()
            audit.record(
                page,
                "ecm_ops.screening.finished",
                run=run.pk,
                trigger=run.trigger,
                score=run.score,
                blockers=run.blocker_count,
            )
    except Exception as exc:
        logger.exception("Screening run %s failed", pk)
        claims.finish(
            run,
            JobStatus.FAILED,
            error=f"The pre-screen could not run ({type(exc).__name__}). Save again "
            "to retry; if it keeps failing, ask a site administrator.",
        )
        run.refresh_from_db()
    from .review import screening_finished

    screening_finished(run)
    return run
