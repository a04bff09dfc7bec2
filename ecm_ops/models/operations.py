"""The operations dashboard's rows: daily rollups (and the job rows that build them), the pilot
baseline a site admin marks, and drift alerts.

The dashboard and its JSON API read :class:`DailyRollup` only, never the raw tables, so their
cost does not grow with history. A rollup row holds *sums and counts* (never ratios), so any set
of rows (a week, a section, the pilot period) adds up to the same figures as one bigger row.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import BackgroundWork

#: Upper edges (hours) of the buckets of the review-time histograms; the last bucket is open.
HOUR_BUCKETS = (1, 2, 4, 8, 12, 24, 48, 72, 120, 168, 336)


def empty_histogram() -> list[int]:
    return [0] * (len(HOUR_BUCKETS) + 1)


class DailyRollup(models.Model):
    """One day's figures for one combination of section, template, page type and team."""

    day = models.DateField(_("day"), db_index=True)
    section = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    template = models.ForeignKey(
        "ecm_ops.PromptTemplate", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    page_type = models.ForeignKey(
        "contenttypes.ContentType",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # volume
    drafts_requested = models.PositiveIntegerField(default=0)
    off_label = models.PositiveIntegerField(default=0)
    ai_submitted = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)
    ai_published = models.PositiveIntegerField(default=0)
    ai_share_sum = models.FloatField(default=0.0)
    # quality
    first_screens = models.PositiveIntegerField(default=0)
    first_screen_blocked = models.PositiveIntegerField(default=0)
    score_count = models.PositiveIntegerField(default=0)
    score_sum = models.FloatField(default=0.0)
    score_sq_sum = models.FloatField(default=0.0)
    decided = models.PositiveIntegerField(default=0)
    sent_back = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    incidents = models.PositiveIntegerField(default=0)
    edit_count = models.PositiveIntegerField(default=0)
    edit_sum = models.FloatField(default=0.0)
    overrides = models.PositiveIntegerField(default=0)
    # review
    first_decision_hours = models.JSONField(default=empty_histogram)
    publish_hours = models.JSONField(default=empty_histogram)
    sla_breaches = models.PositiveIntegerField(default=0)
    escalations = models.PositiveIntegerField(default=0)
    approvals = models.PositiveIntegerField(default=0)
    approvals_by_reviewer = models.JSONField(default=dict)
    # cost (every provider call: drafts and screenings, failed ones included)
    provider_calls = models.PositiveIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)

    class Meta:
        verbose_name = _("daily operations rollup")
        verbose_name_plural = _("daily operations rollups")
        ordering = ["day", "pk"]
        permissions = [
            ("view_operations", _("Can view the operations dashboard and its API")),
            ("manage_pilot_baseline", _("Can mark the pilot baseline and acknowledge drift")),
        ]

    def __str__(self) -> str:
        return f"Rollup {self.day} (section {self.section_id})"


class RollupRun(BackgroundWork):
    """Rebuild the rollup rows of one day (a row first, then a job; idempotent: a rebuild
    replaces the day's rows in one transaction). The nightly job also enforces the screening
    retention setting and evaluates drift."""

    job_entrypoint = "ecm_ops.jobs.entrypoints.run_rollup"

    day = models.DateField(_("day"))
    reason = models.CharField(max_length=50, default="nightly")
    rows_written = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup run")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"Rollup of {self.day} ({self.status})"


class PilotBaseline(models.Model):
    """The period (and optionally sections and templates) a site admin marked as the pilot:
    production quality is compared with it. The newest baseline is the one in force."""

    name = models.CharField(_("name"), max_length=255)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    sections = models.ManyToManyField(
        "wagtailcore.Page",
        blank=True,
        related_name="+",
        verbose_name=_("sections"),
        help_text=_("Empty: every section's figures in the period form the baseline."),
    )
    templates = models.ManyToManyField(
        "ecm_ops.PromptTemplate",
        blank=True,
        related_name="+",
        verbose_name=_("templates"),
        help_text=_("Empty: every template."),
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pilot baseline")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on} – {self.ends_on})"


class DriftAlert(models.Model):
    """A quality metric worse than the pilot beyond its confidence interval for N consecutive
    periods, in one section (or site-wide). One open alert per baseline, metric and section;
    a later evaluation updates its figures."""

    baseline = models.ForeignKey(PilotBaseline, on_delete=models.CASCADE, related_name="alerts")
    metric = models.CharField(_("metric"), max_length=50)
    section = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.TextField(_("alert"))
    value = models.FloatField()
    baseline_value = models.FloatField()
    ci_low = models.FloatField()
    ci_high = models.FloatField()
    periods = models.PositiveSmallIntegerField()
    last_period = models.DateField()
    opened_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("drift alert")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.message

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
