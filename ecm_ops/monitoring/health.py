"""Monitoring-only findings for live pages: link rot and staleness.

Both are deterministic and need no network: an internal link rots when its target page was
unpublished or deleted (or a linked document deleted); a page is stale when it was last
published longer ago than its tier's ``review_after_days`` (``ECM_OPS["STALE_AFTER_DAYS"]``
when the tier sets none). The optional external link check (:mod:`.external_links`) runs only
when ``ECM_OPS["EXTERNAL_LINKS"]["ENABLED"]``.

:func:`prefetch` loads what a whole batch of pages needs in a constant number of queries, so a
sweep chunk never queries per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from wagtail.models import Page

from .. import conf
from ..content_checks.canonical import CanonicalText
from ..content_checks.registry import FindingData
from ..governance.classification import policies_for
from ..models import ReviewCase, ReviewTier
from ..states import Severity

LINK_ROT = "monitoring.link_rot"
STALE = "monitoring.stale"
EXTERNAL = "monitoring.external_link"


@dataclass
class HealthContext:
    live_page_ids: set[int] = field(default_factory=set)
    document_ids: set[int] = field(default_factory=set)
    #: page id -> days after publication when it needs a review (None: never stale)
    review_after: dict[int, int | None] = field(default_factory=dict)


def _ids(docs: list[CanonicalText], kind: str) -> set[int]:
    return {int(t) for d in docs for _f, k, t in d.links if k == kind and str(t).isdigit()}


def _policy_days(pages, policies: dict | None = None) -> dict[int, int | None]:
    """Lowest tier's review_after_days of each page's policy (``policies_for``: 2 queries)."""
    if policies is None:
        policies = policies_for(pages)
    ids = {p.pk for p in policies.values() if p is not None}
    by_policy: dict[int, int | None] = {}
    for policy_id, days in (
        ReviewTier.objects.filter(policy_id__in=ids)
        .order_by("policy_id", "level")
        .values_list("policy_id", "review_after_days")
    ):
        by_policy.setdefault(policy_id, days)
    return {
        page.pk: by_policy.get(policies[page.pk].pk) if policies.get(page.pk) else None
        for page in pages
    }


def prefetch(pages, docs: list[CanonicalText], policies: dict | None = None) -> HealthContext:
    """Everything :func:`health_findings` needs for ``pages`` in a constant number of queries
    (``policies``: page pk -> policy, when the caller already has them)."""
    ctx = HealthContext()
    page_targets = _ids(docs, "page")
    if page_targets:
        ctx.live_page_ids = set(
            Page.objects.filter(pk__in=page_targets, live=True).values_list("pk", flat=True)
        )
    doc_targets = _ids(docs, "document")
    if doc_targets:
        from wagtail.documents import get_document_model

        ctx.document_ids = set(
            get_document_model().objects.filter(pk__in=doc_targets).values_list("pk", flat=True)
        )
    default = conf.get("STALE_AFTER_DAYS")
    policy_days = _policy_days(pages, policies)
    case_days = dict(
        ReviewCase.objects.filter(page_id__in=[p.pk for p in pages], tier__isnull=False)
        .order_by("page_id", "created_at")
        .values_list("page_id", "tier__review_after_days")
    )
    for page in pages:
        days = case_days.get(page.pk) or policy_days.get(page.pk)
        ctx.review_after[page.pk] = days if days is not None else default
    return ctx


def health_findings(page, doc: CanonicalText, ctx: HealthContext | None = None) -> list:
    """Link rot, staleness and (optionally) external link findings for one live page."""
    ctx = ctx or prefetch([page], [doc])
    findings: list[FindingData] = []
    for field_name, kind, target in doc.links:
        if kind == "page" and str(target).isdigit() and int(target) not in ctx.live_page_ids:
            findings.append(
                FindingData(
                    check_id=LINK_ROT,
                    severity=Severity.WARNING,
                    field=field_name,
                    excerpt=f"page {target}",
                    message=f"A link points to page {target}, which is no longer published "
                    "or was deleted.",
                    suggestion="Link to a live page or remove the link.",
                )
            )
        elif kind == "document" and str(target).isdigit() and int(target) not in ctx.document_ids:
            findings.append(
                FindingData(
                    check_id=LINK_ROT,
                    severity=Severity.WARNING,
                    field=field_name,
                    excerpt=f"document {target}",
                    message=f"A link points to document {target}, which was deleted.",
                    suggestion="Link to an existing document or remove the link.",
                )
            )
    days = ctx.review_after.get(page.pk)
    published = page.last_published_at or page.first_published_at
    if days and published and published < timezone.now() - timedelta(days=days):
        findings.append(
            FindingData(
                check_id=STALE,
                severity=Severity.WARNING,
                field="",
                message=f"This page was last published on {published:%Y-%m-%d}; its tier asks "
                f"for a review every {days} days.",
                suggestion="Review the content and republish it (or retire the page).",
            )
        )
    external = conf.get("EXTERNAL_LINKS")
    if external["ENABLED"]:
        from .external_links import check_url

        for field_name, kind, target in doc.links:
            if kind != "url" or not target.startswith(("http://", "https://")):
                continue
            try:
                ok, reason = check_url(
                    target, allow_private=external["ALLOW_PRIVATE"], timeout=external["TIMEOUT"]
                )
            except Exception as exc:  # one link never stops the page's monitoring
                ok, reason = False, f"checking it failed ({type(exc).__name__})"
            if not ok:
                findings.append(
                    FindingData(
                        check_id=EXTERNAL,
                        severity=Severity.WARNING,
                        field=field_name,
                        excerpt=target[:300],
                        message=f"The external link {target[:200]} could not be verified: "
                        f"{reason}.",
                        suggestion="Check the address, or replace the link.",
                    )
                )
    return findings
