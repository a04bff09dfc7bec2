"""Screening: create a run row (then a job), and process it against the canonical text.

Saves are debounced (Wagtail autosaves every few seconds): a page has at most one queued save
screening; further saves only move it to the newest revision, and a save within
``ECM_OPS["SCREEN_DEBOUNCE_SECONDS"]`` of the previous run is scheduled for the end of that
window. A save run always screens the page's newest revision when it starts, so the last
save is screened even though not every save is.

The submit gate lives here too: :func:`gate_for` says whether the page's latest screened
revision has blockers, and :func:`override` lets someone with authority accept them (audited).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .. import conf
from ..content_checks.canonical import canonical_text
from ..content_checks.identity import content_digest
from ..content_checks.registry import CheckContext, run_checks
from ..content_checks.scoring import count, score
from ..governance.classification import policy_for
from ..governance.invariant import COULD_NOT_RUN, blocker_print
from ..jobs import claims, outbox
from ..models import (
    Finding,
    ScreeningOverride,
    ScreeningRun,
)
from ..states import JobStatus, ScreeningTrigger, Severity
from . import PermissionDenied, ServiceError, audit

logger = logging.getLogger("ecm_ops.screening")

FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


def request_screening(page, *, trigger: str, revision=None, user=None) -> ScreeningRun:
    """Create a queued run for ``revision`` (or the live page) and enqueue it after commit.
    Save triggers are debounced (see the module docstring)."""
    if trigger == ScreeningTrigger.SAVE:
        return _request_save_screening(page, revision, user)
    run = ScreeningRun.objects.create(
        page=page, revision=revision, trigger=trigger, requested_by=user
    )
    outbox.enqueue_on_commit(run)
    return run


@transaction.atomic
def _request_save_screening(page, revision, user) -> ScreeningRun:
    save_runs = ScreeningRun.objects.filter(page=page, trigger=ScreeningTrigger.SAVE)
    queued = save_runs.select_for_update().filter(status=JobStatus.QUEUED).first()
    if queued is not None:
        # Coalesce: the queued run will screen the newest revision when it starts.
        ScreeningRun.objects.filter(pk=queued.pk).update(revision=revision, requested_by=user)
        queued.revision = revision
        return queued
    window = timedelta(seconds=conf.get("SCREEN_DEBOUNCE_SECONDS"))
    previous = save_runs.order_by("-created_at").first()
    now = timezone.now()
    not_before = None
    if previous is not None and (previous.is_open or previous.created_at > now - window):
        not_before = max(previous.created_at + window, now)
    run = ScreeningRun.objects.create(
        page=page,
        revision=revision,
        trigger=ScreeningTrigger.SAVE,
        requested_by=user,
        not_before=not_before,
    )
    if not_before is not None and outbox.backend() != "inline":
        outbox.schedule_on_commit(run, not_before)
    else:
        # Inline mode has no scheduler: run after commit (the debounce still coalesces).
        outbox.enqueue_on_commit(run)
    return run


def screen_object(page_obj, page=None, brief=None, extra=None, meta=None):
    """Run the checks on a page object now; returns (canonical text, findings). What checks
    report about the run (e.g. the LLM rubric's cost) is added to ``meta`` if given."""
    doc = canonical_text(page_obj)
    context = CheckContext(
        page=page or page_obj,
        page_type=f"{page_obj._meta.app_label}.{page_obj._meta.model_name}",
        policy=policy_for(page) if page is not None and page.pk else None,
        brief=brief or {},
        extra=extra or {},
    )
    findings = run_checks(doc, context)
    if meta is not None:
        meta.update(context.meta)
    return doc, findings


def warm_up() -> None:
    """Load every configured check and run it once on a tiny text, in a worker's parent
    process before it forks job processes (RQ's default ``Worker`` forks per job): each job
    then inherits compiled patterns, rule packs and lazy imports instead of paying for them
    (about 2 s per job on a loaded 2-core machine).

    The checks are called directly, not through the registry's thread pool: threads do not
    survive ``fork()``, and a pool started in the parent would leave the children's checks
    waiting until their time budget ran out."""
    from ..content_checks.canonical import CanonicalText
    from ..content_checks.registry import get_checks
    from . import review  # noqa: F401  (imported lazily by process_screening_run)

    doc = CanonicalText.from_fields([("title", "Warm-up text for the checks.")])
    for check in get_checks():
        try:
            list(check.run(doc, CheckContext()))
        except Exception:  # warming is best effort; the real run fails closed
            logger.warning("Warm-up of %s failed", type(check).__name__, exc_info=True)


def finding_rows(run, findings) -> list[Finding]:
    return [
        Finding(
            run=run,
            check_id=f.check_id,
            severity=f.severity,
            field=f.field,
            start=f.start,
            end=f.end,
            excerpt=f.excerpt,
            message=f.message,
            suggestion=f.suggestion,
        )
        for f in findings
    ]


def process_screening_run(pk: int) -> ScreeningRun | None:
    """Job body: screen the run's revision, store findings and the score, then let the review
    service react. A crash marks the run failed (fail closed: a failed run clears nothing).

    Fenced (:mod:`ecm_ops.jobs.claims`): the findings are written in the transaction that
    finishes the run under this attempt's number, so an attempt the reaper re-queued while it
    was still running writes no findings (the attempt that owns the run does) and does not
    tell the review service a second time."""
    run = claims.claim(ScreeningRun, pk)
    if run is None:
        return None
    try:
        page = run.page.specific
        if run.trigger == ScreeningTrigger.SAVE:
            # Debounced: screen the newest revision, whichever save queued this run (the run
            # row is pointed at it when the attempt finishes, under the fence).
            newest = page.get_latest_revision()
            if newest is not None and newest.pk != run.revision_id:
                run.revision = newest
        page_obj = run.revision.as_object() if run.revision_id else page
        meta: dict = {}
        doc, findings = screen_object(page_obj, page=page, meta=meta)
        _record_provider_calls(run, meta)  # committed now: billed even if this attempt is lost
        with transaction.atomic():
            claims.hold_or_raise(run)
            Finding.objects.bulk_create(finding_rows(run, findings))
            claims.finish_or_raise(
                run,
                JobStatus.SUCCEEDED,
                revision_id=run.revision_id,
                score=score(findings, doc.word_count),
                word_count=doc.word_count,
                blocker_count=count(findings, Severity.BLOCKER),
                warning_count=count(findings, Severity.WARNING),
                meta=meta,
                content_digest=content_digest(doc),
            )
            run.refresh_from_db()
            audit.record(
                page,
                "ecm_ops.screening.finished",
                run=run.pk,
                trigger=run.trigger,
                score=run.score,
                blockers=run.blocker_count,
            )
    except claims.StaleAttempt:
        return _stale(run)
    except Exception as exc:
        logger.exception("Screening run %s failed", pk)
        if not claims.finish(
            run,
            JobStatus.FAILED,
            error=f"The pre-screen could not run ({type(exc).__name__}). Save again "
            "to retry; if it keeps failing, ask a site administrator.",
        ):
            return _stale(run)
        run.refresh_from_db()
    from .review import screening_finished

    screening_finished(run)
    return run


def screen_now(page, revision, user=None, *, trigger=ScreeningTrigger.CLI) -> ScreeningRun:
    """Screen ``revision``'s content synchronously, unless a finished screening of exactly
    this content exists already (then that run is returned)."""
    from ..governance.invariant import screening_of

    obj = revision.as_object()
    doc = canonical_text(obj)
    existing = screening_of(page.pk, content_digest(doc))
    if existing is not None:
        return existing
    meta: dict = {}
    _doc, findings = screen_object(obj, page=page, meta=meta)
    run = ScreeningRun.objects.create(
        page=page,
        revision=revision,
        trigger=trigger,
        requested_by=user,
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        score=score(findings, doc.word_count),
        word_count=doc.word_count,
        blocker_count=count(findings, Severity.BLOCKER),
        warning_count=count(findings, Severity.WARNING),
        meta=meta,
        content_digest=content_digest(doc),
    )
    Finding.objects.bulk_create(finding_rows(run, findings))
    return run


def _record_provider_calls(run: ScreeningRun, meta: dict) -> None:
    """Record the provider calls checks reported in ``meta`` (the LLM rubric's tokens and
    cost) as :class:`~ecm_ops.models.drafts.ProviderCall` rows of this attempt, committed at
    once: the run's ``meta`` is only written if the attempt keeps its claim."""
    from decimal import Decimal

    from ..models.drafts import ProviderCall
    from ..providers import get_provider

    calls = [
        ProviderCall(
            screening_run=run,
            attempt=run.attempts,
            provider=get_provider().name,
            model_name=str(usage.get("model", ""))[:100],
            input_tokens=usage.get("input_tokens") or 0,
            output_tokens=usage.get("output_tokens") or 0,
            cost=Decimal(str(usage.get("cost_usd") or 0)),
        )
        for usage in meta.values()
        if isinstance(usage, dict) and "input_tokens" in usage
    ]
    if calls:
        ProviderCall.objects.bulk_create(calls)


def _stale(run: ScreeningRun) -> None:
    """A stale attempt of ``run`` (see :func:`process_screening_run`): it wrote nothing."""
    logger.warning(
        "Screening run %s attempt %s lost its claim (re-queued by the reaper?); its result "
        "was discarded",
        run.pk,
        run.attempts,
    )
    return None


# --- what the editor sees -------------------------------------------------------------


def latest_run(page_id: int) -> ScreeningRun | None:
    """The newest screening of a revision of this page (any state)."""
    return (
        ScreeningRun.objects.filter(page_id=page_id, revision__isnull=False)
        .order_by("-created_at", "-pk")
        .first()
    )


def latest_finished_run(page_id: int) -> ScreeningRun | None:
    return (
        ScreeningRun.objects.filter(page_id=page_id, revision__isnull=False, status__in=FINISHED)
        .order_by("-finished_at", "-pk")
        .first()
    )


# --- the submit gate --------------------------------------------------------------------


def fingerprints(run: ScreeningRun) -> list[str]:
    """What identifies each blocker of ``run``: check, field and the offending text."""
    return sorted({blocker_print(f) for f in run.findings.filter(severity=Severity.BLOCKER)})


def has_override(run: ScreeningRun) -> bool:
    """True when every blocker of ``run`` was accepted by an override given for exactly this
    content (its digest). "Could not run" findings are never accepted. Whether the person who
    overrode was entitled is judged again at publication (``governance.invariant``)."""
    blockers = set(fingerprints(run))
    if not blockers:
        return True
    if any(COULD_NOT_RUN in b.split("|")[0] for b in blockers):
        return False
    accepted: set[str] = set()
    for prints in ScreeningOverride.objects.filter(
        page_id=run.page_id, content_digest=run.content_digest
    ).values_list("fingerprints", flat=True):
        accepted.update(prints)
    return blockers <= accepted


def gate_for(page) -> dict:
    """Whether submitting ``page`` for review is blocked now, and why (for panel and gate)."""
    run = latest_finished_run(page.pk)
    if run is None or not run.blocker_count:
        return {"blocked": False, "run": run, "overridden": False, "message": ""}
    if has_override(run):
        return {
            "blocked": False,
            "run": run,
            "overridden": True,
            "message": "The blockers of the latest pre-screen were overridden by someone "
            "with authority; submission is allowed.",
        }
    from .findings_summary import check_label, check_labels

    labels = check_labels()
    checks = ", ".join(
        sorted(
            {
                check_label(c, labels)
                for c in run.findings.filter(severity=Severity.BLOCKER).values_list(
                    "check_id", flat=True
                )
            }
        )
    )
    return {
        "blocked": True,
        "run": run,
        "overridden": False,
        "message": f"Submission for review is blocked: the latest pre-screen found "
        f"{run.blocker_count} blocking issue(s) ({checks}). Fix them and save, or ask a "
        "reviewer with authority for this section to override them with a reason.",
    }


def has_section_authority(user, page) -> bool:
    """A superuser, or a user holding ``approve_tier`` on any tier of the page's policy (who
    may be offered the override; :func:`override` checks the exact tier)."""
    from ..governance.authority import has_authority_in_policy

    policy = policy_for(page)
    return policy is not None and has_authority_in_policy(user, policy)


@transaction.atomic
def override(run_pk: int, user, reason: str) -> ScreeningOverride:
    """Accept the blockers of a finished run, for exactly the content it screened, so the
    page may be submitted (and published once reviewed).

    Raises:
        PermissionDenied: the user is conflicted for this content (four-eyes), or holds no
            approval authority for the tier this content classifies at.
        ServiceError: no reason given, the run has no blockers / has not finished, or its
            blockers are checks that could not run (never overridable: run them again).
    """
    from ..drafting.provenance import ai_coverage
    from ..governance.authority import CONFLICT_REASONS, conflicts_for_pages
    from ..governance.invariant import classify_content, tier_authority

    run = ScreeningRun.objects.select_for_update().select_related("page").get(pk=run_pk)
    page = run.page.specific
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason for the override; it is kept in the audit log.")
    if run.status != JobStatus.SUCCEEDED or not run.blocker_count:
        raise ServiceError("This pre-screen has no blockers to override.")
    conflict = conflicts_for_pages([page.pk])[page.pk].reason(getattr(user, "pk", None))
    if conflict:
        raise PermissionDenied(
            "You cannot override blockers in content you are conflicted for: "
            + CONFLICT_REASONS[conflict]
        )
    obj = run.revision.as_object() if run.revision_id else page
    if content_digest(obj) != run.content_digest:
        raise ServiceError(
            "The page has changed since this screening; override the newest screening.",
            status=409,
        )
    tier = classify_content(page, obj, run, ai_coverage(obj).share).tier
    if not (user and user.is_active and tier_authority(tier, {user.pk})):
        tier = tier.label if tier else "the"
        raise PermissionDenied(
            f"Only a reviewer with approval authority for the {tier} tier of this section may "
            "override blockers in this content."
        )
    prints = fingerprints(run)
    if any(COULD_NOT_RUN in p.split("|")[0] for p in prints):
        raise ServiceError(
            "A check could not run on this content; that is never overridable. Save again to "
            "run it, or ask a site administrator to look at the worker logs."
        )
    row = ScreeningOverride.objects.create(
        run=run,
        page=page,
        user=user,
        reason=reason,
        fingerprints=prints,
        content_digest=run.content_digest,
    )
    audit.record(
        page,
        "ecm_ops.screening.overridden",
        user,
        run=run.pk,
        override=row.pk,
        reason=reason,
        blockers=prints,
        digest=run.content_digest,
    )
    return row
