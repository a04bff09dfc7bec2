"""Prompt evaluation: a template's test cases, runs of a version over them, and promotions.

* :class:`EvaluationCase`: a brief plus typed assertions on the output
  (:mod:`ecm_ops.evaluation.assertions`), edited in the admin or imported from YAML.
* :class:`EvaluationRun`: background work (a row first, then a job) that generates every case
  with one exact template version and model through the real provider path, screens and
  judges the output; one :class:`EvaluationResult` per case, written as the run goes (a run
  the reaper re-queues resumes after the cases already judged).
* :class:`TemplatePromotion`: who promoted which version on which run, or overrode the gate
  with a reason (the dashboard lists overrides).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import BackgroundWork
from .drafts import ProviderUsage


class EvaluationCase(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Written by hand")
        IMPORT = "import", _("Imported (YAML)")
        REVIEW = "review", _("Rejected in review")
        COMMENT = "comment", _("Review comment")
        INCIDENT = "incident", _("Incident")

    template = models.ForeignKey(
        "ecm_ops.PromptTemplate", on_delete=models.CASCADE, related_name="evaluation_cases"
    )
    name = models.CharField(_("name"), max_length=200)
    brief = models.JSONField(
        _("brief"), help_text=_("The brief the case drafts from: topic, audience, key points…")
    )
    assertions = models.JSONField(_("assertions"), default=list)
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("A candidate can be promoted only if every required case passes."),
    )
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    #: Where a regression case came from, in words (e.g. "Review case 12: changes requested").
    source_note = models.CharField(_("came from"), max_length=300, blank=True)
    #: The offending output a production regression case was made from (for the record).
    reference_output = models.TextField(_("offending output"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: A case changed after a run makes that run stale for the promotion gate.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("evaluation case")
        verbose_name_plural = _("evaluation cases")
        ordering = ["template", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "name"], name="ecm_ops_case_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class EvaluationRun(ProviderUsage, BackgroundWork):
    """One run of a template version with one model over the template's active cases.

    ``ProviderUsage`` holds the run's totals (tokens, cost) and ``latency_ms`` the sum of the
    provider calls' latencies; ``summary`` the figures the comparison shows.
    """

    job_entrypoint = "ecm_ops.jobs.entrypoints.run_evaluation"

    version = models.ForeignKey(
        "ecm_ops.PromptTemplateVersion", on_delete=models.CASCADE, related_name="evaluation_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: None while the run is open; then whether every required case passed.
    passed = models.BooleanField(_("passed"), null=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    trigger = models.CharField(_("started from"), max_length=16, default="admin")

    class Meta:
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "enqueued_at"]),
            models.Index(fields=["version", "model_name", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"Evaluation of {self.version} with {self.model_name or 'default model'}"


class EvaluationResult(models.Model):
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(
        EvaluationCase, null=True, on_delete=models.SET_NULL, related_name="results"
    )
    case_name = models.CharField(max_length=200)
    required = models.BooleanField(default=True)
    passed = models.BooleanField()
    #: One sentence per failed assertion (empty when the case passed).
    reasons = models.JSONField(default=list, blank=True)
    output = models.JSONField(default=dict, blank=True)
    score = models.FloatField(null=True, blank=True)
    blockers = models.PositiveSmallIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=10, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    #: Seconds ecm_ops itself spent on the case besides the provider call (screen + judge).
    overhead_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "case"], name="ecm_ops_one_result_per_case")
        ]

    def __str__(self) -> str:
        return f"{self.case_name}: {'pass' if self.passed else 'fail'}"


class TemplatePromotion(models.Model):
    """A version became what editors draft with: through the gate, or by an override."""

    template = models.ForeignKey(
        "ecm_ops.PromptTemplate", on_delete=models.CASCADE, related_name="promotions"
    )
    version = models.ForeignKey(
        "ecm_ops.PromptTemplateVersion", on_delete=models.CASCADE, related_name="promotions"
    )
    previous = models.ForeignKey(
        "ecm_ops.PromptTemplateVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    run = models.ForeignKey(
        EvaluationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    override = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.version} promoted" + (" (override)" if self.override else "")
