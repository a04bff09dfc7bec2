"""The disclosure made for each publication: level, label, machine-readable marking and the
evidence behind them, append-only and chained per page (:mod:`ecm_ops.disclosure`)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisclosureLevel(models.TextChoices):
    HUMAN = "human", _("Human-written")
    AI_ASSISTED_REVIEWED = "ai_assisted_reviewed", _("AI-assisted, human-reviewed")
    AI_GENERATED_REVIEWED = "ai_generated_reviewed", _("AI-generated, human-reviewed")
    AI_UNREVIEWED = "ai_unreviewed", _("AI-generated, not reviewed")


class DisclosureRecord(models.Model):
    """What was disclosed for one publication, and the evidence for it (never updated).

    ``record_hash`` is the SHA-256 of the record's canonical JSON, which includes
    ``previous_hash`` (the page's record before it): editing, deleting or re-ordering a
    record breaks the chain, and the verifier (``ecm_ops_verify``) reports it.
    """

    publication = models.OneToOneField(
        "ecm_ops.Publication", on_delete=models.CASCADE, related_name="disclosure"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_disclosures"
    )
    sequence = models.PositiveIntegerField(help_text=_("1 for the page's first record."))
    level = models.CharField(max_length=32, choices=DisclosureLevel.choices)
    label_shown = models.BooleanField(
        default=False, help_text=_("Whether readers see the label (decided at publication).")
    )
    label_text = models.CharField(max_length=255, blank=True)
    exemption = models.BooleanField(
        default=False,
        help_text=_(
            "The editorial-review exemption applies: the AI text was reviewed by a person "
            "who holds editorial responsibility."
        ),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responsible_name = models.CharField(max_length=255, blank=True)
    digital_source_type = models.CharField(max_length=120, blank=True)
    content_digest = models.CharField(max_length=64)
    ai_share = models.FloatField(default=0.0)
    evidence = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64, blank=True)
    record_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("disclosure record")
        ordering = ["page_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "sequence"], name="ecm_ops_disclosure_one_per_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"Disclosure {self.sequence} of page {self.page_id}: {self.level}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Disclosure records are append-only: a record is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Disclosure records are append-only: a record is never deleted.")
