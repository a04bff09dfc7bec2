"""Review escalation: SLA timers and the ``escalate`` transition.

A case escalates when it passes its SLA (``due_at``) or when the page was sent back more than
its policy's ``max_send_backs`` times. Escalating moves the case to ``escalated`` (audited),
delegates it (guardian ``review_case``) to the next authority level — the reviewers of the next
tier up and the policy's escalation group — and notifies them. It then shows in the "Overdue
reviews" dashboard panel.

Timers are rows first (:class:`~ecm_ops.models.EscalationTimer`), scheduled on RQ after commit
with an idempotent job id; the reaper runs them if Redis lost them (and in inline mode).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..governance import authority
from ..governance.escalation import (
    DECIDABLE,
    escalation_reviewers,
    next_tier,
    send_backs,
    too_many_send_backs,
)
from ..jobs import claims, outbox
from ..models import EscalationTimer, ReviewCase
from ..states import JobStatus
from . import Conflict, PermissionDenied, ServiceError, audit, notifications

#: A timer that fires this early (clock skew between web and worker hosts) still counts.
EARLY_TOLERANCE = timedelta(seconds=5)


def arm_timer(case: ReviewCase) -> EscalationTimer | None:
    """Arm the SLA timer of an open case (idempotent per case and due time). Call inside the
    transaction that set ``due_at``; the RQ job is scheduled after commit."""
    if case.due_at is None or case.state not in DECIDABLE:
        return None
    timer = EscalationTimer.objects.filter(case=case, due_at=case.due_at).first()
    if timer is not None:
        return timer
    try:
        with transaction.atomic():
            timer = EscalationTimer.objects.create(case=case, due_at=case.due_at)
    except IntegrityError:  # armed concurrently
        return EscalationTimer.objects.get(case=case, due_at=case.due_at)
    outbox.schedule_on_commit(timer, case.due_at)
    return timer


def case_awaiting_review(case: ReviewCase) -> None:
    """The single hook the review service calls when a case enters ``awaiting_review``: arm its
    SLA timer, and escalate at once if the page was sent back too often."""
    arm_timer(case)
    if too_many_send_backs(case):
        n = send_backs(case)
        escalate(
            case.pk,
            reason=f"Sent back {n} times (the policy escalates after {case.policy.max_send_backs}).",
            cause="send_backs",
        )


@transaction.atomic
def escalate(case_pk: int, *, reason: str, cause: str = "sla", user=None) -> ReviewCase:
    """Escalate one open case to the next authority level.

    Args:
        reason: recorded on the case and in the audit trail, shown to reviewers.
        cause: ``"sla"``, ``"send_backs"`` or ``"manual"`` (kept in the audit data).
        user: who escalated (None: the system).

    Raises:
        Conflict: the case is not awaiting review or escalated.
    """
    case = (
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related("tier", "policy", "page", "revision")
        .get(pk=case_pk)
    )
    if case.state not in DECIDABLE:
        raise Conflict(f"This review is {case.get_state_display().lower()}; it cannot escalate.")
    case.escalate(reason=reason)
    target = next_tier(case)
    if cause == "sla" and target is not None:
        # Give the next level its own SLA; a further timer escalates again if it passes too.
        case.due_at = timezone.now() + timedelta(hours=target.sla_hours)
    case.save()
    added = []
    for reviewer in escalation_reviewers(case, target):
        if authority.delegate(case, reviewer, by=user, reason=reason, check=False):
            added.append(reviewer.get_username())
    audit.record(
        case.page.specific,
        "ecm_ops.review.escalated",
        user,
        case=case.pk,
        cause=cause,
        reason=reason,
        level=case.escalation_level,
        to_tier=target.label if target else None,
        added=added,
    )
    if cause == "sla" and target is not None:
        arm_timer(case)
    notifications.case_awaiting_review(case, escalated=True)
    return case


def escalate_by_hand(case_pk: int, user, reason: str) -> ReviewCase:
    """A reviewer or site admin escalates a case by hand, typically one that can no longer
    reach its quorum (too few eligible approvers without a conflict of interest). Same
    transition, delegation, audit entry and notifications as an SLA escalation
    (``cause="manual"``).

    Raises:
        PermissionDenied: ``user`` holds no authority for the case and may not manage
            authority.
        ServiceError: no reason given.
        Conflict: the case is not awaiting review or escalated.
    """
    reason = (reason or "").strip()
    case = ReviewCase.objects.select_related("tier").get(pk=case_pk)
    if not (authority.has_authority(user, case) or authority.can_manage_authority(user)):
        raise PermissionDenied(
            "Only reviewers with authority for this case and site admins may escalate it."
        )
    if not reason:
        raise ServiceError("Say why the case needs escalating: the next level will read it.")
    return escalate(case_pk, reason=reason, cause="manual", user=user)


def process_timer(pk: int) -> None:
    """RQ entry point body: escalate the case if it is still open past its SLA."""
    timer = claims.claim(EscalationTimer, pk)
    if timer is None:
        return
    now = timezone.now()
    case = ReviewCase.objects.filter(pk=timer.case_id).first()
    if case is None or case.state not in DECIDABLE:
        claims.finish(timer, JobStatus.SUCCEEDED)
        return
    if case.due_at is None or case.due_at > now + EARLY_TOLERANCE:
        if case.due_at == timer.due_at:
            # Fired early (clock skew between hosts): the same row waits for its time again.
            EscalationTimer.objects.filter(pk=pk).update(status=JobStatus.QUEUED)
            with transaction.atomic():
                outbox.schedule_on_commit(timer, timer.due_at)
            return
        claims.finish(timer, JobStatus.SUCCEEDED)  # the SLA moved: its own timer covers it
        with transaction.atomic():
            arm_timer(case)
        return
    hours = case.tier.sla_hours if case.tier else None
    sla = f"the {hours}-hour review SLA" if hours else "its review deadline"
    try:
        escalate(
            case.pk,
            reason=f"Not decided within {sla} (due {case.due_at:%Y-%m-%d %H:%M} UTC).",
            cause="sla",
        )
    except Conflict:
        pass  # decided meanwhile
    claims.finish(timer, JobStatus.SUCCEEDED)
