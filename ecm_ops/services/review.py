"""Review cases: open, classify after screening, approve (N-of-M), request changes, withdraw.

Every function here is the single entry point for its transition: permission and conditions
first (refusals say why), then the transition under ``select_for_update``, the audit entry, and
the Wagtail task state moved only when the case reaches a decision.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import Page, TaskState

from ..governance import authority
from ..governance.classification import classify
from ..models import Approval, ReviewCase
from ..states import OPEN_REVIEW_STATES, JobStatus, ReviewState
from . import Conflict, PermissionDenied, audit
from .screening import request_screening


def _locked(case_pk: int) -> ReviewCase:
    return (
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related("tier", "revision")
        .get(pk=case_pk)
    )


@transaction.atomic
def open_case(task_state: TaskState, user=None) -> ReviewCase:
    """Called by the workflow Task's ``start``: supersede open cases, start the mandatory
    pre-screen, and open a case in ``screening``."""
    page = Page.objects.get(pk=task_state.workflow_state.object_id).specific
    for old in ReviewCase.objects.select_for_update().filter(
        page=page, state__in=OPEN_REVIEW_STATES
    ):
        old.withdraw(reason="Superseded by a newer submission of this page.")
        old.save()
        audit.record(page, "ecm_ops.review.withdrawn", user, case=old.pk, reason=old.outcome_reason)
    run = request_screening(page, trigger="submit", revision=task_state.revision, user=user)
    case = ReviewCase.objects.create(
        page=page,
        revision=task_state.revision,
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
    if run.blocker_count:
        names = ", ".join(sorted({f.check_id for f in findings if f.severity == "blocker"}))
        _send_back(
            case,
            None,
            f"The pre-screen found {run.blocker_count} blocking issue(s) "
            f"({names}). Fix them and submit again.",
        )
        return
    from ..drafting.provenance import ai_share, template_risk_for

    result = classify(
        case.revision.as_object(),
        findings=findings,
        score=run.score,
        ai_share=ai_share(case.revision),
        template_risk=template_risk_for(page),
    )
    case.policy, case.tier, case.tier_reasons = result.policy, result.tier, result.reasons
    if case.tier and case.tier.auto_skip_allowed and run.warning_count == 0:
        reason = (
            f"Skipped: tier {case.tier.label} allows auto-skip and the pre-screen was "
            "clean. " + " ".join(result.reasons)
        )
        case.skip(reason=reason)
        case.save()
        audit.record(page, "ecm_ops.review.skipped", None, case=case.pk, reasons=result.reasons)
        if case.task_state and case.task_state.status == TaskState.STATUS_IN_PROGRESS:
            case.task_state.approve(user=None, comment=reason)
        return
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
    # Governance: arm the SLA timer; escalate at once if sent back too often.
    from .escalation import case_awaiting_review as arm_escalation

    arm_escalation(case)


def _send_back(case: ReviewCase, user, reason: str) -> None:
    case.request_changes(reason=reason)
    if user is not None:
        case.send_back_count += 1
    case.save()
    audit.record(
        case.page.specific, "ecm_ops.review.changes_requested", user, case=case.pk, reason=reason
    )
    if case.task_state and case.task_state.status == TaskState.STATUS_IN_PROGRESS:
        case.task_state.reject(user=user, comment=reason)


def _check_can_decide(case: ReviewCase, user) -> None:
    if case.state not in (ReviewState.AWAITING_REVIEW, ReviewState.ESCALATED):
        raise Conflict(
            f"This review is {case.get_state_display().lower()}; it cannot be decided now."
        )
    reason = authority.conflict_reason(user, case)
    if reason:
        raise PermissionDenied(reason)
    if not authority.has_authority(user, case):
        tier = case.tier.label if case.tier else "this"
        raise PermissionDenied(
            f"You do not hold approval authority for the {tier} tier of this section."
        )


def quorum_reached(case: ReviewCase) -> bool:
    """N distinct approvers on the case's current revision, including the tier's required role."""
    approvals = Approval.objects.filter(case=case, revision=case.revision_id)
    needed = case.tier.approvals_required if case.tier else 1
    if approvals.values("user").distinct().count() < needed:
        return False
    if case.tier and case.tier.required_group_id:
        return approvals.filter(user__groups=case.tier.required_group_id).exists()
    return True


@transaction.atomic
def approve(case_pk: int, user, comment: str = "") -> ReviewCase:
    """Record ``user``'s approval; when the quorum is reached, approve the case and the task.

    Raises:
        PermissionDenied: no authority, or a conflict of interest (four-eyes).
        Conflict: the case is not awaiting review, or this person already approved it.
    """
    case = _locked(case_pk)
    _check_can_decide(case, user)
    try:
        with transaction.atomic():
            Approval.objects.create(case=case, revision=case.revision, user=user, comment=comment)
    except IntegrityError as exc:
        raise Conflict(
            "You have already approved this revision; another reviewer must approve it."
        ) from exc
    page = case.page.specific
    audit.record(page, "ecm_ops.review.approval", user, case=case.pk, comment=comment)
    if quorum_reached(case):
        case.approve()
        case.save()
        audit.record(
            page,
            "ecm_ops.review.approved",
            user,
            case=case.pk,
            tier=case.tier.label if case.tier else None,
        )
        if case.task_state and case.task_state.status == TaskState.STATUS_IN_PROGRESS:
            case.task_state.approve(user=user, comment=comment)
    return case


@transaction.atomic
def request_changes(case_pk: int, user, comment: str = "") -> ReviewCase:
    case = _locked(case_pk)
    _check_can_decide(case, user)
    _send_back(case, user, comment or "The reviewer requested changes.")
    return case


@transaction.atomic
def withdraw_for_task_state(task_state_pk: int, user=None, reason: str = "") -> None:
    """The Wagtail task or workflow was cancelled: withdraw the open case."""
    for case in ReviewCase.objects.select_for_update().filter(
        task_state_id=task_state_pk, state__in=OPEN_REVIEW_STATES
    ):
        case.withdraw(reason=reason or "The workflow was cancelled.")
        case.save()
        audit.record(
            case.page.specific,
            "ecm_ops.review.withdrawn",
            user,
            case=case.pk,
            reason=case.outcome_reason,
        )


def open_case_for(task_state) -> ReviewCase | None:
    return (
        ReviewCase.objects.filter(task_state=task_state).select_related("tier", "revision").first()
    )
