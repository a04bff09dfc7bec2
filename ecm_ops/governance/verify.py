"""The verifier: re-derive the publication invariant for past publications.

It trusts none of the guard's own verdicts. From Wagtail's log (every ``wagtail.publish``
entry), the revisions, the screenings, the overrides and the approvals it re-derives, per
publication:

- that the guard saw it (a :class:`~ecm_ops.models.Publication` for that page and revision);
- the content that went live (the published revision, or the live page itself) and that its
  digest is the one recorded;
- the invariant for that content as of the moment of publication
  (:func:`ecm_ops.governance.invariant.evaluate_many`; when the section's policy changed since,
  the tier recorded at publication is the one held to);
- for live pages, that what is live now is what was last published.

Queries are batched (a constant number per batch of publications), so a nightly run over
thousands of publications stays cheap. ``python manage.py ecm_ops_verify`` prints the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from wagtail.models import Page, PageLogEntry, Revision

from ..content_checks import identity
from ..content_checks.canonical import canonical_text
from ..content_checks.identity import content_digest
from ..models import Publication
from . import invariant

PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")
#: A Wagtail publish log entry is written just after the guard's record, in the same
#: transaction; this is the slack allowed between the two timestamps.
LOG_SLACK = timedelta(seconds=120)


@dataclass
class Violation:
    page_id: int
    at: object
    kind: str
    message: str
    publication_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "page": self.page_id,
            "at": self.at.isoformat() if self.at else None,
            "kind": self.kind,
            "publication": self.publication_id,
            "message": self.message,
        }


@dataclass
class Report:
    publications: int = 0
    log_entries: int = 0
    violations: list[Violation] = field(default_factory=list)
    verdicts: dict[int, str] = field(default_factory=dict)  # publication pk -> "ok" or why

    @property
    def ok(self) -> bool:
        return not self.violations


def verify(since=None, until=None, batch_size: int = 500, page_ids=None) -> Report:
    """Re-derive the invariant for every publication in ``[since, until)`` (of ``page_ids``
    only, when given)."""
    report = Report()
    pubs = Publication.objects.all()
    if page_ids is not None:
        pubs = pubs.filter(page_id__in=list(page_ids))
    if since is not None:
        pubs = pubs.filter(published_at__gte=since)
    if until is not None:
        pubs = pubs.filter(published_at__lt=until)
    rows = list(pubs.order_by("published_at", "pk").values_list("pk", "page_id"))
    pks = [pk for pk, _page in rows]
    for start in range(0, len(pks), batch_size):
        _verify_batch(pks[start : start + batch_size], report)
    _disclosure_chains({page for _pk, page in rows}, report)
    _unguarded_log_entries(since, until, report, page_ids)
    return report


def _disclosure_chains(page_ids, report: Report) -> None:
    """The hash chain of each page's disclosure records is intact (:mod:`ecm_ops.disclosure`)."""
    from ..disclosure import chain

    page_ids = list(page_ids)
    for start in range(0, len(page_ids), 500):
        for page_id, pub_id, at, message in chain.problems(page_ids[start : start + 500]):
            report.violations.append(Violation(page_id, at, "disclosure", message, pub_id))
            if pub_id is not None:
                report.verdicts[pub_id] = f"disclosure: {message}"


def _verify_batch(pks, report: Report) -> None:
    pubs = list(
        Publication.objects.filter(pk__in=pks)
        .select_related("page", "tier", "user")
        .order_by("published_at", "pk")
    )
    revisions = Revision.objects.in_bulk([p.revision_id for p in pubs if p.revision_id])
    latest = _latest_publication_ids({p.page_id for p in pubs})
    live_pages = _live_specific_pages(p.page_id for p in pubs if latest.get(p.page_id) == p.pk)
    items, kept = [], []
    for pub in pubs:
        report.publications += 1
        found = _published_object(pub, revisions, live_pages)
        if found is None:
            _violate(
                report,
                pub,
                "content_unrecoverable",
                "The content that went live can no longer be re-derived: its revision was "
                "rewritten or deleted after publication.",
            )
            continue
        obj, doc = found
        # Only the page's latest publication must match what is live now; earlier ones
        # were replaced by later publications.
        live = live_pages.get(pub.page_id) if latest.get(pub.page_id) == pub.pk else None
        if live is not None and content_digest(live) != pub.content_digest:
            _violate(
                report,
                pub,
                "live_content_changed",
                "What is live now differs from the last content that passed the publication "
                "guard (the page was changed without a publication).",
            )
        override = None
        if pub.basis == invariant.OVERRIDE:
            override = invariant.PublishOverride(
                user=pub.user, reason=(pub.reasons or [""])[0] if pub.reasons else ""
            )
        items.append(invariant.Item(pub.page, obj, doc=doc, override=override, at=pub.published_at))
        kept.append(pub)
    verdicts = invariant.evaluate_many(items)
    retry = []
    for pub, item, verdict in zip(kept, items, verdicts, strict=True):
        if (
            not verdict.ok
            and pub.tier_id
            and pub.policy_hash
            and verdict.policy_hash != pub.policy_hash
        ):
            retry.append(
                (
                    pub,
                    invariant.Item(
                        item.page,
                        item.obj,
                        doc=item.doc,
                        override=item.override,
                        at=item.at,
                        tier=pub.tier,
                    ),
                )
            )
            continue
        _record_verdict(report, pub, verdict)
    if retry:
        for (pub, _item), verdict in zip(
            retry, invariant.evaluate_many([i for _p, i in retry]), strict=True
        ):
            _record_verdict(report, pub, verdict)


def _record_verdict(report: Report, pub, verdict) -> None:
    if verdict.ok:
        report.verdicts.setdefault(pub.pk, "ok")
    else:
        _violate(report, pub, "invariant", verdict.message)


def _violate(report: Report, pub, kind: str, message: str) -> None:
    report.violations.append(Violation(pub.page_id, pub.published_at, kind, message, pub.pk))
    report.verdicts[pub.pk] = f"{kind}: {message}"


def _latest_publication_ids(page_ids) -> dict[int, int]:
    out: dict[int, int] = {}
    for page_id, pk in (
        Publication.objects.filter(page_id__in=page_ids)
        .order_by("published_at", "pk")
        .values_list("page_id", "pk")
    ):
        out[page_id] = pk
    return out


def _live_specific_pages(page_ids) -> dict[int, Page]:
    pages = Page.objects.filter(pk__in=set(page_ids), live=True).specific()
    return {p.pk: p for p in pages}


def _published_object(pub, revisions, live_pages):
    """``(object, canonical text)`` of the content that went live with ``pub``: the snapshot
    the guard kept, else its revision if unchanged since, else the live page when that
    matches, else None — each only when its digest is the one recorded (a tampered snapshot
    is no evidence). (The text is handed on to the invariant, which would otherwise build it
    a second time.)"""
    if pub.content:
        obj = identity.snapshot_object(pub.page, pub.content)
        doc = canonical_text(obj)
        if content_digest(doc) == pub.content_digest:
            return obj, doc
    revision = revisions.get(pub.revision_id)
    if revision is not None:
        obj = identity.revision_object(revision, pub.page)
        doc = canonical_text(obj)
        if content_digest(doc) == pub.content_digest:
            return obj, doc
    live = live_pages.get(pub.page_id)
    if live is not None:
        doc = canonical_text(live)
        if content_digest(doc) == pub.content_digest:
            return live, doc
    return None


def _unguarded_log_entries(since, until, report: Report, page_ids=None) -> None:
    """Every Wagtail publish log entry needs a guard record for that page and revision at or
    before it; one without is a publication that went around the guard."""
    entries = PageLogEntry.objects.filter(action__in=PUBLISH_ACTIONS)
    if page_ids is not None:
        entries = entries.filter(page_id__in=list(page_ids))
    if since is not None:
        entries = entries.filter(timestamp__gte=since)
    if until is not None:
        entries = entries.filter(timestamp__lt=until)
    entries = list(entries.values_list("page_id", "revision_id", "timestamp"))
    report.log_entries = len(entries)
    if not entries:
        return
    seen: dict[tuple[int, int | None], list] = {}
    cond = Q(page_id__in={e[0] for e in entries})
    for page_id, revision_id, at in Publication.objects.filter(cond).values_list(
        "page_id", "revision_id", "published_at"
    ):
        seen.setdefault((page_id, revision_id), []).append(at)
    unmatched = [
        (page_id, revision_id, at)
        for page_id, revision_id, at in entries
        if not any(t <= at + LOG_SLACK for t in seen.get((page_id, revision_id), ()))
    ]
    if not unmatched:
        return
    # Only AI content matters: human-only text may go live without the guard's record
    # (e.g. published before ecm_ops was installed).
    revisions = Revision.objects.in_bulk([r for _p, r, _t in unmatched if r])
    found = [(p, r, t, revisions[r]) for p, r, t in unmatched if r in revisions]
    if not found:
        return
    from ..drafting.provenance import known_ai_shingles

    docs = [canonical_text(identity.revision_object(rev)) for _p, _r, _t, rev in found]
    per_field = [identity.field_shingles(d) for d in docs]
    known = known_ai_shingles(h for pf in per_field for hs, _n in pf.values() for h in hs)
    for (page_id, revision_id, at, _rev), doc in zip(found, docs, strict=True):
        if identity.coverage(doc, known).has_ai_text:
            report.violations.append(
                Violation(
                    page_id,
                    at,
                    "unguarded",
                    f"Revision {revision_id} with AI-written text was published without "
                    "passing the publication guard.",
                )
            )
