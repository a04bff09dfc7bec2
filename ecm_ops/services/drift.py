"""Drift alerts: a quality metric worse than the pilot baseline beyond its 95% confidence
interval for ``DRIFT_CONSECUTIVE_PERIODS`` consecutive complete weeks, per governed section and
site-wide.

An alert is a row (shown as a banner on the dashboard), an audit entry and an e-mail to the
site admins (:func:`notify_admins`: the one place to rewire to another notification channel).
A streak that goes on updates its open alert; an acknowledged alert stays acknowledged while
its streak lasts, and a new streak after the metric came back opens a new alert.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import Page

from .. import conf
from ..models import DriftAlert, PilotBaseline
from . import PermissionDenied, ServiceError
from .ops_metrics import METRICS, Totals, figures, interval, period_start

logger = logging.getLogger("ecm_ops.drift")

DRIFT_METRICS = [m for m in METRICS if m.lower_is_better]


def _fmt(metric, value) -> str:
    return f"{value:.0f}%" if metric.unit == "%" else f"{value:.2f}"


def describe(metric, section_title, value, base, ci, periods, volume_ratio) -> str:
    """The alert in words, e.g. "Health & Money: first-screen blocker rate 14% (pilot 4%, 95%
    CI 2–7%) for 3 weeks while AI volume rose 5×"."""
    label = metric.label[0].lower() + metric.label[1:]
    text = (
        f"{section_title}: {label} {_fmt(metric, value)} (pilot {_fmt(metric, base)}, "
        f"95% CI {_fmt(metric, ci[0]).rstrip('%')}–{_fmt(metric, ci[1])}) for {periods} weeks"
    )
    if volume_ratio is not None and volume_ratio >= 1.5:
        text += f" while AI volume rose {volume_ratio:.0f}×"
    return text


def evaluate(today: date | None = None) -> list[DriftAlert]:
    """Compare the last N complete weeks with the newest pilot baseline; open or update alerts.
    Reads rollups only (two queries for the figures). Returns the alerts opened or updated."""
    baseline = PilotBaseline.objects.prefetch_related("sections", "templates").first()
    if baseline is None:
        return []
    n = conf.get("DRIFT_CONSECUTIVE_PERIODS")
    today = today or timezone.localdate()
    last_week = period_start(today, "week") - timedelta(days=7)
    first_week = last_week - timedelta(days=7 * (n - 1))
    if first_week <= baseline.ends_on:
        return []
    from .ops_metrics import rollup_rows

    sections = {p.pk for p in baseline.sections.all()}
    templates = {t.pk for t in baseline.templates.all()}
    base: dict = defaultdict(Totals)
    base_rows = rollup_rows(baseline.starts_on, baseline.ends_on, {})
    if sections:
        base_rows = base_rows.filter(section_id__in=sections)
    if templates:
        base_rows = base_rows.filter(template_id__in=templates)
    for row in base_rows:
        base[None].add(row)
        base[row["section_id"]].add(row)
    recent: dict = defaultdict(lambda: defaultdict(Totals))
    for row in rollup_rows(first_week, last_week + timedelta(days=6), {}):
        week = period_start(row["day"], "week")
        recent[None][week].add(row)
        if row["section_id"] is not None:
            recent[row["section_id"]][week].add(row)
    pilot_weeks = max(1, ((baseline.ends_on - baseline.starts_on).days + 1) / 7)
    titles = dict(Page.objects.filter(pk__in=[k for k in recent if k]).values_list("pk", "title"))
    changed = []
    for section_id, weeks in recent.items():
        pilot = base.get(section_id) or base[None]
        pilot_figs = figures(pilot)
        weekly = [
            figures(weeks.get(first_week + timedelta(days=7 * i), Totals())) for i in range(n)
        ]
        for metric in DRIFT_METRICS:
            ci = interval(metric, pilot)
            if ci is None:
                continue
            values = [w[metric.key] for w in weekly]
            if any(v is None or v <= ci[1] for v in values):
                continue
            pilot_volume = pilot.sums["drafts_requested"] / pilot_weeks
            recent_volume = sum(w["drafts_requested"] for w in weekly) / n
            ratio = recent_volume / pilot_volume if pilot_volume else None
            message = describe(
                metric,
                titles.get(section_id, "All sections"),
                values[-1],
                pilot_figs[metric.key],
                ci,
                n,
                ratio,
            )
            changed.append(
                _open_or_update(baseline, metric.key, section_id, message, values[-1],
                                pilot_figs[metric.key], ci, n, last_week)
            )  # fmt: skip
    return changed


def _open_or_update(baseline, metric, section_id, message, value, base, ci, n, last_week):
    with transaction.atomic():
        alert = (
            DriftAlert.objects.select_for_update()
            .filter(baseline=baseline, metric=metric, section_id=section_id)
            .filter(last_period__gte=last_week - timedelta(days=7))
            .first()
        )
        fields = {
            "message": message, "value": value, "baseline_value": base, "ci_low": ci[0], "ci_high": ci[1],
            "periods": n, "last_period": last_week,
        }  # fmt: skip
        if alert is not None:
            for name, v in fields.items():
                setattr(alert, name, v)
            alert.save(update_fields=list(fields))
            return alert
        alert = DriftAlert.objects.create(baseline=baseline, metric=metric, section_id=section_id,
                                          **fields)  # fmt: skip
        _audit(alert, "ecm_ops.drift.opened", None, message=message)
        transaction.on_commit(lambda: notify_admins(alert))
    return alert


def _audit(alert: DriftAlert, action: str, user, **data) -> None:
    """An audit entry on the section's page (its history and the audit trail), or on the alert
    itself for a site-wide alert."""
    instance = alert.section if alert.section_id else alert
    log(instance=instance, action=action, user=user, data={"alert": alert.pk, **data})


def notify_admins(alert: DriftAlert) -> None:
    """Tell the site admins (superusers and holders of ``manage_pilot_baseline``): an admin
    notification each, and an e-mail through the notifications service."""
    from django.urls import reverse

    from ..models import NotificationKind
    from .notifications import notify

    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__codename="manage_pilot_baseline")
            | Q(groups__permissions__codename="manage_pilot_baseline")
        )
        .distinct()
    )
    notify(
        users,
        NotificationKind.SYSTEM,
        f"Drift alert: {alert.message}",
        alert.message,
        url=reverse("ecm_ops:operations"),
    )


def acknowledge(alert: DriftAlert, user, note: str) -> DriftAlert:
    """Acknowledge an open alert with a note (a site admin only)."""
    note = (note or "").strip()
    if not (user.is_superuser or user.has_perm("ecm_ops.manage_pilot_baseline")):
        raise PermissionDenied("Only a site admin may acknowledge drift alerts.")
    if not note:
        raise ServiceError("Say what is being done about it: the note is required.")
    with transaction.atomic():
        locked = DriftAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise ServiceError("This alert was already acknowledged.")
        locked.acknowledged_at, locked.acknowledged_by, locked.note = timezone.now(), user, note
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
        _audit(locked, "ecm_ops.drift.acknowledged", user, note=note)
    return locked


def mark_baseline(user, name, starts_on, ends_on, sections=(), templates=()) -> PilotBaseline:
    """Mark a pilot period as the baseline (a site admin only)."""
    if not (user.is_superuser or user.has_perm("ecm_ops.manage_pilot_baseline")):
        raise PermissionDenied("Only a site admin may mark the pilot baseline.")
    if ends_on < starts_on:
        raise ServiceError("The pilot's last day is before its first day.")
    if ends_on >= timezone.localdate():
        raise ServiceError("The pilot must have ended: its last day must be before today.")
    with transaction.atomic():
        baseline = PilotBaseline.objects.create(
            name=name, starts_on=starts_on, ends_on=ends_on, marked_by=user
        )
        baseline.sections.set(sections)
        baseline.templates.set(templates)
        log(instance=baseline, action="ecm_ops.baseline.marked", user=user,
            data={"starts_on": str(starts_on), "ends_on": str(ends_on)})  # fmt: skip
    return baseline
