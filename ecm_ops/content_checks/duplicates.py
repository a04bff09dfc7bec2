"""Near-duplicates of other live pages on the same site.

The text's MinHash signature (:mod:`.minhash`) is compared with the stored signatures of live
pages (:mod:`.fingerprints`) that share at least one LSH band: one indexed query. The page
itself (and so its own revisions) is excluded, as are pages of other sites.

Check id ``duplicates.near`` — a warning when the estimated Jaccard similarity of 5-word
shingles is at least ``ECM_OPS["NEAR_DUPLICATE_THRESHOLD"]`` (0.5), a blocker from
``NEAR_DUPLICATE_BLOCKER`` (0.9). The finding covers the field with the most text.
"""

from __future__ import annotations

from .. import conf
from ..states import Severity
from .minhash import band_keys, signature, similarity
from .registry import BaseCheck


def candidates(sig: list[int], exclude_page_id=None, site_root_path: str | None = None):
    from ..models import PageFingerprint

    qs = PageFingerprint.objects.filter(bands__key__in=band_keys(sig), page__live=True)
    if exclude_page_id:
        qs = qs.exclude(page_id=exclude_page_id)
    if site_root_path:
        qs = qs.filter(page__path__startswith=site_root_path)
    return qs.distinct().values_list("page_id", "page__title", "signature")


class NearDuplicateCheck(BaseCheck):
    check_id = "duplicates"
    label = "Near-duplicates of live pages"
    runs_in_thread = False  # one query on stored signatures

    def run(self, doc, context):
        sig = signature(doc.text)
        if sig is None:
            return
        page = context.page
        page_id = getattr(page, "pk", None)
        root = None
        if page_id:
            site = page.get_site()
            root = site.root_page.path if site else None
        warn = float(conf.get("NEAR_DUPLICATE_THRESHOLD"))
        block = float(conf.get("NEAR_DUPLICATE_BLOCKER"))
        matches = sorted(
            ((similarity(sig, other), pk, title) for pk, title, other in
             candidates(sig, page_id, root)),
            reverse=True,
        )  # fmt: skip
        main = max(doc.spans, key=lambda s: s.end - s.start)
        for score, pk, title in matches[:3]:
            if score < warn:
                break
            yield self.finding(
                doc,
                Severity.BLOCKER if score >= block else Severity.WARNING,
                main.start,
                main.end,
                f"This text is about {score:.0%} similar to the live page “{title}” (id {pk}).",
                suggestion="Rewrite it in your own words, or link to the existing page instead.",
                check_id="duplicates.near",
            )
