"""The one monitoring pipeline: screen live pages with the current rules → compare with what was
accepted at publication → act only on new, real problems.

Both the scheduled re-check of one page (:mod:`.service`) and a nightly sweep chunk
(:mod:`.sweep`) call :func:`monitor_pages`; nothing else screens live pages or opens incidents.

For each live page:

1. its canonical text is screened by the registered checks plus monitoring's own (link rot,
   staleness, optional external links: :mod:`.health`), and a ``monitor`` screening run with
   its findings is stored;
2. blockers whose fingerprint is in the page's publication baseline
   (:func:`.baseline.publication_baselines`: screened and accepted, or overridden, when it
   went live) are not new and do nothing;
3. a "could not run" finding (a check crashed or timed out, or screening the page failed as a
   whole) raises an operations alert (:mod:`.alerts`): never an incident, never an unpublish;
4. any other new blocker opens one incident (:func:`ecm_ops.services.incidents.open_incident`),
   which unpublishes only when the section's policy lists that blocker's check.

Failures stay with their page: a page whose text or checks raise gets a failed run and an
alert; the other pages of the batch are screened and acted on as usual. The number of queries
is constant per batch (only a page that opens an incident or raises an alert costs more).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ..content_checks.canonical import canonical_text
from ..content_checks.registry import CheckContext, FindingData, prepare_checks, run_checks
from ..content_checks.scoring import count, score
from ..governance.classification import policies_for
from ..models import DraftRequest, Finding, Incident, ScreeningRun
from ..services.incidents import ACTIVE, open_incident
from ..services.screening import finding_rows
from ..states import JobStatus, ScreeningTrigger, Severity
from . import alerts, health
from .baseline import blocker_fingerprint, publication_baselines

logger = logging.getLogger("ecm_ops.monitoring")

INCIDENT_FAILED = "monitoring.incident.could_not_run"


@dataclass
class PageOutcome:
    """What monitoring found on one live page and what it did about it."""

    page: object
    findings: list = field(default_factory=list)
    #: why screening the page failed ('' when it was screened)
    error: str = ""
    word_count: int = 0
    run: ScreeningRun | None = None
    #: blockers absent from the publication baseline (could-not-run excluded)
    new_blockers: list = field(default_factory=list)
    #: could-not-run findings: each raises (or bumps) an operations alert
    failures: list = field(default_factory=list)
    incident: Incident | None = None


class _PrefetchedContext(CheckContext):
    """A check context whose draft data (brief, instructions, style guide) was loaded for the
    whole batch, so it must not look it up again per page."""

    def fill_from_drafts(self) -> None:
        return None


def _drafts(page_ids: list[int]) -> dict[int, DraftRequest]:
    """Each page's latest successful AI draft (one query for the batch)."""
    latest: dict[int, DraftRequest] = {}
    for draft in (
        DraftRequest.objects.filter(page_id__in=page_ids, status=JobStatus.SUCCEEDED)
        .select_related("template_version__template__style_guide")
        .order_by("page_id", "created_at", "pk")
    ):
        latest[draft.page_id] = draft
    return latest


def _context(page, policy, draft) -> CheckContext:
    context = _PrefetchedContext(
        page=page,
        page_type=f"{page._meta.app_label}.{page._meta.model_name}",
        policy=policy,
        extra={"sweep": True},
    )
    if draft is not None:
        context.brief = dict(draft.brief or {})
        context.instructions = draft.template_version.instructions
        context.style_guide = draft.template_version.template.style_guide
    return context


def _fail(outcome: PageOutcome, exc: Exception) -> None:
    logger.exception("Monitoring could not screen live page %s", outcome.page.pk)
    outcome.error = (
        f"Monitoring could not screen this live page ({type(exc).__name__}); the page was left "
        "as it is and the next check will try again."
    )
    outcome.findings = [
        FindingData(
            check_id=alerts.SCREENING_FAILED,
            severity=Severity.BLOCKER,
            message=outcome.error,
            suggestion="See the ecm_ops.monitoring log for the error.",
        )
    ]


def _screen(outcomes: list[PageOutcome], policies: dict) -> None:
    """Fill each outcome's findings (or its error), one page's failure staying its own."""
    docs = {}
    for outcome in outcomes:
        try:
            docs[outcome.page.pk] = canonical_text(outcome.page)
        except Exception as exc:
            _fail(outcome, exc)
    screened = [o for o in outcomes if not o.error]
    if not screened:
        return
    try:
        ctx = health.prefetch(
            [o.page for o in screened], [docs[o.page.pk] for o in screened], policies
        )
    except Exception:  # each page then loads its own (slower, but it still gets screened)
        logger.exception("Monitoring could not prefetch link and staleness data")
        ctx = None
    drafts = _drafts([o.page.pk for o in screened])
    contexts = {
        o.page.pk: _context(o.page, policies.get(o.page.pk), drafts.get(o.page.pk))
        for o in screened
    }
    prepare_checks([(docs[o.page.pk], contexts[o.page.pk]) for o in screened])
    for outcome in screened:
        pk = outcome.page.pk
        try:
            findings = run_checks(docs[pk], contexts[pk])
            findings += health.health_findings(outcome.page, docs[pk], ctx)
        except Exception as exc:
            _fail(outcome, exc)
            continue
        findings.sort(key=lambda f: (f.start, f.check_id))
        outcome.findings = findings
        outcome.word_count = docs[pk].word_count


def _run_row(outcome: PageOutcome, now) -> ScreeningRun:
    findings = outcome.findings
    return ScreeningRun(
        page=outcome.page,
        trigger=ScreeningTrigger.MONITOR,
        status=JobStatus.FAILED if outcome.error else JobStatus.SUCCEEDED,
        error=outcome.error,
        attempts=1,
        started_at=now,
        finished_at=now,
        score=None if outcome.error else score(findings, outcome.word_count),
        word_count=outcome.word_count,
        blocker_count=count(findings, Severity.BLOCKER),
        warning_count=count(findings, Severity.WARNING),
    )


def _judge(outcome: PageOutcome, baseline: set[str]) -> None:
    """Split the page's blockers into could-not-run failures and new real blockers."""
    for finding in outcome.findings:
        if finding.severity != Severity.BLOCKER:
            continue
        if alerts.is_could_not_run(finding.check_id):
            outcome.failures.append(finding)
        elif blocker_fingerprint(finding) not in baseline:
            outcome.new_blockers.append(finding)


def _open_incidents(outcomes: list[PageOutcome], policies: dict) -> None:
    candidates = [o for o in outcomes if o.new_blockers]
    if not candidates:
        return
    active = set(
        Incident.objects.filter(
            page_id__in=[o.page.pk for o in candidates], state__in=ACTIVE
        ).values_list("page_id", flat=True)
    )
    for outcome in candidates:
        if outcome.page.pk in active:
            continue
        try:
            with transaction.atomic():
                outcome.incident = open_incident(
                    outcome.page,
                    outcome.run,
                    outcome.new_blockers,
                    policy=policies.get(outcome.page.pk),
                )
        except Exception as exc:
            logger.exception("Could not open an incident on live page %s", outcome.page.pk)
            checks = ", ".join(sorted({f.check_id for f in outcome.new_blockers}))
            outcome.failures.append(
                FindingData(
                    check_id=INCIDENT_FAILED,
                    severity=Severity.BLOCKER,
                    message=f"Monitoring found new blocking issues ({checks}) but could not "
                    f"open an incident ({type(exc).__name__}). Look at the page now.",
                )
            )


def monitor_pages(pages) -> list[PageOutcome]:
    """Screen live ``pages`` (specific instances) with the current rules, store one monitoring
    run each, and act on new problems only (see the module docstring).

    Returns:
        One :class:`PageOutcome` per page, in order.
    """
    pages = list(pages)
    if not pages:
        return []
    outcomes = [PageOutcome(page=page) for page in pages]
    policies = policies_for(pages)
    _screen(outcomes, policies)
    baselines = publication_baselines(pages)
    now = timezone.now()
    with transaction.atomic():
        runs = ScreeningRun.objects.bulk_create(_run_row(o, now) for o in outcomes)
        for outcome, run in zip(outcomes, runs, strict=True):
            outcome.run = run
        Finding.objects.bulk_create(
            [row for o in outcomes for row in finding_rows(o.run, o.findings)], batch_size=500
        )
        for outcome in outcomes:
            _judge(outcome, baselines.get(outcome.page.pk, set()))
        _open_incidents(outcomes, policies)
        alerts.sync_alerts(
            [
                alerts.AlertSource(
                    page=o.page, run=o.run, failures=o.failures, screened=not o.error
                )
                for o in outcomes
            ]
        )
    return outcomes
