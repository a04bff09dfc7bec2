"""Post-publication monitoring: scheduled re-checks and the incidents they open."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from ..states import IncidentState, Severity
from .base import BackgroundWork

I = IncidentState  # noqa: E741


class MonitoringCheck(BackgroundWork):
    """One scheduled re-screen of a live page. The RQ scheduler only carries it; this row is
    the record, and the reaper re-arms it if Redis lost the scheduled job."""

    job_entrypoint = "ecm_ops.jobs.entrypoints.run_monitoring_check"

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_monitoring_checks"
    )
    due_at = models.DateTimeField(_("due at"))
    rq_job_id = models.CharField(max_length=200, blank=True)
    screening_run = models.ForeignKey(
        "ecm_ops.ScreeningRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("monitoring check")
        ordering = ["-due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"Monitoring of page {self.page_id} due {self.due_at:%Y-%m-%d %H:%M}"


class Incident(ConcurrentTransitionMixin, models.Model):
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_incidents"
    )
    screening_run = models.ForeignKey(
        "ecm_ops.ScreeningRun", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    severity = models.CharField(max_length=8, choices=Severity.choices)
    summary = models.TextField()
    state = FSMField(default=I.OPEN, choices=I.choices, protected=False)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("incident")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Incident #{self.pk} on page {self.page_id} ({self.state})"

    @transition(field=state, source=I.OPEN, target=I.ACKNOWLEDGED)
    def acknowledge(self, user=None):
        self.handled_by = user

    @transition(field=state, source=[I.OPEN, I.ACKNOWLEDGED, I.UNPUBLISHED], target=I.RESOLVED)
    def resolve(self, user=None, note: str = ""):
        from django.utils import timezone

        self.handled_by = user
        self.note = note
        self.closed_at = timezone.now()

    @transition(field=state, source=[I.OPEN, I.ACKNOWLEDGED], target=I.UNPUBLISHED)
    def mark_unpublished(self, user=None, note: str = ""):
        self.handled_by = user
        self.note = note


class OperationsAlert(models.Model):
    """Monitoring could not do its job on a live page (a check could not run, or screening the
    page failed): a problem of the machinery, not of the content. It is shown to site admins
    and logged; it never unpublishes and never opens a content incident. One open alert per
    page and check (later failures bump ``seen_count``); it closes by itself when a later
    monitoring run of the page gets that check through."""

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_operations_alerts"
    )
    check_id = models.CharField(_("check"), max_length=100)
    message = models.TextField()
    screening_run = models.ForeignKey(
        "ecm_ops.ScreeningRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    seen_count = models.PositiveIntegerField(default=1)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("operations alert")
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "check_id"],
                condition=models.Q(closed_at__isnull=True),
                name="ecm_ops_one_open_alert_per_page_check",
            )
        ]

    def __str__(self) -> str:
        return f"Alert {self.check_id} on page {self.page_id}"


class SweepRun(BackgroundWork):
    """One sweep of every live page with the current rules. Its job only plans: it streams the
    live page ids and writes one :class:`SweepChunk` row per ``SWEEP_CHUNK_SIZE`` pages."""

    job_entrypoint = "ecm_ops.jobs.entrypoints.run_sweep"

    reason = models.CharField(max_length=100, default="nightly")
    page_count = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monitoring sweep")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"Sweep #{self.pk} ({self.status})"


class SweepChunk(BackgroundWork):
    """A slice of a sweep: re-screen these live pages with constant queries per chunk."""

    job_entrypoint = "ecm_ops.jobs.entrypoints.run_sweep_chunk"

    sweep = models.ForeignKey(SweepRun, on_delete=models.CASCADE, related_name="chunks")
    page_ids = models.JSONField(default=list)
    pages_screened = models.PositiveIntegerField(default=0)
    blocker_pages = models.PositiveIntegerField(default=0)
    incidents_opened = models.PositiveIntegerField(default=0)
    query_count = models.PositiveIntegerField(
        default=0, help_text=_("Database queries the chunk needed (constant per chunk).")
    )

    class Meta:
        verbose_name = _("monitoring sweep chunk")
        ordering = ["sweep", "pk"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"Sweep #{self.sweep_id} chunk #{self.pk} ({self.status})"
