"""Save screenings are debounced (autosave) yet the newest revision is screened; the submit
gate and the blocker override service (authority, reason, audit)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ecm_ops.models import ScreeningOverride, ScreeningRun
from ecm_ops.services import PermissionDenied, ServiceError
from ecm_ops.services import screening as screening_service
from ecm_ops.services.page_events import page_saved
from sandbox_site.content.models import NewsArticle

from .helpers import log_actions

STABLE_CHECKS = [
    "ecm_ops.content_checks.artefacts.AIArtefactsCheck",
    "ecm_ops.content_checks.pii.PIICheck",
]
BLOCKER_BODY = "<p>As an AI language model, I think the library is great.</p>"


@pytest.fixture(autouse=True)
def stable_checks(settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "CHECKS": STABLE_CHECKS}


def make_article(parent, slug, body="<p>Plain words about the town.</p>", user=None, live=False):
    page = NewsArticle(title=slug.replace("-", " ").title(), slug=slug, intro="Intro.", body=body)
    page.owner = user
    parent.add_child(instance=page)
    revision = page.save_revision(user=user)
    if live:
        revision.publish()  # as the system: the editor has no publish permission
    page.refresh_from_db()
    return page


def save_draft(page, body, user):
    draft = page.get_latest_revision_as_object()
    draft.body = body
    revision = draft.save_revision(user=user)
    page.refresh_from_db()
    return revision


def screened(page, body, user):
    """Save a revision with ``body`` and screen it now; returns the finished run."""
    save_draft(page, body, user)
    run = screening_service.request_screening(
        page, trigger="submit", revision=page.get_latest_revision(), user=user
    )
    return screening_service.process_screening_run(run.pk)


def test_rapid_saves_queue_one_screening_that_screens_the_newest_revision(demo):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "rapid-saves", user=editor)
    for i in range(5):  # what autosave does while someone types
        save_draft(page, f"<p>Version {i} of the text.</p>", editor)
        page_saved(page, editor)
    runs = ScreeningRun.objects.filter(page=page, trigger="save")
    assert runs.count() == 1
    run = runs.get()
    assert run.status == "queued"
    newest = page.get_latest_revision()
    assert run.revision_id == newest.pk

    # A save after the job was enqueued but before it starts: the job screens the newest text.
    save_draft(page, BLOCKER_BODY, editor)
    screening_service.process_screening_run(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.revision_id == page.get_latest_revision().pk != newest.pk
    assert run.blocker_count == 1
    assert run.findings.get(severity="blocker").check_id == "ai_artefacts.self_reference"


def test_save_within_the_debounce_window_is_delayed_not_dropped(demo, settings):
    settings.ECM_OPS = {**settings.ECM_OPS, "SCREEN_DEBOUNCE_SECONDS": 30}
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "debounced", user=editor)
    first = screening_service.request_screening(page, trigger="save", user=editor)
    screening_service.process_screening_run(first.pk)
    second = screening_service.request_screening(page, trigger="save", user=editor)
    assert second.pk != first.pk and second.status == "queued"
    assert second.not_before is not None
    assert second.not_before >= first.created_at + timedelta(seconds=30) - timedelta(seconds=1)
    # Outside the window: no delay.
    ScreeningRun.objects.filter(page=page).update(created_at=timezone.now() - timedelta(hours=1))
    screening_service.process_screening_run(second.pk)
    third = screening_service.request_screening(page, trigger="save", user=editor)
    assert third.not_before is None


def test_submit_and_draft_screenings_are_not_debounced(demo):
    editor = demo["users"]["editor"]
    page = make_article(demo["news"], "submits", user=editor)
    a = screening_service.request_screening(page, trigger="submit", user=editor)
    b = screening_service.request_screening(page, trigger="submit", user=editor)
    assert a.pk != b.pk


def test_gate_blocks_on_blockers_and_an_authorised_override_lifts_it(demo):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    page = make_article(demo["news"], "gated", user=editor)
    run = screened(page, BLOCKER_BODY, editor)
    gate = screening_service.gate_for(page)
    assert gate["blocked"] and gate["run"] == run
    assert "AI artefacts and placeholders (self reference)" in gate["message"]  # by label
    assert "ai_artefacts.self_reference" not in gate["message"]

    with pytest.raises(PermissionDenied):
        screening_service.override(run.pk, editor, "I think it is fine")
    assert not ScreeningOverride.objects.exists()
    with pytest.raises(ServiceError, match="reason"):
        screening_service.override(run.pk, senior, "   ")

    override = screening_service.override(run.pk, senior, "Quoted on purpose in a media story.")
    assert override.fingerprints == screening_service.fingerprints(run)
    gate = screening_service.gate_for(page)
    assert not gate["blocked"] and gate["overridden"]
    assert "ecm_ops.screening.overridden" in log_actions(page)

    # The override covers those blockers only: a new blocker blocks again.
    screened(page, BLOCKER_BODY.replace("</p>", " [INSERT quote here]</p>"), editor)
    assert screening_service.gate_for(page)["blocked"]


def test_clean_run_does_not_block_and_cannot_be_overridden(demo):
    editor, senior = demo["users"]["editor"], demo["users"]["senior"]
    page = make_article(demo["news"], "clean", user=editor)
    run = screened(page, "<p>The library opens at nine.</p>", editor)
    assert run.blocker_count == 0
    assert not screening_service.gate_for(page)["blocked"]
    with pytest.raises(ServiceError, match="no blockers"):
        screening_service.override(run.pk, senior, "why not")


def test_authority_is_per_section(demo):
    """Legal holds authority on Health tiers only; superusers everywhere."""
    legal, admin = demo["users"]["legal"], demo["users"]["admin"]
    news_page = make_article(demo["news"], "news-authority")
    health_page = make_article(demo["health"], "health-authority")
    assert not screening_service.has_section_authority(legal, news_page)
    assert screening_service.has_section_authority(legal, health_page)
    assert screening_service.has_section_authority(admin, news_page)
