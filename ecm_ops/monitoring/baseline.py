"""What was accepted when a page went live: the blockers monitoring must not act on again.

A blocker that monitoring finds on a live page is *new* only if it is absent from this
baseline. Every monitoring path (the scheduled re-check and the nightly sweep) asks
:func:`publication_baselines`; nothing else decides what "accepted at publication" means, so
when publications carry a content digest and their own record, only this module changes.

The baseline of a page is what was accepted for the content that went live with its latest
:class:`~ecm_ops.models.Publication` (matched by content digest, never by revision id):

- the blocker fingerprints of the newest *succeeded* screening of that content (by any
  trigger except monitoring itself), and
- the blocker fingerprints overridden for that content (:class:`~ecm_ops.models.ScreeningOverride`
  with the same digest; "could not run" is never among them).

A page live before ecm_ops recorded publications falls back to the screenings of its live
revision. A page published without any screening of its content has an empty baseline: every
blocker on it is new (fail closed).

A fingerprint is ``check|field|excerpt``, the same identity the submit gate uses
(:func:`ecm_ops.services.screening.fingerprints`), so an override accepted at submission
covers the same blocker seen again by monitoring.
"""

from __future__ import annotations

from django.db.models import Q

from ..models import Finding, ScreeningOverride, ScreeningRun
from ..states import JobStatus, ScreeningTrigger, Severity


def blocker_fingerprint(finding) -> str:
    """The identity of one blocker (a :class:`Finding` row or a check's ``FindingData``)."""
    from ..governance.invariant import blocker_print

    return blocker_print(finding)


def publication_baselines(pages) -> dict[int, set[str]]:
    """page pk -> blocker fingerprints accepted when its live content was published.

    Four queries whatever the number of pages (latest publications, screenings of their
    content, those screenings' blockers, the overrides of that content), so a sweep chunk
    stays at a constant query count."""
    from ..models import Publication

    pages = list(pages)
    result: dict[int, set[str]] = {page.pk: set() for page in pages}
    digest: dict[int, str] = {}
    for page_id, content_digest in (
        Publication.objects.filter(page_id__in=list(result))
        .order_by("published_at", "pk")
        .values_list("page_id", "content_digest")
    ):
        digest[page_id] = content_digest  # the newest wins
    live = {p.live_revision_id: p.pk for p in pages if p.live_revision_id and p.pk not in digest}
    newest: dict[int, int] = {}  # page pk -> run pk
    runs = ScreeningRun.objects.filter(status=JobStatus.SUCCEEDED).exclude(
        trigger=ScreeningTrigger.MONITOR
    )
    for run_pk, page_id, run_digest, revision_id in (
        runs.filter(
            Q(page_id__in=list(digest), content_digest__in=set(digest.values()))
            | Q(revision_id__in=list(live))
        )
        .order_by("created_at", "pk")
        .values_list("pk", "page_id", "content_digest", "revision_id")
    ):
        if digest.get(page_id) == run_digest or live.get(revision_id) == page_id:
            newest[page_id] = run_pk  # the last one wins
    run_page = {run_pk: page_pk for page_pk, run_pk in newest.items()}
    if run_page:
        for run_id, check_id, field, excerpt in Finding.objects.filter(
            run_id__in=list(run_page), severity=Severity.BLOCKER
        ).values_list("run_id", "check_id", "field", "excerpt"):
            result[run_page[run_id]].add(f"{check_id}|{field}|{excerpt}")
    for page_id, override_digest, prints in ScreeningOverride.objects.filter(
        page_id__in=list(result)
    ).values_list("page_id", "content_digest", "fingerprints"):
        if page_id not in digest or digest[page_id] == override_digest:
            result[page_id].update(p for p in prints or [] if ".could_not_run|" not in p)
    return result


def publication_baseline(page) -> set[str]:
    """Blocker fingerprints accepted when ``page``'s live content was published."""
    return publication_baselines([page])[page.pk]
