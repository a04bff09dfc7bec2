"""Near-duplicate signatures of live pages (MinHash over word shingles).

One row per live page with its signature, plus one row per LSH band key so that finding the
candidates for a new text is a single indexed query. Maintained on publish/unpublish by
:mod:`ecm_ops.content_checks.fingerprints`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PageFingerprint(models.Model):
    page = models.OneToOneField(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="ecm_fingerprint"
    )
    revision_id = models.PositiveIntegerField(null=True, blank=True)
    signature = models.JSONField(default=list)
    shingle_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("page fingerprint")

    def __str__(self) -> str:
        return f"Fingerprint of page {self.page_id}"


class PageFingerprintBand(models.Model):
    fingerprint = models.ForeignKey(PageFingerprint, on_delete=models.CASCADE, related_name="bands")
    key = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("page fingerprint band")

    def __str__(self) -> str:
        return f"Band {self.key} of fingerprint {self.fingerprint_id}"
