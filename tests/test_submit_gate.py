"""The submit gate, through Wagtail's own edit view: a page whose latest screened revision has
a blocker is not submitted (its changes are saved as a draft, with a clear error); someone
with section authority can override with a reason (audited); others are refused (403)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import PageLogEntry, WorkflowState

from ecm_ops.models import ReviewCase, ScreeningOverride
from ecm_ops.services import screening as screening_service

from .helpers import edit_form_data, edit_url
from .test_screening_service import BLOCKER_BODY, make_article, screened, stable_checks

__all__ = ["stable_checks"]  # autouse fixture: pin the checks these tests rely on


@pytest.fixture
def blocked_page(demo):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "gated-story", user=editor)
    run = screened(page, BLOCKER_BODY, editor)
    assert run.blocker_count == 1
    return page, run


def test_submit_with_a_blocker_is_refused_and_nothing_typed_is_lost(demo, client, blocked_page):
    page, run = blocked_page
    client.force_login(demo["users"]["editor"])
    before = page.revisions.count()
    data = edit_form_data(page, action="submit", title="Gated story, edited")
    response = client.post(edit_url(page), data, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Not submitted" in text and "AI artefacts and placeholders (self reference)" in text
    assert not WorkflowState.objects.filter(
        base_content_type__isnull=False, object_id=str(page.pk)
    ).exists()
    assert not ReviewCase.objects.filter(page=page).exists()
    page.refresh_from_db()
    assert page.revisions.count() == before + 1
    assert page.get_latest_revision_as_object().title == "Gated story, edited"


def test_panel_warns_before_submission(demo, client, blocked_page):
    page, _run = blocked_page
    client.force_login(demo["users"]["editor"])
    data = client.get(reverse("ecm_ops:page_findings", args=[page.pk])).json()
    assert data["gate"]["blocked"] is True
    assert data["gate"]["can_override"] is False
    assert "Submission for review is blocked" in data["html"]


def test_unauthorised_override_is_refused_and_changes_nothing(demo, client, blocked_page):
    page, run = blocked_page
    client.force_login(demo["users"]["editor"])
    url = reverse("ecm_ops:screening_override", args=[run.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "trust me"}).status_code == 403
    client.force_login(demo["users"]["legal"])  # authority on Health, not on News
    assert client.post(url, {"reason": "trust me"}).status_code == 403
    assert not ScreeningOverride.objects.exists()
    assert screening_service.gate_for(page)["blocked"]


def test_override_without_reason_is_a_400(demo, client, blocked_page):
    _page, run = blocked_page
    client.force_login(demo["users"]["senior"])
    response = client.post(reverse("ecm_ops:screening_override", args=[run.pk]), {"reason": ""})
    assert response.status_code == 400
    assert not ScreeningOverride.objects.exists()


def test_authorised_override_lets_the_submission_through(
    demo, client, blocked_page, django_capture_on_commit_callbacks
):
    page, run = blocked_page
    senior, editor = demo["users"]["senior"], demo["users"]["editor"]
    client.force_login(senior)
    url = reverse("ecm_ops:screening_override", args=[run.pk])
    assert b"Override blockers" in client.get(url).content
    response = client.post(url, {"reason": "The quote is the subject of the story."})
    assert response.status_code == 302
    override = ScreeningOverride.objects.get()
    assert override.user == senior and override.run == run
    entry = PageLogEntry.objects.get(page=page, action="ecm_ops.screening.overridden")
    assert entry.user == senior
    assert entry.data["reason"] == "The quote is the subject of the story."

    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(page), edit_form_data(page, action="submit"))
    assert response.status_code == 302
    case = ReviewCase.objects.get(page=page)
    case.refresh_from_db()
    # The mandatory submit pre-screen still finds the blocker, but it was overridden.
    assert case.screening_run.blocker_count == 1
    assert case.state == "awaiting_review"
