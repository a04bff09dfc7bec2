"""Risk policies attached to site sections, their tiers and rules, tier authority, and the
escalation timers of review cases.

A :class:`RiskPolicy` is a ``ClusterableModel`` so that site admins edit its tiers and ordered
rules inline in the Wagtail admin (``InlinePanel`` needs ``ParentalKey`` children).

Authority to approve at a tier is a django-guardian object permission (``approve_tier``) on
the :class:`ReviewTier` row, held by users or groups, stored in guardian's direct foreign-key
tables declared here (not the generic ones), so listings can join and prefetch them.
"""

from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from ..states import Severity
from .base import BackgroundWork


class RiskPolicy(ClusterableModel):
    """Applies to the page subtree under ``section`` (the nearest ancestor's policy wins)."""

    name = models.CharField(_("name"), max_length=255)
    section = models.OneToOneField(
        "wagtailcore.Page",
        verbose_name=_("section root"),
        on_delete=models.CASCADE,
        related_name="ecm_risk_policy",
        help_text=_(
            "The policy applies to this page and every page below it, unless a page "
            "further down has its own policy."
        ),
    )
    minimum_level = models.PositiveSmallIntegerField(
        _("minimum tier level"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Content here is never below this tier."),
    )
    unpublish_checks = models.JSONField(
        _("unpublish live pages on new blockers from these checks"),
        default=list,
        blank=True,
        help_text=_(
            'Check ids or prefixes, e.g. ["claims.medical", "pii"]. Monitoring unpublishes a '
            "live page only for a new blocker from a check listed here; other new blockers "
            "open an incident and leave the page live. Empty: never unpublish automatically. "
            '"Could not run" findings never unpublish.'
        ),
    )
    max_send_backs = models.PositiveSmallIntegerField(
        _("escalate after this many send-backs"),
        default=3,
        help_text=_("A page sent back more often than this escalates when it is submitted again."),
    )
    strict_advice_checks = models.JSONField(
        _("strict advice checks"),
        default=list,
        blank=True,
        help_text=_(
            'Check ids raised to blocker in this section, e.g. ["claims.medical", '
            '"claims.financial", "claims.legal"] (a prefix such as "claims" covers all).'
        ),
    )
    escalation_group = models.ForeignKey(
        Group,
        verbose_name=_("escalation group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Notified and added to a case when it escalates (in addition to the "
            "reviewers of the next tier up)."
        ),
    )

    class Meta:
        verbose_name = _("risk policy")
        verbose_name_plural = _("risk policies")
        permissions = [
            ("manage_authority", _("Can grant and revoke approval authority")),
            ("view_audit", _("Can view and export the audit trail of every section")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        value = self.unpublish_checks
        if value in (None, ""):  # an empty form field
            self.unpublish_checks = []
        elif not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValidationError(
                {"unpublish_checks": _('Enter a JSON list of check ids, e.g. ["claims"].')}
            )

    def unpublishes_for(self, check_id: str) -> bool:
        """Whether a new blocker from ``check_id`` unpublishes a live page of this section:
        only checks listed (exactly or by prefix) in ``unpublish_checks``, never a "could not
        run" finding (no wildcard: each check that may unpublish is named)."""
        if check_id.endswith("could_not_run"):
            return False
        return any(
            check_id == listed or check_id.startswith(listed + ".")
            for listed in self.unpublish_checks or []
        )


class ReviewTier(models.Model):
    policy = ParentalKey(RiskPolicy, on_delete=models.CASCADE, related_name="tiers")
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1)], help_text=_("Higher means riskier.")
    )
    label = models.CharField(_("label"), max_length=100)
    approvals_required = models.PositiveSmallIntegerField(
        _("approvals needed"), default=1, validators=[MinValueValidator(1)]
    )
    required_group = models.ForeignKey(
        Group,
        verbose_name=_("required role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("At least one approval must come from a member of this group (e.g. Legal)."),
    )
    sla_hours = models.PositiveIntegerField(
        _("review SLA (hours)"), default=48, validators=[MinValueValidator(1)]
    )
    auto_skip_allowed = models.BooleanField(
        _("auto-skip allowed"),
        default=False,
        help_text=_("A clean screen at this tier skips human review (the reason is recorded)."),
    )
    auto_skip_max_ai_share = models.FloatField(
        _("auto-skip up to this AI share"),
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_(
            "Auto-skip only applies to content whose AI-written share is at most this (0-1). "
            "0: content with any AI-written text is always reviewed by a person."
        ),
    )
    monitoring_cadence_hours = models.PositiveIntegerField(
        _("re-check every (hours)"), default=24 * 7, validators=[MinValueValidator(1)]
    )
    # Monitoring (staleness): added by the monitoring engineer, read by ecm_ops.monitoring.health.
    review_after_days = models.PositiveIntegerField(
        _("review live pages after (days)"),
        null=True,
        blank=True,
        help_text=_("Monitoring flags a live page as stale this long after its last publication."),
    )

    class Meta:
        verbose_name = _("review tier")
        ordering = ["policy", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "level"],
                name="ecm_ops_one_tier_per_level",
                violation_error_message=_("Each tier of a policy needs its own level."),
            )
        ]
        permissions = [("approve_tier", _("Can approve content at this review tier"))]

    def __str__(self) -> str:
        return f"{self.policy}: {self.label}"


class RiskRule(Orderable):
    """An ordered rule: when every condition set matches, the tier is at least ``tier``.

    Empty conditions are ignored; a rule with no condition at all never matches.
    """

    policy = ParentalKey(RiskPolicy, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("name"), max_length=255)
    tier = models.ForeignKey(
        ReviewTier,
        verbose_name=_("raise to tier"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("One of this policy's tiers (save new tiers first)."),
    )
    page_types = models.JSONField(
        _("page types"),
        default=list,
        blank=True,
        help_text=_(
            'A JSON list of page types as "app_label.model", e.g. ["content.advicearticle"].'
        ),
    )
    section = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Only pages at or below this page."),
    )
    tags = models.JSONField(
        _("tags / topics"),
        default=list,
        blank=True,
        help_text=_('A JSON list, e.g. ["medication"].'),
    )
    finding_checks = models.JSONField(
        _("finding checks"),
        default=list,
        blank=True,
        help_text=_('A JSON list of check ids or prefixes, e.g. ["claims.medical"], or ["*"].'),
    )
    finding_min_severity = models.CharField(
        _("finding minimum severity"), max_length=8, blank=True, choices=Severity.choices
    )
    min_score = models.FloatField(_("minimum screening score"), null=True, blank=True)
    min_ai_share = models.FloatField(
        _("minimum AI-written share (0-1)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    min_template_risk = models.PositiveSmallIntegerField(
        _("minimum prompt template risk level"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("risk rule")
        ordering = ["policy", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        for name in ("page_types", "tags", "finding_checks"):
            value = getattr(self, name)
            if value in (None, ""):  # an empty form field
                setattr(self, name, [])
                continue
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = _('Enter a JSON list of strings, e.g. ["a", "b"].')
        if errors:
            raise ValidationError(errors)


class ReviewTierUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ReviewTier, on_delete=models.CASCADE)


class ReviewTierGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ReviewTier, on_delete=models.CASCADE)


class EscalationTimer(BackgroundWork):
    """The SLA timer of one review case: a row first, then an RQ scheduled job with an
    idempotent id. When it fires and the case is still open past ``due_at``, the case escalates.
    The reaper runs it if Redis lost the scheduled job."""

    job_entrypoint = "ecm_ops.jobs.entrypoints.run_escalation_timer"

    case = models.ForeignKey(
        "ecm_ops.ReviewCase", on_delete=models.CASCADE, related_name="escalation_timers"
    )
    due_at = models.DateTimeField(_("due at"))
    rq_job_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("escalation timer")
        ordering = ["-due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.UniqueConstraint(fields=["case", "due_at"], name="ecm_ops_one_timer_per_due")
        ]

    def __str__(self) -> str:
        return f"Escalation timer of case {self.case_id} due {self.due_at:%Y-%m-%d %H:%M}"
