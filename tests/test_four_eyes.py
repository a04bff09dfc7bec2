"""Four-eyes: who may not approve, one person counts once, superseded approvals do not count."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from ecm_ops.models import Approval, ReviewCase
from ecm_ops.services import Conflict, PermissionDenied
from ecm_ops.services import review as review_service

from .helpers import edit_form_data, edit_url, workflow_action_url
from .review_support import (
    grant,
    health_page,
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


def _refused(case, user, message):
    with pytest.raises(PermissionDenied) as exc:
        review_service.approve(case.pk, user)
    assert str(exc.value) == message
    case.refresh_from_db()
    assert case.state == "awaiting_review" and not case.approvals.exists()


def test_requester_cannot_approve(demo, capture):
    senior = demo["users"]["senior"]  # holds authority for every demo tier
    case = submit(health_page(demo), senior, capture)
    _refused(
        case,
        senior,
        "You submitted this page for review; another reviewer must approve it (four-eyes).",
    )


def test_author_of_the_revision_cannot_approve(demo, capture):
    senior = demo["users"]["senior"]
    case = submit(health_page(demo, author=senior), demo["users"]["editor"], capture)
    _refused(
        case,
        senior,
        "You wrote a revision of this page since it was last reviewed; another reviewer must approve it (four-eyes).",
    )


def test_generator_of_the_ai_draft_cannot_approve(demo, capture):
    senior = demo["users"]["senior"]
    page = news_page(demo)
    mark_ai(page, draft_by=senior)
    case = submit(page, demo["users"]["editor"], capture)
    _refused(
        case,
        senior,
        "You generated an AI draft of this page; another reviewer must approve it (four-eyes).",
    )


def test_a_conflicted_reviewer_using_wagtails_own_action_is_told_why(demo, client, capture):
    """Wagtail's workflow action view (the editor's footer and action menu): the refusal
    changes nothing and the case screen says why, in four-eyes words."""
    senior = demo["users"]["senior"]
    page = news_page(demo)
    mark_ai(page, draft_by=senior)
    case = submit(page, demo["users"]["editor"], capture)
    client.force_login(senior)
    url = workflow_action_url(page, "approve", case.task_state)
    with capture(execute=True):
        response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "Your decision was not recorded" in response.content.decode()
    assert "You generated an AI draft of this page" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "awaiting_review" and not case.approvals.exists()


def test_one_person_counts_once(demo, capture):
    senior, legal = demo["users"]["senior"], demo["users"]["legal"]
    case = submit(health_page(demo), demo["users"]["editor"], capture)
    review_service.approve(case.pk, senior)
    with pytest.raises(Conflict, match="already approved"):
        review_service.approve(case.pk, senior)
    case.refresh_from_db()
    assert case.state == "awaiting_review" and case.approvals.count() == 1
    # The database refuses a second row for the same person too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Approval.objects.create(case=case, revision=case.revision, user=senior)
    review_service.approve(case.pk, legal)
    case.refresh_from_db()
    assert case.state == "approved"


def test_approval_on_a_superseded_revision_does_not_count(demo, client, capture):
    senior, legal, editor = demo["users"]["senior"], demo["users"]["legal"], demo["users"]["editor"]
    page = health_page(demo)
    old = submit(page, editor, capture)
    review_service.approve(old.pk, senior)

    # The page is locked in review: the editor's save is refused and changes nothing.
    client.force_login(editor)
    before = page.revisions.count()
    response = client.post(edit_url(page), edit_form_data(page, intro="Adults need fluids daily."))
    assert response.status_code == 200 and page.revisions.count() == before
    old.refresh_from_db()
    assert old.state == "awaiting_review"

    # A reviewer with authority may edit it; the review restarts on the new content (a new
    # case), the old one is withdrawn as superseded, and the editing reviewer is now an author.
    client.force_login(legal)
    with capture(execute=True):
        response = client.post(
            edit_url(page), edit_form_data(page, intro="Adults need fluids daily.")
        )
    assert response.status_code == 302
    old.refresh_from_db()
    new = ReviewCase.objects.filter(page=page).latest("pk")
    assert old.state == "withdrawn" and "Superseded" in old.outcome_reason
    assert new.pk != old.pk and new.state == "awaiting_review"
    assert not new.current_approvals().exists()
    with pytest.raises(PermissionDenied, match="You wrote a revision"):
        review_service.approve(new.pk, legal)
    legal2 = make_user("legal2", *legal.groups.all())
    grant(legal2, new.tier)

    # Even an approval row pointing at the old revision is not counted on the new case.
    Approval.objects.create(case=new, revision=old.revision, user=senior)
    review_service.approve(new.pk, legal2)
    new.refresh_from_db()
    assert new.state == "awaiting_review"  # legal alone: 1 of 2
    assert not new.has_quorum()
    review_service.approve(new.pk, senior)  # senior again, on the current revision
    new.refresh_from_db()
    assert new.state == "approved"
