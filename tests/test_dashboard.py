"""The dashboard shows risk-tiered reviews in ecm_ops's own panel at a constant cost, and
Wagtail's per-row moderation panel no longer lists them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm_ops.models import Approval, ReviewCase

from .review_support import health_page, pinned_checks, submit  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_checks")]


def _dashboard(client, user):
    client.force_login(user)
    client.get(reverse("wagtailadmin_home"))  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_reviewer_sees_cases_in_the_ecm_panel_not_wagtails(
    demo, client, django_capture_on_commit_callbacks
):
    case = submit(health_page(demo), demo["users"]["editor"], django_capture_on_commit_callbacks)
    html, _ = _dashboard(client, demo["users"]["senior"])
    assert 'id="ecm-awaiting-review"' in html
    assert reverse("ecm_ops:review_case", args=[case.pk]) in html
    # Wagtail's own panel would link the workflow action for this task state.
    assert (
        reverse(
            "wagtailadmin_pages:workflow_action", args=[case.page_id, "approve", case.task_state_id]
        )
        not in html
    )


def test_editor_without_authority_sees_no_review_panel(
    demo, client, django_capture_on_commit_callbacks
):
    submit(health_page(demo), demo["users"]["editor"], django_capture_on_commit_callbacks)
    html, _ = _dashboard(client, demo["users"]["editor"])
    assert 'id="ecm-awaiting-review"' not in html


def test_dashboard_queries_do_not_grow_with_cases(demo, client, django_capture_on_commit_callbacks):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    submit(health_page(demo, slug="h-0"), editor, django_capture_on_commit_callbacks)
    _, one = _dashboard(client, senior)
    for i in range(1, 6):
        submit(health_page(demo, slug=f"h-{i}"), editor, django_capture_on_commit_callbacks)
    html, six = _dashboard(client, senior)
    assert html.count("data-case=") >= 6
    assert six == one


def test_awaiting_you_shows_only_cases_you_may_decide(
    demo, client, django_capture_on_commit_callbacks
):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    mine = submit(health_page(demo, slug="mine"), editor, django_capture_on_commit_callbacks)
    theirs = submit(health_page(demo, slug="theirs"), editor, django_capture_on_commit_callbacks)
    html, _ = _dashboard(client, senior)
    assert f'data-case="{mine.pk}"' in html and f'data-case="{theirs.pk}"' in html
    # senior wrote the submitted revision of "mine": conflicted (four-eyes), so not awaiting them.
    revision = mine.revision
    revision.user = senior
    revision.save(update_fields=["user"])
    html, _ = _dashboard(client, senior)
    assert f'data-case="{mine.pk}"' not in html and f'data-case="{theirs.pk}"' in html
    assert "1 risk-tiered review awaiting you" in html
    # legal may still decide it (not conflicted), so it awaits legal.
    html, _ = _dashboard(client, demo["users"]["legal"])
    assert f'data-case="{mine.pk}"' in html


def test_awaiting_you_leaves_out_what_you_already_approved_and_marks_overdue(
    demo, client, django_capture_on_commit_callbacks
):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    case = submit(health_page(demo), editor, django_capture_on_commit_callbacks)
    ReviewCase.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=1))
    html, _ = _dashboard(client, senior)
    assert f'data-case="{case.pk}"' in html and "data-ecm-overdue" in html and "Overdue" in html
    Approval.objects.create(
        case=case, revision=case.revision, user=senior, content_digest=case.content_digest
    )
    html, _ = _dashboard(client, senior)
    assert 'id="ecm-awaiting-review"' not in html  # one approval per person: nothing left to do
