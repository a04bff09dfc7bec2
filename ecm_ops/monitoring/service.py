"""Schedule re-checks of live pages by their tier cadence; each check runs the page through
the one monitoring pipeline (:mod:`.pipeline`). The nightly sweep of every live page is in
:mod:`.sweep` and uses the same pipeline."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import conf
from ..governance.classification import policy_for
from ..jobs import claims, outbox
from ..models import MonitoringCheck, ReviewCase
from ..services import audit
from ..states import JobStatus
from .pipeline import monitor_pages

logger = logging.getLogger("ecm_ops.monitoring")


def cadence_for(page) -> timedelta:
    """The page's tier cadence (from its last review case), else the policy's lowest tier's."""
    case = ReviewCase.objects.filter(page=page, tier__isnull=False).select_related("tier").first()
    if case:
        return timedelta(hours=case.tier.monitoring_cadence_hours)
    policy = policy_for(page)
    tier = policy.tiers.order_by("level").first() if policy else None
    return timedelta(hours=tier.monitoring_cadence_hours if tier else 24 * 7)


@transaction.atomic
def schedule_check(page, when=None) -> MonitoringCheck:
    """Schedule the next re-check of ``page``; one queued check per page (idempotent)."""
    when = when or timezone.now() + timedelta(seconds=conf.get("MONITORING_FIRST_CHECK_AFTER"))
    existing = (
        MonitoringCheck.objects.select_for_update()
        .filter(page=page, status=JobStatus.QUEUED)
        .first()
    )
    if existing:
        existing.due_at = min(existing.due_at, when)
        existing.save(update_fields=["due_at"])
        check = existing
    else:
        check = MonitoringCheck.objects.create(page=page, due_at=when)
    audit.record(
        page.specific,
        "ecm_ops.monitoring.scheduled",
        None,
        check=check.pk,
        due_at=check.due_at.isoformat(),
    )
    outbox.schedule_on_commit(check, check.due_at)
    return check


def process_monitoring_check(pk: int) -> MonitoringCheck | None:
    """Job body: re-screen the live page through the one monitoring pipeline
    (:func:`.pipeline.monitor_pages`: incidents for new blockers, alerts for checks that could
    not run), then schedule the next check by the tier cadence."""
    check = claims.claim(MonitoringCheck, pk)
    if check is None:
        return None
    page = check.page.specific
    if not page.live:
        claims.finish(check, JobStatus.CANCELLED, error="The page is no longer live.")
        return check
    try:
        outcome = monitor_pages([page])[0]
    except Exception as exc:  # the pipeline keeps page failures to itself: this is the database
        logger.exception("Monitoring check %s failed", pk)
        with transaction.atomic():
            claims.finish(
                check,
                JobStatus.FAILED,
                error=f"The monitoring check could not run ({type(exc).__name__}); "
                "the next check will try again.",
            )
            schedule_check(page, when=timezone.now() + cadence_for(page))
        check.refresh_from_db()
        return check
    run = outcome.run
    with transaction.atomic():
        claims.finish(check, JobStatus.SUCCEEDED, screening_run=run)
        audit.record(
            page,
            "ecm_ops.monitoring.checked",
            None,
            check=check.pk,
            run=run.pk,
            blockers=run.blocker_count,
            new_blockers=sorted({f.check_id for f in outcome.new_blockers}),
            could_not_run=sorted({f.check_id for f in outcome.failures}),
            incident=outcome.incident.pk if outcome.incident else None,
        )
        schedule_check(page, when=timezone.now() + cadence_for(page))
    check.refresh_from_db()
    return check


def on_published(page, user=None) -> None:
    """A page was published: resolve incidents that unpublished it, schedule its re-check."""
    from ..services.incidents import page_republished

    page_republished(page, user=user)
    schedule_check(page)
