"""What the publication invariant is checked against: the AI-text index and the record of
every publication of a page (written by the publication guard, re-derived by the verifier)."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class AIShingle(models.Model):
    """One hashed 5-word shingle of text a model wrote (any page, any draft).

    AI-ness is a property of text, not of which revision carries provenance rows: text whose
    shingles are here is AI text whoever saved it, on whatever page (copies, reverts, pastes).
    """

    hash = models.BigIntegerField(unique=True)
    draft = models.ForeignKey(
        "ecm_ops.DraftRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: When the text was first indexed: the verifier judges a past publication against the
    #: index as it was then (text a model writes *later* does not make old text AI text).
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("AI text shingle")

    def __str__(self) -> str:
        return f"AI shingle {self.hash}"


class Publication(models.Model):
    """One publication of a page: the content that went live and why it was allowed."""

    class Basis(models.TextChoices):
        HUMAN = "human", _("No AI-written text")
        REVIEW = "review", _("Approved in review")
        SKIPPED = "skipped", _("Skipped by policy (clean, low risk)")
        OVERRIDE = "override", _("Published with the review override")

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_publications"
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_digest = models.CharField(max_length=64, db_index=True)
    published_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ai_share = models.FloatField(default=0.0)
    basis = models.CharField(max_length=16, choices=Basis.choices)
    case = models.ForeignKey(
        "ecm_ops.ReviewCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    screening_run = models.ForeignKey(
        "ecm_ops.ScreeningRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier = models.ForeignKey(
        "ecm_ops.ReviewTier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tier_level = models.PositiveSmallIntegerField(null=True, blank=True)
    #: Digest of the policy's tiers and rules when it was classified (the verifier re-derives
    #: the tier only while the policy is unchanged; otherwise it holds it to this tier).
    policy_hash = models.CharField(max_length=64, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    #: The content that went live (the page's serialisable data, as a revision stores it):
    #: what the verifier re-derives from when the revision was rewritten in place afterwards
    #: (autosave) or the page was saved live without a revision.
    content = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("publication")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["page", "-published_at"])]

    def __str__(self) -> str:
        return f"Publication of page {self.page_id} ({self.basis})"
