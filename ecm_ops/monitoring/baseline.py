"""What was accepted when a page went live: the blockers monitoring must not act on again.

A blocker that monitoring finds on a live page is *new* only if it is absent from this
baseline. Every monitoring path (the scheduled re-check and the nightly sweep) asks
:func:`publication_baselines`; nothing else decides what "accepted at publication" means, so
when publications carry a content digest and their own record, only this module changes.

Today the baseline of a page is:

- the blocker fingerprints of the newest *succeeded* screening of the page's live revision
  (``revision_id == page.live_revision_id``), by any trigger except monitoring itself, and
- every blocker fingerprint overridden for the page (:class:`~ecm_ops.models.ScreeningOverride`).

A page published without any screening of its live revision has an empty baseline: every
blocker on it is new (fail closed).

A fingerprint is ``check|field|excerpt``, the same identity the submit gate uses
(:func:`ecm_ops.services.screening.fingerprints`), so an override accepted at submission
covers the same blocker seen again by monitoring.
"""

from __future__ import annotations

from ..models import Finding, ScreeningOverride, ScreeningRun
from ..states import JobStatus, ScreeningTrigger, Severity


def blocker_fingerprint(finding) -> str:
    """The identity of one blocker (a :class:`Finding` row or a check's ``FindingData``)."""
    return f"{finding.check_id}|{finding.field}|{finding.excerpt}"


def publication_baselines(pages) -> dict[int, set[str]]:
    """page pk -> blocker fingerprints accepted when its live content was published.

    Three queries whatever the number of pages (screenings of the live revisions, their
    blockers, the pages' overrides), so a sweep chunk stays at a constant query count."""
    pages = list(pages)
    result: dict[int, set[str]] = {page.pk: set() for page in pages}
    live = {page.live_revision_id: page.pk for page in pages if page.live_revision_id}
    if live:
        newest: dict[int, int] = {}  # page pk -> run pk
        for run_pk, revision_id in (
            ScreeningRun.objects.filter(revision_id__in=list(live), status=JobStatus.SUCCEEDED)
            .exclude(trigger=ScreeningTrigger.MONITOR)
            .order_by("created_at", "pk")
            .values_list("pk", "revision_id")
        ):
            newest[live[revision_id]] = run_pk  # the last one wins
        run_page = {run_pk: page_pk for page_pk, run_pk in newest.items()}
        if run_page:
            for run_id, check_id, field, excerpt in Finding.objects.filter(
                run_id__in=list(run_page), severity=Severity.BLOCKER
            ).values_list("run_id", "check_id", "field", "excerpt"):
                result[run_page[run_id]].add(f"{check_id}|{field}|{excerpt}")
    for page_id, prints in ScreeningOverride.objects.filter(page_id__in=list(result)).values_list(
        "page_id", "fingerprints"
    ):
        result[page_id].update(prints or [])
    return result


def publication_baseline(page) -> set[str]:
    """Blocker fingerprints accepted when ``page``'s live content was published."""
    return publication_baselines([page])[page.pk]
