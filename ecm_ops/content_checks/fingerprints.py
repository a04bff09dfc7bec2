"""Stored near-duplicate signatures of live pages: refresh on publish, drop on unpublish.

Only live pages are compared against, so only they have a :class:`PageFingerprint`. A
failure here never blocks publishing: it is logged and the page is simply not a candidate
until its next publication (or :func:`rebuild_all`).
"""

from __future__ import annotations

import logging

from django.db import transaction

from .canonical import canonical_text
from .minhash import band_keys, shingle_hashes, signature

logger = logging.getLogger("ecm_ops.checks")


def refresh_fingerprint(page) -> None:
    """Store the signature of ``page``'s live content (drops it when the page is not live)."""
    from ..models import PageFingerprint, PageFingerprintBand

    try:
        page = page.specific
        if not page.live:
            drop_fingerprint(page)
            return
        text = canonical_text(page).text
        sig = signature(text)
        with transaction.atomic():
            PageFingerprint.objects.filter(page_id=page.pk).delete()
            if sig is None:
                return
            fp = PageFingerprint.objects.create(
                page_id=page.pk,
                revision_id=page.live_revision_id,
                signature=sig,
                shingle_count=len(shingle_hashes(text)),
            )
            PageFingerprintBand.objects.bulk_create(
                PageFingerprintBand(fingerprint=fp, key=key) for key in band_keys(sig)
            )
    except Exception:
        logger.exception("Could not store the near-duplicate fingerprint of page %s", page.pk)


def drop_fingerprint(page) -> None:
    from ..models import PageFingerprint

    PageFingerprint.objects.filter(page_id=page.pk).delete()


def rebuild_all(chunk_size: int = 200) -> int:
    """Recompute every live page's fingerprint; returns how many pages were processed."""
    from wagtail.models import Page

    done = 0
    for page in Page.objects.live().specific().iterator(chunk_size=chunk_size):
        refresh_fingerprint(page)
        done += 1
    return done
