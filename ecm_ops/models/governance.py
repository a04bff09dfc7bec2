"""Risk policies attached to site sections, their tiers and rules, and tier authority.

Authority to approve at a tier is a django-guardian object permission (``approve_tier``) on
the :class:`ReviewTier` row, held by users or groups, stored in guardian's direct foreign-key
tables declared here (not the generic ones), so listings can join and prefetch them.
"""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class RiskPolicy(models.Model):
    """Applies to the page subtree under ``section`` (the nearest ancestor's policy wins)."""

    name = models.CharField(_("name"), max_length=255)
    section = models.OneToOneField(
        "wagtailcore.Page",
        verbose_name=_("section root"),
        on_delete=models.CASCADE,
        related_name="ecm_risk_policy",
    )
    minimum_level = models.PositiveSmallIntegerField(
        _("minimum tier level"), default=1, help_text=_("Content here is never below this tier.")
    )
    unpublish_on_blocker = models.BooleanField(
        _("unpublish live pages on a new blocker"), default=False
    )
    max_send_backs = models.PositiveSmallIntegerField(
        _("escalate after this many send-backs"), default=3
    )

    class Meta:
        verbose_name = _("risk policy")
        verbose_name_plural = _("risk policies")

    def __str__(self) -> str:
        return self.name


class ReviewTier(models.Model):
    policy = models.ForeignKey(RiskPolicy, on_delete=models.CASCADE, related_name="tiers")
    level = models.PositiveSmallIntegerField(_("level"))
    label = models.CharField(_("label"), max_length=100)
    approvals_required = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    required_group = models.ForeignKey(
        Group,
        verbose_name=_("required role"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("At least one approval must come from a member of this group (e.g. Legal)."),
    )
    sla_hours = models.PositiveIntegerField(_("review SLA (hours)"), default=48)
    auto_skip_allowed = models.BooleanField(
        _("auto-skip allowed"),
        default=False,
        help_text=_("A clean screen at this tier skips human review (the reason is recorded)."),
    )
    monitoring_cadence_hours = models.PositiveIntegerField(
        _("re-check every (hours)"), default=24 * 7
    )

    class Meta:
        verbose_name = _("review tier")
        unique_together = [("policy", "level")]
        ordering = ["policy", "level"]
        permissions = [("approve_tier", _("Can approve content at this review tier"))]

    def __str__(self) -> str:
        return f"{self.policy}: {self.label}"


class RiskRule(models.Model):
    """An ordered rule: when every condition set matches, the tier is at least ``tier``."""

    policy = models.ForeignKey(RiskPolicy, on_delete=models.CASCADE, related_name="rules")
    sort_order = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=255)
    tier = models.ForeignKey(ReviewTier, on_delete=models.CASCADE, related_name="+")
    page_types = models.JSONField(
        default=list, blank=True, help_text=_('Page types as "app_label.model".')
    )
    tags = models.JSONField(default=list, blank=True)
    finding_checks = models.JSONField(
        default=list, blank=True, help_text=_('Check ids, or "*" for any check.')
    )
    finding_min_severity = models.CharField(max_length=8, blank=True)
    min_score = models.FloatField(null=True, blank=True)
    min_ai_share = models.FloatField(null=True, blank=True)
    min_template_risk = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("risk rule")
        ordering = ["policy", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class ReviewTierUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ReviewTier, on_delete=models.CASCADE)


class ReviewTierGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ReviewTier, on_delete=models.CASCADE)
