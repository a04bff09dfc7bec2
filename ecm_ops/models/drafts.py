"""Draft requests (one AI generation each), their provider calls and per-field provenance."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..states import Origin
from .base import BackgroundWork


class ProviderUsage(models.Model):
    """What one or more provider calls used: provider, model, tokens of every kind, cost and
    latency (a draft's totals; one call's own figures)."""

    provider = models.CharField(_("provider"), max_length=50, blank=True)
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class DraftRequest(ProviderUsage, BackgroundWork):
    """A brief turned into an AI draft revision by a background job."""

    job_entrypoint = "ecm_ops.jobs.entrypoints.run_draft_request"

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_draft_requests"
    )
    template_version = models.ForeignKey(
        "ecm_ops.PromptTemplateVersion", on_delete=models.PROTECT, related_name="draft_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    brief = models.JSONField(_("brief"))
    off_label = models.BooleanField(
        _("off-label use"),
        default=False,
        help_text=_("The template was not designed for this page type."),
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The draft revision this request produced."),
    )

    class Meta:
        verbose_name = _("AI draft request")
        verbose_name_plural = _("AI draft requests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]

    def __str__(self) -> str:
        return f"Draft #{self.pk} for page {self.page_id} ({self.status})"


class ProviderCall(ProviderUsage):
    """One call of the AI provider by one attempt of a job, and what it consumed: a draft
    request's generation, or a screening run's LLM rubric check.

    Written and committed right after the provider returns (or fails), before the attempt
    writes anything else, so a call is billed even when its attempt later dies or loses the
    fence (:mod:`ecm_ops.jobs.claims`). A draft's own token and cost totals are the sums of
    its calls (kept up to date in the same small transaction), and budgets read those totals.
    """

    draft = models.ForeignKey(
        DraftRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="calls"
    )
    screening_run = models.ForeignKey(
        "ecm_ops.ScreeningRun",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="provider_calls",
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    ok = models.BooleanField(_("succeeded"), default=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("called at"), auto_now_add=True)

    class Meta:
        verbose_name = _("AI provider call")
        verbose_name_plural = _("AI provider calls")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(draft__isnull=False) | models.Q(screening_run__isnull=False),
                name="ecm_ops_providercall_has_a_job",
            )
        ]

    def __str__(self) -> str:
        job = f"draft {self.draft_id}" if self.draft_id else f"screening {self.screening_run_id}"
        return f"Call for {job}, attempt {self.attempt} ({self.model_name})"


class FieldProvenance(models.Model):
    """Where the text of one field of one revision came from."""

    revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.CASCADE, related_name="ecm_provenance"
    )
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    field_name = models.CharField(max_length=255)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    draft = models.ForeignKey(
        DraftRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="provenance"
    )
    ai_text = models.TextField(blank=True, help_text=_("The canonical text the model wrote."))
    words = models.PositiveIntegerField(default=0, help_text=_("Words in this field now."))
    similarity = models.FloatField(
        default=1.0, help_text=_("Share of the AI text that survives in this revision (0-1).")
    )

    class Meta:
        verbose_name = _("field provenance")
        unique_together = [("revision", "field_name")]
        indexes = [models.Index(fields=["page", "revision"])]

    def __str__(self) -> str:
        return f"{self.field_name}: {self.origin}"
