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


def site_root_url_path(page) -> str | None:
    """The url_path of the root of ``page``'s site, from Wagtail's cached site root paths (no
    query once the cache is warm)."""
    from wagtail.models import Site

    url_path = getattr(page, "url_path", "") or ""
    roots = [r.root_path for r in Site.get_site_root_paths() if url_path.startswith(r.root_path)]
    return max(roots, key=len) if roots else None


def candidates(sig: list[int], exclude_page_id=None, site_root: str | None = None):
    """Live fingerprints sharing an LSH band with ``sig``: ``(page_id, title, url_path,
    signature)`` rows, one indexed query."""

    return _candidate_rows(set(band_keys(sig)), exclude_page_id, site_root)


def _candidate_rows(keys, exclude_page_id=None, site_root=None):
    from ..models import PageFingerprint

    qs = PageFingerprint.objects.filter(bands__key__in=list(keys), page__live=True)
    if exclude_page_id:
        qs = qs.exclude(page_id=exclude_page_id)
    if site_root:
        qs = qs.filter(page__url_path__startswith=site_root)
    return list(qs.distinct().values_list("page_id", "page__title", "page__url_path", "signature"))


class NearDuplicateCheck(BaseCheck):
    check_id = "duplicates"
    label = "Near-duplicates of live pages"
    runs_in_thread = False  # one query on stored signatures (one per batch in sweeps)

    def prepare(self, batch):
        """One query for a whole sweep chunk: every live fingerprint sharing a band with any
        document of the batch; each document then filters that list in memory."""
        keys: set[int] = set()
        for doc, context in batch:
            sig = signature(doc.text)
            context.extra["duplicates.signature"] = sig
            if sig is not None:
                keys.update(band_keys(sig))
        rows = _candidate_rows(keys) if keys else []
        for _doc, context in batch:
            context.extra["duplicates.candidates"] = rows
            page = context.page
            root = site_root_url_path(page) if getattr(page, "pk", None) else None
            context.extra["duplicates.root"] = root

    def _matches(self, sig, context):
        page = context.page
        page_id = getattr(page, "pk", None)
        if "duplicates.root" in context.extra:
            root = context.extra["duplicates.root"]
        else:
            root = site_root_url_path(page) if page_id else None
        rows = context.extra.get("duplicates.candidates")
        if rows is None:
            rows = candidates(sig, page_id, root)
        else:
            keys = set(band_keys(sig))
            rows = [
                row
                for row in rows
                if row[0] != page_id
                and (root is None or row[2].startswith(root))
                and keys.intersection(band_keys(row[3]))
            ]
        return sorted(((similarity(sig, other), pk, title) for pk, title, _u, other in rows),
                      reverse=True)  # fmt: skip

    def run(self, doc, context):
        if "duplicates.signature" in context.extra:
            sig = context.extra["duplicates.signature"]
        else:
            sig = signature(doc.text)
        if sig is None:
            return
        warn = float(conf.get("NEAR_DUPLICATE_THRESHOLD"))
        block = float(conf.get("NEAR_DUPLICATE_BLOCKER"))
        matches = self._matches(sig, context)
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
