"""The ReviewCase machine and its services: the graph, refusals, reject, notifications, the
audit trail and concurrent saves."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django_fsm import ConcurrentTransition, has_transition_perm

from ecm_ops.models import ReviewCase
from ecm_ops.services import Conflict, PermissionDenied, ServiceError
from ecm_ops.services import review as review_service
from ecm_ops.states import ReviewState

from .helpers import log_actions
from .review_support import (
    health_page,
    make_user,
    pinned_checks,  # noqa: F401
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]

S = ReviewState
OPEN = (S.SCREENING, S.AWAITING_REVIEW, S.ESCALATED)
DECIDABLE = (S.AWAITING_REVIEW, S.ESCALATED)
EDGES = {
    (S.SCREENING, S.AWAITING_REVIEW),
    (S.SCREENING, S.SKIPPED),
    (S.SCREENING, S.CHANGES_REQUESTED),
    *((s, t) for s in DECIDABLE for t in (S.APPROVED, S.CHANGES_REQUESTED, S.REJECTED)),
    *((s, S.ESCALATED) for s in DECIDABLE),
    *((s, S.WITHDRAWN) for s in OPEN),
}


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def test_the_graph_is_exactly_this():
    field = ReviewCase._meta.get_field("state")
    edges = {
        (source, t.target)
        for t in field.get_all_transitions(ReviewCase)
        for source in ([t.source] if t.source != "*" else list(S))
    }
    assert edges == EDGES


@pytest.mark.parametrize("state", list(S))
def test_available_transitions_from_each_state(state):
    case = ReviewCase(state=state)
    available = {t.target for t in case.get_available_state_transitions()}
    # approve also needs the quorum condition, so it is never "available" on an unsaved case.
    assert available == {t for s, t in EDGES if s == state} - {S.APPROVED}


def test_transition_permission_is_per_object(demo, capture):
    """A callable permission: authority on *this* case's tier, never a global grant."""
    case = submit(health_page(demo), demo["users"]["editor"], capture)
    outsider = make_user("outsider")
    outsider.user_permissions.add(
        *Permission.objects.filter(codename__in=["approve_tier", "review_case"])
    )
    outsider = type(outsider).objects.get(pk=outsider.pk)  # drop the permission cache
    assert outsider.has_perm("ecm_ops.approve_tier")  # a model-wide grant...
    assert not has_transition_perm(case.request_changes, outsider)  # ...authorises nothing
    assert not case.may_decide(outsider)
    assert has_transition_perm(case.request_changes, demo["users"]["senior"])
    assert case.may_decide(demo["users"]["senior"])
    with pytest.raises(PermissionDenied, match="do not hold approval authority for the Elevated"):
        review_service.approve(case.pk, outsider)


def test_a_decided_case_cannot_be_decided_again(demo, capture):
    users = demo["users"]
    case = submit(health_page(demo), users["editor"], capture)
    review_service.request_changes(case.pk, users["senior"], comment="Add sources")
    with pytest.raises(Conflict, match="This review is changes requested; it cannot be decided"):
        review_service.approve(case.pk, users["legal"])


def test_reject_needs_a_reason_and_ends_the_workflow(demo, capture, mailoutbox):
    users = demo["users"]
    case = submit(health_page(demo), users["editor"], capture)
    with pytest.raises(ServiceError, match="Give a reason"):
        review_service.reject(case.pk, users["senior"], reason="  ")
    mailoutbox.clear()
    with capture(execute=True):
        review_service.reject(case.pk, users["senior"], reason="Unsafe advice")
    case.refresh_from_db()
    page = case.page.specific
    assert case.state == "rejected" and case.outcome_reason == "Unsafe advice"
    assert not page.workflow_in_progress and not page.live
    assert "ecm_ops.review.rejected" in log_actions(page)
    rejected = [m for m in mailoutbox if m.subject.startswith("Rejected:")]
    assert [m.to for m in rejected] == [[users["editor"].email]]
    assert "Unsafe advice" in rejected[0].body


def test_reviewers_are_told_and_the_requester_hears_the_decision(demo, capture, mailoutbox):
    users = demo["users"]
    case = submit(health_page(demo), users["editor"], capture)
    awaiting = [m for m in mailoutbox if m.subject.startswith("Review needed")]
    # Everyone with authority for the Elevated tier (senior directly, legal via the group),
    # never the requester; one mail each, so nobody sees the other recipients.
    assert sorted(m.to[0] for m in awaiting) == [users["legal"].email, users["senior"].email]
    assert all(len(m.to) == 1 for m in awaiting)
    assert f"/ecm-ops/reviews/{case.pk}/" in awaiting[0].body
    mailoutbox.clear()
    with capture(execute=True):
        review_service.approve(case.pk, users["senior"])
    assert mailoutbox == []  # one approval of two: no decision yet
    with capture(execute=True):
        review_service.approve(case.pk, users["legal"])
    decided = [m for m in mailoutbox if m.subject.startswith("Approved:")]  # (Wagtail mails too)
    assert [m.to for m in decided] == [[users["editor"].email]]


def test_a_prescreen_that_cannot_run_sends_the_case_back(demo, capture, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": ["tests.no_such_module.Check"]}
    case = submit(health_page(demo), demo["users"]["editor"], capture)
    assert case.state == "changes_requested"
    assert case.outcome_reason.startswith("The mandatory pre-screen could not run")
    assert case.task_state.status == "rejected"


def test_approving_a_revision_that_is_no_longer_latest_is_refused(demo, capture):
    users = demo["users"]
    case = submit(health_page(demo), users["editor"], capture)
    page = case.page.specific
    page.intro = "Changed after submission: drink more coffee."  # e.g. an AI draft landed
    page.save_revision(user=users["editor"])
    with pytest.raises(Conflict, match="changed after it was submitted"):
        review_service.approve(case.pk, users["senior"])
    assert not case.approvals.exists()
    review_service.request_changes(case.pk, users["senior"], comment="Resubmit please")


def test_saving_the_same_content_again_keeps_the_case_decidable(demo, capture):
    """Content identity, not revision identity: a save that changes nothing (e.g. a refused
    Publish, which Wagtail saves first) does not make the open case stale."""
    users = demo["users"]
    case = submit(health_page(demo), users["editor"], capture)
    case.page.specific.save_revision(user=users["editor"])
    review_service.approve(case.pk, users["senior"])
    assert case.approvals.count() == 1


def test_audit_trail_of_a_decision(demo, capture):
    users = demo["users"]
    case = submit(health_page(demo), users["editor"], capture)
    review_service.approve(case.pk, users["senior"], comment="Fine")
    review_service.approve(case.pk, users["legal"])
    actions = log_actions(case.page)
    for action in (
        "ecm_ops.review.opened",
        "ecm_ops.review.awaiting",
        "ecm_ops.review.approval",
        "ecm_ops.review.approved",
    ):
        assert action in actions


def test_stale_copy_cannot_overwrite_a_transition(demo, capture):
    """ConcurrentTransitionMixin: a second save from the same source state fails."""
    case = submit(health_page(demo), demo["users"]["editor"], capture)
    stale = ReviewCase.objects.get(pk=case.pk)
    case.escalate(reason="SLA passed")
    case.save()
    stale.withdraw(reason="late")
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert ReviewCase.objects.get(pk=case.pk).state == "escalated"
