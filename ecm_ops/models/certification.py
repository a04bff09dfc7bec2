"""Reviewer certification: a programme per policy (optionally per tier) with its calibration
exercise, each reviewer's attempts, and the certifications that make an ``approve_tier`` grant
effective (the rule itself lives in :mod:`ecm_ops.governance.authority`).

A programme is a ``ClusterableModel`` so site admins edit its calibration items inline.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from ..states import Severity


class Defect(models.TextChoices):
    NONE = "none", _("No defect (a clean item)")
    UNSUPPORTED_CLAIM = "unsupported_claim", _("Unsupported claim (e.g. medical, financial)")
    PERSONAL_DATA = "personal_data", _("Leaked personal data (e-mail, phone number)")
    AI_REFUSAL = "ai_refusal", _("AI refusal or artefact sentence")
    FACTUAL_CHANGE = "factual_change", _("Factual change against the brief")
    OTHER = "other", _("Other defect")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    CHANGES = "changes", _("Request changes")


class CertificationProgramme(ClusterableModel):
    """What a reviewer of one policy (or one of its tiers) must know and show."""

    name = models.CharField(_("name"), max_length=120)
    policy = models.ForeignKey(
        "ecm_ops.RiskPolicy",
        on_delete=models.CASCADE,
        related_name="certification_programmes",
        verbose_name=_("risk policy"),
    )
    tier = models.ForeignKey(
        "ecm_ops.ReviewTier",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="certification_programmes",
        verbose_name=_("tier"),
        help_text=_(
            "Leave empty to cover every tier of the policy. A tier with its own programme "
            "needs that programme's certification instead of the policy-wide one."
        ),
    )
    guidance = models.TextField(
        _("review standards"),
        help_text=_("The section's review standards, shown to the reviewer before the exercise."),
    )
    validity_days = models.PositiveIntegerField(
        _("valid for (days)"), default=365, validators=[MinValueValidator(1)]
    )
    reminder_days = models.PositiveIntegerField(
        _("remind before expiry (days)"),
        default=30,
        help_text=_("Holders are e-mailed and flagged on the dashboard this many days ahead."),
    )
    pass_catch_rate = models.FloatField(
        _("catch rate to pass"),
        default=0.8,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_(
            "Share (0–1) of the defective items the reviewer must send back, pointing at the "
            "problem. Approving any blocker-grade defect fails the attempt whatever the rate."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certification programme")
        ordering = ["policy_id", "tier_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy"],
                condition=models.Q(tier__isnull=True),
                name="ecm_ops_one_policy_wide_programme",
            ),
            models.UniqueConstraint(fields=["policy", "tier"], name="ecm_ops_one_tier_programme"),
        ]
        permissions = [
            ("view_certification_records", _("Can view and export reviewer certification records"))
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.tier_id and self.policy_id and self.tier.policy_id != self.policy_id:
            raise ValidationError(
                {"tier": _("Choose a tier of the selected policy, or leave it empty.")}
            )

    @property
    def scope(self) -> str:
        return (
            f"{self.policy} — {self.tier.label}" if self.tier_id else f"{self.policy} (all tiers)"
        )


class CalibrationItem(models.Model):
    """One sample the reviewer judges: clean, or carrying one known defect."""

    programme = ParentalKey(CertificationProgramme, on_delete=models.CASCADE, related_name="items")
    sort_order = models.PositiveIntegerField(default=0, editable=False)
    title = models.CharField(_("title"), max_length=200)
    brief = models.TextField(
        _("brief"), blank=True, help_text=_("What the writer was asked for (optional).")
    )
    content = models.TextField(_("content"), help_text=_("The sample text the reviewer reads."))
    defect = models.CharField(
        _("known defect"), max_length=32, choices=Defect.choices, default=Defect.NONE
    )
    defect_excerpt = models.CharField(
        _("defective words"),
        max_length=500,
        blank=True,
        help_text=_(
            "The exact words in the content that carry the defect. The reviewer must point at "
            "(part of) them for the catch to count."
        ),
    )
    severity = models.CharField(
        _("severity"),
        max_length=16,
        choices=[
            (Severity.WARNING, Severity.WARNING.label),
            (Severity.BLOCKER, Severity.BLOCKER.label),
        ],
        default=Severity.BLOCKER,
    )
    explanation = models.TextField(
        _("explanation"), blank=True, help_text=_("Shown to the reviewer after the attempt.")
    )

    class Meta:
        verbose_name = _("calibration item")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.defect == Defect.NONE:
            return
        excerpt = " ".join((self.defect_excerpt or "").split()).casefold()
        if not excerpt:
            raise ValidationError({"defect_excerpt": _("Quote the words that carry the defect.")})
        if excerpt not in " ".join((self.content or "").split()).casefold():
            raise ValidationError(
                {
                    "defect_excerpt": _(
                        "These words do not appear in the content; copy them exactly."
                    )
                }
            )

    @property
    def defective(self) -> bool:
        return self.defect != Defect.NONE


class CertificationAttempt(models.Model):
    """One sitting of a programme's calibration exercise."""

    programme = models.ForeignKey(
        CertificationProgramme, on_delete=models.PROTECT, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ecm_certification_attempts",
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    items_total = models.PositiveIntegerField(default=0)
    defects_total = models.PositiveIntegerField(default=0)
    caught = models.PositiveIntegerField(default=0)
    false_alarms = models.PositiveIntegerField(default=0)
    blockers_approved = models.PositiveIntegerField(default=0)
    score = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("certification attempt")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} — {self.programme} ({self.started_at:%Y-%m-%d})"


class CalibrationAnswer(models.Model):
    attempt = models.ForeignKey(
        CertificationAttempt, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey(
        CalibrationItem, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    #: The item as judged (items may be edited later; the record must not change).
    item_title = models.CharField(max_length=200)
    defect = models.CharField(max_length=32, choices=Defect.choices)
    severity = models.CharField(max_length=16, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    pointed_at = models.CharField(max_length=500, blank=True)
    correct = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("calibration answer")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.item_title}: {self.get_decision_display()}"


class CertificationQuerySet(models.QuerySet):
    def valid_at(self, at=None):
        at = at or timezone.now()
        return self.filter(passed_at__lte=at, expires_at__gt=at, revoked_at__isnull=True)


class Certification(models.Model):
    """A passed attempt: the holder may use their ``approve_tier`` grants for the programme's
    policy (or tier) from ``passed_at`` until ``expires_at``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ecm_certifications"
    )
    programme = models.ForeignKey(
        CertificationProgramme, on_delete=models.PROTECT, related_name="certifications"
    )
    attempt = models.OneToOneField(
        CertificationAttempt, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    passed_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    score = models.FloatField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    #: When the expiry reminder went out for this certification (sent once).
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification")
        ordering = ["-expires_at", "-pk"]
        indexes = [models.Index(fields=["user", "programme", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.programme} (until {self.expires_at:%Y-%m-%d})"

    def is_valid(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.passed_at <= at < self.expires_at

    def describe(self) -> str:
        """In words, for the audit trail: "News reviewers, passed 2026-01-05 (score 90%),
        valid until 2027-01-05"."""
        score = f" (score {self.score:.0%})" if self.score is not None else ""
        return (
            f"{self.programme.name}, passed {self.passed_at:%Y-%m-%d}{score}, "
            f"valid until {self.expires_at:%Y-%m-%d}"
        )

    @classmethod
    def expiry_for(cls, programme: CertificationProgramme, passed_at):
        return passed_at + timedelta(days=programme.validity_days)
