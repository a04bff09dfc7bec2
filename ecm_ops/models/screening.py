"""Screening runs over one revision's canonical text, and their findings."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..states import ScreeningTrigger, Severity
from .base import BackgroundWork


class ScreeningRun(BackgroundWork):
    job_entrypoint = "ecm_ops.jobs.entrypoints.run_screening"

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_screening_runs"
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ecm_screening_runs",
        help_text=_("Empty when the live page itself was screened."),
    )
    trigger = models.CharField(max_length=16, choices=ScreeningTrigger.choices)
    #: Digest of the content actually screened (``content_checks.identity``): what a review,
    #: an override and a publication are matched on, never the revision id (autosave rewrites
    #: a revision in place; a revert brings old content back under a new id).
    content_digest = models.CharField(max_length=64, blank=True, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.FloatField(
        null=True, blank=True, help_text=_("Weighted findings per 100 words (lower is better).")
    )
    word_count = models.PositiveIntegerField(default=0)
    blocker_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    meta = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("What checks reported about the run, e.g. the LLM rubric's tokens and cost."),
    )
    #: Debounced save screenings wait until this time (RQ scheduler); empty: run at once.
    not_before = models.DateTimeField(null=True, blank=True)
    rq_job_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("screening run")
        verbose_name_plural = _("screening runs")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "enqueued_at"]),
            models.Index(fields=["page", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"Screening #{self.pk} of page {self.page_id} ({self.status})"


class Finding(models.Model):
    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="findings")
    check_id = models.CharField(max_length=100)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    field = models.CharField(max_length=255, blank=True)
    start = models.PositiveIntegerField(default=0)
    end = models.PositiveIntegerField(default=0)
    excerpt = models.TextField(blank=True)
    message = models.TextField()
    suggestion = models.TextField(blank=True)

    class Meta:
        verbose_name = _("finding")
        ordering = ["run", "start"]

    def __str__(self) -> str:
        return f"{self.severity}: {self.check_id}"


class ScreeningOverride(models.Model):
    """Someone with authority accepted a run's blockers (with a reason) so the page may be
    submitted anyway. It covers exactly the blockers it saw (``fingerprints``): a new blocker
    in a later revision is not covered and blocks again."""

    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="overrides")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    fingerprints = models.JSONField(default=list)
    #: The content the override was given for; it covers nothing else.
    content_digest = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("screening override")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Override of screening #{self.run_id} by {self.user_id}"
