"""Operations alerts: monitoring could not do its job on a live page.

A check that crashed or ran out of time yields a blocking ``<check>.could_not_run`` finding
(:func:`ecm_ops.content_checks.registry.could_not_run`); a page whose screening itself failed
yields :data:`SCREENING_FAILED`. Before publication such a finding blocks (fail closed). On a
live page it says nothing about the content, so it must not unpublish it nor open a content
incident: it raises an :class:`~ecm_ops.models.OperationsAlert` for site admins (listed on the
incidents screen) and a warning in the ``ecm_ops.monitoring`` log.

One open alert per page and check: seeing it again bumps its count; a later monitoring run of
the page that gets the check through closes it. :func:`sync_alerts` handles a whole sweep
chunk in a constant number of queries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone

from ..models import OperationsAlert

logger = logging.getLogger("ecm_ops.monitoring")

#: The check id of an alert raised when screening a live page failed as a whole.
SCREENING_FAILED = "monitoring.could_not_run"


def is_could_not_run(check_id: str) -> bool:
    return check_id.endswith("could_not_run")


@dataclass
class AlertSource:
    """What one monitored page says about alerts."""

    page: object
    run: object | None
    #: could-not-run findings (``check_id`` and ``message``) seen on this run
    failures: list
    #: True when the page was screened (its other open alerts may close)
    screened: bool


def sync_alerts(sources: list[AlertSource]) -> int:
    """Raise, bump and close alerts for a batch of monitored pages. Returns how many alerts
    were raised or seen again. At most four queries whatever the batch size."""
    if not sources:
        return 0
    now = timezone.now()
    open_alerts = {
        (a.page_id, a.check_id): a
        for a in OperationsAlert.objects.filter(
            page_id__in=[s.page.pk for s in sources], closed_at__isnull=True
        )
    }
    new: list[OperationsAlert] = []
    bumped: list[OperationsAlert] = []
    still_failing: set[tuple[int, str]] = set()
    for source in sources:
        for failure in source.failures:
            key = (source.page.pk, failure.check_id)
            if key in still_failing:
                continue
            still_failing.add(key)
            logger.warning(
                "Monitoring could not run %s on live page %s (“%s”): %s",
                failure.check_id,
                source.page.pk,
                source.page.title,
                failure.message,
            )
            alert = open_alerts.get(key)
            if alert is None:
                new.append(
                    OperationsAlert(
                        page=source.page,
                        check_id=failure.check_id,
                        message=failure.message[:2000],
                        screening_run=source.run,
                        last_seen_at=now,
                    )
                )
            else:
                alert.seen_count += 1
                alert.last_seen_at = now
                alert.message = failure.message[:2000]
                alert.screening_run = source.run
                bumped.append(alert)
    screened = {s.page.pk for s in sources if s.screened}
    closing = [
        alert.pk
        for (page_id, check_id), alert in open_alerts.items()
        if page_id in screened and (page_id, check_id) not in still_failing
    ]
    if new:
        # A concurrent run may have opened the same alert: the constraint keeps one.
        OperationsAlert.objects.bulk_create(new, ignore_conflicts=True)
    if bumped:
        OperationsAlert.objects.bulk_update(
            bumped, ["seen_count", "last_seen_at", "message", "screening_run"]
        )
    if closing:
        OperationsAlert.objects.filter(pk__in=closing).update(closed_at=now)
    return len(new) + len(bumped)


def open_alerts():
    """Open alerts, newest first, with their pages (for the admin)."""
    return OperationsAlert.objects.filter(closed_at__isnull=True).select_related("page")
