"""The nightly verifier run: violations become incidents for site admins (and a mail)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import conf
from ..governance.verify import verify
from ..models import Incident
from ..states import IncidentState, Severity
from . import audit, notifications

logger = logging.getLogger("ecm_ops.verify")
PREFIX = "Publication invariant violated"


@transaction.atomic
def run_nightly(now=None) -> int:
    """Verify the last ``VERIFY_WINDOW_DAYS`` of publications; open one incident per page and
    violation (not again while one is open). Returns the number of violations found."""
    now = now or timezone.now()
    report = verify(since=now - timedelta(days=conf.get("VERIFY_WINDOW_DAYS")))
    new = []
    for v in report.violations:
        summary = f"{PREFIX} ({v.kind}): {v.message}"
        exists = Incident.objects.filter(
            page_id=v.page_id,
            summary=summary,
            state__in=(IncidentState.OPEN, IncidentState.ACKNOWLEDGED),
        ).exists()
        if exists:
            continue
        incident = Incident.objects.create(
            page_id=v.page_id, severity=Severity.BLOCKER, summary=summary
        )
        audit.record(
            incident.page.specific,
            "ecm_ops.verify.violation",
            None,
            kind=v.kind,
            message=v.message,
            incident=incident.pk,
        )
        new.append(v)
    if report.violations:
        logger.warning("ecm_ops verifier: %d violation(s)", len(report.violations))
    notifications.invariant_violations(new)
    return len(report.violations)
