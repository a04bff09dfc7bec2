"""The Risk-tiered review Task inside Wagtail's workflow: skip, actions, N-of-M with the
required role, the moderation query, and refusals shown to the conflicted."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import TaskState

from ecm_ops.models import ReviewCase

from .helpers import edit_form_data, edit_url, log_actions, workflow_action_url
from .review_support import (
    grant,
    health_page,
    health_tiers,
    make_user,
    mark_ai,
    news_page,
    pinned_checks,  # noqa: F401
    submit,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def health_case(demo, capture):
    page = health_page(demo)
    case = submit(page, demo["users"]["editor"], capture)
    assert case.state == "awaiting_review", case.outcome_reason
    return case


def _approve(client, user, case, capture):
    client.force_login(user)
    with capture(execute=True):
        response = client.post(workflow_action_url(case.page, "approve", case.task_state), {})
    case.refresh_from_db()
    return response


def test_clean_human_news_page_is_skipped_with_reason_and_published(demo, capture):
    page = news_page(demo)
    case = submit(page, demo["users"]["editor"], capture)
    page.refresh_from_db()
    assert case.state == "skipped"
    assert case.tier.label == "Low"
    assert "allows auto-skip" in case.outcome_reason and "Low because" in case.outcome_reason
    assert page.live and page.live_revision_id == case.revision_id
    assert case.task_state.status == TaskState.STATUS_APPROVED
    assert "ecm_ops.review.skipped" in log_actions(page)


def test_ai_written_news_is_not_skipped(demo, capture):
    page = news_page(demo)
    mark_ai(page)
    case = submit(page, demo["users"]["editor"], capture)
    page.refresh_from_db()
    assert case.state == "awaiting_review" and case.tier.label == "Standard"
    assert not page.live


def test_get_actions_only_for_authority_without_conflict(demo, health_case):
    task, page = demo["task"], health_case.page.specific
    users = demo["users"]
    outsider = make_user("outsider")  # admin access, no authority
    names = {name for name, _label, _modal in task.get_actions(page, users["senior"])}
    assert names == {"approve", "reject"}
    assert {n for n, _l, _m in task.get_actions(page, users["legal"])} == {"approve", "reject"}
    assert task.get_actions(page, users["editor"]) == []  # the requester
    assert task.get_actions(page, outsider) == []


def test_health_needs_two_approvals_including_legal(demo, health_case, client, capture):
    users = demo["users"]
    page = health_case.page
    _approve(client, users["senior"], health_case, capture)
    page.refresh_from_db()
    assert health_case.state == "awaiting_review"  # senior alone is not enough
    assert health_case.task_state.status == TaskState.STATUS_IN_PROGRESS
    assert not page.live

    _approve(client, users["legal"], health_case, capture)
    page.refresh_from_db()
    assert health_case.state == "approved"
    assert page.live and page.live_revision_id == health_case.revision_id
    actions = log_actions(page)
    assert actions.count("ecm_ops.review.approval") == 2
    assert "ecm_ops.review.approved" in actions


def test_two_approvals_without_the_legal_role_are_not_enough(demo, health_case, client, capture):
    other_senior = make_user("senior2")
    grant(other_senior, health_tiers(demo)["Elevated"])
    _approve(client, demo["users"]["senior"], health_case, capture)
    _approve(client, other_senior, health_case, capture)
    assert health_case.state == "awaiting_review"
    assert health_case.current_approvals().count() == 2
    _approve(client, demo["users"]["legal"], health_case, capture)
    assert health_case.state == "approved"


def test_moderation_query_is_one_query(demo, health_case, django_assert_num_queries):
    task = demo["task"]
    with django_assert_num_queries(1):
        senior_states = list(task.get_task_states_user_can_moderate(demo["users"]["senior"]))
    assert [s.pk for s in senior_states] == [health_case.task_state_id]
    outsider = make_user("outsider")
    with django_assert_num_queries(1):
        assert list(task.get_task_states_user_can_moderate(outsider)) == []


def test_get_actions_is_one_query_per_row(demo, health_case, django_assert_num_queries):
    """Wagtail's moderation listings call get_actions once per row."""
    page = health_case.page.specific
    with django_assert_num_queries(1):
        assert demo["task"].get_actions(page, demo["users"]["senior"])
    with django_assert_num_queries(1):
        assert demo["task"].get_actions(page, demo["users"]["editor"]) == []


def test_requester_sees_why_on_the_case_screen(demo, health_case, client, capture):
    editor = demo["users"]["editor"]
    client.force_login(editor)
    # Wagtail's own action view refuses the excluded action (generic message, no change).
    response = client.post(workflow_action_url(health_case.page, "approve", health_case.task_state))
    assert response.status_code == 302
    url = reverse("ecm_ops:review_case", args=[health_case.pk])
    message = "You wrote a revision of this page since it was last reviewed"
    assert message in client.get(url).content.decode()
    with capture(execute=True):
        response = client.post(url, {"action": "approve"})
    assert response.status_code == 403
    assert message in response.content.decode()
    health_case.refresh_from_db()
    assert health_case.state == "awaiting_review" and not health_case.approvals.exists()


def test_request_changes_then_resubmit_opens_a_new_case(demo, health_case, client, capture):
    senior, editor = demo["users"]["senior"], demo["users"]["editor"]
    page = health_case.page.specific
    client.force_login(senior)
    with capture(execute=True):
        client.post(
            workflow_action_url(page, "reject", health_case.task_state),
            {"comment": "Cite a source"},
        )
    health_case.refresh_from_db()
    assert health_case.state == "changes_requested"
    assert health_case.outcome_reason == "Cite a source"
    page.refresh_from_db()
    assert page.current_workflow_state.status == "needs_changes"

    # The editor fixes the page and resubmits with Wagtail's own button (workflow resumes).
    client.force_login(editor)
    with capture(execute=True):
        response = client.post(
            edit_url(page), edit_form_data(page, action="submit", intro="Adults need fluids.")
        )
    assert response.status_code == 302
    new_case = ReviewCase.objects.filter(page=page).latest("pk")
    assert new_case.pk != health_case.pk
    assert new_case.revision_id != health_case.revision_id
    assert new_case.state == "awaiting_review"
    health_case.refresh_from_db()
    assert health_case.state == "changes_requested"


def test_a_stale_revision_can_be_sent_back_but_not_approved_on_the_case_screen(
    demo, health_case, client, capture
):
    page = health_case.page.specific
    page.intro = "Changed meanwhile."
    page.save_revision(user=demo["users"]["editor"])  # e.g. from code, around the lock
    client.force_login(demo["users"]["senior"])
    url = reverse("ecm_ops:review_case", args=[health_case.pk])
    body = client.get(url).content.decode()
    assert "changed after it was submitted" in body
    assert 'value="approve"' not in body and 'value="request_changes"' in body
    assert client.post(url, {"action": "approve"}).status_code == 409
    with capture(execute=True):
        response = client.post(url, {"action": "request_changes", "comment": "Resubmit"})
    assert response.status_code == 302
    health_case.refresh_from_db()
    assert health_case.state == "changes_requested"
