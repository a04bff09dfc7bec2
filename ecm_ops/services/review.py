"""Review cases: open, classify after screening, approve (N-of-M), request changes, withdraw.

Every function here is the single entry point for its transition: permission and conditions
first (refusals say why), then the transition under ``select_for_update``, the audit entry, and
the Wagtail task state moved only when the case reaches a decision.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed
from wagtail.models import Page, TaskState, WorkflowState

from ..content_checks.identity import content_digest
from ..governance import authority, invariant
from ..models import Approval, ReviewCase
from ..states import OPEN_REVIEW_STATES, JobStatus, ReviewState
from . import Conflict, PermissionDenied, ServiceError, audit, notifications
from .publication import lock_page
from .screening import has_override, request_screening


def _locked(case_pk: int) -> ReviewCase:
    """The case, locked, after its page's row lock (always page first, then case: the order
    saves and publications take them in, so decisions, saves and cancels never deadlock)."""
    page_id = ReviewCase.objects.filter(pk=case_pk).values_list("page_id", flat=True).first()
    lock_page(page_id)
    return (
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related("tier", "revision")
        .get(pk=case_pk)
    )


def latest_digest(page_id: int) -> str | None:
    """Digest of the page's latest revision's content as it is now (autosave may have
    rewritten it in place)."""
    from wagtail.models import Revision

    latest = Page.objects.filter(pk=page_id).values_list("latest_revision_id", flat=True).first()
    revision = Revision.objects.filter(pk=latest).first() if latest else None
    return content_digest(revision.as_object()) if revision else None


@transaction.atomic
def open_case(task_state: TaskState, user=None) -> ReviewCase:
    """Called by the workflow Task's ``start``: supersede open cases, start the mandatory
    pre-screen, and open a case in ``screening``."""
    page = Page.objects.get(pk=task_state.workflow_state.object_id).specific
    for old in ReviewCase.objects.select_for_update(of=("self",)).filter(
        page=page, state__in=OPEN_REVIEW_STATES
    ):
        old.withdraw(
            reason=f"Superseded by a newer submission (revision {task_state.revision_id})."
        )
        old.save()
        audit.record(page, "ecm_ops.review.withdrawn", user, case=old.pk, reason=old.outcome_reason)
        notifications.case_decided(old, user)
    run = request_screening(page, trigger="submit", revision=task_state.revision, user=user)
    case = ReviewCase.objects.create(
        page=page,
        revision=task_state.revision,
        content_digest=content_digest(task_state.revision.as_object()),
        task_state=task_state,
        requester=user,
        screening_run=run,
    )
    audit.record(page, "ecm_ops.review.opened", user, case=case.pk, revision=task_state.revision_id)
    return case


def screening_finished(run) -> None:
    """React to a finished submit screening: send back, skip, or open for human review."""
    for pk in ReviewCase.objects.filter(screening_run=run, state=ReviewState.SCREENING).values_list(
        "pk", flat=True
    ):
        _after_screening(pk, run)


@transaction.atomic
def _after_screening(case_pk: int, run) -> None:
    case = _locked(case_pk)
    if case.state != ReviewState.SCREENING:
        return
    page = case.page.specific
    if run.status != JobStatus.SUCCEEDED:
        _send_back(case, None, f"The mandatory pre-screen could not run: {run.error}")
        return
    findings = list(run.findings.all())
    if run.blocker_count and not has_override(run):  # gate: services/screening.py
        names = ", ".join(sorted({f.check_id for f in findings if f.severity == "blocker"}))
        _send_back(
            case,
            None,
            f"The pre-screen found {run.blocker_count} blocking issue(s) "
            f"({names}). Fix them and submit again.",
        )
        return
    from ..drafting.provenance import ai_coverage

    if run.content_digest != case.content_digest:
        _send_back(
            case,
            None,
            "The page changed while it was being screened; submit it again so the review "
            "covers what would be published.",
        )
        return
    obj = case.revision.as_object()
    share = ai_coverage(obj).share  # judged from the content, never from provenance rows
    result = invariant.classify_content(page, obj, run, share, findings)
    case.policy, case.tier = result.policy, result.tier
    case.ai_share = share
    case.tier_reasons = [*result.reasons, f"AI-written share {share:.0%}, judged from the text."]
    overridden = bool(run.blocker_count)
    skip, why = invariant.skip_decision(case.tier, run, share, overridden)
    if skip:
        reason = why + " " + " ".join(result.reasons[:1])
        case.skip(reason=reason)
        case.save()
        audit.record(
            page, "ecm_ops.review.skipped", None, case=case.pk, reasons=[why, *result.reasons]
        )
        if case.task_state and case.task_state.status == TaskState.STATUS_IN_PROGRESS:
            case.task_state.approve(user=None, comment=reason)
        notifications.case_decided(case)
        return
    if case.tier and case.tier.auto_skip_allowed:
        case.tier_reasons = [*case.tier_reasons, why]
    sla = case.tier.sla_hours if case.tier else 48
    case.open_for_review(due_at=timezone.now() + timedelta(hours=sla))
    case.save()
    audit.record(
        page,
        "ecm_ops.review.awaiting",
        None,
        case=case.pk,
        tier=case.tier.label if case.tier else None,
        reasons=result.reasons,
    )
    notifications.case_awaiting_review(case)
    # Governance: arm the SLA timer; escalate at once if sent back too often.
    from .escalation import case_awaiting_review as arm_escalation

    arm_escalation(case)


def _send_back(case: ReviewCase, user, reason: str) -> None:
    """Changes requested (by the screen or a reviewer): the Wagtail task is rejected, which
    puts the workflow into "needs changes" so the editor can fix and resubmit."""
    if case.state == ReviewState.SCREENING:
        case.fail_screening(reason=reason)
    else:
        case.request_changes(reason=reason)
    case.save()
    audit.record(
        case.page.specific, "ecm_ops.review.changes_requested", user, case=case.pk, reason=reason
    )
    if case.task_state and case.task_state.status == TaskState.STATUS_IN_PROGRESS:
        case.task_state.reject(user=user, comment=reason)
    notifications.case_decided(case, user)


@transaction.atomic
def revision_saved(page, user=None) -> ReviewCase | None:
    """The page's content changed while a case is open (a new revision, or autosave rewriting
    the submitted one in place): the open case is superseded and the
    review task restarts on the new revision (Wagtail's ``TaskState.cancel(resume=True)``; the
    cancelled task withdraws the case with the reason, the restarted task opens a new one).

    Returns:
        The new case, or None when no open case was affected.
    """
    case = (
        ReviewCase.objects.filter(page_id=page.pk, state__in=OPEN_REVIEW_STATES)
        .select_related("task_state")
        .order_by("-pk")
        .first()
    )
    if case is None:
        return None
    digest = latest_digest(page.pk)
    if digest is None or digest == case.content_digest:
        return None
    task_state = case.task_state
    if task_state is None or task_state.status != TaskState.STATUS_IN_PROGRESS:
        return None
    task_state.specific.cancel(
        user=user, resume=True, comment="A newer revision was saved; the review restarts on it."
    )
    return ReviewCase.objects.filter(page_id=page.pk).order_by("-pk").first()


STALE_REVISION = (
    "The page was changed after it was submitted; this revision is no longer the one that "
    "would be published. Request changes so the editor resubmits it."
)


def _refusal(case: ReviewCase, user, *, allow_stale: bool = False):
    """``(message, error class)`` when ``user`` may not decide ``case`` now, else None."""
    if not (user and user.is_authenticated):
        return "Log in to review content.", PermissionDenied
    if not case.is_decidable:
        state = case.get_state_display().lower()
        return f"This review is {state}; it cannot be decided now.", Conflict
    reason = authority.conflict_reason(user, case)
    if reason:
        return reason, PermissionDenied
    if not case.may_decide(user):
        return authority.authority_refusal(user, case), PermissionDenied
    if not allow_stale and latest_digest(case.page_id) != case.content_digest:
        return STALE_REVISION, Conflict
    return None


def refusal_reason(case: ReviewCase, user, *, approving: bool = True) -> str:
    """Why ``user`` may not approve (or, with ``approving=False``, send back or reject)
    ``case`` now, in words for the user ('' when they may)."""
    refused = _refusal(case, user, allow_stale=not approving)
    return refused[0] if refused else ""


def _check_can_decide(case: ReviewCase, user, *, allow_stale: bool = False) -> None:
    """Raise the refusal. Sending back or rejecting a stale revision is allowed; approving it
    is not (Wagtail would publish the newer, unreviewed revision)."""
    refused = _refusal(case, user, allow_stale=allow_stale)
    if refused:
        message, error = refused
        raise error(message)


def _check_workflow_open(case: ReviewCase) -> None:
    """Under the page lock: the Wagtail workflow of the case must still be running. "Cancel
    workflow" commits the workflow's status before it cancels the task (outside any
    transaction), so an approval arriving in between would approve a case whose workflow can
    no longer publish: approved, nothing live."""
    task_state = case.task_state
    if task_state is None:
        return
    status = (
        WorkflowState.objects.filter(pk=task_state.workflow_state_id)
        .values_list("status", flat=True)
        .first()
    )
    if status != WorkflowState.STATUS_IN_PROGRESS:
        raise Conflict("The workflow of this review was cancelled; there is nothing to approve.")


def quorum_reached(case: ReviewCase) -> bool:
    """N distinct approvers on the case's current revision, including the tier's required role."""
    return case.has_quorum()


@transaction.atomic
def approve(case_pk: int, user, comment: str = "") -> ReviewCase:
    """Record ``user``'s approval; when the quorum is reached, approve the case and the task.

    Raises:
        PermissionDenied: no authority, or a conflict of interest (four-eyes).
        Conflict: the case is not awaiting review, or this person already approved it.
    """
    case = _locked(case_pk)
    _check_can_decide(case, user)
    _check_workflow_open(case)
    certification = authority.certification_for(user, case)
    try:
        with transaction.atomic():
            Approval.objects.create(
                case=case,
                revision=case.revision,
                content_digest=case.content_digest,
                user=user,
                comment=comment,
                certification=certification,
                certified_as=certification.describe() if certification else "",
            )
    except IntegrityError as exc:
        raise Conflict(
            "You have already approved this revision; another reviewer must approve it."
        ) from exc
    page = case.page.specific
    audit.record(page, "ecm_ops.review.approval", user, case=case.pk, comment=comment)
    if can_proceed(case.approve):
        case.approve()
        case.save()
        audit.record(
            page,
            "ecm_ops.review.approved",
            user,
            case=case.pk,
            tier=case.tier.label if case.tier else None,
            approvers=sorted(case.current_approvals().values_list("user_id", flat=True)),
        )
        _finish_task(case, user, comment)
        notifications.case_decided(case, user)
    return case


def _finish_task(case: ReviewCase, user, comment: str) -> None:
    """Approve the Wagtail task as the deciding reviewer. The workflow then moves on (and, at
    its end, publishes). Approval authority is the decision right here: a reviewer who may
    approve but not publish (e.g. Legal) still completes the review, and the workflow publishes
    on the reviewers' behalf (the ``ecm_ops.review.approved`` entry names them)."""
    task_state = case.task_state
    if not task_state or task_state.status != TaskState.STATUS_IN_PROGRESS:
        return
    task_state.approve(user=user, update=False, comment=comment)
    can_publish = case.page.permissions_for_user(user).can_publish()
    task_state.workflow_state.update(user=user if can_publish else None)


@transaction.atomic
def request_changes(case_pk: int, user, comment: str = "") -> ReviewCase:
    """Send the case back to the editor (Wagtail's "Request changes"). Raises like approve."""
    case = _locked(case_pk)
    _check_can_decide(case, user, allow_stale=True)
    _send_back(case, user, comment or "The reviewer requested changes.")
    return case


@transaction.atomic
def reject(case_pk: int, user, reason: str) -> ReviewCase:
    """Reject outright: the content must not be published in this form.

    Unlike "Request changes" (which keeps the Wagtail workflow waiting for a fix), this
    cancels the page's Wagtail workflow, so the page leaves moderation; a new submission starts
    a fresh review. A reason is required and recorded.

    Raises:
        ServiceError: no reason given.
        PermissionDenied / Conflict: as for :func:`approve`.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason for rejecting: the editor will read it.")
    case = _locked(case_pk)
    _check_can_decide(case, user, allow_stale=True)
    case.reject(reason=reason)
    case.save()
    audit.record(case.page.specific, "ecm_ops.review.rejected", user, case=case.pk, reason=reason)
    task_state = case.task_state
    if task_state and task_state.status == TaskState.STATUS_IN_PROGRESS:
        workflow_state = task_state.workflow_state
        if workflow_state.status in (
            WorkflowState.STATUS_IN_PROGRESS,
            WorkflowState.STATUS_NEEDS_CHANGES,
        ):
            workflow_state.cancel(user=user)
    notifications.case_decided(case, user)
    return case


@transaction.atomic
def withdraw_for_task_state(task_state_pk: int, user=None, reason: str = "") -> None:
    """The Wagtail task or workflow was cancelled: withdraw the open case. When the page
    already has a newer revision (Wagtail's "restart workflow" saves one, then cancels), the
    case is recorded as superseded by it."""
    for page_id in ReviewCase.objects.filter(task_state_id=task_state_pk).values_list(
        "page_id", flat=True
    ):
        lock_page(page_id)
    for case in ReviewCase.objects.select_for_update(of=("self",)).filter(
        task_state_id=task_state_pk, state__in=OPEN_REVIEW_STATES
    ):
        if latest_digest(case.page_id) != case.content_digest:
            why = "Superseded: the page's content changed after it was submitted."
        else:
            why = reason or "The workflow was cancelled."
        case.withdraw(reason=why)
        case.save()
        audit.record(
            case.page.specific,
            "ecm_ops.review.withdrawn",
            user,
            case=case.pk,
            reason=case.outcome_reason,
        )
        notifications.case_decided(case, user)


def approval_progress(page_id: int, user) -> tuple[int, int, bool] | None:
    """For the page's open, decidable case: ``(approvals so far, approvals needed, whether
    ``user``'s approval would complete the quorum)``; None when there is no such case (two
    queries)."""
    case = (
        ReviewCase.objects.filter(
            page_id=page_id, state__in=(ReviewState.AWAITING_REVIEW, ReviewState.ESCALATED)
        )
        .select_related("tier")
        .order_by("-pk")
        .first()
    )
    if case is None:
        return None
    approvers = set(case.current_approvals().values_list("user_id", flat=True))
    needed = max(case.tier.approvals_required if case.tier else 1, 1)
    after = approvers | {user.pk}
    completes = len(after) >= needed
    if completes and case.tier and case.tier.required_group_id:
        from django.contrib.auth import get_user_model

        completes = (
            get_user_model()
            .objects.filter(pk__in=after, groups=case.tier.required_group_id)
            .exists()
        )
    return len(approvers), needed, completes


def conflicts_by_case(cases, user) -> dict[int, str]:
    """For a listing: ``{case pk: conflict reason}`` for ``user``, in four queries whatever
    the number of cases (the one four-eyes rule, batched over the cases' pages)."""
    cases = list(cases)
    by_page = authority.conflicts_for_pages({c.page_id for c in cases})
    out = {}
    for case in cases:
        reason = by_page[case.page_id].reason(user.pk)
        if reason:
            out[case.pk] = authority.CONFLICT_REASONS[reason]
    return out


def open_case_for(task_state) -> ReviewCase | None:
    return (
        ReviewCase.objects.filter(task_state=task_state).select_related("tier", "revision").first()
    )
