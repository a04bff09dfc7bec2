"""Brief -> AI draft -> pre-screen -> risk-tiered review -> publish -> monitoring, driven through
the Django test client as the demo users, with a real RQ worker on real Redis and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from rq.registry import ScheduledJobRegistry

from ecm_ops.models import DraftRequest, FieldProvenance, MonitoringCheck, ReviewCase, ScreeningRun
from sandbox_site.content.models import NewsArticle

from .conftest import run_worker
from .helpers import edit_form_data, edit_url, log_actions, workflow_action_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_brief_to_published_page_with_monitoring(demo, rq_queue, client, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "MONITORING_FIRST_CHECK_AFTER": 1}
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    page = NewsArticle.objects.get(slug="draft-transport-plan")

    # 1. The editor writes a brief: a DraftRequest row, queued on Redis, nothing run yet.
    client.force_login(editor)
    response = client.post(
        reverse("ecm_ops:generate", args=[page.pk]),
        {
            "template": "news-explainer",
            "topic": "the new transport plan",
            "audience": "commuters",
            "key_points": "More buses at night\nCheaper season tickets",
        },
    )
    draft = DraftRequest.objects.get(page=page)
    assert response.status_code == 302
    assert draft.status == "queued" and draft.enqueued_at is not None
    assert rq_queue.count == 1
    assert "ecm_ops.draft.requested" in log_actions(page)

    # 2. A real worker generates the draft revision (never published) and pre-screens it.
    run_worker(rq_queue)
    draft.refresh_from_db()
    assert draft.status == "succeeded", draft.error
    page.refresh_from_db()
    assert page.live is False and page.has_unpublished_changes
    assert draft.revision_id == page.latest_revision_id
    assert page.get_latest_revision_as_object().title == "The new transport plan"
    origins = dict(
        FieldProvenance.objects.filter(revision=draft.revision).values_list("field_name", "origin")
    )
    assert origins == {"title": "ai", "search_description": "ai", "intro": "ai", "body": "ai"}
    screening = ScreeningRun.objects.get(revision=draft.revision, trigger="draft")
    assert screening.status == "succeeded" and screening.blocker_count == 0
    status = client.get(
        reverse("ecm_ops:draft_status", args=[draft.pk]), HTTP_ACCEPT="application/json"
    ).json()
    assert status["status"] == "succeeded" and status["revision"] == draft.revision_id

    # 3. The editor submits for moderation with Wagtail's own button: the task opens a case
    #    that waits for the mandatory pre-screen.
    response = client.post(edit_url(page), edit_form_data(page, action="submit"))
    assert response.status_code == 302, response.content[:2000]
    case = ReviewCase.objects.get(page=page)
    assert case.state == "screening" and case.requester == editor
    run_worker(rq_queue)
    case.refresh_from_db()
    assert case.state == "awaiting_review"
    assert case.tier.label == "Standard"  # mostly AI-written news
    assert any("Mostly AI-written" in r for r in case.tier_reasons)

    # 4. The requester cannot approve their own submission (four-eyes); nothing changes.
    task_state = case.task_state
    response = client.post(workflow_action_url(page, "approve", task_state), {})
    # Wagtail's admin turns PermissionDenied into a redirect to the dashboard with an error.
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    case.refresh_from_db()
    assert case.state == "awaiting_review" and not case.approvals.exists()

    # 5. The senior editor holds authority for the tier and approves: Wagtail publishes.
    client.force_login(senior)
    response = client.post(workflow_action_url(page, "approve", task_state), {"comment": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    page.refresh_from_db()
    assert case.state == "approved"
    assert page.live and page.live_revision.pk == page.latest_revision_id

    # 6. Publication scheduled a re-screen on RQ's scheduler (an idempotent job id per row).
    check = MonitoringCheck.objects.get(page=page, status="queued")
    assert check.rq_job_id in ScheduledJobRegistry(queue=rq_queue).get_job_ids()
    time.sleep(1.2)
    run_worker(rq_queue)
    check.refresh_from_db()
    assert check.status == "succeeded" and check.screening_run.trigger == "monitor"
    assert MonitoringCheck.objects.filter(page=page, status="queued").count() == 1  # the next one

    actions = log_actions(page)
    expected = [
        "ecm_ops.draft.requested",
        "ecm_ops.draft.succeeded",
        "ecm_ops.screening.finished",
        "ecm_ops.review.opened",
        "wagtail.workflow.start",
        "ecm_ops.review.awaiting",
        "ecm_ops.review.approval",
        "ecm_ops.review.approved",
        "ecm_ops.monitoring.scheduled",
        "wagtail.publish",
        "ecm_ops.monitoring.checked",
    ]
    positions = [actions.index(a) for a in expected]
    assert positions == sorted(positions), actions
